// UUIDv7 generation, parsing and formatting.
#include "annal/uuid.hpp"

#include <pthread.h>

#include <chrono>
#include <cstring>
#include <mutex>
#include <random>

#include "annal/error.hpp"

namespace annal {
namespace {

// Generation state shared by the process: the last millisecond used and a 12-bit counter in the
// rand_a field, so ids are monotonic within a process (RFC 9562 section 6.2, method 1).
struct v7_state {
  std::mutex mutex;
  std::uint64_t last_ms = 0;
  std::uint16_t counter = 0;
  std::mt19937_64 random{std::random_device{}()};
};

// A forked child starts with its parent's generator: it must draw new random bits, or parent
// and child (or two children) would make the same ids in the same millisecond.
void lock_before_fork();
void unlock_after_fork();
void reseed_in_child();

v7_state& state() {
  static v7_state s;
  static const bool registered =
      pthread_atfork(lock_before_fork, unlock_after_fork, reseed_in_child) == 0;
  (void)registered;
  return s;
}

void lock_before_fork() { state().mutex.lock(); }
void unlock_after_fork() { state().mutex.unlock(); }
void reseed_in_child() {
  v7_state& s = state();
  s.random.seed(std::random_device{}());
  s.counter = 0;
  s.mutex.unlock();
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

uuid uuid::v7() {
  auto& s = state();
  std::uint64_t now_ms =
      static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count());
  std::uint64_t ms;
  std::uint16_t counter;
  std::uint64_t rand_b;
  {
    std::lock_guard lock(s.mutex);
    if (now_ms > s.last_ms) {
      s.last_ms = now_ms;
      // Start the counter in the lower half so a burst has room to count up.
      s.counter = static_cast<std::uint16_t>(s.random() & 0x7ff);
    } else if (++s.counter > 0xfff) {
      // Counter exhausted within one millisecond (or the clock went back): borrow the next
      // millisecond rather than lose ordering.
      ++s.last_ms;
      s.counter = 0;
    }
    ms = s.last_ms;
    counter = s.counter;
    rand_b = s.random();
  }
  std::array<std::uint8_t, 16> b{};
  for (int i = 0; i < 6; ++i) b[i] = static_cast<std::uint8_t>(ms >> (40 - 8 * i));
  b[6] = static_cast<std::uint8_t>(0x70 | ((counter >> 8) & 0x0f));
  b[7] = static_cast<std::uint8_t>(counter & 0xff);
  for (int i = 0; i < 8; ++i) b[8 + i] = static_cast<std::uint8_t>(rand_b >> (56 - 8 * i));
  b[8] = static_cast<std::uint8_t>(0x80 | (b[8] & 0x3f));
  return uuid(b);
}

uuid uuid::parse(std::string_view text) {
  if (text.size() != 36 || text[8] != '-' || text[13] != '-' || text[18] != '-' ||
      text[23] != '-') {
    throw invalid_argument("'" + std::string(text) + "' is not a UUID in canonical form");
  }
  // Every character but the four hyphens must be a hex digit: 32 nibbles, high one first.
  std::array<std::uint8_t, 16> b{};
  std::size_t nibble = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) continue;
    int value = hex_value(text[i]);
    if (value < 0) {
      throw invalid_argument("'" + std::string(text) + "' is not a UUID in canonical form");
    }
    b[nibble / 2] = static_cast<std::uint8_t>(b[nibble / 2] | value << (nibble % 2 == 0 ? 4 : 0));
    ++nibble;
  }
  return uuid(b);
}

std::string uuid::to_string() const {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (std::size_t i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(digits[bytes_[i] >> 4]);
    out.push_back(digits[bytes_[i] & 0x0f]);
  }
  return out;
}

}  // namespace annal

std::size_t std::hash<annal::uuid>::operator()(const annal::uuid& id) const noexcept {
  std::uint64_t a;
  std::uint64_t b;
  std::memcpy(&a, id.bytes().data(), 8);
  std::memcpy(&b, id.bytes().data() + 8, 8);
  return std::hash<std::uint64_t>{}(a ^ (b * 0x9e3779b97f4a7c15ULL));
}

// Benchmark: what sealing personal fields costs appends and reads, against the same events with
// plain fields in the same run.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <span>
#include <string>
#include <vector>

#include "annal/codec.hpp"
#include "annal/open_store.hpp"
#include "annal/personal.hpp"
#include "core/personal_data.hpp"
#include "support/temp_dir.hpp"

namespace {

using clock_type = std::chrono::steady_clock;
constexpr int subjects = 1000;
constexpr int events_per_subject = 100;
constexpr int events = subjects * events_per_subject;
constexpr int passes = 3;

double seconds_since(clock_type::time_point start) {
  return std::chrono::duration<double>(clock_type::now() - start).count();
}

// Three personal fields and two plain ones; about 200 bytes of JSON.
struct profile_changed {
  static constexpr std::string_view type = "customer.profile_changed";
  static constexpr std::string_view subject_field = "customer_id";
  std::string customer_id;
  annal::personal<std::string> name;
  annal::personal<std::string> email;
  annal::personal<std::string> address;
  int tier = 0;
};
// The ceiling: the same fields in the clear, no subject.
struct profile_changed_plain {
  static constexpr std::string_view type = "customer.profile_changed";
  std::string customer_id;
  std::string name;
  std::string email;
  std::string address;
  int tier = 0;
};
using sealed_codec = annal::event_codec<std::variant<profile_changed>>;
using plain_codec = annal::event_codec<std::variant<profile_changed_plain>>;

std::string subject_of(int s) { return "customer-" + std::to_string(s); }

std::vector<annal::event_data> batch_of(int s, bool sealed) {
  std::vector<annal::event_data> batch;
  for (int i = 0; i < events_per_subject; ++i) {
    std::string id = subject_of(s);
    std::string name = "Ada Lovelace " + std::to_string(i);
    std::string email = "ada." + std::to_string(i) + "@example.com";
    std::string address = "12 Analytical Engine Street, London";
    batch.push_back(sealed
                        ? sealed_codec::encode(profile_changed{id, name, email, address, i})
                        : plain_codec::encode(profile_changed_plain{id, name, email, address, i}));
  }
  return batch;
}

// Seconds to append each subject's first event (which creates its key when sealed), and then
// the other events of each subject in one batch, one stream per subject.
struct append_times {
  double first = 0;
  double rest = 0;
};
append_times append_all(annal::event_store& store, bool sealed) {
  std::vector<std::vector<annal::event_data>> batches;
  for (int s = 0; s < subjects; ++s) batches.push_back(batch_of(s, sealed));
  append_times t;
  auto start = clock_type::now();
  for (int s = 0; s < subjects; ++s) {
    store.append(subject_of(s), annal::expected_version::no_stream(), batches[s].front());
  }
  t.first = seconds_since(start);
  start = clock_type::now();
  for (int s = 0; s < subjects; ++s) {
    store.append(subject_of(s), annal::expected_version::exact(1),
                 std::span(batches[s]).subspan(1));
  }
  t.rest = seconds_since(start);
  return t;
}

// Reads the whole log in pages of 1000; the best of `passes`, in seconds.
double read_all(annal::event_store& store) {
  double best = 1e9;
  for (int pass = 0; pass < passes; ++pass) {
    auto start = clock_type::now();
    std::size_t read = 0;
    for (std::uint64_t from = 1;;) {
      auto slice = store.read_all(from, 1000);
      read += slice.events.size();
      from = slice.next_position;
      if (slice.end_of_log) break;
    }
    if (read < static_cast<std::size_t>(events)) std::fprintf(stderr, "short read\n");
    best = std::min(best, seconds_since(start));
  }
  return best;
}

double us_per_event(double seconds) { return seconds * 1e6 / events; }

void backend(const char* scheme, const char* options) {
  annal::test::temp_dir dir;
  auto uri = [&](const char* name) { return std::string(scheme) + ":" + dir.file(name) + options; };
  auto plain = annal::open_store(uri("plain"));
  auto sealed = annal::open_store(uri("sealed"));
  append_times plain_append = append_all(*plain, false);
  append_times sealed_append = append_all(*sealed, true);
  double plain_read = read_all(*plain);
  double sealed_read = read_all(*sealed);
  auto start = clock_type::now();
  for (int s = 0; s < subjects; ++s) sealed->forget(subject_of(s));
  double forget_seconds = seconds_since(start);
  double erased_read = read_all(*sealed);

  constexpr double rest = events - subjects;
  std::printf("%s, %d events of %d subjects, 3 personal fields each\n", scheme, events, subjects);
  std::printf(
      "append, a subject's first event alone (creates its key): sealed %.0f us, plain (ceiling) "
      "%.0f us | ratio %.2f\n",
      sealed_append.first * 1e6 / subjects, plain_append.first * 1e6 / subjects,
      plain_append.first / sealed_append.first);
  std::printf(
      "append, its other %d events in one batch: sealed %.2f us/event, plain (ceiling) %.2f "
      "us/event | ratio %.2f\n",
      events_per_subject - 1, sealed_append.rest * 1e6 / rest, plain_append.rest * 1e6 / rest,
      plain_append.rest / sealed_append.rest);
  std::printf("read_all: sealed %.2f us/event, plain (ceiling) %.2f us/event | ratio %.2f\n",
              us_per_event(sealed_read), us_per_event(plain_read), plain_read / sealed_read);
  std::printf("read_all after forgetting every subject: %.2f us/event | ratio %.2f\n",
              us_per_event(erased_read), plain_read / erased_read);
  std::printf("forget: %.0f us/subject\n", forget_seconds * 1e6 / subjects);
}

// The sealing and opening alone, without a store: the CPU cost per event.
void codec_only() {
  auto key = annal::detail::subject_key::random();
  auto batch = batch_of(0, true);
  std::vector<std::string> sealed;
  auto start = clock_type::now();
  for (int round = 0; round < 100; ++round) {
    for (const auto& e : batch) {
      sealed.push_back(*annal::detail::seal_personal(e.payload, e.metadata.subject, key, false));
    }
  }
  double seal = seconds_since(start) / static_cast<double>(sealed.size());
  auto key_of = [&](std::string_view) { return &key; };
  start = clock_type::now();
  for (const auto& text : sealed) {
    if (!annal::detail::unseal_personal(text, batch[0].metadata.subject, key_of, "bench", 1)) {
      std::fprintf(stderr, "not sealed\n");
    }
  }
  double open = seconds_since(start) / static_cast<double>(sealed.size());
  std::printf("alone: seal %.2f us/event, open %.2f us/event (%zu-byte payload, %zu sealed)\n",
              seal * 1e6, open * 1e6, batch[0].payload.size(), sealed[0].size());
}

}  // namespace

int main() {
  codec_only();
  backend("sqlite", "");
  backend("segment", "");
  return 0;
}

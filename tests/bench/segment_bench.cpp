// Benchmark: the segment backend beside raw file I/O ceilings measured in the same run.
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "annal/open_store.hpp"
#include "core/crc32c.hpp"
#include "support/temp_dir.hpp"

namespace {

using annal::event_data;
using annal::expected_version;

constexpr std::size_t payload_size = 200;

double seconds_of(const std::function<void()>& work) {
  auto start = std::chrono::steady_clock::now();
  work();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void report(const std::string& name, double events, double seconds, double ceiling_events,
            double ceiling_seconds, const char* ceiling_name) {
  double rate = events / seconds;
  double ceiling = ceiling_events / ceiling_seconds;
  std::printf("%-46s %11.0f ev/s | %-22s %11.0f ev/s | ratio %5.2f\n", name.c_str(), rate,
              ceiling_name, ceiling, rate / ceiling);
  std::fflush(stdout);
}

// Events with pre-encoded 200-byte JSON payloads, in batches, ids generated up front.
std::vector<std::vector<event_data>> make_batches(std::size_t batches, std::size_t batch_size) {
  std::string payload = "{\"data\":\"" + std::string(payload_size - 11, 'x') + "\"}";
  std::vector<std::vector<event_data>> out(batches);
  for (auto& batch : out) {
    batch.resize(batch_size);
    for (auto& e : batch) {
      e.type = "bench.happened";
      e.payload = payload;
    }
  }
  return out;
}

void check(bool ok, const char* what) {
  if (!ok) {
    std::perror(what);
    std::exit(1);
  }
}

// The raw ceiling: each event as [crc32c u32][length u32][payload], a batch's frames in one
// buffer and one write(), optionally one fdatasync per batch. It frames the payloads of its own
// copy of the benchmark's events, so it reads the same kind of memory the store does.
struct raw_log {
  explicit raw_log(const std::string& path)
      : path(path), fd(::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) {
    check(fd >= 0, "open");
  }
  ~raw_log() { ::close(fd); }
  void write_batch(const std::vector<event_data>& events, bool sync) {
    buffer.clear();
    for (const auto& e : events) {
      auto length = static_cast<std::uint32_t>(e.payload.size());
      std::uint32_t crc = annal::detail::crc32c(
          {reinterpret_cast<const std::byte*>(e.payload.data()), e.payload.size()});
      buffer.append(reinterpret_cast<const char*>(&crc), 4);
      buffer.append(reinterpret_cast<const char*>(&length), 4);
      buffer.append(e.payload);
    }
    check(::write(fd, buffer.data(), buffer.size()) == static_cast<ssize_t>(buffer.size()),
          "write");
    if (sync) check(::fdatasync(fd) == 0, "fdatasync");
  }
  // Reads the file in 1 MiB chunks, checks each record's CRC and copies its payload out, as a
  // minimal consumer would. Returns the number of records.
  std::size_t replay() const {
    std::string chunk(1u << 20, '\0');
    std::vector<std::string> out;
    out.reserve(4096);
    std::size_t records = 0;
    off_t at = 0;
    for (;;) {
      ssize_t got = ::pread(fd, chunk.data(), chunk.size(), at);
      check(got >= 0, "pread");
      if (got == 0) break;
      std::size_t i = 0;
      while (i + 8 <= static_cast<std::size_t>(got)) {
        std::uint32_t crc;
        std::uint32_t length;
        std::memcpy(&crc, chunk.data() + i, 4);
        std::memcpy(&length, chunk.data() + i + 4, 4);
        if (i + 8 + length > static_cast<std::size_t>(got)) break;
        if (annal::detail::crc32c(
                {reinterpret_cast<const std::byte*>(chunk.data() + i + 8), length}) != crc) {
          std::exit(2);
        }
        out.emplace_back(chunk.data() + i + 8, length);
        if (out.size() == 4096) out.clear();
        ++records;
        i += 8 + length;
      }
      at += static_cast<off_t>(i);
    }
    return records;
  }
  void write_batch(std::size_t events, bool sync) {
    static const auto one = make_batches(1, 1);
    std::vector<event_data> batch(events, one[0][0]);
    write_batch(batch, sync);
  }
  // The same as replay(), reading through a mapping of the file instead of pread.
  std::size_t replay_mapped() const {
    off_t size = ::lseek(fd, 0, SEEK_END);
    void* map = ::mmap(nullptr, static_cast<std::size_t>(size), PROT_READ, MAP_SHARED, fd, 0);
    check(map != MAP_FAILED, "mmap");
    const char* data = static_cast<const char*>(map);
    std::vector<std::string> out;
    out.reserve(4096);
    std::size_t records = 0;
    for (std::size_t i = 0; i + 8 <= static_cast<std::size_t>(size);) {
      std::uint32_t crc;
      std::uint32_t length;
      std::memcpy(&crc, data + i, 4);
      std::memcpy(&length, data + i + 4, 4);
      if (annal::detail::crc32c({reinterpret_cast<const std::byte*>(data + i + 8), length}) !=
          crc) {
        std::exit(2);
      }
      out.emplace_back(data + i + 8, length);
      if (out.size() == 4096) out.clear();
      ++records;
      i += 8 + length;
    }
    ::munmap(map, static_cast<std::size_t>(size));
    return records;
  }
  std::string path;
  int fd;
  std::string buffer;
};

void batched_append(std::size_t batch_size, bool durable) {
  annal::test::temp_dir dir;
  std::size_t events = durable ? std::min<std::size_t>(batch_size * 1500, 200000)
                               : std::max<std::size_t>(200000, batch_size * 200);
  std::size_t batches = events / batch_size;
  auto data = make_batches(batches, batch_size);
  auto raw_data = make_batches(batches, batch_size);
  std::string query = durable ? "" : "?durability=os_buffered";
  auto store = annal::open_store("segment:" + dir.file("store") + query);
  raw_log raw(dir.file("raw.log"));
  double annal_seconds = 0;
  double raw_seconds = 0;
  // Alternate slices of both, so each sees the same disk and cache conditions.
  constexpr std::size_t slices = 10;
  for (std::size_t s = 0; s < slices; ++s) {
    std::size_t from = batches * s / slices;
    std::size_t to = batches * (s + 1) / slices;
    annal_seconds += seconds_of([&] {
      for (std::size_t b = from; b < to; ++b) {
        store->append("stream-" + std::to_string(b % 16), expected_version::any(), data[b]);
      }
    });
    raw_seconds += seconds_of([&] {
      for (std::size_t b = from; b < to; ++b) raw.write_batch(raw_data[b], durable);
    });
  }
  report(std::string(durable ? "sync_each_batch" : "os_buffered") + ", batch " +
             std::to_string(batch_size),
         static_cast<double>(events), annal_seconds, static_cast<double>(events), raw_seconds,
         durable ? "write+fdatasync/batch" : "framed write()");
}

void concurrent_appenders() {
  double single_rate = 0;
  double raw_rate = 0;
  {
    annal::test::temp_dir dir;
    raw_log raw(dir.file("raw.log"));
    double seconds = seconds_of([&] {
      for (int i = 0; i < 2000; ++i) raw.write_batch(1, true);
    });
    raw_rate = 2000 / seconds;
  }
  for (int threads : {1, 4, 16}) {
    annal::test::temp_dir dir;
    auto store = annal::open_store("segment:" + dir.file("store"));
    constexpr int per_thread_ms = 1500;
    std::atomic<std::size_t> appended{0};
    std::vector<std::thread> workers;
    auto start = std::chrono::steady_clock::now();
    auto stop = start + std::chrono::milliseconds(per_thread_ms);
    for (int t = 0; t < threads; ++t) {
      workers.emplace_back([&, t] {
        auto batch = make_batches(1, 1);
        std::string stream = "appender-" + std::to_string(t);
        while (std::chrono::steady_clock::now() < stop) {
          batch[0][0].id = annal::uuid::v7();
          store->append(stream, expected_version::any(), batch[0]);
          ++appended;
        }
      });
    }
    for (auto& w : workers) w.join();
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    double rate = static_cast<double>(appended.load()) / seconds;
    if (threads == 1) single_rate = rate;
    report("sync_each_batch, " + std::to_string(threads) + " appenders x 1 event", rate, 1.0,
           raw_rate, 1.0, "write+fdatasync/event");
    std::printf("%-46s %11.2fx one appender\n", "", rate / single_rate);
  }
}

void replay_and_stream_reads() {
  annal::test::temp_dir dir;
  constexpr std::size_t streams = 10000;
  constexpr std::size_t rounds = 30;
  auto store = annal::open_store("segment:" + dir.file("store") + "?durability=os_buffered");
  raw_log raw(dir.file("raw.log"));
  auto one = make_batches(1, 1);
  for (std::size_t r = 0; r < rounds; ++r) {
    for (std::size_t s = 0; s < streams; ++s) {
      one[0][0].id = annal::uuid::v7();
      store->append("stream-" + std::to_string(s), expected_version::any(), one[0]);
    }
  }
  // A second, larger log for replay: 1M events in batches of 1000.
  auto big = annal::open_store("segment:" + dir.file("big") + "?durability=os_buffered");
  auto data = make_batches(100, 1000);
  for (int round = 0; round < 10; ++round) {
    for (auto& batch : data) {
      for (auto& e : batch) e.id = annal::uuid::v7();
      big->append("replay-" + std::to_string(round), expected_version::any(), batch);
      raw.write_batch(batch, false);
    }
  }
  std::size_t replayed = 0;
  big->read_all(1, 4096);  // warm the page cache for both
  raw.replay();
  double annal_seconds = seconds_of([&] {
    std::uint64_t from = 1;
    for (;;) {
      auto slice = big->read_all(from, 4096);
      replayed += slice.events.size();
      from = slice.next_position;
      if (slice.end_of_log) break;
    }
  });
  std::size_t raw_records = 0;
  double raw_seconds = seconds_of([&] { raw_records = raw.replay(); });
  report("read_all replay, 1M events, pages of 4096", static_cast<double>(replayed), annal_seconds,
         static_cast<double>(raw_records), raw_seconds, "pread+crc+copy");
  // The reader's choice of pread over mmap, measured on the raw file.
  std::size_t mapped_records = 0;
  double mapped_seconds = seconds_of([&] { mapped_records = raw.replay_mapped(); });
  report("raw replay through mmap (for comparison)", static_cast<double>(mapped_records),
         mapped_seconds, static_cast<double>(raw_records), raw_seconds, "pread+crc+copy");

  // One stream of 30 events, spread over 30 frames among 300k events in 10,000 streams.
  std::mt19937 random(42);
  constexpr int reads = 2000;
  std::size_t read_events = 0;
  double stream_seconds = seconds_of([&] {
    for (int i = 0; i < reads; ++i) {
      read_events += store->read_stream("stream-" + std::to_string(random() % streams)).size();
    }
  });
  // Ceiling: one pread of a frame's size at a known offset per event.
  std::string frame(payload_size + 100, '\0');
  off_t raw_size = ::lseek(raw.fd, 0, SEEK_END);
  std::size_t raw_reads = static_cast<std::size_t>(reads) * rounds;
  double raw_stream_seconds = seconds_of([&] {
    for (std::size_t i = 0; i < raw_reads; ++i) {
      off_t at = static_cast<off_t>(random() % static_cast<std::uint64_t>(raw_size - 4096));
      check(::pread(raw.fd, frame.data(), frame.size(), at) > 0, "pread");
    }
  });
  report("read_stream, 30-event streams of 10k streams", static_cast<double>(read_events),
         stream_seconds, static_cast<double>(raw_reads), raw_stream_seconds, "1 pread/event");
}

}  // namespace

int main(int argc, char** argv) {
  std::string only = argc > 1 ? argv[1] : "";
  std::printf("segment backend vs raw ceilings, 200-byte pre-encoded events (CRC32C in %s)\n",
              annal::detail::crc32c_uses_hardware() ? "hardware" : "software");
  if (only.empty() || only == "append") {
    for (bool durable : {false, true}) {
      for (std::size_t batch : {1, 10, 100, 1000}) batched_append(batch, durable);
    }
  }
  if (only.empty() || only == "concurrent") concurrent_appenders();
  if (only.empty() || only == "read") replay_and_stream_reads();
  return 0;
}

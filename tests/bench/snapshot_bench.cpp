// Benchmark: load time of one aggregate by stream length, with and without snapshots, per backend.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "annal/annal.hpp"
#include "support/temp_dir.hpp"

namespace account {

struct opened {
  static constexpr std::string_view type = "account.opened";
  std::string owner;
};
struct deposited {
  static constexpr std::string_view type = "account.deposited";
  long long cents;
  std::string reference;
};
using event = std::variant<opened, deposited>;

// A state of bounded size, as a real aggregate's is: totals, not the whole history.
struct state {
  std::string owner;
  long long balance = 0;
  long long deposits = 0;
  std::string last_reference;
};
state apply(state s, const opened& e) {
  s.owner = e.owner;
  return s;
}
state apply(state s, const deposited& e) {
  s.balance += e.cents;
  ++s.deposits;
  s.last_reference = e.reference;
  return s;
}

}  // namespace account

namespace catalogue {

struct line {
  std::string sku;
  int quantity;
  double unit_price;
  bool gift;
};
// A larger state, to compare snapshot encodings: 1000 lines.
struct state {
  std::string customer;
  std::vector<line> lines;
  std::map<std::string, long long> totals;
};

}  // namespace catalogue

namespace {

using accounts = annal::repository<account::state, account::event>;

std::vector<account::event> deposits(std::size_t count, std::size_t first) {
  std::vector<account::event> out;
  out.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    out.push_back(
        account::deposited{static_cast<long long>(first + i), "ref-" + std::to_string(first + i)});
  }
  return out;
}

// The median of `runs` loads, in microseconds.
double median_load_us(const accounts& repo, const std::string& id, int runs) {
  std::vector<double> times;
  for (int r = 0; r < runs; ++r) {
    auto start = std::chrono::steady_clock::now();
    auto loaded = repo.load(id);
    times.push_back(
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start)
            .count());
    if (loaded.version == 0 ||
        loaded.state.deposits + 1 != static_cast<long long>(loaded.version)) {
      std::fprintf(stderr, "wrong state: version %llu, %lld deposits\n",
                   static_cast<unsigned long long>(loaded.version), loaded.state.deposits);
      std::abort();
    }
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

void run_backend(const std::string& scheme) {
  annal::test::temp_dir dir;
  std::string uri = scheme == "sqlite" ? "sqlite:" + dir.file("store.db")
                                       : "segment:" + dir.file("store") + "?durability=os_buffered";
  auto store = annal::open_store(uri);
  annal::repository_options plain_options;
  annal::repository_options snapshot_options;
  snapshot_options.snapshot_every = 1000;
  snapshot_options.snapshot_format = annal::snapshot_encoding::cbor;
  accounts plain(*store, "plain", plain_options);
  accounts snapshotted(*store, "snap", snapshot_options);

  double baseline = 0;
  // 10,999 shows the worst tail: 999 events after the newest snapshot.
  for (std::size_t length : {100u, 10000u, 10999u, 1000000u}) {
    std::string id = std::to_string(length);
    // The same history twice: appended plainly, and through updates that take snapshots.
    plain.save(id, 0, {account::opened{"ada"}});
    snapshotted.save(id, 0, {account::opened{"ada"}});
    for (std::size_t done = 1; done < length;) {
      std::size_t chunk = std::min<std::size_t>(1000 - done % 1000, length - done);
      auto events = deposits(chunk, done);
      plain.save(id, done, events);
      snapshotted.update(id, [&](const account::state&) { return events; });
      done += chunk;
    }
    int runs = length >= 1000000 ? 3 : 15;
    double without = median_load_us(plain, id, runs);
    double with = median_load_us(snapshotted, id, 15);
    if (length == 100) baseline = with;
    std::printf(
        "%-8s %8zu events: without snapshots %12.0f us | with %9.0f us | with / 100-event load "
        "%6.2f\n",
        scheme.c_str(), length, without, with, with / baseline);
    std::fflush(stdout);
  }
}

}  // namespace

// Size and encode/decode time of one state in each snapshot encoding.
void compare_encodings() {
  catalogue::state state;
  state.customer = "ada";
  for (int i = 0; i < 1000; ++i) {
    state.lines.push_back({"sku-" + std::to_string(i), i % 7, i * 1.25, i % 3 == 0});
    state.totals["day-" + std::to_string(i % 90)] += i;
  }
  constexpr int rounds = 200;
  for (bool cbor : {false, true}) {
    std::string bytes;
    double encode = 0;
    double decode = 0;
    for (int r = 0; r < rounds; ++r) {
      auto start = std::chrono::steady_clock::now();
      auto json = annal::to_json_value(state);
      if (cbor) {
        auto v = nlohmann::ordered_json::to_cbor(json);
        bytes.assign(v.begin(), v.end());
      } else {
        bytes = json.dump();
      }
      auto middle = std::chrono::steady_clock::now();
      auto parsed = cbor ? nlohmann::json::from_cbor(bytes) : nlohmann::json::parse(bytes);
      auto back = annal::from_json_value<catalogue::state>(parsed, "catalogue");
      auto end = std::chrono::steady_clock::now();
      if (back.lines.size() != 1000) std::abort();
      encode += std::chrono::duration<double, std::micro>(middle - start).count();
      decode += std::chrono::duration<double, std::micro>(end - middle).count();
    }
    std::printf(
        "snapshot encoding %-5s state of 1000 lines: %7zu bytes, encode %6.0f us, decode %6.0f "
        "us\n",
        cbor ? "cbor" : "json", bytes.size(), encode / rounds, decode / rounds);
  }
}

int main(int argc, char** argv) {
  compare_encodings();
  std::printf("aggregate load time, median; snapshots every 1000 events (CBOR)\n");
  for (std::string scheme : {"sqlite", "segment"}) {
    if (argc > 1 && scheme != argv[1]) continue;
    run_backend(scheme);
  }
  return 0;
}

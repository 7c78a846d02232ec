// The in-memory file_system of crash tests: durable and current state, power cuts, faults.
#include "support/fault_file_system.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>

#include "annal/error.hpp"

namespace annal::io {

namespace detail {

// One unsynced change to a file. Consecutive appends are merged into one change.
struct change {
  bool is_truncate = false;
  std::uint64_t truncate_to = 0;
  std::string appended;
};

// A file's content, shared by every name and open file that refers to it (an inode).
// Invariant: durable with every change of `pending` applied in order equals current.
struct node {
  std::string current;
  std::string durable;
  std::vector<change> pending;
};

struct armed_fault {
  std::uint64_t at;  // the value of operations when it fires
  int code;
  fault_kind kind;
  bool sticky;
};

struct fault_state {
  mutable std::mutex mutex;
  // Path to file, as the running process sees it and as it would be found after a power cut.
  std::map<std::string, std::shared_ptr<node>> current;
  std::map<std::string, std::shared_ptr<node>> durable;
  // Directories other than the root "", durable as soon as they are created.
  std::set<std::string> dirs;
  // Path to the id of the lock that holds it.
  std::map<std::string, std::uint64_t> locks;
  std::uint64_t next_lock_id = 1;
  // Bumped by every crash; files and locks from an older epoch belong to a dead process.
  std::uint64_t epoch = 0;
  std::uint64_t operations = 0;
  std::vector<armed_fault> faults;
};

}  // namespace detail

namespace {

using detail::change;
using detail::fault_state;
using detail::node;

std::string normalize(const std::string& path) {
  std::string out;
  out.reserve(path.size());
  for (char c : path) {
    if (c == '/' && !out.empty() && out.back() == '/') continue;
    out.push_back(c);
  }
  while (!out.empty() && out.back() == '/') out.pop_back();
  if (out == ".") out.clear();
  return out;
}

// The directory of a normalized path: the part before the last '/'.
std::string parent_of(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? std::string() : path.substr(0, slash);
}

std::string name_of(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

bool dir_exists(const fault_state& s, const std::string& dir) {
  return dir.empty() || s.dirs.count(dir) > 0;
}

// Counts an operation and returns the fault it must fail with, if any. Called with the mutex
// held.
std::optional<detail::armed_fault> count_operation(fault_state& s) {
  ++s.operations;
  for (auto it = s.faults.begin(); it != s.faults.end(); ++it) {
    if (it->sticky ? s.operations >= it->at : s.operations == it->at) {
      detail::armed_fault fault = *it;
      if (!fault.sticky) s.faults.erase(it);
      return fault;
    }
  }
  return std::nullopt;
}

[[noreturn]] void throw_injected(const detail::armed_fault& fault, const std::string& path) {
  throw io_error(fault.code, path, "injected fault");
}

void append_bytes(node& n, std::string_view data) {
  n.current.append(data);
  if (n.pending.empty() || n.pending.back().is_truncate) n.pending.emplace_back();
  n.pending.back().appended.append(data);
}

void truncate_bytes(node& n, std::uint64_t size) {
  n.current.resize(size, '\0');
  n.pending.push_back(change{true, size, {}});
}

// The bytes of `n` after a power cut that kept `keep` units of its unsynced changes (a
// truncation is one unit, an appended byte one unit). `first_unsynced` receives the lowest
// offset an applied change touched.
std::string replay(const node& n, std::uint64_t keep, std::size_t& first_unsynced) {
  std::string bytes = n.durable;
  first_unsynced = bytes.size();
  for (const auto& c : n.pending) {
    if (keep == 0) break;
    if (c.is_truncate) {
      first_unsynced =
          std::min<std::size_t>(first_unsynced, std::min<std::size_t>(bytes.size(), c.truncate_to));
      bytes.resize(c.truncate_to, '\0');
      --keep;
    } else {
      std::size_t take = static_cast<std::size_t>(std::min<std::uint64_t>(keep, c.appended.size()));
      first_unsynced = std::min(first_unsynced, bytes.size());
      bytes.append(c.appended, 0, take);
      keep -= take;
    }
  }
  return bytes;
}

std::uint64_t unsynced_units(const node& n) {
  std::uint64_t units = 0;
  for (const auto& c : n.pending) units += c.is_truncate ? 1 : c.appended.size();
  return units;
}

// Replaces some of bytes[from, end) by random bytes or zeros, as a torn sector write would.
void garble(std::string& bytes, std::size_t from, std::mt19937_64& random) {
  if (from >= bytes.size()) return;
  std::size_t length = bytes.size() - from;
  if (random() % 2 == 0) {
    // A run of zeros, as when the file's size reached the disk before its data.
    std::size_t start = from + random() % length;
    std::size_t run = 1 + random() % (bytes.size() - start);
    std::fill_n(bytes.begin() + static_cast<std::ptrdiff_t>(start), run, '\0');
  } else {
    std::size_t count = 1 + random() % std::max<std::size_t>(1, length / 4);
    for (std::size_t i = 0; i < count; ++i) {
      bytes[from + random() % length] = static_cast<char>(random() & 0xFFu);
    }
  }
}

class fault_file final : public file {
 public:
  fault_file(std::shared_ptr<fault_state> state, std::shared_ptr<node> content, std::string path,
             open_mode mode, std::uint64_t epoch)
      : state_(std::move(state)),
        node_(std::move(content)),
        path_(std::move(path)),
        mode_(mode),
        epoch_(epoch) {}

  void append(std::span<const std::byte> data) override {
    std::lock_guard guard(state_->mutex);
    require_writable("append to");
    std::string_view bytes(reinterpret_cast<const char*>(data.data()), data.size());
    if (auto fault = count_operation(*state_)) {
      if (fault->kind == fault_kind::short_write)
        append_bytes(*node_, bytes.substr(0, bytes.size() / 2));
      throw_injected(*fault, path_);
    }
    append_bytes(*node_, bytes);
  }

  std::size_t read_at(std::uint64_t offset, std::span<std::byte> out) const override {
    std::lock_guard guard(state_->mutex);
    require_alive();
    const std::string& bytes = node_->current;
    if (offset >= bytes.size()) return 0;
    std::size_t n = std::min<std::size_t>(out.size(), bytes.size() - offset);
    if (n != 0) std::memcpy(out.data(), bytes.data() + offset, n);  // out may be empty and null
    return n;
  }

  void sync() override {
    std::lock_guard guard(state_->mutex);
    require_writable("sync");
    if (auto fault = count_operation(*state_)) throw_injected(*fault, path_);
    node_->durable = node_->current;
    node_->pending.clear();
  }

  void truncate(std::uint64_t size) override {
    std::lock_guard guard(state_->mutex);
    require_writable("truncate");
    if (auto fault = count_operation(*state_)) throw_injected(*fault, path_);
    truncate_bytes(*node_, size);
  }

  std::uint64_t size() const override {
    std::lock_guard guard(state_->mutex);
    require_alive();
    return node_->current.size();
  }

  const std::string& path() const override { return path_; }

 private:
  void require_alive() const {
    if (epoch_ != state_->epoch) {
      throw io_error(EIO, path_, "the file was opened before a simulated power cut");
    }
  }

  void require_writable(const char* what) const {
    require_alive();
    if (mode_ == open_mode::read_only) {
      throw io_error(EBADF, path_, std::string("cannot ") + what + " a file opened read-only");
    }
  }

  std::shared_ptr<fault_state> state_;
  std::shared_ptr<node> node_;
  std::string path_;
  open_mode mode_;
  std::uint64_t epoch_;
};

class fault_lock final : public file_lock {
 public:
  fault_lock(std::shared_ptr<fault_state> state, std::string path, std::uint64_t id)
      : state_(std::move(state)), path_(std::move(path)), id_(id) {}

  ~fault_lock() override {
    std::lock_guard guard(state_->mutex);
    // After a crash the path may be locked again by a lock of the new process: leave that one.
    auto it = state_->locks.find(path_);
    if (it != state_->locks.end() && it->second == id_) state_->locks.erase(it);
  }

 private:
  std::shared_ptr<fault_state> state_;
  std::string path_;
  std::uint64_t id_;
};

// Creates the file at `path` in the current listing when missing. Called with the mutex held.
std::shared_ptr<node> create_file(fault_state& s, const std::string& path) {
  if (s.dirs.count(path) > 0 || path.empty()) {
    throw io_error(EISDIR, path, "is a directory, not a file");
  }
  auto& entry = s.current[path];
  if (!entry) entry = std::make_shared<node>();
  return entry;
}

void require_dir(const fault_state& s, const std::string& dir, const std::string& path) {
  if (!dir_exists(s, dir))
    throw io_error(ENOENT, path, "the directory '" + dir + "' does not exist");
}

}  // namespace

fault_file_system::fault_file_system() : state_(std::make_shared<fault_state>()) {}

fault_file_system::~fault_file_system() = default;

std::unique_ptr<file> fault_file_system::open(const std::string& path, open_mode mode) {
  std::string p = normalize(path);
  std::lock_guard guard(state_->mutex);
  if (mode == open_mode::read_only) {
    if (state_->dirs.count(p) > 0)
      throw io_error(EISDIR, path, "cannot open a directory as a file");
    auto it = state_->current.find(p);
    if (it == state_->current.end()) {
      throw io_error(ENOENT, path, "cannot open the file for reading: it does not exist");
    }
    return std::make_unique<fault_file>(state_, it->second, path, mode, state_->epoch);
  }
  if (auto fault = count_operation(*state_)) throw_injected(*fault, path);
  require_dir(*state_, parent_of(p), path);
  return std::make_unique<fault_file>(state_, create_file(*state_, p), path, mode, state_->epoch);
}

void fault_file_system::sync_dir(const std::string& dir) {
  std::string d = normalize(dir);
  std::lock_guard guard(state_->mutex);
  if (auto fault = count_operation(*state_)) throw_injected(*fault, dir);
  require_dir(*state_, d, dir);
  std::erase_if(state_->durable, [&](const auto& entry) { return parent_of(entry.first) == d; });
  for (const auto& [p, content] : state_->current) {
    if (parent_of(p) == d) state_->durable[p] = content;
  }
}

void fault_file_system::rename(const std::string& from, const std::string& to) {
  std::string f = normalize(from);
  std::string t = normalize(to);
  std::lock_guard guard(state_->mutex);
  if (auto fault = count_operation(*state_)) throw_injected(*fault, from);
  auto it = state_->current.find(f);
  if (it == state_->current.end()) {
    throw io_error(ENOENT, from, "cannot rename the file to '" + to + "': it does not exist");
  }
  require_dir(*state_, parent_of(t), to);
  if (state_->dirs.count(t) > 0) throw io_error(EISDIR, to, "cannot replace a directory by a file");
  if (f == t) return;
  auto content = it->second;
  state_->current.erase(it);
  state_->current[t] = std::move(content);
}

void fault_file_system::remove(const std::string& path) {
  std::string p = normalize(path);
  std::lock_guard guard(state_->mutex);
  if (auto fault = count_operation(*state_)) throw_injected(*fault, path);
  if (state_->dirs.count(p) > 0) throw io_error(EISDIR, path, "cannot remove a directory");
  state_->current.erase(p);
}

std::vector<std::string> fault_file_system::list(const std::string& dir) {
  std::string d = normalize(dir);
  std::lock_guard guard(state_->mutex);
  if (!dir_exists(*state_, d)) throw io_error(ENOENT, dir, "cannot list a missing directory");
  std::vector<std::string> names;
  for (const auto& entry : state_->current) {
    if (parent_of(entry.first) == d) names.push_back(name_of(entry.first));
  }
  return names;
}

bool fault_file_system::exists(const std::string& path) {
  std::string p = normalize(path);
  std::lock_guard guard(state_->mutex);
  return state_->current.count(p) > 0 || dir_exists(*state_, p);
}

void fault_file_system::create_dir(const std::string& dir) {
  std::string d = normalize(dir);
  std::lock_guard guard(state_->mutex);
  std::vector<std::string> missing;
  for (std::string p = d; !p.empty(); p = parent_of(p)) {
    if (state_->current.count(p) > 0)
      throw io_error(ENOTDIR, dir, "a file is in the way of '" + p + "'");
    if (state_->dirs.count(p) == 0) missing.push_back(p);
  }
  state_->dirs.insert(missing.begin(), missing.end());
}

std::unique_ptr<file_lock> fault_file_system::lock(const std::string& path) {
  std::string p = normalize(path);
  std::lock_guard guard(state_->mutex);
  if (state_->locks.count(p) > 0) {
    throw io_error(EWOULDBLOCK, path, "the file is locked by another process or store");
  }
  require_dir(*state_, parent_of(p), path);
  create_file(*state_, p);
  std::uint64_t id = state_->next_lock_id++;
  state_->locks[p] = id;
  return std::make_unique<fault_lock>(state_, p, id);
}

void fault_file_system::crash(crash_mode mode, std::uint64_t seed) {
  std::lock_guard guard(state_->mutex);
  std::mt19937_64 random(seed);
  std::set<const node*> done;
  // The durable listing is a sorted map, so the same seed and history give the same bytes.
  for (const auto& [p, content] : state_->durable) {
    if (!done.insert(content.get()).second) continue;
    std::uint64_t keep = 0;
    if (mode != crash_mode::drop_unsynced && !content->pending.empty()) {
      std::uint64_t units = unsynced_units(*content);
      switch (random() % 4) {
        case 0:
          keep = 0;
          break;
        case 1:
          keep = units;
          break;
        default:
          keep = random() % (units + 1);
      }
    }
    std::size_t first_unsynced = 0;
    std::string bytes = replay(*content, keep, first_unsynced);
    if (mode == crash_mode::garble_tail) garble(bytes, first_unsynced, random);
    content->durable = bytes;
    content->current = std::move(bytes);
    content->pending.clear();
  }
  state_->current = state_->durable;
  state_->locks.clear();
  ++state_->epoch;
}

void fault_file_system::fail_operation(std::uint64_t n, int error_code, fault_kind kind,
                                       bool sticky) {
  if (n == 0) throw invalid_argument("fail_operation counts operations from 1, not 0");
  std::lock_guard guard(state_->mutex);
  state_->faults.push_back({state_->operations + n, error_code, kind, sticky});
}

void fault_file_system::clear_faults() {
  std::lock_guard guard(state_->mutex);
  state_->faults.clear();
}

std::uint64_t fault_file_system::operations() const {
  std::lock_guard guard(state_->mutex);
  return state_->operations;
}

std::string fault_file_system::contents(const std::string& path) const {
  std::string p = normalize(path);
  std::lock_guard guard(state_->mutex);
  auto it = state_->current.find(p);
  if (it == state_->current.end()) throw io_error(ENOENT, path, "no such file");
  return it->second->current;
}

void fault_file_system::set_contents(const std::string& path, std::string bytes, bool durable) {
  std::string p = normalize(path);
  std::lock_guard guard(state_->mutex);
  for (std::string d = parent_of(p); !d.empty(); d = parent_of(d)) {
    if (state_->current.count(d) > 0)
      throw io_error(ENOTDIR, path, "a file is in the way of '" + d + "'");
    state_->dirs.insert(d);
  }
  auto content = create_file(*state_, p);
  if (durable) {
    content->current = bytes;
    content->durable = std::move(bytes);
    content->pending.clear();
    state_->durable[p] = content;
  } else {
    truncate_bytes(*content, 0);
    append_bytes(*content, bytes);
  }
}

}  // namespace annal::io

// The segment backend's snapshot files: encoding, atomic writes, the header index, retention.
#include "segment/segment_snapshot_store.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <tuple>

#include "annal/error.hpp"
#include "annal/event_store.hpp"
#include "core/crc32c.hpp"
#include "io/replace_file.hpp"
#include "segment/byte_io.hpp"
#include "segment/snapshot_file.hpp"
#include "segment/snapshot_format.hpp"

namespace annal {

namespace seg = annal::segment;

using seg::base_name;
using seg::check_prefix;
using seg::encode_snapshot;
using seg::file_header;
using seg::header_status;
using seg::parse_header;
using seg::parse_name;
using seg::read_exact;
using seg::stream_hash;
using seg::to_microseconds;

segment_snapshot_store::segment_snapshot_store(std::string dir, std::shared_ptr<io::file_system> fs,
                                               warning_handler on_warning)
    : dir_(std::move(dir)), fs_(std::move(fs)), on_warning_(std::move(on_warning)) {
  fs_->create_dir(dir_);
  auto names = fs_->list(dir_);
  std::sort(names.begin(), names.end());  // the same warnings in the same order on every open
  for (const auto& name : names) {
    if (name.ends_with(seg::snapshot_temporary_suffix)) {
      fs_->remove(path_of(name));  // a save interrupted by a crash, never renamed into place
    } else {
      open_file(name);
    }
  }
  for (auto& [stream, entries] : streams_) {
    std::sort(entries.begin(), entries.end(),
              [](const entry& a, const entry& b) { return a.version < b.version; });
  }
}

segment_snapshot_store::~segment_snapshot_store() = default;

// Indexes one file of the directory at open, or removes it when it is damaged.
void segment_snapshot_store::open_file(const std::string& name) {
  std::string path = path_of(name);
  auto fields = parse_name(name);
  if (!fields) {
    warn(fmt::format("'{}' is not a snapshot file; ignored", path));
    return;
  }
  auto file = fs_->open(path, io::open_mode::read_only);
  std::uint64_t size = file->size();
  std::string reason;
  std::string bytes;
  std::uint32_t header_size = 0;
  file_header h;
  header_status status = header_status::damaged;
  if (!read_exact(*file, 0, seg::snapshot_prefix_size, bytes)) {
    reason = fmt::format("{} bytes is too short for a snapshot file", size);
  } else {
    status = check_prefix(bytes, size, header_size, reason);
  }
  if (status == header_status::newer_format) {
    names_.insert(name);
    warn(fmt::format("ignored the snapshot file '{}': {}", path, reason));
    return;
  }
  if (status == header_status::ok) {
    if (!read_exact(*file, 0, header_size, bytes) || !parse_header(bytes, size, h, reason)) {
      status = header_status::damaged;
    } else if (stream_hash(h.stream_id) != fields->hash || h.version != fields->version ||
               h.fingerprint != fields->fingerprint) {
      reason = "its name does not match its header";
      status = header_status::damaged;
    }
  }
  if (status == header_status::ok) {
    if (auto known = streams_.find(h.stream_id); known != streams_.end()) {
      for (const auto& e : known->second) {
        if (e.version == h.version && e.fingerprint == h.fingerprint) {
          reason = fmt::format("a duplicate of '{}'", path_of(e.file_name));
          status = header_status::damaged;
        }
      }
    }
  }
  if (status != header_status::ok) {
    // Derived data that can never be returned: removing it keeps counts and retention exact.
    file.reset();
    warn(fmt::format("removed the damaged snapshot file '{}': {}", path, reason));
    fs_->remove(path);
    return;
  }
  streams_[h.stream_id].push_back(
      entry{h.version, h.fingerprint, h.position, h.taken_us, h.aggregate_type, name});
  names_.insert(name);
}

void segment_snapshot_store::save(const snapshot& s, std::size_t keep) {
  validate_stream_id(s.stream_id);
  if (s.aggregate_type.size() > seg::max_snapshot_aggregate_type_size) {
    throw invalid_argument(
        fmt::format("snapshot aggregate type is {} bytes long; the segment backend's limit is {}",
                    s.aggregate_type.size(), seg::max_snapshot_aggregate_type_size));
  }
  std::string bytes = encode_snapshot(s);
  auto same_key = [&](const entry& e) {
    return e.version == s.version && e.fingerprint == s.fingerprint;
  };

  std::lock_guard lock(mutex_);
  std::string name;
  if (auto known = streams_.find(s.stream_id); known != streams_.end()) {
    auto it = std::find_if(known->second.begin(), known->second.end(), same_key);
    if (it != known->second.end()) name = it->file_name;  // replaced by the rename
  }
  if (name.empty()) name = free_name(s.stream_id, s.version, s.fingerprint);
  write_file(name, bytes);

  // The file is in place: index it before the directory sync, which may still fail.
  entry added;
  added.version = s.version;
  added.fingerprint = s.fingerprint;
  added.position = s.position;
  added.taken_us = to_microseconds(s.taken_at);
  added.aggregate_type = s.aggregate_type;
  added.file_name = name;
  auto& entries = streams_[s.stream_id];
  if (auto it = std::find_if(entries.begin(), entries.end(), same_key); it != entries.end()) {
    *it = std::move(added);
  } else {
    entries.insert(std::upper_bound(entries.begin(), entries.end(), s.version,
                                    [](std::uint64_t v, const entry& e) { return v < e.version; }),
                   std::move(added));
  }
  names_.insert(name);
  fs_->sync_dir(dir_);
  trim(s.stream_id, s, keep);
}

// Writes `bytes` as the file `name`: temporary file, sync, rename. On failure the temporary
// file is removed when possible (else by the next open) and `name` is unchanged.
void segment_snapshot_store::write_file(const std::string& name, const std::string& bytes) {
  io::replace_file(*fs_, path_of(name), path_of(name) + std::string(seg::snapshot_temporary_suffix),
                    bytes);
}

// Deletes the stream's snapshots beyond the `keep` newest, once the saved one is durable.
void segment_snapshot_store::trim(const std::string& stream_id, const snapshot& saved,
                                  std::size_t keep) {
  keep = std::max<std::size_t>(keep, 1);
  auto& entries = streams_[stream_id];
  if (entries.size() <= keep) return;
  // Newest version first; among equal versions the one just saved, then the latest taken (the
  // order the SQLite backend uses too).
  std::vector<const entry*> order;
  for (const auto& e : entries) order.push_back(&e);
  auto rank = [&](const entry* e) {
    bool is_saved = e->version == saved.version && e->fingerprint == saved.fingerprint;
    return std::make_tuple(e->version, is_saved, e->taken_us,
                           static_cast<std::int64_t>(e->fingerprint));
  };
  std::sort(order.begin(), order.end(),
            [&](const entry* a, const entry* b) { return rank(a) > rank(b); });
  std::vector<std::string> victims;
  for (std::size_t i = keep; i < order.size(); ++i) victims.push_back(order[i]->file_name);
  for (const auto& name : victims) {
    fs_->remove(path_of(name));
    std::erase_if(entries, [&](const entry& e) { return e.file_name == name; });
    names_.erase(name);
  }
  fs_->sync_dir(dir_);
}

snapshot_lookup segment_snapshot_store::load(std::string_view stream_id, std::uint64_t fingerprint,
                                             std::uint64_t max_version,
                                             std::uint64_t max_position) {
  validate_stream_id(stream_id);
  std::lock_guard lock(mutex_);
  snapshot_lookup result;
  auto known = streams_.find(std::string(stream_id));
  if (known == streams_.end()) return result;
  auto& entries = known->second;
  auto within = [&](const entry& e) {
    return e.version <= max_version && e.position <= max_position;
  };
  for (;;) {
    auto newest = std::find_if(entries.rbegin(), entries.rend(), [&](const entry& e) {
      return within(e) && e.fingerprint == fingerprint;
    });
    if (newest == entries.rend()) break;
    if (auto s = read_entry(known->first, *newest)) {
      result.found = std::move(s);
      break;
    }
    entries.erase(std::next(newest).base());  // skipped with a warning: try the next older one
  }
  for (const auto& e : entries) {
    if (within(e) && e.fingerprint != fingerprint &&
        (!result.found || e.version > result.found->version)) {
      ++result.mismatched;
    }
  }
  if (entries.empty()) streams_.erase(known);
  return result;
}

// Reads and checks the file of `e`; nullopt, with a warning, when it is damaged or gone.
std::optional<snapshot> segment_snapshot_store::read_entry(const std::string& stream_id,
                                                           const entry& e) {
  std::string path = path_of(e.file_name);
  std::string data;
  try {
    auto file = fs_->open(path, io::open_mode::read_only);
    std::uint64_t size = file->size();
    data.resize(size);
    data.resize(file->read_at(0, {reinterpret_cast<std::byte*>(data.data()), data.size()}));
  } catch (const io_error& error) {
    if (error.system_code() != ENOENT) throw;
    warn(fmt::format("skipped the snapshot file '{}': it has disappeared", path));
    names_.erase(e.file_name);
    return std::nullopt;
  }
  std::string reason;
  std::uint32_t header_size = 0;
  file_header h;
  header_status status = check_prefix(data, data.size(), header_size, reason);
  bool good = status == header_status::ok &&
              parse_header(std::string_view(data).substr(0, header_size), data.size(), h, reason);
  if (good) {
    std::string_view content(data.data(), data.size() - seg::snapshot_trailer_size);
    seg::byte_reader trailer(std::string_view(data).substr(content.size()));
    if (detail::crc32c(seg::as_bytes(content)) != trailer.u32()) {
      reason = "checksum mismatch";
      good = false;
    } else if (h.stream_id != stream_id || h.version != e.version ||
               h.fingerprint != e.fingerprint) {
      reason = "it now holds another snapshot";
      good = false;
    }
  }
  if (!good) {
    try {
      fs_->remove(path);
      names_.erase(e.file_name);
      warn(fmt::format("skipped and removed the damaged snapshot file '{}': {}", path, reason));
    } catch (const io_error& error) {
      // Its name stays taken; the next open, or load, tries again.
      warn(fmt::format("skipped the damaged snapshot file '{}': {}; cannot remove it: {}", path,
                       reason, error.what()));
    }
    return std::nullopt;
  }
  snapshot s;
  s.stream_id = std::move(h.stream_id);
  s.version = h.version;
  s.position = h.position;
  s.aggregate_type = std::move(h.aggregate_type);
  s.fingerprint = h.fingerprint;
  s.encoding = h.encoding;
  s.payload = data.substr(header_size, h.payload_length);
  s.taken_at = std::chrono::system_clock::time_point(std::chrono::microseconds(h.taken_us));
  return s;
}

std::size_t segment_snapshot_store::drop_type(std::string_view aggregate_type) {
  std::lock_guard lock(mutex_);
  std::size_t dropped = 0;
  for (auto it = streams_.begin(); it != streams_.end();) {
    auto& entries = it->second;
    for (auto e = entries.begin(); e != entries.end();) {
      if (e->aggregate_type != aggregate_type) {
        ++e;
        continue;
      }
      fs_->remove(path_of(e->file_name));
      names_.erase(e->file_name);
      e = entries.erase(e);
      ++dropped;
    }
    it = entries.empty() ? streams_.erase(it) : std::next(it);
  }
  if (dropped > 0) fs_->sync_dir(dir_);
  return dropped;
}

std::size_t segment_snapshot_store::count() {
  std::lock_guard lock(mutex_);
  std::size_t n = 0;
  for (const auto& [stream, entries] : streams_) n += entries.size();
  return n;
}

// The name for a new snapshot: the base name, or the first "-<n>" variant no file has taken
// (another stream with the same hash, or a file this build does not read).
std::string segment_snapshot_store::free_name(std::string_view stream_id, std::uint64_t version,
                                              std::uint64_t fingerprint) const {
  std::string base = base_name(stream_hash(stream_id), version, fingerprint);
  std::string name = base + std::string(seg::snapshot_suffix);
  for (std::uint64_t n = 1; names_.count(name) > 0; ++n) {
    name = fmt::format("{}-{}{}", base, n, seg::snapshot_suffix);
  }
  return name;
}

std::string segment_snapshot_store::path_of(const std::string& name) const {
  return dir_ + "/" + name;
}

void segment_snapshot_store::warn(const std::string& message) const {
  if (on_warning_) {
    on_warning_(message);
  } else {
    std::fprintf(stderr, "annal: warning: %s\n", message.c_str());
  }
}

}  // namespace annal

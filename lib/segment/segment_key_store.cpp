// Key files: magic, format, state, subject, key, CRC-32C; replaced whole, never edited in place.
#include "segment/segment_key_store.hpp"

#include <fmt/format.h>
#include <sodium.h>

#include <cstring>
#include <vector>

#include "annal/error.hpp"
#include "core/crc32c.hpp"
#include "core/sha256.hpp"
#include "io/replace_file.hpp"
#include "segment/byte_io.hpp"

namespace annal::segment {
namespace {

constexpr std::string_view key_magic = "ANLK";
constexpr std::uint8_t key_format = 1;
constexpr std::uint8_t live_state = 1;
constexpr std::uint8_t forgotten_state = 2;
constexpr std::string_view temporary_suffix = ".tmp";

std::uint32_t checksum(std::string_view bytes) {
  return detail::crc32c(std::as_bytes(std::span(bytes.data(), bytes.size())));
}

}  // namespace

key_file_store::key_file_store(std::string dir, std::shared_ptr<io::file_system> fs)
    : dir_(std::move(dir)), fs_(std::move(fs)) {
  fs_->create_dir(dir_);
  for (const auto& name : fs_->list(dir_)) {
    if (name.ends_with(temporary_suffix)) fs_->remove(dir_ + "/" + name);
  }
}

std::string key_file_store::path_of(std::string_view subject) const {
  return dir_ + "/" + detail::to_hex(detail::sha256(subject));
}

detail::key_record key_file_store::read(std::string_view subject) {
  detail::key_record record;
  std::string path = path_of(subject);
  if (!fs_->exists(path)) return record;
  auto file = fs_->open(path, io::open_mode::read_only);
  std::string bytes(file->size(), '\0');
  std::size_t got = file->read_at(0, std::as_writable_bytes(std::span(bytes.data(), bytes.size())));
  auto damaged = [&](const std::string& why) {
    sodium_memzero(bytes.data(), bytes.size());
    return corruption(path, -1, fmt::format("the key file of subject '{}' {}", subject, why));
  };
  if (got != bytes.size() || bytes.size() < key_magic.size() + 8) throw damaged("is torn");
  std::string_view body(bytes.data(), bytes.size() - 4);
  byte_reader tail(std::string_view(bytes).substr(bytes.size() - 4));
  if (tail.u32() != checksum(body)) throw damaged("fails its checksum (torn or damaged)");
  byte_reader in(body);
  if (in.bytes(key_magic.size()) != key_magic) throw damaged("is not an annal key file");
  if (in.u8() != key_format) throw damaged("has an unknown format");
  std::uint8_t state = in.u8();
  std::uint16_t subject_size = in.u16();
  if (body.size() < key_magic.size() + 4 + subject_size ||
      body.substr(key_magic.size() + 4, subject_size) != subject) {
    throw damaged("names another subject");
  }
  std::size_t key_at = key_magic.size() + 4 + subject_size;
  if (state == forgotten_state && body.size() == key_at) {
    record.status = detail::key_record::state::forgotten;
  } else if (state == live_state && body.size() == key_at + detail::subject_key::size) {
    std::memcpy(record.key.bytes().data(), body.data() + key_at, detail::subject_key::size);
    record.status = detail::key_record::state::live;
  } else {
    throw damaged("has a bad state or size");
  }
  sodium_memzero(bytes.data(), bytes.size());
  return record;
}

void key_file_store::write(std::string_view subject, const detail::key_record& record) {
  std::string bytes;
  byte_writer out(bytes);
  out.bytes(key_magic);
  out.u8(key_format);
  bool live = record.status == detail::key_record::state::live;
  out.u8(live ? live_state : forgotten_state);
  out.u16(static_cast<std::uint16_t>(subject.size()));
  out.bytes(subject);
  if (live) {
    out.bytes(std::string_view(reinterpret_cast<const char*>(record.key.bytes().data()),
                               record.key.bytes().size()));
  }
  out.u32(checksum(bytes));
  std::string path = path_of(subject);
  try {
    io::replace_file(*fs_, path, path + std::string(temporary_suffix), bytes);
  } catch (...) {
    sodium_memzero(bytes.data(), bytes.size());
    throw;
  }
  sodium_memzero(bytes.data(), bytes.size());
  fs_->sync_dir(dir_);
}

detail::key_record key_file_store::find(std::string_view subject) {
  std::lock_guard lock(mutex_);
  return read(subject);
}

detail::key_record key_file_store::create(std::string_view subject,
                                          const detail::subject_key& key) {
  std::lock_guard lock(mutex_);
  detail::key_record stored = read(subject);
  if (stored.status != detail::key_record::state::absent) return stored;
  detail::key_record record{detail::key_record::state::live, key};
  write(subject, record);
  return record;
}

detail::key_record::state key_file_store::forget(std::string_view subject) {
  std::lock_guard lock(mutex_);
  detail::key_record::state before = read(subject).status;
  if (before != detail::key_record::state::forgotten) {
    write(subject, detail::key_record{detail::key_record::state::forgotten, {}});
  }
  return before;
}

}  // namespace annal::segment

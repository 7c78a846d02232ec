// The key store interface: each subject's encryption key, kept by every backend beside its events.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace annal::detail {

/// A subject's 32-byte XChaCha20-Poly1305 key. Zeroed when destroyed.
class subject_key {
 public:
  static constexpr std::size_t size = 32;
  subject_key() noexcept = default;
  subject_key(const subject_key& other) noexcept = default;
  subject_key& operator=(const subject_key& other) noexcept = default;
  ~subject_key();
  /// A fresh random key (libsodium's randombytes_buf). Throws annal::io_error when libsodium
  /// cannot start.
  static subject_key random();

  std::array<std::uint8_t, size>& bytes() noexcept { return bytes_; }
  const std::array<std::uint8_t, size>& bytes() const noexcept { return bytes_; }

 private:
  std::array<std::uint8_t, size> bytes_{};
};

/// What a key store holds for one subject.
struct key_record {
  enum class state : std::uint8_t {
    absent,     ///< No key was ever created for the subject.
    live,       ///< `key` is the subject's key.
    forgotten,  ///< forget() destroyed the key; the subject keeps this marker for good.
  };
  state status = state::absent;
  subject_key key;
};

/// Where a backend keeps subjects' keys: a table of the SQLite file or the PostgreSQL schema,
/// one file per subject beside the segments (docs/privacy.md). Backends keep the records only;
/// the rules (when a key is made, what a forgotten subject reads as) are event_store's.
///
/// Thread-safe. Owned by its event store: valid until that store's close(). Every function
/// throws annal::io_error when the storage fails and annal::corruption when a stored record is
/// damaged. Subjects are validated by the caller (1 to max_subject_size bytes, no NUL).
class key_store {
 public:
  virtual ~key_store() = default;

  /// The subject's record.
  virtual key_record find(std::string_view subject) = 0;
  /// Stores `key` as the subject's key unless the subject already has a record, durably before
  /// it returns; returns the record the subject has afterwards (the stored one when another
  /// writer created it first, or the forgotten marker).
  virtual key_record create(std::string_view subject, const subject_key& key) = 0;
  /// Replaces the subject's record by the forgotten marker, durably, overwriting the key bytes
  /// where the storage allows (docs/privacy.md). Returns the record it replaced.
  virtual key_record::state forget(std::string_view subject) = 0;
};

}  // namespace annal::detail

// Reads the frames of a segment file in order, telling frames, a clean end, a torn tail and
// corruption apart.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "io/file_system.hpp"
#include "segment/batch_frame.hpp"

namespace annal::segment {

/// What frame_scanner::next() found.
enum class scan_status {
  frame,      ///< A whole frame with a good checksum and a well-formed batch.
  end,        ///< The end of the range, exactly at a frame boundary.
  torn_tail,  ///< A bad frame with no valid frame after it (incomplete, bad checksum, zeros or
              ///< garbage to the end): what a crash during an append leaves. Everything from
              ///< `offset` on is not part of the log.
  corrupt,    ///< Damage before the tail: a bad frame with a valid frame somewhere after it, or
              ///< a valid frame whose positions do not continue the log.
};

struct scanned_frame {
  scan_status status = scan_status::end;
  /// Where the frame, or the torn tail or damage, starts.
  std::uint64_t offset = 0;
  /// The whole frame's size, header included (status frame only).
  std::uint64_t size = 0;
  /// The parsed batch (status frame only); views into the scanner's buffer, valid until next().
  std::optional<batch_view> batch;
  /// Why a tail is torn or a frame corrupt.
  std::string reason;
};

/// Scans frames from `offset` up to `end` (exclusive) of a file, reading it in large chunks.
/// `next_position` is the position the first frame must start at. The file must outlive the
/// scanner. Throws annal::io_error when a read fails.
class frame_scanner {
 public:
  frame_scanner(const io::file& file, std::uint64_t offset, std::uint64_t end,
                std::uint64_t next_position);
  scanned_frame next();
  /// Where the next frame would start.
  std::uint64_t offset() const noexcept { return offset_; }
  /// The position the next frame must start at.
  std::uint64_t next_position() const noexcept { return next_position_; }

 private:
  // Makes [offset_, offset_ + need) available in buf_; false when the file is shorter.
  bool fill(std::uint64_t need);
  std::string_view view(std::uint64_t at, std::uint64_t size) const;
  bool valid_frame_after(std::uint64_t at);
  scanned_frame tail_or_corrupt(std::string reason);

  const io::file& file_;
  std::uint64_t offset_;
  std::uint64_t end_;
  std::uint64_t next_position_;
  // Not zero-filled: every byte used was read from the file first.
  std::unique_ptr<char[]> buf_;
  std::size_t buf_capacity_ = 0;
  std::size_t buf_size_ = 0;
  std::uint64_t buf_start_ = 0;
};

/// Reads and checks the frame at `offset` of `file`, which an index names; `buffer` holds the
/// body the view points into. Throws annal::corruption naming `path` for a frame that is not
/// there whole, has a bad header or checksum, or a malformed body.
batch_view read_frame_at(const io::file& file, const std::string& path, std::uint64_t offset,
                         std::string& buffer);

}  // namespace annal::segment

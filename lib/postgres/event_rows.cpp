// Binary COPY rows and binary result rows of the events table.
#include "postgres/event_rows.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "annal/error.hpp"
#include "core/metadata_json.hpp"
#include "core/type_version.hpp"

namespace annal::pg {
namespace {

constexpr std::string_view copy_signature("PGCOPY\n\377\r\n\0", 11);
// The version byte that starts jsonb's binary format.
constexpr char jsonb_version = 1;

// A one-dimensional text[] without NULLs in binary format (ndim, has-null flag, element type,
// length and lower bound, then each element's length and bytes), as the tags column holds it.
std::vector<std::string> read_text_array(std::string_view bytes, std::uint64_t position,
                                         const std::string& where) {
  auto bad = [&] {
    return corruption(
        where, -1,
        fmt::format("event at position {} has tags that are not a text array", position));
  };
  if (bytes.size() < 12) throw bad();
  std::uint64_t dimensions = get_be(bytes.data(), 4);
  std::vector<std::string> values;
  if (dimensions == 0) return values;
  if (dimensions != 1 || get_be(bytes.data() + 4, 4) != 0 || bytes.size() < 20) throw bad();
  std::uint64_t count = get_be(bytes.data() + 12, 4);
  std::size_t at = 20;
  for (std::uint64_t i = 0; i < count; ++i) {
    if (bytes.size() - at < 4) throw bad();
    std::uint64_t length = get_be(bytes.data() + at, 4);
    at += 4;
    if (bytes.size() - at < length) throw bad();
    values.emplace_back(bytes.substr(at, length));
    at += length;
  }
  if (at != bytes.size()) throw bad();
  return values;
}

}  // namespace

std::int64_t to_timestamptz(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count() -
         postgres_epoch_us;
}

std::chrono::system_clock::time_point from_timestamptz(std::int64_t value) {
  return std::chrono::system_clock::time_point(
      std::chrono::microseconds(value + postgres_epoch_us));
}

copy_buffer::copy_buffer() {
  data_.append(copy_signature);
  put_be(data_, 0, 4);  // flags
  put_be(data_, 0, 4);  // header extension length
}

void copy_buffer::field(std::string_view bytes) {
  put_be(data_, bytes.size(), 4);
  data_.append(bytes);
}

void copy_buffer::null_field() { put_be(data_, 0xffffffffu, 4); }

void copy_buffer::add(std::uint64_t position, std::string_view stream_id,
                      std::uint64_t stream_version, std::string_view type, const uuid& id,
                      std::int64_t timestamptz, std::string_view metadata,
                      payload_encoding encoding, std::string_view payload,
                      std::uint32_t type_version, const std::vector<std::string>& tags) {
  put_be(data_, event_column_count, 2);
  put_be(data_, 8, 4);
  put_be(data_, position, 8);
  field(stream_id);
  put_be(data_, 8, 4);
  put_be(data_, stream_version, 8);
  field(type);
  field(std::string_view(reinterpret_cast<const char*>(id.bytes().data()), id.bytes().size()));
  put_be(data_, 8, 4);
  put_be(data_, static_cast<std::uint64_t>(timestamptz), 8);
  if (metadata.empty()) {
    null_field();
  } else {
    put_be(data_, metadata.size() + 1, 4);
    data_.push_back(jsonb_version);
    data_.append(metadata);
  }
  // JSON goes to the json column (queryable, kept byte for byte), anything else to bytea.
  if (encoding == payload_encoding::json) {
    field(payload);
    null_field();
  } else {
    null_field();
    field(payload);
  }
  put_be(data_, 4, 4);
  put_be(data_, type_version, 4);
  if (tags.empty()) {
    null_field();
  } else {
    field(binary_array(text_oid, tags));
  }
  ++rows_;
}

std::string_view copy_buffer::finish() {
  put_be(data_, 0xffff, 2);
  return data_;
}

recorded_event read_event(const result& r, int row, const std::string& where) {
  recorded_event e;
  e.position = static_cast<std::uint64_t>(r.int8(row, 0));
  e.stream_id = std::string(r.bytes(row, 1));
  e.stream_version = static_cast<std::uint64_t>(r.int8(row, 2));
  e.type = std::string(r.bytes(row, 3));
  std::string_view id = r.bytes(row, 4);
  if (id.size() != 16) {
    throw corruption(
        where, -1,
        fmt::format("event at position {} has an id of {} bytes", e.position, id.size()));
  }
  std::array<std::uint8_t, 16> bytes;
  std::copy(id.begin(), id.end(), bytes.begin());
  e.id = uuid(bytes);
  e.timestamp = from_timestamptz(r.int8(row, 5));
  if (!r.is_null(row, 6)) {
    std::string_view metadata = r.bytes(row, 6);
    if (metadata.empty() || metadata[0] != jsonb_version) {
      throw corruption(
          where, -1,
          fmt::format("event at position {} has metadata in an unknown jsonb format", e.position));
    }
    e.metadata = detail::decode_metadata(metadata.substr(1), where);
  }
  if (!r.is_null(row, 7)) {
    e.encoding = payload_encoding::json;
    e.payload = std::string(r.bytes(row, 7));
  } else {
    e.encoding = payload_encoding::binary;
    e.payload = std::string(r.bytes(row, 8));
  }
  e.type_version = detail::stored_type_version(r.int4(row, 9), e.position, where);
  if (!r.is_null(row, 10)) e.tags = read_text_array(r.bytes(row, 10), e.position, where);
  return e;
}

std::string event_columns_at(std::int64_t schema_version) {
  std::string columns = event_columns;
  auto replace = [&columns](std::string_view column, std::string_view constant) {
    columns.replace(columns.rfind(column), column.size(), constant);
  };
  if (schema_version < 8) replace("tags", "NULL::text[]");
  if (schema_version < 4) replace("type_version", "1::int4");
  return columns;
}

}  // namespace annal::pg

// The links of the hash chain, computed at append, by migrations and by checks alike.
#include "core/batch_chain.hpp"

#include <fmt/format.h>

#include <cstring>
#include <string_view>

#include "annal/error.hpp"
#include "core/event_digest.hpp"
#include "core/log_tree.hpp"

namespace annal::detail {
namespace {

constexpr std::string_view chain_domain = "annal.chain.v1";

}  // namespace

chain_link_builder::chain_link_builder(const sha256_digest& previous,
                                       std::uint32_t event_count) noexcept {
  writer_.text(chain_domain);
  writer_.bytes(previous);
  writer_.integer(event_count);
}

void chain_link_builder::add(std::uint64_t position, std::uint64_t stream_version,
                             std::string_view stream_id, const uuid& id, std::int64_t timestamp_us,
                             const sha256_digest& content) noexcept {
  write_event_fields(writer_, position, stream_version, stream_id, id, timestamp_us, content);
}

sha256_digest chain_link_builder::finish() noexcept { return writer_.finish(); }

std::vector<sha256_digest> content_digests(std::span<const event_data> events,
                                           std::span<const std::string> metadata) {
  std::vector<sha256_digest> contents;
  contents.reserve(events.size());
  for (std::size_t i = 0; i < events.size(); ++i) {
    const event_data& e = events[i];
    std::string_view md = metadata.empty() ? std::string_view() : std::string_view(metadata[i]);
    contents.push_back(content_digest(e.type, e.type_version, e.encoding, md, e.payload, e.tags));
  }
  return contents;
}

sha256_digest append_link(const sha256_digest& previous, std::string_view stream_id,
                          std::uint64_t first_position, std::uint64_t first_version,
                          std::int64_t timestamp_us, std::span<const event_data> events,
                          std::span<const sha256_digest> contents) noexcept {
  chain_link_builder link(previous, static_cast<std::uint32_t>(events.size()));
  for (std::size_t i = 0; i < events.size(); ++i) {
    link.add(first_position + i, first_version + i, stream_id, events[i].id, timestamp_us,
             contents[i]);
  }
  return link.finish();
}

sha256_digest stored_link(const sha256_digest& previous, std::span<const recorded_event> events) {
  chain_link_builder link(previous, static_cast<std::uint32_t>(events.size()));
  for (const auto& e : events) {
    link.add(e.position, e.stream_version, e.stream_id, e.id, timestamp_us(e),
             stored_content_digest(e));
  }
  return link.finish();
}

stored_batch_linker::stored_batch_linker(emit_function emit, std::size_t max_batch)
    : emit_(std::move(emit)), max_batch_(max_batch == 0 ? 1 : max_batch) {}

void stored_batch_linker::add(recorded_event event) {
  if (!batch_.empty() &&
      (event.stream_id != batch_.back().stream_id || event.timestamp != batch_.back().timestamp ||
       event.position != batch_.back().position + 1 || batch_.size() == max_batch_)) {
    close_batch();
  }
  batch_.push_back(std::move(event));
}

void stored_batch_linker::close_batch() {
  if (batch_.empty()) return;
  link_ = stored_link(link_, batch_);
  emit_(batch_.back().position, link_);
  batch_.clear();
}

sha256_digest stored_batch_linker::finish() {
  close_batch();
  return link_;
}

sha256_digest link_from_bytes(std::string_view bytes, const std::string& where,
                              std::uint64_t last_position) {
  sha256_digest link;
  if (bytes.size() != link.size()) {
    throw corruption(where, -1,
                     fmt::format("the link of the batch ending at position {} is {} bytes, not 32",
                                 last_position, bytes.size()));
  }
  std::memcpy(link.data(), bytes.data(), link.size());
  return link;
}

}  // namespace annal::detail

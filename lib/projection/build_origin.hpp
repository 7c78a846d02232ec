// Whether a read-model build's checkpoint was made from the store a runner is given: the same
// store identity, the checkpoint within the log, and the event recorded at the checkpoint still
// there.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "annal/event_store.hpp"
#include "projection/registry.hpp"

namespace annal::projection_detail {

/// The origin of a checkpoint at `position` of `store`, whose identity is `store_id` (canonical
/// text, as the caller read it from store_id()): the id of the event at `position` ("" for 0),
/// taken from `known` (events in position order) when one of them is at `position`, otherwise
/// read from the store. Throws annal::io_error when the store has no event there (its log is
/// shorter), and what the store's read throws.
checkpoint_origin origin_at(event_store& store, const std::string& store_id, std::uint64_t position,
                            std::span<const recorded_event> known = {});

/// Why the checkpoint of `build`, a build of projection `name`, cannot have been made from
/// `store` (identity `store_id`, as text) as it is now, in one line with the numbers; nullopt
/// when it can. The checks, in order: the build was made from a store of the same identity
/// (another store, an imported copy included, is another log); its checkpoint is at most the
/// store's head (a store restored from an older backup is shorter); the event at the checkpoint
/// has the id recorded with it (a restored store written to since holds other events there). A
/// build recorded before annal kept identities and event ids gets the head check only. Throws
/// what the store's reads throw.
std::optional<std::string> origin_mismatch(event_store& store, const std::string& store_id,
                                           std::string_view name, const build_record& build);

}  // namespace annal::projection_detail

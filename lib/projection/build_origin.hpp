// Whether a read-model build's checkpoint was made from the store a runner is given: the
// checkpoint within the log, and the event recorded at the checkpoint still there.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "annal/event_store.hpp"
#include "projection/registry.hpp"

namespace annal::projection_detail {

/// The id (canonical text) of the store's event at `position`, "" for position 0. Taken from
/// `known` (events in position order) when one of them is at `position`, otherwise read from the
/// store. Throws annal::io_error when the store has no event there (its log is shorter), and
/// what the store's read throws.
std::string event_id_at(event_store& store, std::uint64_t position,
                        std::span<const recorded_event> known = {});

/// Why the checkpoint of `build`, a build of projection `name`, cannot have been made from
/// `store` as it is now, in one line with the numbers; nullopt when it can. The checks: the
/// checkpoint is at most the store's head (a store restored from an older backup is shorter), and
/// the event at the checkpoint has the id recorded with it (a restored store that has been
/// written to since holds other events there). A build recorded before annal kept event ids
/// gets the first check only. Throws what the store's reads throw.
std::optional<std::string> origin_mismatch(event_store& store, std::string_view name,
                                           const build_record& build);

}  // namespace annal::projection_detail

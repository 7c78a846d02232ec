// A projection worker's build life cycle: the origin checks of a read model against the store,
// builds for a new version, rebuilds, and replacing builds that do not belong to the store.
#include <fmt/format.h>

#include <stdexcept>

#include "annal/error.hpp"
#include "projection/build_origin.hpp"
#include "projection/projection_worker.hpp"

namespace annal::projection_detail {

namespace {

// A read model that was not made from the store, under origin_policy::stop: fails the projection
// (it is not an io_error, which the runner would recover from).
class foreign_read_model : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Why one of `b`'s builds was not made from `store`, whose identity is `store_id`, if one was not.
std::optional<std::string> first_mismatch(event_store& store, const std::string& store_id,
                                          std::string_view name, const builds& b) {
  for (const auto* build : {&b.current, &b.shadow}) {
    if (!*build) continue;
    if (auto why = origin_mismatch(store, store_id, name, **build)) return why;
  }
  return std::nullopt;
}

}  // namespace

void projection_worker::check_origin(read_model_db& db) {
  store_id_ = store_.store_id().to_string();
  auto why = first_mismatch(store_, store_id_, p_.name, load_builds(db, p_.name));
  if (!why) return;
  if (options_.on_origin_mismatch == origin_policy::stop) {
    throw foreign_read_model(*why +
                             "; stopped (origin_policy::stop): rebuild the projection to start "
                             "it over from this store");
  }
  db_transaction tx(db);
  builds b = load_builds(db, p_.name);
  replace_builds(db, b, 0, {store_id_, ""});
  tx.commit();
  std::lock_guard lock(status_mutex_);
  status_.error = *why + "; rebuilding it from position 1 (origin_policy::rebuild)";
  status_.failed_position = 0;
  status_.failed_type.clear();
  status_.failed_stream.clear();
}

void projection_worker::replace_builds(read_model_db& db, builds& b, std::uint64_t start,
                                       const checkpoint_origin& origin) {
  if (!p_.is_read_model()) {
    if (p_.reset) p_.reset(start + 1);
    if (b.current) {
      b.current->checkpoint = b.current->start = start;
      b.current->origin = origin;
      b.current->version = p_.version;
      set_checkpoint(db, p_.name, *b.current);
    } else {
      create_build(db, p_, true, start, origin);
    }
    sink_rebuilding_ = true;
    return;
  }
  if (b.shadow) drop_build(db, p_.name, *b.shadow);
  // A new build made current at once: readers see its tables filling up, not the old ones.
  build_record fresh = create_build(db, p_, !b.current, start, origin);
  if (b.current) swap_in(db, p_.name, &*b.current, fresh);
}

void projection_worker::reconcile(read_model_db& db) {
  db_transaction tx(db);
  builds b = load_builds(db, p_.name);
  if (!p_.is_read_model()) {
    if (!b.current) {
      create_build(db, p_, true, 0, {store_id_, ""});
    } else if (b.current->version != p_.version) {
      replace_builds(db, b, 0, {store_id_, ""});
    }
  } else {
    if (b.shadow && b.shadow->version != p_.version) {
      drop_build(db, p_.name, *b.shadow);
      b.shadow.reset();
    }
    if (!b.current && !b.shadow) {
      create_build(db, p_, true, 0, {store_id_, ""});
    } else if (b.current && b.current->version != p_.version && !b.shadow) {
      create_build(db, p_, false, 0, {store_id_, ""});
    }
  }
  tx.commit();
}

void projection_worker::rebuild_now(read_model_db& db, std::uint64_t from_position) {
  std::uint64_t start = from_position == 0 ? 0 : from_position - 1;
  std::uint64_t head = store_.head_position();
  if (start > head) {
    throw invalid_argument(
        fmt::format("cannot rebuild projection '{}' from position {}: the log ends at {}", p_.name,
                    from_position, head));
  }
  // Not store_id_: this may run on another thread than the projection's.
  std::string store_id = store_.store_id().to_string();
  checkpoint_origin origin = origin_at(store_, store_id, start);
  // A current build that was not made from this store must not serve while the new one fills.
  bool foreign = false;
  {
    builds b = load_builds(db, p_.name);
    foreign = b.current && origin_mismatch(store_, store_id, p_.name, *b.current);
  }
  db_transaction tx(db);
  builds b = load_builds(db, p_.name);
  if (foreign || !p_.is_read_model()) {
    replace_builds(db, b, start, origin);
  } else {
    if (b.shadow) drop_build(db, p_.name, *b.shadow);
    create_build(db, p_, !b.current, start, origin);
  }
  tx.commit();
}

}  // namespace annal::projection_detail

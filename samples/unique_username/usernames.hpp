// Users with unique user names: registration and renaming, each decided by one decision model.
#pragma once

#include <annal/annal.hpp>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>

namespace users {

/// How many times a command reads and decides again after a conflicting append before it gives
/// up (annal::append_condition_failed).
inline constexpr unsigned max_attempts = 10;

// Events. A user's events carry the tag `user:ID`, and the tag `username:NAME` of every name they
// take or give up: a rename carries both names' tags, so that it is one event that frees the old
// name and takes the new one. Names are compared bytewise, as given; a real service would
// normalise them (case, Unicode) before it makes the tag.

struct user_registered {
  static constexpr std::string_view type = "user.registered";
  std::string user_id;
  std::string username;
};
struct user_renamed {
  static constexpr std::string_view type = "user.renamed";
  std::string user_id;
  std::string old_username;
  std::string new_username;
};
using user_event = std::variant<user_registered, user_renamed>;

/// The tag of a user name: "username:" + the name.
std::string username_tag(std::string_view username);
/// The tag of a user: "user:" + the id.
std::string user_tag(std::string_view user_id);

// States, folded from the events by one apply() per event type.

/// One user name as decisions see it: whether a user holds it now. The name is set in the
/// initial state, so that the fold of a rename can tell which side of it this name is on.
struct username_claim {
  std::string username;
  bool taken = false;
};
username_claim apply(username_claim c, const user_registered& e);
username_claim apply(username_claim c, const user_renamed& e);

/// One user as decisions see it.
struct user {
  bool registered = false;
  std::string username;
};
user apply(user u, const user_registered& e);
user apply(user u, const user_renamed& e);

/// A command the rules refuse. A type of its own, so that catching a refusal never catches a
/// store's error.
struct refused : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// The events tagged with the name's tag: who registered it, renamed to it or away from it.
/// Throws annal::invalid_argument for a name that makes an invalid tag (empty, too long).
annal::decision_projection<username_claim> username_projection(const std::string& username);
/// The events tagged with the user's tag. Throws as username_projection().
annal::decision_projection<user> user_projection(const std::string& user_id);

/// Registers a user under a name no user holds. Throws refused when the user is registered or the
/// name is taken, annal::append_condition_failed when it lost max_attempts races, and the store's
/// errors. Safe to call from many threads.
void register_user(annal::event_store& store, const std::string& user_id,
                   const std::string& username);

/// Renames a registered user to a name no user holds, freeing the old name in the same event.
/// Returns false, appending nothing, when the user already has that name. Throws refused when
/// the user is not registered or the name is taken, and otherwise as register_user().
bool rename_user(annal::event_store& store, const std::string& user_id,
                 const std::string& new_username);

}  // namespace users

// Users with unique user names: the reducers, the projections and the two commands.
#include "usernames.hpp"

namespace users {

std::string username_tag(std::string_view username) { return "username:" + std::string(username); }

std::string user_tag(std::string_view user_id) { return "user:" + std::string(user_id); }

username_claim apply(username_claim c, const user_registered&) {
  c.taken = true;
  return c;
}

username_claim apply(username_claim c, const user_renamed& e) {
  // The event carries both names' tags, so this name is the new one or the old one.
  c.taken = e.new_username == c.username;
  return c;
}

user apply(user u, const user_registered& e) {
  u.registered = true;
  u.username = e.username;
  return u;
}

user apply(user u, const user_renamed& e) {
  u.username = e.new_username;
  return u;
}

annal::decision_projection<username_claim> username_projection(const std::string& username) {
  return annal::tagged_projection<username_claim, user_event>({username_tag(username)},
                                                              username_claim{username});
}

annal::decision_projection<user> user_projection(const std::string& user_id) {
  return annal::tagged_projection<user, user_event>({user_tag(user_id)});
}

void register_user(annal::event_store& store, const std::string& user_id,
                   const std::string& username) {
  annal::decide_and_append(
      store, max_attempts,
      [&](const username_claim& name, const user& u) {
        if (u.registered) throw refused("user " + user_id + " is registered already");
        if (name.taken) throw refused("the name " + username + " is taken");
        return annal::decision{
            .stream_id = "user-" + user_id,
            .events = {annal::encode_tagged<user_event>(
                user_registered{user_id, username}, {user_tag(user_id), username_tag(username)})}};
      },
      username_projection(username), user_projection(user_id));
}

bool rename_user(annal::event_store& store, const std::string& user_id,
                 const std::string& new_username) {
  // The condition covers the user (a concurrent rename of the same user conflicts) and the new
  // name (a concurrent claim of it conflicts). The old name needs no part: the user holds it, and
  // the rename's event, tagged with it, is what the next decision about it reads.
  auto result = annal::decide_and_append(
      store, max_attempts,
      [&](const user& u, const username_claim& name) {
        if (!u.registered) throw refused("user " + user_id + " is not registered");
        if (u.username == new_username) return annal::decision{};  // nothing to do
        if (name.taken) throw refused("the name " + new_username + " is taken");
        return annal::decision{
            .stream_id = "user-" + user_id,
            .events = {annal::encode_tagged<user_event>(
                user_renamed{user_id, u.username, new_username},
                {user_tag(user_id), username_tag(u.username), username_tag(new_username)})}};
      },
      user_projection(user_id), username_projection(new_username));
  return result.appended.has_value();
}

}  // namespace users

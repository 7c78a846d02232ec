// Unique user names with a dynamic consistency boundary: a registration or a rename appends only
// if no event tagged with the name was stored after the decision's read. The program checks its
// own results, also of racing registrations, and exits with 1 on a wrong one.
#include <annal/annal.hpp>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <latch>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "../common/sample_checks.hpp"
#include "usernames.hpp"

namespace {

using samples::checks;

// What a command did: "appended", "nothing to do", or the refusal's message.
std::string outcome(const std::function<bool()>& command) {
  try {
    return command() ? "appended" : "nothing to do";
  } catch (const users::refused& refusal) {
    return refusal.what();
  }
}

std::function<bool()> registration(annal::event_store& store, std::string user_id,
                                   std::string username) {
  return [&store, user_id, username] {
    users::register_user(store, user_id, username);
    return true;
  };
}

std::function<bool()> renaming(annal::event_store& store, std::string user_id,
                               std::string username) {
  return [&store, user_id, username] { return users::rename_user(store, user_id, username); };
}

// What racing commands got.
struct race_result {
  int appended = 0;
  int refused = 0;
  int failed = 0;  // a store's error, or append_condition_failed after max_attempts
};

// Runs the commands at once, each on its own thread.
race_result race(const std::vector<std::function<bool()>>& commands) {
  std::atomic<int> appended{0};
  std::atomic<int> refused{0};
  std::atomic<int> failed{0};
  std::latch start(static_cast<std::ptrdiff_t>(commands.size()));
  std::vector<std::thread> threads;
  for (const auto& command : commands) {
    threads.emplace_back([&] {
      start.arrive_and_wait();
      try {
        if (command()) ++appended;
      } catch (const users::refused&) {
        ++refused;
      } catch (...) {
        ++failed;
      }
    });
  }
  for (auto& t : threads) t.join();
  return {appended, refused, failed};
}

// Every user's current name, folded from the whole log of user events.
std::map<std::string, std::string> names_of_users(annal::event_store& store) {
  std::map<std::string, std::string> names;
  auto q = annal::query::of({{.types = {"user.registered", "user.renamed"}, .tags = {}}});
  for (const auto& recorded : store.read_events(q).events) {
    auto event = annal::event_codec<users::user_event>::decode(recorded);
    if (auto* r = std::get_if<users::user_registered>(&event)) names[r->user_id] = r->username;
    if (auto* r = std::get_if<users::user_renamed>(&event)) names[r->user_id] = r->new_username;
  }
  return names;
}

void run_checks(annal::event_store& store, checks& check) {
  check.expect(outcome(registration(store, "u1", "ada")) == "appended", "u1 registers as ada");
  check.expect(outcome(registration(store, "u2", "ada")) == "the name ada is taken",
               "u2 cannot register as ada");
  check.expect(outcome(registration(store, "u1", "byron")) == "user u1 is registered already",
               "u1 registers once");

  // 8 new users claim one name at once: one gets it, the others read it taken on their retry.
  std::vector<std::function<bool()>> claims;
  for (int i = 0; i < 8; ++i)
    claims.push_back(registration(store, "g" + std::to_string(i), "grace"));
  race_result raced = race(claims);
  std::printf("race for grace: %d registered, %d refused, %d failed otherwise\n", raced.appended,
              raced.refused, raced.failed);
  check.expect(raced.appended == 1 && raced.refused == 7 && raced.failed == 0,
               "exactly one of 8 racing users gets the name grace");

  // A rename frees the old name in the same event that takes the new one.
  check.expect(outcome(renaming(store, "u1", "lovelace")) == "appended",
               "u1 renames from ada to lovelace");
  check.expect(outcome(registration(store, "u3", "ada")) == "appended",
               "u3 registers as ada, which the rename freed");
  check.expect(outcome(registration(store, "u4", "lovelace")) == "the name lovelace is taken",
               "u4 cannot register as lovelace");
  check.expect(outcome(renaming(store, "u3", "grace")) == "the name grace is taken",
               "u3 cannot rename to grace");
  check.expect(outcome(renaming(store, "u1", "lovelace")) == "nothing to do",
               "renaming u1 to its own name changes nothing");
  check.expect(outcome(renaming(store, "u9", "hopper")) == "user u9 is not registered",
               "an unknown user cannot be renamed");

  // A rename and 4 registrations race for one name: one of them gets it.
  std::vector<std::function<bool()>> contenders{renaming(store, "u3", "hopper")};
  for (int i = 0; i < 4; ++i) {
    contenders.push_back(registration(store, "h" + std::to_string(i), "hopper"));
  }
  raced = race(contenders);
  std::printf("race for hopper: %d got it, %d refused, %d failed otherwise\n", raced.appended,
              raced.refused, raced.failed);
  check.expect(raced.appended == 1 && raced.refused == 4 && raced.failed == 0,
               "exactly one of a rename and 4 registrations gets the name hopper");

  // No name is held by two users, whichever way the races went.
  std::map<std::string, std::string> names = names_of_users(store);
  std::set<std::string> distinct;
  int hoppers = 0;
  for (const auto& [user_id, username] : names) {
    distinct.insert(username);
    if (username == "hopper") ++hoppers;
    std::printf("  %s: %s\n", user_id.c_str(), username.c_str());
  }
  check.expect(distinct.size() == names.size() && hoppers == 1,
               "every user holds a name of its own, one of them hopper");
}

}  // namespace

int main(int argc, char** argv) {
  return samples::run_sample("unique-username", argc, argv, run_checks);
}

// Course subscriptions with a dynamic consistency boundary: a course has a capacity, a student
// takes at most max_courses_per_student courses, and each subscription checks both at once. The
// program checks its own results, also of racing subscribers, and exits with 1 on a wrong one.
#include <annal/annal.hpp>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <latch>
#include <string>
#include <thread>
#include <vector>

#include "../common/sample_checks.hpp"
#include "subscriptions.hpp"

namespace {

using samples::checks;

// What a command did: "appended", "nothing to do", or the refusal's message.
template <class Command>
std::string outcome(Command&& command) {
  try {
    return command() ? "appended" : "nothing to do";
  } catch (const courses::refused& refusal) {
    return refusal.what();
  }
}

// What racing subscribers got.
struct race_result {
  int seated = 0;
  int found_full = 0;
  int failed = 0;  // a store's error, or append_condition_failed after max_attempts
};

// Subscribes `racers` new students to one course at once, each on its own thread.
race_result race(annal::event_store& store, const std::string& course_id, int racers) {
  std::atomic<int> seated{0};
  std::atomic<int> found_full{0};
  std::atomic<int> failed{0};
  std::latch start(racers);
  std::vector<std::thread> threads;
  for (int i = 0; i < racers; ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      try {
        if (courses::subscribe(store, "racer-" + std::to_string(i), course_id)) ++seated;
      } catch (const courses::refused&) {
        ++found_full;
      } catch (...) {
        ++failed;
      }
    });
  }
  for (auto& t : threads) t.join();
  return {seated, found_full, failed};
}

void run_checks(annal::event_store& store, checks& check) {
  using courses::define_course;
  using courses::subscribe;
  for (const char* id : {"c1", "c2", "c3", "c4"}) define_course(store, id, 2);
  check.expect(outcome([&] {
                 define_course(store, "c1", 5);
                 return true;
               }) == "course c1 is already defined",
               "a course is defined once");

  // The student's limit: 3 courses.
  check.expect(outcome([&] { return subscribe(store, "s1", "c1"); }) == "appended",
               "s1 subscribes to c1");
  check.expect(outcome([&] { return subscribe(store, "s1", "c2"); }) == "appended",
               "s1 subscribes to c2");
  check.expect(outcome([&] { return subscribe(store, "s1", "c3"); }) == "appended",
               "s1 subscribes to c3");
  check.expect(
      outcome([&] { return subscribe(store, "s1", "c4"); }) == "student s1 has 3 courses already",
      "s1 may not take a fourth course");
  check.expect(outcome([&] { return subscribe(store, "s1", "c1"); }) == "nothing to do",
               "subscribing s1 to c1 again changes nothing");

  // The course's capacity: 2 seats.
  check.expect(outcome([&] { return subscribe(store, "s2", "c1"); }) == "appended",
               "s2 takes the last seat of c1");
  check.expect(outcome([&] { return subscribe(store, "s3", "c1"); }) == "course c1 is full",
               "s3 finds c1 full");
  check.expect(outcome([&] { return subscribe(store, "s3", "c9"); }) == "course c9 does not exist",
               "s3 cannot subscribe to a course that does not exist");

  // A race: 8 students at once for the last 3 seats of a course of 5.
  define_course(store, "popular", 5);
  subscribe(store, "s2", "popular");
  subscribe(store, "s3", "popular");
  race_result raced = race(store, "popular", 8);
  std::printf("race for 3 seats: %d seated, %d found the course full, %d failed otherwise\n",
              raced.seated, raced.found_full, raced.failed);
  check.expect(raced.seated == 3 && raced.found_full == 5 && raced.failed == 0,
               "exactly the 3 free seats are taken");
  auto [popular] = annal::build_decision_model(store, courses::course_projection("popular")).states;
  check.expect(popular.subscribers == popular.capacity, "the course is full, not overbooked");

  // Each student's and each course's events, read back with one query per decision.
  auto model = annal::build_decision_model(store, courses::course_projection("c1"),
                                           courses::student_projection("s1"));
  auto [c1, s1] = model.states;
  std::printf("c1: %d of %d seats taken; s1 takes %zu courses; read up to position %llu\n",
              c1.subscribers, c1.capacity, s1.courses.size(),
              static_cast<unsigned long long>(model.condition.after));
  check.expect(c1.subscribers == 2 && s1.courses.size() == 3, "c1 and s1 as decided");
}

}  // namespace

int main(int argc, char** argv) {
  return samples::run_sample("course-subscriptions", argc, argv, run_checks);
}

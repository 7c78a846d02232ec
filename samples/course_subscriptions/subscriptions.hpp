// Courses and students: two rules across streams, each command decided by one decision model.
#pragma once

#include <annal/annal.hpp>
#include <array>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace courses {

/// The most courses a student may be subscribed to.
inline constexpr std::size_t max_courses_per_student = 3;
/// How many times a command reads and decides again after a conflicting append before it gives
/// up (annal::append_condition_failed).
inline constexpr unsigned max_attempts = 10;

// Events. Each carries the tags of what it is about, so that the decisions it can change find it:
// a course's definition `course:ID`, a subscription `course:ID` and `student:ID`. The codec
// derives them from the fields that tag_fields names.

struct course_defined {
  static constexpr std::string_view type = "course.defined";
  static constexpr std::array tag_fields = {std::string_view("course=course_id")};
  std::string course_id;
  int capacity = 0;
};
struct student_subscribed {
  static constexpr std::string_view type = "student.subscribed";
  static constexpr std::array tag_fields = {std::string_view("student=student_id"),
                                            std::string_view("course=course_id")};
  std::string student_id;
  std::string course_id;
};

/// The events a course's projection folds, and the registry of event types for encoding.
using course_event = std::variant<course_defined, student_subscribed>;
/// The events a student's projection folds.
using student_event = std::variant<student_subscribed>;

// States, folded from the events by one apply() per event type.

/// A course as its decisions see it.
struct course {
  bool defined = false;
  int capacity = 0;
  int subscribers = 0;
};
course apply(course c, const course_defined& e);
course apply(course c, const student_subscribed& e);

/// A student as its decisions see it: the courses subscribed to.
struct student {
  std::vector<std::string> courses;
};
student apply(student s, const student_subscribed& e);

/// A command the rules refuse. A type of its own, so that catching a refusal never catches a
/// store's error.
struct refused : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// The events tagged `course:ID`: the course's definition and its subscriptions. Throws
/// annal::invalid_argument for an id that makes an invalid tag.
annal::decision_projection<course> course_projection(const std::string& course_id);
/// The events tagged `student:ID`: the student's subscriptions. Throws as course_projection().
annal::decision_projection<student> student_projection(const std::string& student_id);

/// Defines a course with `capacity` seats. Throws refused when the course is already defined or
/// the capacity is not positive, annal::append_condition_failed when it lost max_attempts races,
/// and the store's errors. Safe to call from many threads.
void define_course(annal::event_store& store, const std::string& course_id, int capacity);

/// Subscribes a student to a course, checking both rules in one decision: the course exists and
/// has a free seat, and the student has fewer than max_courses_per_student courses. Returns false,
/// appending nothing, when the student is already subscribed to the course. Throws refused when a
/// rule forbids it, and otherwise as define_course().
bool subscribe(annal::event_store& store, const std::string& student_id,
               const std::string& course_id);

}  // namespace courses

// Courses and students: the reducers, the projections and the two commands.
#include "subscriptions.hpp"

#include <algorithm>

namespace courses {

course apply(course c, const course_defined& e) {
  c.defined = true;
  c.capacity = e.capacity;
  return c;
}

course apply(course c, const student_subscribed&) {
  ++c.subscribers;
  return c;
}

student apply(student s, const student_subscribed& e) {
  s.courses.push_back(e.course_id);
  return s;
}

annal::decision_projection<course> course_projection(const std::string& course_id) {
  return annal::tagged_projection<course, course_event>({"course:" + course_id});
}

annal::decision_projection<student> student_projection(const std::string& student_id) {
  return annal::tagged_projection<student, student_event>({"student:" + student_id});
}

void define_course(annal::event_store& store, const std::string& course_id, int capacity) {
  annal::decide_and_append(
      store, max_attempts,
      [&](const course& c) {
        if (c.defined) throw refused("course " + course_id + " is already defined");
        if (capacity <= 0) throw refused("a course needs at least one seat");
        return annal::decision{.stream_id = "course-" + course_id,
                               .events = {annal::event_codec<course_event>::encode(
                                   course_defined{course_id, capacity})}};
      },
      course_projection(course_id));
}

bool subscribe(annal::event_store& store, const std::string& student_id,
               const std::string& course_id) {
  auto result = annal::decide_and_append(
      store, max_attempts,
      [&](const course& c, const student& s) {
        if (!c.defined) throw refused("course " + course_id + " does not exist");
        if (std::find(s.courses.begin(), s.courses.end(), course_id) != s.courses.end()) {
          return annal::decision{};  // subscribed already: nothing to do
        }
        if (c.subscribers >= c.capacity) throw refused("course " + course_id + " is full");
        if (s.courses.size() >= max_courses_per_student) {
          throw refused("student " + student_id + " has " +
                        std::to_string(max_courses_per_student) + " courses already");
        }
        // Tagged with both (its tag_fields): the next decision about the course, and the next
        // one about the student, each see it (and conflict with it when they read before it).
        return annal::decision{.stream_id = "student-" + student_id,
                               .events = {annal::event_codec<course_event>::encode(
                                   student_subscribed{student_id, course_id})}};
      },
      course_projection(course_id), student_projection(student_id));
  return result.appended.has_value();
}

}  // namespace courses

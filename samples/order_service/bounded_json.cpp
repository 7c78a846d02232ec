// parse_bounded_json(): nlohmann's parser with a callback that tracks depth and location.
#include "bounded_json.hpp"

#include <vector>

namespace order_service {
namespace {

// The location inside the document being parsed, one frame per open array or object.
class json_location {
 public:
  void open(bool array) { frames_.push_back({array, {}, 0}); }
  void close() {
    if (!frames_.empty()) frames_.pop_back();
  }
  void key(std::string name) {
    if (!frames_.empty()) frames_.back().key = std::move(name);
  }
  // A value of the innermost container is complete.
  void next() {
    if (!frames_.empty() && frames_.back().array) ++frames_.back().index;
  }
  std::string text() const {
    std::string out;
    for (const auto& f : frames_) {
      if (f.array) {
        out += "[" + std::to_string(f.index) + "]";
      } else if (!f.key.empty()) {
        out += (out.empty() ? "" : ".") + f.key;
      }
    }
    return out;
  }

 private:
  struct frame {
    bool array = false;
    std::string key;
    std::size_t index = 0;
  };
  std::vector<frame> frames_;
};

}  // namespace

template <class Json>
Json parse_bounded_json(std::string_view text, std::size_t max_depth) {
  using event = typename Json::parse_event_t;
  json_location where;
  auto track = [&](int depth, event e, Json& parsed) {
    switch (e) {
      case event::object_start:
      case event::array_start:
        // `depth` counts the containers around this one.
        if (static_cast<std::size_t>(depth) + 1 > max_depth) {
          throw json_refused(json_refused::reason::too_deep, where.text(),
                             "nested deeper than " + std::to_string(max_depth) + " levels");
        }
        where.open(e == event::array_start);
        break;
      case event::key:
        where.key(parsed.template get<std::string>());
        break;
      case event::object_end:
      case event::array_end:
        where.close();
        where.next();
        break;
      case event::value:
        where.next();
        break;
    }
    return true;
  };
  try {
    return Json::parse(text.begin(), text.end(), track);
  } catch (const typename Json::out_of_range&) {
    throw json_refused(json_refused::reason::number_out_of_range, where.text(),
                       "a number is out of range");
  } catch (const typename Json::parse_error&) {
    throw json_refused(json_refused::reason::malformed, where.text(), "not valid JSON");
  }
}

template nlohmann::json parse_bounded_json<nlohmann::json>(std::string_view, std::size_t);
template nlohmann::ordered_json parse_bounded_json<nlohmann::ordered_json>(std::string_view,
                                                                           std::size_t);

}  // namespace order_service

// annal export, import and migrate: streaming the log out, in, and from store to store.
#include <fmt/format.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include "annal/error.hpp"
#include "annal/open_store.hpp"
#include "commands.hpp"
#include "event_line.hpp"
#include "log_copier.hpp"
#include "output.hpp"
#include "progress.hpp"

namespace annal::cli {
namespace {

constexpr std::size_t page_size = 1000;

// Calls `fn(event)` for every event of `store` from `from` up to `head`, page by page.
template <class Fn>
void for_each_event(event_store& store, std::uint64_t from, std::uint64_t head, Fn&& fn) {
  std::uint64_t position = std::max<std::uint64_t>(from, 1);
  while (position <= head) {
    auto slice = store.read_all(position, page_size);
    if (slice.events.empty()) break;
    for (const auto& e : slice.events) {
      if (e.position > head) return;
      fn(e);
    }
    position = slice.next_position;
  }
}

// Lines of standard input, read with one reused buffer.
class line_reader {
 public:
  line_reader() = default;
  ~line_reader() { std::free(buffer_); }
  line_reader(const line_reader&) = delete;
  line_reader& operator=(const line_reader&) = delete;

  /// The next line without its '\n'; false at the end of the input.
  bool next(std::string_view& line) {
    ssize_t n = ::getline(&buffer_, &capacity_, stdin);
    if (n < 0) {
      if (std::ferror(stdin)) throw io_error(errno, "standard input", "cannot read the input");
      return false;
    }
    bytes_ += static_cast<std::uint64_t>(n);
    ++number_;
    if (n > 0 && buffer_[n - 1] == '\n') --n;
    line = std::string_view(buffer_, static_cast<std::size_t>(n));
    return true;
  }
  std::uint64_t number() const noexcept { return number_; }
  std::uint64_t bytes() const noexcept { return bytes_; }

 private:
  char* buffer_ = nullptr;
  std::size_t capacity_ = 0;
  std::uint64_t number_ = 0;
  std::uint64_t bytes_ = 0;
};

// The size of standard input when it is a regular file, else 0 (unknown).
std::uint64_t stdin_size() {
  struct stat st {};
  if (::fstat(STDIN_FILENO, &st) != 0 || !S_ISREG(st.st_mode)) return 0;
  return static_cast<std::uint64_t>(st.st_size);
}

}  // namespace

int run_export(const std::string& uri, std::uint64_t from) {
  auto store = open_existing_store(uri);
  std::uint64_t start = std::max<std::uint64_t>(from, 1);
  // The head when the export starts: appends made meanwhile are not part of it.
  std::uint64_t head = store->head_position();
  progress bar("export", head >= start ? head - start + 1 : 0, "events");
  stdout_buffer out;
  std::uint64_t done = 0;
  for_each_event(*store, start, head, [&](const recorded_event& e) {
    append_event_line(out.text(), e);
    out.maybe_flush();
    bar.update(++done);
  });
  out.flush();
  bar.finish();
  return exit_ok;
}

int run_import(const std::string& uri) {
  auto store = open_store(uri);
  log_copier copier(*store);
  line_reader lines;
  progress bar("import", stdin_size(), "bytes");
  std::string_view line;
  while (lines.next(line)) {
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;  // a blank line
    try {
      recorded_event e;
      try {
        e = parse_event_line(line);
      } catch (const error& problem) {
        throw error(problem.code(), fmt::format("line {}: {}", lines.number(), message_of(problem)));
      }
      copier.add(std::move(e), lines.number());  // its errors name their lines
    } catch (const error&) {
      // Keep the lines before the bad one: a re-run after fixing it skips them.
      try {
        copier.finish();
      } catch (const error&) {
        // The first error is the one to report.
      }
      throw;
    }
    bar.update(lines.bytes());
  }
  copier.finish();
  bar.finish();
  std::uint64_t head = store->head_position();
  store->close();
  fmt::print("imported {} events ({} already present); head position {}\n", copier.written(),
             copier.skipped(), head);
  return exit_ok;
}

int run_migrate(const std::string& from, const std::string& to) {
  auto source = open_existing_store(from);
  auto target = open_store(to);
  std::uint64_t head = source->head_position();
  std::uint64_t target_head = target->head_position();
  if (target_head > head) {
    throw invalid_argument(
        fmt::format("the target has {} events, more than the source's {}: it is not a copy of it",
                    target_head, head));
  }
  // A new target becomes the same store as its source (the same events at the same positions),
  // so read models built from the source stay valid for it. A target that already holds
  // events keeps the identity it has.
  if (target_head == 0) target->adopt_store_id(source->store_id());
  log_copier copier(*target);
  // Resume where the target ends; its last event is compared with the source's, so a target
  // that is not a prefix of the source is refused instead of extended.
  std::uint64_t start = std::max<std::uint64_t>(target_head, 1);
  progress bar("migrate", head >= start ? head - start + 1 : 0, "events");
  std::uint64_t done = 0;
  for_each_event(*source, start, head, [&](const recorded_event& e) {
    copier.add(e);
    bar.update(++done);
  });
  copier.finish();
  bar.finish();
  target->close();
  fmt::print("migrated {} events ({} already present); head position {}\n", copier.written(),
             copier.skipped(), head);
  return exit_ok;
}

}  // namespace annal::cli

// annal keygen, checkpoint, proof and verify --checkpoint, and annal-proof-check, as real
// processes: proofs check without the store, and every kind of tampering with the log is found.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "annal/open_store.hpp"
#include "cli_fixture.hpp"
#include "core/crc32c.hpp"
#include "process.hpp"
#include "segment/batch_frame.hpp"
#include "segment/segment_format.hpp"
#include "support/raw_sqlite.hpp"
#include "support/store_fixture.hpp"
#include "support/temp_dir.hpp"

using namespace annal;
using namespace annal::test;

namespace {

std::string read_whole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void write_whole(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

// annal-proof-check, which sits beside the annal tool: its exit code and what it printed.
tool_result check_proof(const temp_dir& dir, const std::string& proof, const std::string& key) {
  std::string tool = tool_path();
  std::string checker = tool.substr(0, tool.rfind('/') + 1) + "annal-proof-check";
  std::string out = dir.file("check.out");
  std::string err = dir.file("check.err");
  int status = std::system(
      (checker + " '" + proof + "' '" + key + "' > '" + out + "' 2> '" + err + "'").c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, read_whole(out), read_whole(err), 0};
}

// A store of three streams, a key pair, and a checkpoint of the store signed with it.
struct signed_store {
  temp_dir dir;
  std::string uri = cli_store_uri(dir, "store");
  std::string key = dir.file("auditor");
  std::string checkpoint = dir.file("checkpoint.txt");

  signed_store() {
    {
      auto store = open_store(uri);
      for (int i = 0; i < 12; ++i) {
        event_data e = json_event("test.happened", R"({"n":)" + std::to_string(i) + "}");
        if (i == 4) e.metadata.correlation_id = "request-4";
        store->append("s-" + std::to_string(i % 3), expected_version::any(), e);
      }
    }
    REQUIRE(run_tool({"keygen", key}).exit_code == 0);
    auto cp = run_tool({"checkpoint", uri, "--key", key + ".key"});
    REQUIRE(cp.exit_code == 0);
    write_file(dir, "checkpoint.txt", cp.out);
  }

  tool_result verify() {
    return run_tool({"verify", uri, "--checkpoint", checkpoint, "--key", key + ".pub"});
  }
};

// The segment log's first segment, one byte of the payload of event `n` changed and the frame's
// checksum made good again: only the Merkle tree can tell.
void forge_segment_payload(const std::string& uri, int n) {
  std::string path = uri.substr(uri.find(':') + 1);
  path = path.substr(0, path.find('?')) + "/00000000000000000001.seg";
  std::string bytes = read_whole(path);
  std::string needle = R"({"n":)" + std::to_string(n) + "}";
  auto at = bytes.find(needle);
  REQUIRE(at != std::string::npos);
  bytes[at + needle.size() - 2] = static_cast<char>(bytes[at + needle.size() - 2] + 1);
  // The frame holding it: scan frames from the header.
  std::size_t offset = segment::segment_header_size;
  while (offset < bytes.size()) {
    std::uint32_t length = 0;
    for (int i = 0; i < 4; ++i) {
      length |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[offset + 4 + i]))
                << (8 * i);
    }
    std::size_t end = offset + segment::frame_header_size + length;
    if (at < end) {
      std::uint32_t crc = segment::frame_crc(
          length, static_cast<std::uint8_t>(bytes[offset + 8]),
          std::string_view(bytes).substr(offset + segment::frame_header_size, length));
      for (int i = 0; i < 4; ++i) bytes[offset + i] = static_cast<char>(crc >> (8 * i));
      break;
    }
    offset = end;
  }
  write_whole(path, bytes);
}

// The payload of the event at position 5 ({"n":4}) changed behind annal's back: on SQLite through
// SQL with the append-only trigger dropped, on the segment log with the frame's CRC made good.
void change_fifth_payload(const std::string& uri) {
  if (backend_under_test() == "sqlite") {
    std::string path = uri.substr(uri.find(':') + 1);
    REQUIRE(raw_exec(path, "DROP TRIGGER events_are_append_only_update") == 0);
    REQUIRE(raw_exec(path, R"(UPDATE events SET payload = '{"n":40}' WHERE position = 5)") == 0);
  } else {
    forge_segment_payload(uri, 4);
  }
}

}  // namespace

TEST_CASE("a proof that an event is in the log checks without the store", "[cli][integrity]") {
  signed_store s;
  CHECK(s.verify().out == "the log's first 12 events match the checkpoint signed by 'auditor'\n");
  std::string proof = s.dir.file("proof.json");
  auto made = run_tool({"proof", s.uri, "5", "--checkpoint", s.checkpoint, "--key", s.key + ".pub"},
                       "/dev/null", proof);
  REQUIRE(made.exit_code == 0);
  auto ok = check_proof(s.dir, proof, s.key + ".pub");
  CHECK(ok.exit_code == 0);
  CHECK(ok.out.find("ok: the event at position 5 (stream s-1, version 2") == 0);

  // A changed event in the proof, another key, a changed checkpoint: not proven.
  std::string text = read_whole(proof);
  std::string forged = text;
  forged.replace(forged.find(R"({\"n\":4})"), 9, R"({\"n\":7})");
  write_whole(proof, forged);
  auto changed = check_proof(s.dir, proof, s.key + ".pub");
  CHECK(changed.exit_code == 1);
  CHECK(changed.err.find("not proven: ") != std::string::npos);
  write_whole(proof, text);
  REQUIRE(run_tool({"keygen", s.dir.file("other")}).exit_code == 0);
  CHECK(check_proof(s.dir, proof, s.dir.file("other.pub")).err.find("no signature") !=
        std::string::npos);
  CHECK(check_proof(s.dir, proof, s.key + ".key").err.find("signer key (secret)") !=
        std::string::npos);

  // Keys are never overwritten, and the secret one is its owner's alone.
  check_one_line_error(run_tool({"keygen", s.key}), "the file exists");
  CHECK(std::filesystem::status(s.key + ".key").permissions() ==
        (std::filesystem::perms::owner_read | std::filesystem::perms::owner_write));
}

TEST_CASE("verify --checkpoint finds every kind of tampering with the log", "[cli][integrity]") {
  std::string backend = backend_under_test();
  SECTION("a payload changed") {
    signed_store s;
    change_fifth_payload(s.uri);
    check_one_line_error(s.verify(), "the log's first 12 events do not match the checkpoint");
  }
  SECTION("metadata changed, two events swapped, the last one removed (SQLite)") {
    if (backend != "sqlite") return;
    signed_store s;
    std::string path = s.uri.substr(s.uri.find(':') + 1);
    REQUIRE(raw_exec(path, "DROP TRIGGER events_are_append_only_update") == 0);
    REQUIRE(raw_exec(path, "DROP TRIGGER events_are_append_only_delete") == 0);
    REQUIRE(raw_exec(path, R"(UPDATE events SET metadata = '{"correlation_id":"x"}'
                              WHERE position = 5)") == 0);
    check_one_line_error(s.verify(), "do not match the checkpoint");
    REQUIRE(raw_exec(path, R"(UPDATE events SET metadata = '{"correlation_id":"request-4"}'
                              WHERE position = 5)") == 0);
    CHECK(s.verify().exit_code == 0);
    REQUIRE(raw_exec(path, R"(UPDATE events SET payload = CASE position WHEN 2 THEN '{"n":2}'
                              ELSE '{"n":1}' END WHERE position IN (2, 3))") == 0);
    check_one_line_error(s.verify(), "do not match the checkpoint");
  }
  SECTION("events removed from the end") {
    signed_store s;
    if (backend == "sqlite") {
      std::string path = s.uri.substr(s.uri.find(':') + 1);
      REQUIRE(raw_exec(path, "DROP TRIGGER events_are_append_only_delete") == 0);
      REQUIRE(raw_exec(path, "DELETE FROM events WHERE position = 12") == 0);
      REQUIRE(raw_exec(path, "UPDATE annal_head SET position = 11") <= 1);
    } else {
      std::string dir = s.uri.substr(s.uri.find(':') + 1);
      dir = dir.substr(0, dir.find('?'));
      std::string path = dir + "/00000000000000000001.seg";
      std::string bytes = read_whole(path);
      write_whole(path, bytes.substr(0, bytes.rfind(R"({"n":11})") - 200));
      std::filesystem::remove(dir + "/00000000000000000001.idx");
    }
    auto r = s.verify();
    CHECK(r.exit_code == 1);
  }
  SECTION("a segment file replaced by another store's") {
    if (backend != "segment") return;
    signed_store s;
    signed_store other;
    auto path = [](const std::string& uri) {
      std::string dir = uri.substr(uri.find(':') + 1);
      return dir.substr(0, dir.find('?')) + "/00000000000000000001.seg";
    };
    std::filesystem::copy_file(path(other.uri), path(s.uri),
                               std::filesystem::copy_options::overwrite_existing);
    std::filesystem::remove(path(s.uri).substr(0, path(s.uri).size() - 4) + ".idx");
    check_one_line_error(s.verify(), "do not match the checkpoint");
  }
}

namespace {

// `annal verify STORE --chain` found the chain broken at the batch of positions `first` to
// `last`, stored in a file whose name ends with `file`, for a reason containing `why`.
void check_chain_broken(const std::string& uri, std::uint64_t first, std::uint64_t last,
                        const std::string& file, const std::string& why) {
  auto r = run_tool({"verify", uri, "--chain"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 1);
  CHECK(r.out.find(file + " positions " + std::to_string(first) + " to " + std::to_string(last) +
                   ": ") != std::string::npos);
  CHECK(r.out.find(why) != std::string::npos);
  CHECK(r.out.find("the chain breaks at the batch of positions " + std::to_string(first) + " to " +
                   std::to_string(last)) != std::string::npos);
}

std::string sqlite_path(const std::string& uri) { return uri.substr(uri.find(':') + 1); }

std::string segment_dir_of(const std::string& uri) {
  std::string dir = uri.substr(uri.find(':') + 1);
  return dir.substr(0, dir.find('?'));
}

}  // namespace

TEST_CASE("verify --chain finds tampering by itself, naming the batch and its file",
          "[cli][integrity][chain]") {
  std::string backend = backend_under_test();
  signed_store s;
  auto clean = run_tool({"verify", s.uri, "--chain"});
  CHECK(clean.exit_code == 0);
  // The segment log stores the last commit group's links with the next append.
  CHECK(clean.out == "ok: the chain holds over 12 batches, 12 events" +
                         std::string(backend == "segment"
                                         ? ", the last 1 with links the next append stores"
                                         : "") +
                         "\n");
  const std::string changed = "or the link was changed";
  if (backend == "segment") {
    SECTION("a payload changed, its frame's checksum made good") {
      forge_segment_payload(s.uri, 4);
      check_chain_broken(s.uri, 5, 5, "00000000000000000001.seg", changed);
    }
    SECTION("a segment replaced by another store's") {
      // Two stores of the same shape in small segments; the second segment swapped.
      temp_dir dir;
      std::string ours = "segment:" + dir.file("ours") + "?segment_size=4096";
      std::string theirs = "segment:" + dir.file("theirs") + "?segment_size=4096";
      for (const auto& uri : {ours, theirs}) {
        auto store = open_store(uri);
        for (int i = 0; i < 200; ++i) {
          store->append("s-" + std::to_string(i % 4), expected_version::any(),
                        json_event("test.happened", R"({"i":)" + std::to_string(i) + "}"));
        }
      }
      std::vector<std::string> segments;
      for (const auto& e : std::filesystem::directory_iterator(segment_dir_of(ours))) {
        if (e.path().extension() == ".seg") segments.push_back(e.path().filename().string());
      }
      std::sort(segments.begin(), segments.end());
      REQUIRE(segments.size() >= 3);
      const std::string& second = segments[1];
      std::filesystem::copy_file(segment_dir_of(theirs) + "/" + second,
                                 segment_dir_of(ours) + "/" + second,
                                 std::filesystem::copy_options::overwrite_existing);
      std::filesystem::remove(segment_dir_of(ours) + "/" + second.substr(0, second.size() - 4) +
                              ".idx");
      // The first frame of the swapped segment stores the link of the batch before it, which
      // breaks there; the report names both files.
      std::uint64_t base = std::stoull(second.substr(0, 20));
      check_chain_broken(ours, base - 1, base - 1, second, changed);
    }
    return;
  }
  std::string path = sqlite_path(s.uri);
  SECTION("a payload changed") {
    REQUIRE(raw_exec(path, "DROP TRIGGER events_are_append_only_update") == 0);
    REQUIRE(raw_exec(path, R"(UPDATE events SET payload = '{"n":40}' WHERE position = 5)") == 0);
    check_chain_broken(s.uri, 5, 5, path, changed);
  }
  SECTION("metadata changed") {
    REQUIRE(raw_exec(path, "DROP TRIGGER events_are_append_only_update") == 0);
    REQUIRE(raw_exec(path, R"(UPDATE events SET metadata = '{"correlation_id":"x"}'
                              WHERE position = 5)") == 0);
    check_chain_broken(s.uri, 5, 5, path, changed);
  }
  SECTION("two events swapped") {
    REQUIRE(raw_exec(path, "DROP TRIGGER events_are_append_only_update") == 0);
    REQUIRE(raw_exec(path, R"(UPDATE events SET payload = CASE position WHEN 2 THEN '{"n":2}'
                              ELSE '{"n":1}' END WHERE position IN (2, 3))") == 0);
    check_chain_broken(s.uri, 2, 2, path, changed);
  }
  SECTION("a link changed") {
    REQUIRE(raw_exec(path, "DROP TRIGGER batch_links_are_append_only_update") == 0);
    REQUIRE(raw_exec(path,
                     "UPDATE batch_links SET link = randomblob(32) WHERE last_position = 7") == 0);
    check_chain_broken(s.uri, 7, 7, path, changed);
  }
  SECTION("a batch removed from the middle, with its link") {
    REQUIRE(raw_exec(path, "DROP TRIGGER events_are_append_only_delete") == 0);
    REQUIRE(raw_exec(path, "DROP TRIGGER batch_links_are_append_only_delete") == 0);
    REQUIRE(raw_exec(path,
                     "DELETE FROM events WHERE position = 6;"
                     "DELETE FROM batch_links WHERE last_position = 6") == 0);
    check_chain_broken(s.uri, 6, 7, path, "the log does not hold position 6");
  }
  SECTION("the last event removed, its link left") {
    REQUIRE(raw_exec(path, "DROP TRIGGER events_are_append_only_delete") == 0);
    REQUIRE(raw_exec(path, "DELETE FROM events WHERE position = 12") == 0);
    check_chain_broken(s.uri, 12, 12, path, "removed from the log's end");
  }
  SECTION("a link removed") {
    REQUIRE(raw_exec(path, "DROP TRIGGER batch_links_are_append_only_delete") == 0);
    REQUIRE(raw_exec(path, "DELETE FROM batch_links WHERE last_position = 12") == 0);
    auto r = run_tool({"verify", s.uri, "--chain"});
    CHECK(r.exit_code == 1);
    CHECK(r.out.find("events 12 to 12 have no link in the chain") != std::string::npos);
  }
}

TEST_CASE("checkpoints kept in the log list and check, and prove a later log extends an earlier",
          "[cli][integrity][checkpoint_keeper]") {
  signed_store s;
  auto kept_old = run_tool({"checkpoint", s.uri, "--key", s.key + ".key", "--keep"});
  REQUIRE(kept_old.exit_code == 0);
  std::string old_note = write_file(s.dir, "old.txt", kept_old.out);
  {
    auto store = open_store(s.uri);
    for (int i = 0; i < 5; ++i) {
      store->append("late", expected_version::any(), json_event("test.late", "{}"));
    }
  }
  auto kept_new = run_tool({"checkpoint", s.uri, "--key", s.key + ".key", "--keep"});
  REQUIRE(kept_new.exit_code == 0);
  std::string new_note = write_file(s.dir, "new.txt", kept_new.out);

  auto listed = run_tool({"checkpoints", s.uri, "--key", s.key + ".pub"});
  CHECK(listed.exit_code == 0);
  CHECK(listed.out ==
        "position 13: the log's first 12 events: ok, signed by 'auditor'\n"
        "position 19: the log's first 18 events: ok, signed by 'auditor'\n"
        "2 checkpoints kept\n");
  CHECK(run_tool({"checkpoints", s.uri, "--note", "13"}).out == kept_old.out);
  check_one_line_error(run_tool({"checkpoints", s.uri, "--note", "12"}),
                       "no checkpoint is kept at position 12");

  std::string proof = s.dir.file("consistency.json");
  auto made = run_tool(
      {"consistency", s.uri, "--from", old_note, "--to", new_note, "--key", s.key + ".pub"},
      "/dev/null", proof);
  REQUIRE(made.exit_code == 0);
  auto ok = check_proof(s.dir, proof, s.key + ".pub");
  CHECK(ok.exit_code == 0);
  CHECK(ok.out.find("as of its 18 events begins with the same 12 events") != std::string::npos);
  // A changed hash, the checkpoints swapped, another key: not proven, or refused.
  std::string text = read_whole(proof);
  std::string forged = text;
  auto at = forged.find("consistency\": [\n    \"") + 21;
  forged[at] = forged[at] == '0' ? '1' : '0';
  write_whole(proof, forged);
  auto changed = check_proof(s.dir, proof, s.key + ".pub");
  CHECK(changed.exit_code == 1);
  CHECK(changed.err.find("does not begin with the log of 12 events") != std::string::npos);
  write_whole(proof, text);
  check_one_line_error(run_tool({"consistency", s.uri, "--from", new_note, "--to", old_note,
                                 "--key", s.key + ".pub"}),
                       "--from must be the older checkpoint");
  REQUIRE(run_tool({"keygen", s.dir.file("other")}).exit_code == 0);
  auto other = run_tool({"checkpoints", s.uri, "--key", s.dir.file("other.pub")});
  CHECK(other.exit_code == 1);
  CHECK(other.out.find("2 checkpoints kept, 2 failing the check") != std::string::npos);

  // The log changed before the older checkpoint: both checks fail.
  change_fifth_payload(s.uri);
  auto broken = run_tool({"checkpoints", s.uri, "--key", s.key + ".pub"});
  CHECK(broken.exit_code == 1);
  CHECK(broken.out.find("position 13: the log's first 12 events: does not match the log's first "
                        "12 events") != std::string::npos);
  check_one_line_error(run_tool({"consistency", s.uri, "--from", old_note, "--to", new_note,
                                 "--key", s.key + ".pub"}),
                       "do not match the checkpoint");
}

// Saved cases and confidential sessions (issue 10), against a real server and its SQLite file: save,
// restart, start, a refused save with every error, get, delete, read-only folder cases, the limits,
// a folder read again when it changes, and a confidential session that leaves nothing in the file.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <thread>

#include "harness.hpp"

using namespace roundtable::test;
namespace fs = std::filesystem;

namespace {

// The demo case of the test fixtures as JSON, under another id and title.
json own_case(const std::string& id, const std::string& title = "My own case") {
  std::ifstream in(test_scenarios + "/demo.json");
  json c = json::parse(in);
  c["id"] = id;
  c["title"] = title;
  return c;
}

// A short case: a text and one question on its outcomes.
json quick_case(const std::string& id, const std::string& text) {
  return {{"format", 1},
          {"id", id},
          {"title", "Quick case"},
          {"summary", "For supervision."},
          {"case", {text}},
          {"outcomes", {{{"id", "yes"}, {"label", "Yes"}}, {{"id", "no"}, {"label", "No"}}}},
          {"stages",
           {{{"id", "case"}, {"kind", "case"}, {"title", "The case"}},
            {{"id", "gut"},
             {"kind", "question"},
             {"title", "First reaction"},
             {"question", {{"type", "choice"}, {"prompt", "What would you do?"}, {"options", "outcomes"}}}}}}};
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

// The hosting reply's scenarios as id -> item.
std::map<std::string, json> listed(ws_client& console) {
  const auto h = console.request({{"type", "host"}, {"key", test_key}});
  std::map<std::string, json> out;
  for (const auto& s : h["scenarios"]) out[s["id"].get<std::string>()] = s;
  return out;
}

// The set of "path" fields of an error's details.
std::set<std::string> detail_paths(const json& reply) {
  std::set<std::string> out;
  for (const auto& d : reply.value("details", json::array())) out.insert(d.value("path", "?"));
  return out;
}

// A scenario folder of its own, holding the demo case.
struct own_folder {
  temp_dir dir;
  own_folder() { fs::copy_file(test_scenarios + "/demo.json", dir.path() + "/demo.json"); }
};

// Restarts the server of s on the same database and folder; a fresh console hosts on it.
void restart(hosting_console& s) {
  auto o = s.server->opts();
  s.console.reset();
  ASSERT_EQ(s.server->terminate(), 0);
  s.server = std::make_unique<server_process>(o);
  s.console = ws_client::connect(s.server->port());
  ASSERT_EQ(s.console->request({{"type", "host"}, {"key", test_key}})["type"], "hosting");
}

bool alive(unsigned short port) {
  return http_get(port, "/healthz").status == 200;
}

}  // namespace

TEST(SavedCases, ASavedCaseIsListedStartedAfterARestartReadBackAndDeleted) {
  own_folder folder;
  hosting_console s({.scenarios = folder.dir.path()});
  auto saved = s.console->request({{"type", "scenario_save"}, {"scenario", own_case("ours")}});
  ASSERT_EQ(saved["type"], "ack") << saved.dump();
  EXPECT_EQ(saved["scenario"], "ours");
  EXPECT_EQ(saved["version"], 1);
  auto list = listed(*s.console);
  EXPECT_EQ(list["ours"]["source"], "saved");
  EXPECT_EQ(list["ours"]["title"], "My own case");
  EXPECT_EQ(list["demo"]["source"], "folder");

  // A session of version 1, then version 2 of the case: the session keeps the copy it started with.
  const auto started = s.console->request({{"type", "start"}, {"scenario", "ours"}});
  ASSERT_EQ(started["type"], "started") << started.dump();
  const std::string code = started["code"];
  saved = s.console->request({{"type", "scenario_save"}, {"scenario", own_case("ours", "Edited title")}});
  EXPECT_EQ(saved["version"], 2) << saved.dump();

  restart(s);
  list = listed(*s.console);
  EXPECT_EQ(list["ours"]["title"], "Edited title");
  EXPECT_EQ(list["ours"]["source"], "saved");
  const auto again = s.console->request({{"type", "start"}, {"scenario", "ours"}});
  ASSERT_EQ(again["type"], "started") << again.dump();
  EXPECT_EQ(again["session"]["scenario"]["title"], "Edited title");
  const auto got = s.console->request({{"type", "scenario_get"}, {"scenario", "ours"}});
  ASSERT_EQ(got["type"], "scenario") << got.dump();
  EXPECT_EQ(got["source"], "saved");
  EXPECT_EQ(got["version"], 2);
  EXPECT_EQ(got["scenario"]["title"], "Edited title");
  EXPECT_EQ(got["scenario"]["stages"], own_case("ours")["stages"]);

  const auto deleted = s.console->request({{"type", "scenario_delete"}, {"scenario", "ours"}});
  ASSERT_EQ(deleted["type"], "ack") << deleted.dump();
  EXPECT_EQ(deleted["scenario"], "ours");
  EXPECT_EQ(listed(*s.console).count("ours"), 0u);
  EXPECT_EQ(s.console->request({{"type", "start"}, {"scenario", "ours"}})["code"], "unknown_scenario");
  EXPECT_EQ(s.console->request({{"type", "scenario_get"}, {"scenario", "ours"}})["code"], "unknown_scenario");
  EXPECT_EQ(s.console->request({{"type", "scenario_delete"}, {"scenario", "ours"}})["code"], "unknown_scenario");

  // After the edit, the delete and another restart, the first session still replays its own copy.
  restart(s);
  const auto attached = s.console->request({{"type", "attach"}, {"code", code}});
  ASSERT_EQ(attached["type"], "joined") << attached.dump();
  EXPECT_EQ(attached["session"]["scenario"]["title"], "My own case");
}

TEST(SavedCases, ARefusedSaveListsEveryErrorWithItsPathAndStoresNothing) {
  hosting_console s;
  auto bad = own_case("broken");
  bad.erase("title");
  bad["stages"][1]["question"]["promt"] = "typo";
  bad["stages"][2]["question"]["options"][1]["id"] = "confusion";  // a duplicate option id
  bad["stages"][3]["kind"] = "poll";
  const auto refused = s.console->request({{"type", "scenario_save"}, {"scenario", bad}});
  ASSERT_EQ(refused["type"], "error") << refused.dump();
  EXPECT_EQ(refused["code"], "invalid_scenario");
  const auto paths = detail_paths(refused);
  for (const std::string p :
       {"title", "stages[1].question.promt", "stages[2].question.options[1].id", "stages[3].kind"})
    EXPECT_TRUE(paths.count(p)) << p << " missing in " << refused.dump();
  for (const auto& d : refused["details"]) EXPECT_FALSE(d.value("rule", "").empty()) << d.dump();
  EXPECT_EQ(listed(*s.console).count("broken"), 0u);
  // Not an object at all: bad_message; and from a participant's connection: unauthorized.
  EXPECT_EQ(s.console->request({{"type", "scenario_save"}, {"scenario", "demo"}})["code"], "bad_message");
  auto stranger = ws_client::connect(s.server->port());
  EXPECT_EQ(stranger->request({{"type", "scenario_save"}, {"scenario", own_case("x")}})["code"], "unauthorized");
  EXPECT_EQ(stranger->request({{"type", "scenario_get"}, {"scenario", "demo"}})["code"], "unauthorized");
  EXPECT_EQ(stranger->request({{"type", "scenario_delete"}, {"scenario", "demo"}})["code"], "unauthorized");
  EXPECT_TRUE(alive(s.server->port()));
}

TEST(SavedCases, FolderCasesAreReadOnlyButReadable) {
  hosting_console s;
  const auto save = s.console->request({{"type", "scenario_save"}, {"scenario", own_case("demo")}});
  EXPECT_EQ(save["code"], "read_only_scenario") << save.dump();
  const auto del = s.console->request({{"type", "scenario_delete"}, {"scenario", "demo"}});
  EXPECT_EQ(del["code"], "read_only_scenario") << del.dump();
  const auto got = s.console->request({{"type", "scenario_get"}, {"scenario", "demo"}});
  ASSERT_EQ(got["type"], "scenario") << got.dump();
  EXPECT_EQ(got["source"], "folder");
  EXPECT_EQ(got["scenario"]["id"], "demo");
  EXPECT_FALSE(got.contains("version"));
  // What get returns saves back as is, under a new id (duplicate to edit).
  auto copy = got["scenario"];
  copy["id"] = "demo-copy";
  EXPECT_EQ(s.console->request({{"type", "scenario_save"}, {"scenario", copy}})["type"], "ack");
}

TEST(SavedCases, TheLimitsOnSizeStagesTextsAndCountAreEnforced) {
  hosting_console s({.extra = {"--max-saved-scenarios", "2"}});
  auto big = own_case("big");
  big["case"] = json::array();
  for (int i = 0; i < 13; ++i) big["case"].push_back(std::string(4000, 'a'));  // each within the format
  auto r = s.console->request({{"type", "scenario_save"}, {"scenario", big}});
  EXPECT_EQ(r["code"], "invalid_scenario") << r.dump().substr(0, 300);
  EXPECT_NE(r["details"][0].value("rule", "").find("at most 49152"), std::string::npos) << r["details"].dump();

  auto stages = own_case("stages");
  stages["stages"] = json::array();
  for (int i = 0; i < 101; ++i)
    stages["stages"].push_back({{"id", "s" + std::to_string(i)}, {"kind", "case"}, {"title", "T"}});
  r = s.console->request({{"type", "scenario_save"}, {"scenario", stages}});
  EXPECT_EQ(r["code"], "invalid_scenario");
  EXPECT_TRUE(detail_paths(r).count("stages")) << r.dump();

  auto text = own_case("text");
  text["case"] = {std::string(4001, 'b')};
  text["stages"][0]["title"] = std::string(201, 't');
  r = s.console->request({{"type", "scenario_save"}, {"scenario", text}});
  EXPECT_EQ(r["code"], "invalid_scenario");
  EXPECT_EQ(detail_paths(r), (std::set<std::string>{"case[0]", "stages[0].title"})) << r.dump();

  EXPECT_EQ(s.console->request({{"type", "scenario_save"}, {"scenario", own_case("one")}})["type"], "ack");
  EXPECT_EQ(s.console->request({{"type", "scenario_save"}, {"scenario", own_case("two")}})["type"], "ack");
  r = s.console->request({{"type", "scenario_save"}, {"scenario", own_case("three")}});
  EXPECT_EQ(r["code"], "too_large") << r.dump();
  // A new version of a case already saved is not a new case.
  EXPECT_EQ(s.console->request({{"type", "scenario_save"}, {"scenario", own_case("two", "Again")}})["version"], 2);
  EXPECT_EQ(s.console->request({{"type", "scenario_delete"}, {"scenario", "one"}})["type"], "ack");
  EXPECT_EQ(s.console->request({{"type", "scenario_save"}, {"scenario", own_case("three")}})["type"], "ack");
  EXPECT_TRUE(alive(s.server->port()));
}

TEST(SavedCases, AnEmptyFolderServesAndItsFilesArePickedUpWithoutARestart) {
  temp_dir folder;
  served_server srv({.scenarios = folder.path()});
  auto console = ws_client::connect(srv.server->port());
  EXPECT_TRUE(listed(*console).empty());
  EXPECT_EQ(console->request({{"type", "scenario_save"}, {"scenario", own_case("mine")}})["type"], "ack");
  EXPECT_EQ(listed(*console).size(), 1u);

  write_file(folder.path() + "/demo.json", read_file(test_scenarios + "/demo.json"));
  auto list = listed(*console);
  ASSERT_EQ(list.count("demo"), 1u);
  EXPECT_EQ(list["demo"]["source"], "folder");
  const auto started = console->request({{"type", "start"}, {"scenario", "demo"}});
  ASSERT_EQ(started["type"], "started") << started.dump();

  write_file(folder.path() + "/demo.json", own_case("demo", "Retitled in the folder").dump());
  EXPECT_EQ(listed(*console)["demo"]["title"], "Retitled in the folder");
  // A broken file keeps the last good cases.
  write_file(folder.path() + "/broken.json", "{ not json");
  EXPECT_EQ(listed(*console)["demo"]["title"], "Retitled in the folder");
  fs::remove(folder.path() + "/broken.json");
  fs::remove(folder.path() + "/demo.json");
  list = listed(*console);
  EXPECT_EQ(list.count("demo"), 0u);
  EXPECT_EQ(list.count("mine"), 1u);
  // The running session keeps the copy it started with.
  const auto attached = console->request({{"type", "attach"}, {"code", started["code"]}});
  EXPECT_EQ(attached["session"]["scenario"]["title"], "Demo workshop") << attached.dump();
}

TEST(ConfidentialSessions, AnInlineCaseStartsAndNothingOfItIsLeftInTheDatabaseOrItsWalAfterTheEnd) {
  hosting_console s({.min_group = 1});
  const std::string secret = "zebra-quartz-" + token(7);
  const std::string db = s.dir.path() + "/rt.db";
  // An inline case that does not validate is refused with its details.
  auto bad = quick_case("quick", secret);
  bad["stages"][1]["question"]["options"] = "outcome";
  const auto refused =
      s.console->request({{"type", "start"}, {"scenario", bad}, {"options", {{"confidential", true}}}});
  EXPECT_EQ(refused["code"], "invalid_scenario") << refused.dump();
  EXPECT_TRUE(detail_paths(refused).count("stages[1].question.options")) << refused.dump();

  const auto started = s.console->request(
      {{"type", "start"}, {"scenario", quick_case("quick", secret)}, {"options", {{"confidential", true}}}});
  ASSERT_EQ(started["type"], "started") << started.dump();
  const std::string code = started["code"];
  EXPECT_EQ(listed(*s.console).count("quick"), 0u);  // not kept in the case list
  auto p = ws_client::connect(s.server->port());
  ASSERT_EQ(p->request({{"type", "join"}, {"code", code}, {"token", token(1)}})["type"], "joined");
  ASSERT_EQ(s.console->request({{"type", "open"}, {"code", code}, {"question", "gut"}})["type"], "ack");
  ASSERT_EQ(p->request({{"type", "vote"}, {"question", "gut"}, {"ballot", {{"choice", "yes"}}}})["type"], "ack");
  ASSERT_EQ(p->request({{"type", "perspective"}, {"question", "gut"}, {"text", "x"}})["code"], "invalid_ballot");
  // The case text is in the file now (so the check below can fail).
  EXPECT_NE((read_file(db) + read_file(db + "-wal")).find(secret), std::string::npos);

  ASSERT_EQ(s.console->request({{"type", "end"}, {"code", code}})["type"], "ack");
  bool gone = false;
  for (int i = 0; i < 50 && !gone; ++i) {
    const auto h = s.console->request({{"type", "host"}, {"key", test_key}});
    gone = std::none_of(h["sessions"].begin(), h["sessions"].end(), [&](const json& x) { return x["code"] == code; });
    if (!gone) std::this_thread::sleep_for(100ms);
  }
  ASSERT_TRUE(gone) << "the confidential session was not purged";
  for (const auto& f : fs::directory_iterator(s.dir.path()))
    EXPECT_EQ(read_file(f.path().string()).find(secret), std::string::npos) << f.path() << " still holds the case";
  EXPECT_EQ(http_get(s.server->port(), "/api/sessions/" + code + "/export.json", test_key).status, 404);
  EXPECT_EQ(s.console->request({{"type", "attach"}, {"code", code}})["code"], "unknown_code");
  // The code is never handed out again, and the server serves on.
  EXPECT_TRUE(alive(s.server->port()));
}

TEST(ConfidentialSessions, WithARetentionTheSessionStaysUntilItIsDueAndAcrossARestart) {
  hosting_console s({.extra = {"--confidential-retention", "5"}});
  const auto started =
      s.console->request({{"type", "start"}, {"scenario", "demo"}, {"options", {{"confidential", true}}}});
  ASSERT_EQ(started["type"], "started") << started.dump();
  const std::string code = started["code"];
  ASSERT_EQ(s.console->request({{"type", "end"}, {"code", code}})["type"], "ack");
  std::this_thread::sleep_for(300ms);
  restart(s);
  const auto attached = s.console->request({{"type", "attach"}, {"code", code}});
  EXPECT_EQ(attached["type"], "joined") << attached.dump();
  // A saved case started confidentially stays in the list: only the session is purged.
  EXPECT_EQ(listed(*s.console).count("demo"), 1u);
}

// The printable report over HTTP (behind the facilitator key, like the exports) and offline
// (`facilitator report`, read-only), against a real server.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "served_session.hpp"

using namespace roundtable::test;

namespace {

/// `facilitator report ARGS`: its exit status and what it wrote on stdout (stderr with 2>&1 in args).
std::pair<int, std::string> run_report(const std::string& args) {
  const std::string cmd = std::string(ROUNDTABLE_BINARY_DIR) + "/bin/facilitator report " + args;
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  char buf[4096];
  std::size_t n;
  while (p && (n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int status = p ? pclose(p) : -1;
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

/// A session in which three voted on gut, one posted a shown perspective, and the console ended it.
struct ended_session : served_session {
  ended_session() : served_session({.extra = {"--failure-window", "3"}}) {
    std::vector<std::shared_ptr<ws_client>> people;
    for (int i = 0; i < 3; ++i) people.push_back(join(i));
    command({{"type", "open"}, {"code", code}, {"question", "gut"}});
    for (int i = 0; i < 3; ++i)
      EXPECT_EQ(people[i]->request({{"type", "vote"}, {"question", "gut"}, {"ballot", {{"choice", "refer"}}}})["type"],
                "ack");
    command({{"type", "close"}, {"code", code}, {"question", "gut"}});
    command({{"type", "end"}, {"code", code}});
  }
  std::string path() const { return "/api/sessions/" + code + "/report.html"; }
  std::string db() const { return dir.path() + "/rt.db"; }
};

}  // namespace

TEST(ReportRoute, ServesOneSelfContainedPageBehindTheKey) {
  ended_session s;
  EXPECT_EQ(http_get(s.server->port(), s.path()).status, 401);
  const auto r = http_get(s.server->port(), s.path(), test_key);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "text/html; charset=utf-8");
  EXPECT_EQ(
      r.header("Content-Security-Policy").rfind("default-src 'none'; style-src 'unsafe-inline'; img-src data:", 0), 0u)
      << r.header("Content-Security-Policy");
  EXPECT_EQ(r.header("X-Content-Type-Options"), "nosniff");
  EXPECT_TRUE(r.body.starts_with("<!doctype html>"));
  EXPECT_NE(r.body.find("Demo workshop"), std::string::npos);
  EXPECT_NE(r.body.find("3 answers"), std::string::npos);
  EXPECT_EQ(r.body.find("<script"), std::string::npos);
}

TEST(ReportRoute, UnknownCodesAndFilesAreNotFound) {
  ended_session s;
  const auto other = s.code == "123456" ? "654321" : "123456";
  EXPECT_EQ(http_get(s.server->port(), std::string("/api/sessions/") + other + "/report.html", test_key).status, 404);
  EXPECT_EQ(http_get(s.server->port(), "/api/sessions/abc/report.html", test_key).status, 404);
  EXPECT_EQ(http_get(s.server->port(), "/api/sessions/" + s.code + "/report.pdf", test_key).status, 404);
  EXPECT_EQ(http_get(s.server->port(), "/healthz").status, 200);
}

TEST(ReportRoute, WrongKeysCountAsWrongKeys) {
  ended_session s;
  for (int i = 0; i < 5; ++i) EXPECT_EQ(http_get(s.server->port(), s.path(), "guess-" + std::to_string(i)).status, 401);
  // Limited like the export API: the right key is refused too.
  EXPECT_EQ(http_get(s.server->port(), s.path(), test_key).status, 429);
}

TEST(ReportCommand, WritesTheSameBytesAsTheRouteWithoutChangingTheDatabase) {
  ended_session s;
  const auto served = http_get(s.server->port(), s.path(), test_key);
  ASSERT_EQ(served.status, 200);
  const auto [status, printed] = run_report("--db " + s.db() + " --code " + s.code);
  EXPECT_EQ(status, 0);
  EXPECT_EQ(printed, served.body);
  // --out writes the file, and the database still serves afterwards, unchanged.
  const auto out = s.dir.path() + "/report.html";
  EXPECT_EQ(run_report("--db " + s.db() + " --code " + s.code + " --out " + out).first, 0);
  EXPECT_EQ(read_file(out), served.body);
  EXPECT_EQ(http_get(s.server->port(), s.path(), test_key).body, served.body);
}

TEST(ReportCommand, AMissingDatabaseIsAClearErrorAndCreatesNothing) {
  temp_dir dir;
  const auto missing = dir.path() + "/none.db";
  const auto [status, said] = run_report("--db " + missing + " --code 123456 2>&1");
  EXPECT_EQ(status, 1);
  EXPECT_NE(said.find("cannot open database '" + missing + "': no such file"), std::string::npos) << said;
  EXPECT_FALSE(std::filesystem::exists(missing));
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

TEST(ReportCommand, AnUnknownCodeOrMissingFlagsAreErrors) {
  ended_session s;
  const auto [status, said] = run_report("--db " + s.db() + " --code 000000 2>&1");
  EXPECT_EQ(status, 1);
  EXPECT_NE(said.find("no session has the code 000000"), std::string::npos) << said;
  EXPECT_EQ(run_report("--db " + s.db() + " 2>&1").first, 2);
  // A file that is not a store is an error too, and stays as it was.
  const auto junk = s.dir.path() + "/junk.db";
  std::ofstream(junk) << "not sqlite";
  EXPECT_EQ(run_report("--db " + junk + " --code " + s.code + " 2>&1").first, 1);
  EXPECT_EQ(read_file(junk), "not sqlite");
}

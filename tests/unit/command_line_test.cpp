// The one command-line reader of both programs (CLI11 underneath): where a value comes from and
// in which order (line, then ROUNDTABLE_* variable, then --config file), and every wrong input
// answered with a usage error in plain words.
#include "roundtable/command_line.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

using roundtable::cli::command_line;
using roundtable::cli::usage_error;

namespace {

// Sets an environment variable for one test and takes it away again.
class variable {
public:
  variable(std::string name, const std::string& value) : name_(std::move(name)) {
    setenv(name_.c_str(), value.c_str(), 1);
  }
  ~variable() { unsetenv(name_.c_str()); }

private:
  std::string name_;
};

// A config file in the temporary folder, removed at the end of the test.
class config_file {
public:
  explicit config_file(const std::string& text)
      : path_(std::filesystem::temp_directory_path() /
              ("roundtable-cli-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++) + ".toml")) {
    std::ofstream(path_) << text;
  }
  ~config_file() { std::filesystem::remove(path_); }
  std::string path() const { return path_.string(); }

private:
  static inline int counter_ = 0;
  std::filesystem::path path_;
};

// A `serve`-like command with one flag of each kind.
struct serve_like {
  std::string host = "127.0.0.1";
  int port = 8080;
  std::optional<std::string> key;
  std::vector<std::string> origins;
  bool open = false;
  double ramp = 2;
  command_line line{"facilitator", "serve", "usage: facilitator serve [OPTIONS]", "Runs workshops."};

  serve_like() {
    line.text("host", host, "address")
        .number("port", port, 0, 65535, "port")
        .text("key", key, "key")
        .without_variable("key")
        .list("allow-origin", origins, "origins")
        .flag("metrics-public", open, "open")
        .real("ramp", ramp, 0, 100, "ramp");
  }
  bool parse(const std::vector<std::string>& args) {
    std::ostringstream out;
    return line.parse(args, out);
  }
};

// The message of the usage_error that parsing args throws ("" when none is thrown).
std::string refusal(const std::vector<std::string>& args) {
  serve_like s;
  try {
    s.parse(args);
  } catch (const usage_error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(CommandLine, DefaultsStayWhenNothingIsGiven) {
  serve_like s;
  ASSERT_TRUE(s.parse({}));
  EXPECT_EQ(s.host, "127.0.0.1");
  EXPECT_EQ(s.port, 8080);
  EXPECT_FALSE(s.key);
  EXPECT_TRUE(s.origins.empty());
  EXPECT_FALSE(s.open);
  EXPECT_FALSE(s.line.given("port"));
}

TEST(CommandLine, BothSpellingsOfAValueAndRepeatableLists) {
  serve_like s;
  ASSERT_TRUE(s.parse({"--port", "9000", "--host=0.0.0.0", "--allow-origin", "https://a.example",
                       "--allow-origin=https://b.example", "--metrics-public", "--ramp", "2.5"}));
  EXPECT_EQ(s.port, 9000);
  EXPECT_EQ(s.host, "0.0.0.0");
  EXPECT_EQ(s.origins, (std::vector<std::string>{"https://a.example", "https://b.example"}));
  EXPECT_TRUE(s.open);
  EXPECT_DOUBLE_EQ(s.ramp, 2.5);
  EXPECT_TRUE(s.line.given("port"));
}

TEST(CommandLine, AVariableSetsWhatTheLineDoesNot) {
  variable port("ROUNDTABLE_PORT", "9100"), host("ROUNDTABLE_HOST", "0.0.0.0");
  variable origins("ROUNDTABLE_ALLOW_ORIGIN", "https://a.example,https://b.example");
  variable open("ROUNDTABLE_METRICS_PUBLIC", "1");
  serve_like s;
  ASSERT_TRUE(s.parse({"--host", "::1"}));
  EXPECT_EQ(s.port, 9100);
  EXPECT_EQ(s.host, "::1");  // the line wins
  EXPECT_EQ(s.origins.size(), 2u);
  EXPECT_TRUE(s.open);
  EXPECT_EQ(roundtable::cli::variable_of("max-queued-bytes"), "ROUNDTABLE_MAX_QUEUED_BYTES");
}

TEST(CommandLine, AFlagWithoutAVariableIgnoresIt) {
  variable key("ROUNDTABLE_KEY", "from-the-environment-0123456789");
  serve_like s;
  ASSERT_TRUE(s.parse({}));
  EXPECT_FALSE(s.key);
}

TEST(CommandLine, TheConfigFileComesLast) {
  config_file f(
      "# a comment\n"
      "host = \"10.0.0.1\"\n"
      "[serve]\n"
      "port = 9200\n"
      "ramp = 7\n"
      "allow-origin = [\"https://a.example\", \"https://b.example\"]\n"
      "metrics_public = true\n"
      "[export]\n"
      "format = \"csv\"\n");
  variable ramp("ROUNDTABLE_RAMP", "3");
  serve_like s;
  ASSERT_TRUE(s.parse({"--config", f.path(), "--port", "9300"}));
  EXPECT_EQ(s.host, "10.0.0.1");  // top level
  EXPECT_EQ(s.port, 9300);        // the line beats the file
  EXPECT_DOUBLE_EQ(s.ramp, 3);    // the variable beats the file
  EXPECT_EQ(s.origins, (std::vector<std::string>{"https://a.example", "https://b.example"}));
  EXPECT_TRUE(s.open);  // metrics_public: '_' reads as '-'
}

TEST(CommandLine, TheConfigFileCanComeFromItsVariable) {
  config_file f("port = 9400\n");
  variable config("ROUNDTABLE_CONFIG", f.path());
  serve_like s;
  ASSERT_TRUE(s.parse({}));
  EXPECT_EQ(s.port, 9400);
}

TEST(CommandLine, ABadConfigFileIsAUsageError) {
  config_file unknown("colour = \"blue\"\n");
  EXPECT_NE(refusal({"--config", unknown.path()}).find("sets colour, which facilitator serve does not have"),
            std::string::npos);
  config_file nested("config = \"other.toml\"\n");
  EXPECT_NE(refusal({"--config", nested.path()}).find("sets config"), std::string::npos);
  config_file wrong("port = 70000\n");
  EXPECT_EQ(refusal({"--config", wrong.path()}), "--port must be a whole number from 0 to 65535, not 70000");
  EXPECT_EQ(refusal({"--config", "/nonexistent/roundtable.toml"}),
            "cannot read the config file /nonexistent/roundtable.toml");
}

TEST(CommandLine, WrongLinesAreRefusedInPlainWords) {
  EXPECT_EQ(refusal({"--colour"}), "unknown flag --colour");
  EXPECT_EQ(refusal({"--colour=red"}), "unknown flag --colour");
  EXPECT_EQ(refusal({"--port", "1", "--port=2"}), "--port is given twice");
  EXPECT_EQ(refusal({"--port"}), "--port needs a value");
  EXPECT_EQ(refusal({"--port", "--host", "x"}), "--port needs a value");
  EXPECT_EQ(refusal({"--port", "eighty"}), "--port must be a whole number from 0 to 65535, not \"eighty\"");
  EXPECT_EQ(refusal({"--port", "8080x"}), "--port must be a whole number from 0 to 65535, not \"8080x\"");
  EXPECT_EQ(refusal({"--port", "-1"}), "--port must be a whole number from 0 to 65535, not -1");
  EXPECT_EQ(refusal({"--ramp", "inf"}), "--ramp must be a number from 0 to 100, not \"inf\"");
  EXPECT_NE(refusal({"--metrics-public=perhaps"}).find("--metrics-public = perhaps"), std::string::npos);
  EXPECT_NE(refusal({"stray"}).find("stray"), std::string::npos);
  variable bad("ROUNDTABLE_PORT", "lots");
  EXPECT_EQ(refusal({}), "--port must be a whole number from 0 to 65535, not \"lots\"");
}

TEST(CommandLine, HelpAndVersionArePrintedNotRun) {
  serve_like s;
  std::ostringstream out;
  EXPECT_FALSE(s.line.parse({"--help"}, out));
  EXPECT_EQ(out.str().rfind("usage: facilitator serve [OPTIONS]\n\nRuns workshops.\n", 0), 0u) << out.str();
  EXPECT_NE(out.str().find("ROUNDTABLE_PORT"), std::string::npos);
  serve_like v;
  std::ostringstream version;
  EXPECT_FALSE(v.line.parse({"--version"}, version));
  EXPECT_EQ(version.str(), std::string("facilitator (Roundtable) ") + roundtable::cli::version() + "\n");
}

TEST(CommandLine, RunGivesEachOutcomeItsExitCode) {
  std::ostringstream out, err;
  serve_like a;
  EXPECT_EQ(roundtable::cli::run(
                a.line, {"--help"}, [] { return 7; }, out, err),
            0);
  serve_like b;
  EXPECT_EQ(roundtable::cli::run(
                b.line, {}, [] { return 7; }, out, err),
            7);
  serve_like c;
  EXPECT_EQ(roundtable::cli::run(
                c.line, {"--port", "x"}, [] { return 7; }, out, err),
            2);
  EXPECT_NE(err.str().find("facilitator serve: --port must be"), std::string::npos);
  EXPECT_NE(err.str().find("(see 'facilitator serve --help')"), std::string::npos);
  serve_like d;
  EXPECT_EQ(roundtable::cli::run(
                d.line, {}, []() -> int { throw std::runtime_error("the disk is full"); }, out, err),
            1);
  EXPECT_NE(err.str().find("facilitator serve: the disk is full\n"), std::string::npos);
}

// The real programs: --version on both, and serve reading its variables and config file.
namespace {

std::pair<int, std::string> run_program(const std::string& command) {
  FILE* p = popen((command + " 2>&1").c_str(), "r");
  std::string out;
  char buf[512];
  while (p && fgets(buf, sizeof buf, p)) out += buf;
  const int status = p ? pclose(p) : -1;
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

const std::string bin = std::string(ROUNDTABLE_BINARY_DIR) + "/bin/";

}  // namespace

TEST(CommandLinePrograms, BothTellTheirVersion) {
  for (const std::string program : {"facilitator", "participant"}) {
    const auto expected = program + " (Roundtable) " + roundtable::cli::version() + "\n";
    EXPECT_EQ(run_program(bin + program + " --version"), std::make_pair(0, expected));
    EXPECT_EQ(run_program(bin + program + (program == "facilitator" ? " serve" : " join") + " --version"),
              std::make_pair(0, expected));
  }
}

TEST(CommandLinePrograms, ServeReadsItsVariablesAndConfigFile) {
  config_file f("[serve]\nmax-queued-bytes = 10\n");
  const auto [status, out] = run_program(bin + "facilitator serve --port 0 --config " + f.path());
  EXPECT_EQ(status, 2) << out;
  EXPECT_NE(out.find("--max-queued-bytes must be a whole number from 65536"), std::string::npos) << out;
  const auto [env_status, env_out] = run_program("ROUNDTABLE_MIN_GROUP=0 " + bin + "facilitator serve --port 0");
  EXPECT_EQ(env_status, 2) << env_out;
  EXPECT_NE(env_out.find("--min-group must be a whole number from 1 to 50"), std::string::npos) << env_out;
  EXPECT_EQ(env_out.find("listening on"), std::string::npos) << env_out;
}

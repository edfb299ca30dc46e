// Fixtures over a real `facilitator serve`, one per concept, each built on the one before: the server
// on a fresh database, a console hosting on it, and a session that console started.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "test_defaults.hpp"
#include "ws_client.hpp"

namespace roundtable::test {

/// How the fixtures start the server and the session; the defaults are what most tests want.
struct serve_options {
  std::vector<std::string> extra = {};     // more `facilitator serve` flags, e.g. {"--failure-window", "3"}
  int min_group = 3;                       // --min-group
  json start = json::object();             // the "options" of the start message, e.g. {{"live", true}}
  std::string scenarios = test_scenarios;  // the scenario folder
  std::string scenario = "demo";           // the scenario the session runs
};

/// A `facilitator serve` child process on a fresh database (rt.db in its own temporary folder).
struct served_server {
  temp_dir dir;
  std::unique_ptr<server_process> server;

  explicit served_server(const serve_options& o = {});
};

/// A served server with a console that hosts on it with the test key.
struct hosting_console : served_server {
  std::shared_ptr<ws_client> console;

  explicit hosting_console(const serve_options& o = {});
};

/// A hosting console that started one session; `code` is its join code.
struct served_session : hosting_console {
  std::string code;

  explicit served_session(const serve_options& o = {});

  /// A facilitator command on this session; expects an ack.
  json command(json msg);
  /// A participant with token(i), joined (its joined reply in *joined when given).
  std::shared_ptr<ws_client> join(int i, json* joined = nullptr);
  /// The server's WebSocket address, for the participant program.
  std::string ws_url() const;
  /// The session's export.json, fetched with the test key.
  json export_json();
};

}  // namespace roundtable::test

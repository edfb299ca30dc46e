// Shared helpers of the hardening tests: a served workshop, metrics, and small waits.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "ws_client.hpp"

namespace roundtable::test {

inline const std::string hardening_scenarios = std::string(ROUNDTABLE_SOURCE_DIR) + "/tests/fixtures/server";
inline const std::string hardening_key = "test-key-0123456789";

/// A server on a fresh database with a hosting console and one started session.
struct served {
  temp_dir dir;
  std::unique_ptr<server_process> server;
  std::shared_ptr<ws_client> console;
  std::string code;

  explicit served(std::vector<std::string> extra = {}, int min_group = 3, json start_options = json::object()) {
    server = std::make_unique<server_process>(
        server_process::options{dir.path() + "/rt.db", hardening_scenarios, hardening_key, min_group, extra});
    console = ws_client::connect(server->port());
    const auto hosting = console->request({{"type", "host"}, {"key", hardening_key}});
    EXPECT_EQ(hosting["type"], "hosting");
    const auto started =
        console->request({{"type", "start"}, {"scenario", "demo"}, {"options", std::move(start_options)}});
    EXPECT_EQ(started["type"], "started") << started.dump();
    code = started.value("code", "");
  }

  /// A facilitator command on this session; expects an ack.
  json command(json msg) {
    msg["code"] = code;
    auto reply = console->request(msg);
    EXPECT_EQ(reply["type"], "ack") << msg.dump() << " -> " << reply.dump();
    return reply;
  }

  /// A participant with token(i), joined.
  std::shared_ptr<ws_client> join(int i) {
    auto c = ws_client::connect(server->port());
    const auto reply = c->request({{"type", "join"}, {"code", code}, {"token", token(i)}});
    EXPECT_EQ(reply["type"], "joined") << reply.dump();
    return c;
  }
};

/// The value of one metric line ("name value" or "name{labels} value") from /metrics; -1 if absent.
inline double metric(unsigned short port, const std::string& name) {
  const auto page = http_get(port, "/metrics").body;
  std::size_t at = 0;
  while ((at = page.find(name + " ", at)) != std::string::npos) {
    if (at == 0 || page[at - 1] == '\n') return std::stod(page.substr(at + name.size() + 1));
    at += name.size();
  }
  return -1;
}

/// A join code that is not `code` (a wrong guess), different for each i.
inline std::string wrong_code(const std::string& code, int i) {
  for (int k = i;; ++k) {
    std::string c = std::to_string(100000 + (k * 7919) % 900000);
    if (c != code) return c;
  }
}

}  // namespace roundtable::test

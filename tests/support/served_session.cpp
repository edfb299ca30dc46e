#include "served_session.hpp"

#include <gtest/gtest.h>

namespace roundtable::test {

served_server::served_server(const serve_options& o)
    : server(std::make_unique<server_process>(
          server_process::options{dir.path() + "/rt.db", o.scenarios, test_key, o.min_group, o.extra})) {}

hosting_console::hosting_console(const serve_options& o)
    : served_server(o), console(ws_client::connect(server->port())) {
  const auto hosting = console->request({{"type", "host"}, {"key", test_key}});
  EXPECT_EQ(hosting["type"], "hosting") << hosting.dump();
}

served_session::served_session(const serve_options& o) : hosting_console(o) {
  const auto started = console->request({{"type", "start"}, {"scenario", o.scenario}, {"options", o.start}});
  EXPECT_EQ(started["type"], "started") << started.dump();
  code = started.value("code", "");
}

json served_session::command(json msg) {
  msg["code"] = code;
  auto reply = console->request(msg);
  EXPECT_EQ(reply["type"], "ack") << msg.dump() << " -> " << reply.dump();
  return reply;
}

std::shared_ptr<ws_client> served_session::join(int i, json* joined) {
  auto c = ws_client::connect(server->port());
  const auto reply = c->request({{"type", "join"}, {"code", code}, {"token", token(i)}});
  EXPECT_EQ(reply["type"], "joined") << reply.dump();
  if (joined) *joined = reply;
  return c;
}

std::string served_session::ws_url() const {
  return "ws://127.0.0.1:" + std::to_string(server->port()) + "/ws";
}

json served_session::export_json() {
  const auto r = http_get(server->port(), "/api/sessions/" + code + "/export.json", test_key);
  EXPECT_EQ(r.status, 200);
  return json::parse(r.body, nullptr, false);
}

}  // namespace roundtable::test

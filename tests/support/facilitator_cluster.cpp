#include "facilitator_cluster.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "store/jetstream_store.hpp"

namespace roundtable::test {

std::string stream_leader(const std::vector<std::string>& urls) {
  natsOptions* opts = nullptr;
  natsOptions_Create(&opts);
  std::vector<const char*> list;
  for (const auto& u : urls) list.push_back(u.c_str());
  natsOptions_SetServers(opts, list.data(), static_cast<int>(list.size()));
  natsConnection* nc = nullptr;
  jsCtx* js = nullptr;
  jsStreamInfo* info = nullptr;
  std::string leader;
  if (natsConnection_Connect(&nc, opts) == NATS_OK && natsConnection_JetStream(&js, nc, nullptr) == NATS_OK &&
      js_GetStreamInfo(&info, js, "ROUNDTABLE", nullptr, nullptr) == NATS_OK && info->Cluster && info->Cluster->Leader)
    leader = info->Cluster->Leader;
  jsStreamInfo_Destroy(info);
  jsCtx_Destroy(js);
  natsConnection_Destroy(nc);
  natsOptions_Destroy(opts);
  return leader;
}

facilitator_cluster::facilitator_cluster(int nats_nodes, int min_group) {
  if (nats_nodes == 3)
    cluster = std::make_unique<nats_cluster>(dir.path() + "/nats");
  else
    single = std::make_unique<nats_server>(dir.path() + "/nats");
  std::vector<std::string> extra{"--nats", nats_urls()};
  if (cluster) extra.insert(extra.end(), {"--nats-replicas", "3"});
  for (int i = 0; i < 3; ++i)
    servers.push_back(std::make_unique<server_process>(server_process::options{
        dir.path() + "/rt" + std::to_string(i) + ".db", test_scenarios, test_key, min_group, extra}));
}

std::string facilitator_cluster::nats_urls() const {
  return cluster ? cluster->urls() : single->url();
}

cluster_session::cluster_session(int nats_nodes, int min_group)
    : facilitator_cluster(nats_nodes, min_group), console(ws_client::connect(port(0))) {
  EXPECT_EQ(console->request({{"type", "host"}, {"key", test_key}})["type"], "hosting");
  const auto started = console->request({{"type", "start"}, {"scenario", "demo"}, {"options", json::object()}});
  EXPECT_EQ(started["type"], "started") << started.dump();
  code = started.value("code", "");
  command({{"type", "open"}, {"question", "gut"}});
}

json cluster_session::command(json msg) {
  msg["code"] = code;
  auto reply = console->request(msg);
  EXPECT_EQ(reply["type"], "ack") << msg.dump() << " -> " << reply.dump();
  return reply;
}

std::shared_ptr<ws_client> cluster_session::console_on(std::size_t server) {
  auto c = ws_client::connect(port(server));
  EXPECT_EQ(c->request({{"type", "host"}, {"key", test_key}})["type"], "hosting");
  const auto attached = c->request({{"type", "attach"}, {"code", code}});
  EXPECT_EQ(attached["type"], "joined") << attached.dump();
  return c;
}

std::shared_ptr<ws_client> cluster_session::join(std::size_t server, int i) {
  auto c = ws_client::connect(port(server));
  const auto reply = c->request({{"type", "join"}, {"code", code}, {"token", token(i)}});
  EXPECT_EQ(reply["type"], "joined") << reply.dump();
  return c;
}

std::vector<json> cluster_session::stored() const {
  store::jetstream_options o;
  o.servers = cluster ? cluster->url_list() : std::vector<std::string>{single->url()};
  o.write_deadline_ms = 20000;  // reads retry that long: after a node's death, consumers are placed anew
  std::vector<json> out;
  for (const auto& e : store::jetstream_store::open(o)->events(code)) out.push_back(json::parse(e));
  return out;
}

std::map<std::string, int> ballots_by_voter(const std::vector<json>& log) {
  std::map<std::string, int> n;
  for (const auto& e : log)
    if (e["type"] == "ballot_cast" && e["question"] == "gut") ++n[e["voter"].get<std::string>()];
  return n;
}

std::string server_id_of(const server_process& p) {
  const std::string key = " server_id=";
  const auto out = p.output();
  const auto at = out.find(key);
  if (at == std::string::npos) return "";
  const auto from = at + key.size();
  return out.substr(from, out.find_first_of(" \n", from) - from);
}

std::size_t pacer_of(const facilitator_cluster& c) {
  std::vector<std::string> ids;
  for (const auto& s : c.servers) ids.push_back(server_id_of(*s));
  for (const auto& id : ids) EXPECT_FALSE(id.empty()) << "a facilitator logged no server_id";
  return static_cast<std::size_t>(std::min_element(ids.begin(), ids.end()) - ids.begin());
}

}  // namespace roundtable::test

#include "store/nats_link.hpp"

namespace roundtable::store::nats {

link connect(const std::vector<std::string>& servers, std::int64_t wait_ms) {
  if (servers.empty()) throw std::invalid_argument("--nats needs at least one nats://HOST:PORT");
  natsOptions* raw = nullptr;
  check(natsOptions_Create(&raw), "NATS options");
  handle<natsOptions> opts(raw);
  std::vector<const char*> urls;
  for (const auto& s : servers) urls.push_back(s.c_str());
  check(natsOptions_SetServers(opts.get(), urls.data(), static_cast<int>(urls.size())), "--nats");
  // A node that goes away is reconnected to (another one, or the same once it is back), forever:
  // meanwhile publishes wait for their PubAck and fail at the deadline.
  natsOptions_SetMaxReconnect(opts.get(), -1);
  natsOptions_SetReconnectWait(opts.get(), 100);
  natsOptions_SetTimeout(opts.get(), wait_ms);
  // No reconnect buffer to speak of: a publish while disconnected fails at once and is resent (same
  // Nats-Msg-Id) until the deadline, instead of sitting in the client and being stored after its write failed.
  natsOptions_SetReconnectBufSize(opts.get(), 1);
  natsConnection* nc = nullptr;
  std::string list;
  for (const auto& s : servers) list += (list.empty() ? "" : ",") + s;
  check(natsConnection_Connect(&nc, opts.get()), "cannot reach NATS at " + list);
  link out{handle<natsConnection>(nc), nullptr};
  jsOptions jo;
  jsOptions_Init(&jo);
  jo.Wait = wait_ms;
  jsCtx* js = nullptr;
  check(natsConnection_JetStream(&js, out.nc.get(), &jo), "JetStream");
  out.js.reset(js);
  return out;
}

handle<kvStore> open_bucket(jsCtx* js, const std::string& name, int replicas, bool create) {
  kvStore* kv = nullptr;
  if (js_KeyValue(&kv, js, name.c_str()) == NATS_OK) return handle<kvStore>(kv);
  if (!create) throw std::runtime_error("no JetStream KV bucket " + name + " here: no facilitator served on it");
  kvConfig cfg;
  kvConfig_Init(&cfg);
  cfg.Bucket = name.c_str();
  cfg.History = 1;
  cfg.StorageType = js_FileStorage;
  cfg.Replicas = replicas;
  check(js_CreateKeyValue(&kv, js, &cfg), "cannot create the JetStream KV bucket " + name);
  return handle<kvStore>(kv);
}

}  // namespace roundtable::store::nats

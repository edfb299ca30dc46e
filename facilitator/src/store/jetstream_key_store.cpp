#include "store/jetstream_key_store.hpp"

#include <algorithm>
#include <cstring>

#include <nlohmann/json.hpp>

#include "crypto.hpp"

namespace roundtable::store {

namespace {

using json = nlohmann::json;

std::string kv_key(std::int64_t id) {
  return "k" + std::to_string(id);
}

// A random id in [1, 2^62): the entry's name in the bucket and the holder's id.
std::int64_t random_id() {
  std::uint64_t v = 0;
  const auto bytes = crypto::random_bytes(sizeof v);
  std::memcpy(&v, bytes.data(), sizeof v);
  return static_cast<std::int64_t>((v >> 2) | 1);
}

}  // namespace

std::unique_ptr<jetstream_key_store> jetstream_key_store::open(const jetstream_options& options) {
  try {
    auto link = nats::connect(options.servers, options.attempt_timeout_ms);
    auto kv = nats::until_ready(
        [&] { return nats::open_bucket(link.js.get(), options.key_bucket, options.replicas, options.create); },
        options.ready_deadline_ms);
    return std::unique_ptr<jetstream_key_store>(new jetstream_key_store(std::move(link), std::move(kv)));
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(std::string("cannot open the facilitator keys: ") + e.what());
  }
}

std::optional<jetstream_key_store::entry> jetstream_key_store::get(std::int64_t id) {
  kvEntry* raw = nullptr;
  const natsStatus s = kvStore_Get(&raw, kv_.get(), kv_key(id).c_str());
  if (s == NATS_NOT_FOUND) return std::nullopt;
  nats::check(s, "the facilitator key " + kv_key(id));
  nats::handle<kvEntry> got(raw);
  const auto v = json::parse(
      std::string(static_cast<const char*>(kvEntry_Value(got.get())), kvEntry_ValueLen(got.get())), nullptr, false);
  if (!v.is_object()) return std::nullopt;  // not ours: never a key that works
  return entry{id,
               kvEntry_Revision(got.get()),
               v.value("name", ""),
               v.value("hash", ""),
               v.value("created_ms", std::int64_t{0}),
               v.value("revoked_ms", std::int64_t{0})};
}

std::vector<jetstream_key_store::entry> jetstream_key_store::entries() {
  kvKeysList keys;
  const natsStatus s = kvStore_Keys(&keys, kv_.get(), nullptr);
  if (s == NATS_NOT_FOUND) return {};
  nats::check(s, "the facilitator keys");
  std::vector<std::string> names(keys.Keys, keys.Keys + keys.Count);
  kvKeysList_Destroy(&keys);
  std::vector<entry> out;
  for (const auto& k : names) {
    if (k.size() < 2 || k[0] != 'k') continue;
    std::int64_t id = 0;
    try {
      id = std::stoll(k.substr(1));
    } catch (const std::exception&) {
      continue;
    }
    if (auto e = get(id)) out.push_back(std::move(*e));
  }
  std::sort(out.begin(), out.end(), [](const entry& a, const entry& b) {
    return std::tie(a.name, a.created_ms) < std::tie(b.name, b.created_ms);
  });
  return out;
}

bool jetstream_key_store::put(const entry& e, bool create) {
  const json v{{"name", e.name}, {"hash", e.hash}, {"created_ms", e.created_ms}, {"revoked_ms", e.revoked_ms}};
  std::uint64_t rev = 0;
  const auto text = v.dump();
  const auto key = kv_key(e.id);
  // Create-if-absent for a new key; for a revocation, only over the revision read (no lost update).
  const natsStatus s = create ? kvStore_CreateString(&rev, kv_.get(), key.c_str(), text.c_str())
                              : kvStore_UpdateString(&rev, kv_.get(), key.c_str(), text.c_str(), e.revision);
  return s == NATS_OK;
}

added_key jetstream_key_store::add(const std::string& name, std::int64_t now_ms) {
  if (!valid_key_name(name)) return {added_key::kind::bad_name, {}};
  for (const auto& e : entries())
    if (e.name == name && e.revoked_ms == 0) return {added_key::kind::taken, {}};
  auto key = new_key();
  if (!put({random_id(), 0, name, crypto::sha256_hex(key), now_ms, 0}, true))
    throw std::runtime_error("could not store the new key in the JetStream bucket");
  return {added_key::kind::added, std::move(key)};
}

std::vector<key_row> jetstream_key_store::list() {
  std::vector<key_row> rows;
  for (const auto& e : entries()) rows.push_back({e.name, e.created_ms, e.revoked_ms});
  return rows;
}

bool jetstream_key_store::revoke(const std::string& name, std::int64_t now_ms) {
  bool revoked = false;
  for (auto e : entries()) {
    if (e.name != name || e.revoked_ms != 0) continue;
    e.revoked_ms = now_ms;
    if (!put(e, false)) throw std::runtime_error("the key of " + name + " changed meanwhile; revoke it again");
    revoked = true;
  }
  return revoked;
}

std::optional<key_holder> jetstream_key_store::authenticate(std::string_view key) {
  const auto hash = crypto::sha256_hex(key);
  std::optional<key_holder> found;
  for (const auto& e : entries()) {
    if (e.revoked_ms != 0) continue;
    const bool same = crypto::constant_time_equal(e.hash, hash);
    if (same && !found) found = key_holder{e.id, e.name};
  }
  return found;
}

bool jetstream_key_store::active(std::int64_t id) {
  const auto e = get(id);
  return e && e->revoked_ms == 0;
}

}  // namespace roundtable::store

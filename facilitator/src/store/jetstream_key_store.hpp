#pragma once

// The facilitators' keys in a JetStream KV bucket (`serve --nats`, `keys --nats`), so that every facilitator
// of a cluster knows the same keys and a revocation reaches each of them at its next request. One entry per
// key ever made, "k<id>" -> {"name", "hash", "created_ms", "revoked_ms"}: only the SHA-256 of a key, never the
// key. Every call reads the bucket (no cache), so nothing a server checks is stale; a revocation is an update
// conditional on the entry's revision. A name's single working key is checked by `add` before it creates:
// two `keys add` of one name at the same instant could both succeed (one operator runs the command).

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "store/jetstream_store.hpp"
#include "store/key_store.hpp"
#include "store/nats_link.hpp"

namespace roundtable::store {

class jetstream_key_store final : public key_store {
public:
  /// Connects and opens the bucket options.key_bucket (created when missing if options.create); throws
  /// std::runtime_error saying what is wrong.
  static std::unique_ptr<jetstream_key_store> open(const jetstream_options& options);

  added_key add(const std::string& name, std::int64_t now_ms) override;
  std::vector<key_row> list() override;
  bool revoke(const std::string& name, std::int64_t now_ms) override;
  std::optional<key_holder> authenticate(std::string_view key) override;
  bool active(std::int64_t id) override;

private:
  // One key's entry as the bucket holds it, with the revision a revocation must match.
  struct entry {
    std::int64_t id = 0;
    std::uint64_t revision = 0;
    std::string name;
    std::string hash;
    std::int64_t created_ms = 0;
    std::int64_t revoked_ms = 0;
  };

  jetstream_key_store(nats::link link, nats::handle<kvStore> kv) : link_(std::move(link)), kv_(std::move(kv)) {}
  std::vector<entry> entries();
  std::optional<entry> get(std::int64_t id);
  bool put(const entry& e, bool create);

  nats::link link_;
  nats::handle<kvStore> kv_;
};

}  // namespace roundtable::store

// Facilitators' keys (store/key_store.hpp) on a real SQLite file and in a real nats-server's KV bucket: only
// hashes are kept, a name has at most one working key, revocation is seen by a store opened before it, and
// the names a key may have.
#include "store/sqlite_key_store.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <thread>

#include "crypto.hpp"
#include "nats_server.hpp"
#include "store/event_store.hpp"
#include "store/jetstream_key_store.hpp"

namespace roundtable::store {
namespace {

namespace fs = std::filesystem;

// The same rules hold in both stores: the SQLite file ("sqlite") and a real nats-server's KV bucket ("nats").
class KeyStoreTest : public ::testing::TestWithParam<std::string> {
protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("rt-keys-" + std::to_string(std::random_device{}()));
    fs::create_directories(dir_);
    if (GetParam() == "sqlite")
      create_schema(dir_ / "rt.db");
    else
      nats_ = std::make_unique<test::nats_server>((dir_ / "nats").string());
    keys_ = open();
  }
  void TearDown() override {
    keys_.reset();
    nats_.reset();
    fs::remove_all(dir_);
  }
  // Another store on the same place, as another process (the `keys` command) opens it.
  std::unique_ptr<key_store> open() {
    if (!nats_) return sqlite_key_store::open(dir_ / "rt.db");
    jetstream_options o;
    o.servers = {nats_->url()};
    return jetstream_key_store::open(o);
  }
  // Every byte the store keeps on disk, once `needle` is among them (JetStream writes its files shortly
  // after the PubAck; at most 5 s), or whatever is there by then.
  std::string on_disk_once_it_holds(const std::string& needle) {
    std::string text;
    for (int i = 0; i < 50; ++i) {
      text.clear();
      for (const auto& f : fs::recursive_directory_iterator(dir_))
        if (f.is_regular_file()) {
          std::ifstream in(f.path(), std::ios::binary);
          text.append(std::istreambuf_iterator<char>(in), {});
        }
      if (text.find(needle) != std::string::npos) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return text;
  }

  fs::path dir_;
  std::unique_ptr<test::nats_server> nats_;
  std::unique_ptr<key_store> keys_;
};

INSTANTIATE_TEST_SUITE_P(Stores, KeyStoreTest, ::testing::Values("sqlite", "nats"),
                         [](const auto& info) { return info.param; });

TEST_P(KeyStoreTest, AnAddedKeyAuthenticatesAndOnlyItsHashIsStored) {
  const auto added = keys_->add("alice", 1000);
  ASSERT_EQ(added.result, added_key::kind::added);
  EXPECT_EQ(added.key.size(), 32u);
  const auto holder = keys_->authenticate(added.key);
  ASSERT_TRUE(holder);
  EXPECT_EQ(holder->name, "alice");
  EXPECT_TRUE(keys_->active(holder->id));
  const auto text = on_disk_once_it_holds(crypto::sha256_hex(added.key));
  EXPECT_NE(text.find(crypto::sha256_hex(added.key)), std::string::npos);
  EXPECT_EQ(text.find(added.key), std::string::npos) << "the key itself is on disk";
}

TEST_P(KeyStoreTest, WrongKeysAndNearMissesAreRefused) {
  const auto key = keys_->add("alice", 1000).key;
  EXPECT_FALSE(keys_->authenticate(""));
  EXPECT_FALSE(keys_->authenticate(key.substr(1)));
  EXPECT_FALSE(keys_->authenticate(key + "x"));
  auto flipped = key;
  flipped.back() = flipped.back() == 'A' ? 'B' : 'A';
  EXPECT_FALSE(keys_->authenticate(flipped));
  EXPECT_FALSE(keys_->authenticate(crypto::sha256_hex(key))) << "the stored hash is not a key";
}

TEST_P(KeyStoreTest, ANameHasOneWorkingKeyAndARevokedNameGetsANewOne) {
  const auto first = keys_->add("alice", 1000);
  EXPECT_EQ(keys_->add("alice", 2000).result, added_key::kind::taken);
  const auto old_id = keys_->authenticate(first.key)->id;
  EXPECT_TRUE(keys_->revoke("alice", 3000));
  EXPECT_FALSE(keys_->revoke("alice", 3500)) << "nothing left to revoke";
  EXPECT_FALSE(keys_->active(old_id));
  EXPECT_FALSE(keys_->authenticate(first.key));
  const auto second = keys_->add("alice", 4000);
  ASSERT_EQ(second.result, added_key::kind::added);
  EXPECT_NE(second.key, first.key);
  EXPECT_EQ(keys_->authenticate(second.key)->name, "alice");
  EXPECT_FALSE(keys_->authenticate(first.key)) << "a new key does not bring the revoked one back";
  EXPECT_FALSE(keys_->active(old_id));
  const auto rows = keys_->list();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].revoked_ms, 3000);
  EXPECT_EQ(rows[1].created_ms, 4000);
  EXPECT_EQ(rows[1].revoked_ms, 0);
}

TEST_P(KeyStoreTest, ARevocationIsSeenByAStoreOpenedBeforeIt) {
  const auto key = keys_->add("bob", 1000).key;
  const auto id = keys_->authenticate(key)->id;
  // Another process (the `keys revoke` command) revokes while the server holds its connection.
  open()->revoke("bob", 2000);
  EXPECT_FALSE(keys_->active(id));
  EXPECT_FALSE(keys_->authenticate(key));
}

TEST_P(KeyStoreTest, TwoNamesHaveTwoKeys) {
  const auto a = keys_->add("alice", 1000).key;
  const auto b = keys_->add("bob", 1000).key;
  EXPECT_EQ(keys_->authenticate(a)->name, "alice");
  EXPECT_EQ(keys_->authenticate(b)->name, "bob");
  keys_->revoke("alice", 2000);
  EXPECT_EQ(keys_->authenticate(b)->name, "bob");
}

TEST(KeyName, TheRulesOfANamesCharacters) {
  for (const char* good : {"alice", "a", "team-2", "x_y", "0day", "abcdefghijklmnopqrstuvwxyz012345"})
    EXPECT_TRUE(valid_key_name(good)) << good;
  for (const char* bad : {"", "admin", "Alice", "-lead", "_x", "a b", "é", "a/b", "abcdefghijklmnopqrstuvwxyz0123456"})
    EXPECT_FALSE(valid_key_name(bad)) << bad;
}

TEST(KeyStoreOpen, AnUnmigratedFileIsRefused) {
  const auto dir = fs::temp_directory_path() / ("rt-keys-old-" + std::to_string(std::random_device{}()));
  fs::create_directories(dir);
  { auto db = sqlite::db::open(dir / "old.db", true, 5000); }
  EXPECT_THROW(sqlite_key_store::open(dir / "old.db"), std::runtime_error);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace roundtable::store

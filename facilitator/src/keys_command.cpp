// `facilitator keys add NAME | list | revoke NAME`: the facilitators' keys in the database, offline.
#include <iostream>

#include "commands.hpp"
#include "roundtable/command_line.hpp"
#include "store/key_store.hpp"
#include "store_place.hpp"
#include "wall_clock.hpp"

namespace roundtable::facilitator {

namespace {

constexpr const char* keys_about =
    "Gives each facilitator a key of their own: a facilitator key sees and drives only the sessions it\n"
    "started and the cases it saved (and the read-only folder cases); the server's own key (--key) stays\n"
    "the admin key and sees everything. The database (or with --nats the cluster's KV bucket, shared by\n"
    "every facilitator on it) keeps only a hash of each key: `add` prints the key\n"
    "once. A revoked key stops working at the server's next request, without a restart. A name whose key\n"
    "was revoked may be given a new one; it keeps the name's sessions and cases.\n"
    "\n"
    "  add NAME     make a key for NAME (1 to 32 of a-z 0-9 - _; not admin); creates the database if needed\n"
    "  list         every key's name, when it was made, and whether it was revoked (never a key)\n"
    "  revoke NAME  revoke NAME's key";

int add_key(const store_place& place, const std::string& name) {
  if (!store::valid_key_name(name))
    throw cli::usage_error(
        "a key's name is 1 to 32 of a-z, 0-9, '-' and '_', starting with a letter or digit, "
        "and not 'admin'");
  const auto added = place.keys(true)->add(name, wall_ms());
  if (added.result == store::added_key::kind::taken) {
    std::cerr << "facilitator keys: " << name << " has a key already; revoke it first to give them a new one\n";
    return 1;
  }
  std::cout << added.key << "\n";
  std::cerr << "the key for " << name << " (shown only now; the database keeps a hash of it)\n";
  return 0;
}

int list_keys(const store_place& place) {
  const auto rows = place.keys(false)->list();
  if (rows.empty()) std::cout << "no facilitator keys (only the admin key, --key, works)\n";
  for (const auto& k : rows)
    std::cout << k.name << "\tcreated " << utc_minute(k.created_ms)
              << (k.revoked_ms ? "\trevoked " + utc_minute(k.revoked_ms) : std::string("\tactive")) << "\n";
  return 0;
}

int revoke_key(const store_place& place, const std::string& name) {
  if (!place.keys(false)->revoke(name, wall_ms())) {
    std::cerr << "facilitator keys: " << name << " has no working key " << place.where() << "\n";
    return 1;
  }
  std::cout << "revoked the key of " << name << "\n";
  return 0;
}

}  // namespace

int keys_command(const std::vector<std::string>& args) {
  cli::command_line line("facilitator", "keys",
                         "usage: facilitator keys (--db FILE | --nats URL) (add NAME | list | revoke NAME)",
                         keys_about);
  store_place place;
  std::vector<std::string> words;
  place.declare(line, "the SQLite database");
  line.words("ACTION", words, "add NAME, list or revoke NAME");
  return cli::run(line, args, [&] {
    place.check();
    const auto action = words.empty() ? std::string() : words[0];
    if (action == "list" && words.size() == 1) return list_keys(place);
    if (action == "add" && words.size() == 2) return add_key(place, words[1]);
    if (action == "revoke" && words.size() == 2) return revoke_key(place, words[1]);
    throw cli::usage_error("say add NAME, list or revoke NAME");
  });
}

}  // namespace roundtable::facilitator

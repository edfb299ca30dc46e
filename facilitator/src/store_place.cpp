#include "store_place.hpp"

#include "store/event_reader.hpp"
#include "store/event_store.hpp"
#include "store/jetstream_key_store.hpp"
#include "store/jetstream_store.hpp"
#include "store/sqlite_key_store.hpp"

namespace roundtable::facilitator {

namespace {

store::jetstream_options existing_stream(const std::vector<std::string>& servers) {
  store::jetstream_options o;
  o.servers = servers;
  o.create = false;  // a command pointed at the wrong NATS says so instead of making an empty stream there
  o.ready_deadline_ms = o.write_deadline_ms;  // a command is pointed at a cluster that runs, not one starting
  return o;
}

}  // namespace

void check_nats_urls(const std::vector<std::string>& urls) {
  for (const auto& url : urls) {
    const auto colon = url.rfind(':');
    if (url.rfind("nats://", 0) != 0 || colon < 7 || colon + 1 == url.size())
      throw cli::usage_error("--nats takes nats://HOST:PORT[,nats://HOST:PORT...], not '" + url + "'");
  }
}

void store_place::declare(cli::command_line& line, const std::string& db_help) {
  line.text("db", db, db_help, "FILE")
      .list("nats", nats, "the sessions of `serve --nats` instead: nats://HOST:PORT, comma-separated for a cluster",
            "URL");
}

void store_place::check() const {
  if (db.has_value() == !nats.empty()) throw cli::usage_error("one of --db and --nats is required, not both");
  check_nats_urls(nats);
}

std::unique_ptr<store::log_reader> store_place::reader() const {
  if (db) return store::event_reader::open(*db);
  return store::jetstream_store::open(existing_stream(nats));
}

std::unique_ptr<store::log_store> store_place::writer() const {
  if (db) return store::event_store::open(*db, {.create = false});
  return store::jetstream_store::open(existing_stream(nats));
}

std::unique_ptr<store::key_store> store_place::keys(bool create) const {
  if (db) {
    if (create)
      store::create_schema(*db);
    else
      store::event_reader::open(*db);  // read-only first: a mistyped --db is an error, never a new file
    return store::sqlite_key_store::open(*db);
  }
  auto o = existing_stream(nats);
  o.create = create;
  return store::jetstream_key_store::open(o);
}

std::string store_place::where() const {
  if (db) return "in " + *db;
  std::string list;
  for (const auto& url : nats) list += (list.empty() ? "" : ",") + url;
  return "on NATS " + list;
}

}  // namespace roundtable::facilitator

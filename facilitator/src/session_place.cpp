#include "session_place.hpp"

#include "store/event_reader.hpp"
#include "store/event_store.hpp"
#include "store/jetstream_store.hpp"

namespace roundtable::facilitator {

namespace {

store::jetstream_options existing_stream(const std::vector<std::string>& servers) {
  store::jetstream_options o;
  o.servers = servers;
  o.create = false;  // a command pointed at the wrong NATS says so instead of making an empty stream there
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

void session_place::declare(cli::command_line& line, const std::string& db_help) {
  line.text("db", db, db_help, "FILE")
      .list("nats", nats, "the sessions of `serve --nats` instead: nats://HOST:PORT, comma-separated for a cluster",
            "URL");
}

void session_place::check() const {
  if (db.has_value() == !nats.empty()) throw cli::usage_error("one of --db and --nats is required, not both");
  check_nats_urls(nats);
}

std::unique_ptr<store::log_reader> session_place::reader() const {
  if (db) return store::event_reader::open(*db);
  return store::jetstream_store::open(existing_stream(nats));
}

std::unique_ptr<store::log_store> session_place::writer() const {
  if (db) return store::event_store::open(*db, {.create = false});
  return store::jetstream_store::open(existing_stream(nats));
}

std::string session_place::where() const {
  if (db) return "in " + *db;
  std::string list;
  for (const auto& url : nats) list += (list.empty() ? "" : ",") + url;
  return "on NATS " + list;
}

}  // namespace roundtable::facilitator

#pragma once

// Where the offline commands (export, report, purge, keys) find the sessions and the facilitators' keys: the
// SQLite file of --db, or the JetStream stream and buckets of --nats that `serve --nats` uses (issue 13). One
// of the two, never both.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "roundtable/command_line.hpp"
#include "store/key_store.hpp"
#include "store/log_store.hpp"

namespace roundtable::facilitator {

/// Throws cli::usage_error unless every URL is nats://HOST:PORT.
void check_nats_urls(const std::vector<std::string>& urls);

/// --db FILE or --nats URL[,URL...] on an offline command, and the stores it names.
struct store_place {
  std::optional<std::string> db;
  std::vector<std::string> nats;

  /// Declares --db and --nats on the command; `db_help` says what the file is for.
  void declare(cli::command_line& line, const std::string& db_help);
  /// Throws cli::usage_error unless exactly one of --db and --nats was given, well formed.
  void check() const;
  /// The store opened to read only: the file read-only, or JetStream without creating its stream.
  std::unique_ptr<store::log_reader> reader() const;
  /// The store opened to delete sessions: only one that exists already (a typo creates nothing).
  std::unique_ptr<store::log_store> writer() const;
  /// The facilitators' keys there; with `create`, the file or the bucket is made when missing.
  std::unique_ptr<store::key_store> keys(bool create) const;
  /// Where, for an error message: "in FILE" or "on NATS URL".
  std::string where() const;
};

}  // namespace roundtable::facilitator

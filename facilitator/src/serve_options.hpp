// `facilitator serve`'s options: each flag declared once, with its help and default.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "log.hpp"
#include "net/limits.hpp"
#include "rate_limit.hpp"
#include "roundtable/command_line.hpp"
#include "scenario_library.hpp"

namespace roundtable::facilitator {

/// Everything `serve` is told by its flags, variables and config file.
struct serve_options {
  std::string host = "127.0.0.1";
  bool lan = false;  // --lan: every interface, and this machine's network address in the join link
  unsigned short port = 8080;
  std::string db = "roundtable.db";
  std::string scenarios_dir = "scenarios";
  std::optional<std::string> key;
  std::optional<std::string> key_file;
  int min_group = 3;
  std::optional<std::string> public_url;  // without a trailing slash
  std::vector<std::string> origins;       // --allow-origin, and the public URL's
  std::vector<std::string> trusted_proxies;
  bool metrics_public = false;
  std::string web_root;
  std::optional<std::string> tls_cert;
  std::optional<std::string> tls_key;
  std::string log_format_text = "text";        // --log-format as given
  log::format log_format = log::format::text;  // ... and read
  net::limits net;
  rate_limits rates;
  case_limits cases;
  std::chrono::minutes confidential_retention{0};
  std::vector<std::string> nats;  // --nats: the JetStream store's servers (empty: the SQLite store)
  int nats_replicas = 1;          // --nats-replicas
};

/// Declares serve's flags on `line`, each filling its field of `o`.
void declare_serve_options(cli::command_line& line, serve_options& o);

/// Checks what no single flag can (pairs, addresses) and completes `o`; throws cli::usage_error.
void complete_serve_options(serve_options& o);

}  // namespace roundtable::facilitator

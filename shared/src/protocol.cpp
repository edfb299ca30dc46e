#include "roundtable/protocol.hpp"

#include <utility>

#include "roundtable/overloaded.hpp"
#include "roundtable/text.hpp"

namespace roundtable::protocol {

using nlohmann::json;

namespace {

// Names, codes and keys are short; only a perspective's text may be long.
constexpr std::size_t max_name = 200;

// Deeper JSON is refused before it is parsed: nlohmann recurses on copy and on a few other paths, and
// no message of the protocol nests more than a handful of levels.
constexpr std::size_t max_depth = 32;

// True when objects and arrays in text nest deeper than max levels (brackets inside strings do not
// count). One pass over the bytes, cheaper than the parse it guards.
bool nests_deeper_than(std::string_view text, std::size_t max) {
  enum class place { value, string, escape };
  place at = place::value;
  std::size_t depth = 0;
  for (const char c : text) {
    switch (at) {
      case place::escape:
        at = place::string;
        break;
      case place::string:
        if (c == '\\') at = place::escape;
        if (c == '"') at = place::value;
        break;
      case place::value:
        if (c == '"') at = place::string;
        if ((c == '[' || c == '{') && ++depth > max) return true;
        if ((c == ']' || c == '}') && depth > 0) --depth;
        break;
    }
  }
  return false;
}

struct refusal {
  error e;
};

[[noreturn]] void refuse(error_code code, std::string message) {
  throw refusal{{code, std::move(message)}};
}

const json& need(const json& j, const char* key) {
  const auto it = j.find(key);
  if (it == j.end()) refuse(error_code::bad_message, std::string("missing field \"") + key + "\"");
  return *it;
}

std::string str(const json& j, const char* key, std::size_t max = max_name) {
  const json& v = need(j, key);
  if (!v.is_string()) refuse(error_code::bad_message, std::string("field \"") + key + "\" must be a string");
  const auto& s = v.get_ref<const std::string&>();
  if (s.size() > max)
    refuse(error_code::too_large, std::string("field \"") + key + "\" is over " + std::to_string(max) + " bytes");
  return s;
}

std::optional<long long> opt_int(const json& j, const char* key) {
  const auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::nullopt;
  if (!it->is_number_integer())
    refuse(error_code::bad_message, std::string("field \"") + key + "\" must be an integer");
  if (it->is_number_unsigned() && it->get<unsigned long long>() > static_cast<unsigned long long>(INT64_MAX))
    return INT64_MAX;
  return it->get<long long>();
}

// The messages below take more than their fields' types to read: each has its own reader.
join read_join(const json& j) {
  join m{str(j, "code"), str(j, "token")};
  if (!text::is_token(m.token))
    refuse(error_code::bad_message, "malformed token: 22 to 64 characters of A-Z, a-z, 0-9, _ and -");
  return m;
}

// The optional boolean options.NAME into out.
void opt_bool(const json& options, const char* name, std::optional<bool>& out) {
  const auto l = options.find(name);
  if (l == options.end() || l->is_null()) return;
  if (!l->is_boolean()) refuse(error_code::bad_message, std::string("options.") + name + " must be true or false");
  out = l->get<bool>();
}

// `lenses`: a count from 0 (its upper bound, the case's models, is the session's to check).
std::optional<int> opt_lenses(const json& j, const char* field) {
  const auto n = opt_int(j, "lenses");
  if (n && (*n < 0 || *n > 64))
    refuse(error_code::bad_message,
           std::string("field \"") + field + "\" must be from 0 to the case's number of models");
  return n ? std::optional<int>(static_cast<int>(*n)) : std::nullopt;
}

start read_start(const json& j) {
  start m;
  // A case's id, or the case itself (validated later, by the same reader as the files).
  if (const json& sc = need(j, "scenario"); sc.is_object())
    m.inline_scenario = sc;
  else if (sc.is_string())
    m.scenario = str(j, "scenario");
  else
    refuse(error_code::bad_message, "field \"scenario\" must be a scenario id or a scenario object");
  const auto it = j.find("options");
  if (it == j.end() || it->is_null()) return m;
  if (!it->is_object()) refuse(error_code::bad_message, "field \"options\" must be an object");
  if (const auto g = opt_int(*it, "min_group")) {
    if (*g < 1 || *g > 50) refuse(error_code::bad_message, "options.min_group must be from 1 to 50");
    m.min_group = static_cast<int>(*g);
  }
  opt_bool(*it, "live", m.live);
  opt_bool(*it, "confidential", m.confidential);
  m.lenses = opt_lenses(*it, "options.lenses");
  return m;
}

goto_stage read_goto(const json& j) {
  goto_stage m{str(j, "code"), std::size_t{0}};
  const json& s = need(j, "stage");
  if (s.is_number_unsigned()) {
    m.stage = static_cast<std::size_t>(s.get<unsigned long long>());
  } else if (s.is_number_integer()) {
    // A negative index names no stage: unknown_stage, like an index past the end.
    m.stage = static_cast<std::size_t>(-1);
  } else if (s.is_string()) {
    m.stage = str(j, "stage");
  } else {
    refuse(error_code::bad_message, "field \"stage\" must be a stage index (0-based) or a stage id");
  }
  return m;
}

open read_open(const json& j) {
  open m{str(j, "code"), str(j, "question"), std::nullopt, opt_lenses(j, "lenses")};
  if (const auto s = opt_int(j, "seconds")) {
    if (*s < 5 || *s > 3600) refuse(error_code::bad_message, "field \"seconds\" must be from 5 to 3600");
    m.seconds = static_cast<int>(*s);
  }
  return m;
}

moderate read_moderate(const json& j) {
  moderate m{str(j, "code"), str(j, "perspective"), false};
  const auto action = str(j, "action");
  if (action != "show" && action != "hide")
    refuse(error_code::bad_message, "field \"action\" must be \"show\" or \"hide\"");
  m.show = action == "show";
  return m;
}

// The message of this type read from j (a table from type to reader); throws a refusal when it is malformed.
message read(const std::string& type, const json& j) {
  if (type == "join") return read_join(j);
  if (type == "vote") return vote{str(j, "question"), need(j, "ballot")};
  if (type == "perspective") return perspective{str(j, "question"), str(j, "text", 64 * 1024)};
  if (type == "endorse") return endorse{str(j, "perspective")};
  if (type == "withdraw") return withdraw{str(j, "question")};
  if (type == "host") return host{str(j, "key", 1024)};
  if (type == "start") return read_start(j);
  if (type == "attach") return attach{str(j, "code")};
  if (type == "watch") return watch{str(j, "code")};
  if (type == "end") return end{str(j, "code")};
  if (type == "purge") return purge{str(j, "code")};
  if (type == "cohost_key") return cohost_key{str(j, "code")};
  if (type == "scenario_save") {
    const json& sc = need(j, "scenario");
    if (!sc.is_object()) refuse(error_code::bad_message, "field \"scenario\" must be an object (a format 1 case)");
    return scenario_save{sc};
  }
  if (type == "scenario_get") return scenario_get{str(j, "scenario")};
  if (type == "scenario_delete") return scenario_delete{str(j, "scenario")};
  if (type == "goto") return read_goto(j);
  if (type == "open") return read_open(j);
  if (type == "close") return close{str(j, "code"), str(j, "question")};
  if (type == "reveal") return reveal{str(j, "code"), str(j, "question")};
  if (type == "hide") return hide{str(j, "code"), str(j, "question")};
  if (type == "moderate") return read_moderate(j);
  refuse(error_code::bad_message, "unknown type " + dump(json(type)));
}

}  // namespace

std::string_view type_name(const message& m) {
  return std::visit(overloaded{
                        [](const join&) { return "join"; },
                        [](const vote&) { return "vote"; },
                        [](const perspective&) { return "perspective"; },
                        [](const endorse&) { return "endorse"; },
                        [](const host&) { return "host"; },
                        [](const start&) { return "start"; },
                        [](const attach&) { return "attach"; },
                        [](const goto_stage&) { return "goto"; },
                        [](const open&) { return "open"; },
                        [](const close&) { return "close"; },
                        [](const reveal&) { return "reveal"; },
                        [](const hide&) { return "hide"; },
                        [](const moderate&) { return "moderate"; },
                        [](const end&) { return "end"; },
                        [](const purge&) { return "purge"; },
                        [](const scenario_save&) { return "scenario_save"; },
                        [](const scenario_get&) { return "scenario_get"; },
                        [](const scenario_delete&) { return "scenario_delete"; },
                        [](const watch&) { return "watch"; },
                        [](const withdraw&) { return "withdraw"; },
                        [](const cohost_key&) { return "cohost_key"; },
                    },
                    m);
}

parsed parse(std::string_view frame) {
  parsed out;
  if (nests_deeper_than(frame, max_depth)) {
    out.err = error{error_code::bad_json, "the frame nests deeper than " + std::to_string(max_depth) + " levels"};
    return out;
  }
  json j = json::parse(frame, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    out.err = error{error_code::bad_json, "the frame is not valid JSON"};
    return out;
  }
  if (!j.is_object()) {
    out.err = error{error_code::bad_message, "a request must be a JSON object"};
    return out;
  }
  if (const auto it = j.find("id"); it != j.end() && !it->is_null()) {
    if (!it->is_string()) {
      out.err = error{error_code::bad_message, "field \"id\" must be a string"};
      return out;
    }
    const auto& id = it->get_ref<const std::string&>();
    // The reply echoes the id even when it is refused, so the client can match it to its request.
    out.id = id;
    // "at most 64 characters": code points, like every length of the protocol.
    if (text::code_points(id) > max_request_id) {
      out.err = error{error_code::too_large, "field \"id\" is over " + std::to_string(max_request_id) + " characters"};
      return out;
    }
  }
  const auto t = j.find("type");
  if (t == j.end() || !t->is_string()) {
    out.err = error{error_code::bad_message, "field \"type\" (a string) is required"};
    return out;
  }
  try {
    out.msg = read(t->get<std::string>(), j);
  } catch (const refusal& r) {
    out.err = r.e;
  } catch (const json::exception& e) {
    out.err = error{error_code::bad_message, e.what()};
  }
  return out;
}

json ack(const std::optional<std::string>& id) {
  json j{{"type", "ack"}};
  if (id) j["id"] = *id;
  return j;
}

json error_reply(const std::optional<std::string>& id, const error& e) {
  json j{{"type", "error"}};
  if (id) j["id"] = *id;
  j["code"] = to_string(e.code);
  j["message"] = e.message;
  return j;
}

std::string dump(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace roundtable::protocol

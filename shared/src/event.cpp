#include "roundtable/event.hpp"

#include <type_traits>

#include "roundtable/overloaded.hpp"

namespace roundtable::events {

using nlohmann::json;

std::string_view type_name(const event& e) {
  return std::visit(overloaded{
                        [](const started&) { return "started"; },
                        [](const joined&) { return "joined"; },
                        [](const stage_shown&) { return "stage_shown"; },
                        [](const round_opened&) { return "round_opened"; },
                        [](const round_closed&) { return "round_closed"; },
                        [](const ballot_cast&) { return "ballot_cast"; },
                        [](const revealed&) { return "revealed"; },
                        [](const hidden&) { return "hidden"; },
                        [](const tally_published&) { return "tally_published"; },
                        [](const perspective_posted&) { return "perspective_posted"; },
                        [](const perspective_moderated&) { return "perspective_moderated"; },
                        [](const endorsed&) { return "endorsed"; },
                        [](const ended&) { return "ended"; },
                        [](const ballot_withdrawn&) { return "ballot_withdrawn"; },
                        [](const timer_set&) { return "timer_set"; },
                        [](const lens_dealt&) { return "lens_dealt"; },
                    },
                    e);
}

json to_json(const event& e) {
  json j = std::visit(
      overloaded{
          [](const started& x) {
            json o{{"code", x.code},
                   {"scenario", roundtable::to_json(x.copy)},
                   {"min_group", x.min_group},
                   {"live", x.live},
                   {"at_ms", x.at_ms}};
            // Written only when true, so the logs of other sessions read as before.
            if (x.confidential) o["confidential"] = true;
            if (x.lenses) o["lenses"] = *x.lenses;
            // Likewise only for a facilitator key's session: the admin's read as every session before keys.
            if (!x.owner.empty()) o["owner"] = x.owner;
            return o;
          },
          [](const joined& x) {
            return json{{"voter", x.voter}};
          },
          [](const stage_shown& x) {
            json o{{"index", x.index}};
            if (x.at_ms) o["at_ms"] = x.at_ms;
            return o;
          },
          [](const round_opened& x) {
            json o{{"question", x.question}, {"at_ms", x.at_ms}};
            if (x.seconds) o["seconds"] = *x.seconds;
            if (x.deal) o["deal"] = json{{"lenses", x.deal->lenses}, {"holders", x.deal->holders}};
            return o;
          },
          [](const round_closed& x) {
            return json{{"question", x.question}};
          },
          [](const ballot_cast& x) {
            return json{{"question", x.question},
                        {"round", x.round},
                        {"voter", x.voter},
                        {"ballot", x.ballot},
                        {"request", x.request}};
          },
          [](const revealed& x) {
            return json{{"question", x.question}};
          },
          [](const hidden& x) {
            return json{{"question", x.question}};
          },
          [](const tally_published& x) {
            return json{{"question", x.question}, {"round", x.round}};
          },
          [](const perspective_posted& x) {
            return json{{"question", x.question}, {"round", x.round},    {"voter", x.voter}, {"id", x.id},
                        {"text", x.text},         {"request", x.request}};
          },
          [](const perspective_moderated& x) {
            return json{{"id", x.id}, {"shown", x.shown}};
          },
          [](const endorsed& x) {
            return json{{"perspective", x.perspective}, {"voter", x.voter}, {"request", x.request}};
          },
          [](const ended& x) {
            return json{{"at_ms", x.at_ms}};
          },
          [](const timer_set& x) {
            return json{{"question", x.question}, {"round", x.round}, {"seconds", x.seconds}, {"at_ms", x.at_ms}};
          },
          [](const ballot_withdrawn& x) {
            return json{{"question", x.question}, {"round", x.round}, {"voter", x.voter}, {"request", x.request}};
          },
          [](const lens_dealt& x) {
            return json{{"question", x.question}, {"round", x.round}, {"voter", x.voter}, {"model", x.model}};
          },
      },
      e);
  j["type"] = type_name(e);
  return j;
}

namespace {

// Typed field readers that throw a message on a malformed stored event.
struct bad_event {
  std::string what;
};

const json& need(const json& j, const char* key) {
  const auto it = j.find(key);
  if (it == j.end()) throw bad_event{std::string("missing field \"") + key + "\""};
  return *it;
}
std::string str(const json& j, const char* key) {
  const json& v = need(j, key);
  if (!v.is_string()) throw bad_event{std::string("field \"") + key + "\" must be a string"};
  return v.get<std::string>();
}
std::int64_t integer(const json& j, const char* key) {
  const json& v = need(j, key);
  if (!v.is_number_integer()) throw bad_event{std::string("field \"") + key + "\" must be an integer"};
  return v.get<std::int64_t>();
}
bool boolean(const json& j, const char* key) {
  const json& v = need(j, key);
  if (!v.is_boolean()) throw bad_event{std::string("field \"") + key + "\" must be a boolean"};
  return v.get<bool>();
}

// A stored deal: {"lenses":k,"holders":[[voter ids]...]} with k lists (none when k is 0).
lens_deal read_deal(const json& j) {
  lens_deal d{static_cast<int>(integer(j, "lenses")), {}};
  const json& h = need(j, "holders");
  if (d.lenses < 0 || !h.is_array() || h.size() != static_cast<std::size_t>(d.lenses))
    throw bad_event{"a deal needs one list of holders per lens"};
  for (const auto& list : h) {
    if (!list.is_array()) throw bad_event{"a lens's holders must be a list"};
    auto& out = d.holders.emplace_back();
    for (const auto& v : list) {
      if (!v.is_number_unsigned()) throw bad_event{"a holder must be a voter number"};
      out.push_back(v.get<voter_id>());
    }
  }
  return d;
}

event read(const json& j) {
  const std::string type = str(j, "type");
  if (type == "started") {
    auto parsed = parse_scenario(need(j, "scenario").dump(), "stored scenario");
    if (!parsed.value) throw bad_event{parsed.errors.empty() ? "invalid scenario" : parsed.errors[0].to_string()};
    started s{str(j, "code"),
              std::move(*parsed.value),
              static_cast<int>(integer(j, "min_group")),
              boolean(j, "live"),
              integer(j, "at_ms"),
              j.contains("confidential") && boolean(j, "confidential"),
              std::nullopt,
              j.contains("owner") ? str(j, "owner") : std::string()};
    if (j.contains("lenses")) s.lenses = static_cast<int>(integer(j, "lenses"));
    return s;
  }
  if (type == "joined") return joined{str(j, "voter")};
  if (type == "stage_shown") {
    const auto i = integer(j, "index");
    if (i < 0) throw bad_event{"negative stage index"};
    return stage_shown{static_cast<std::size_t>(i), j.contains("at_ms") ? integer(j, "at_ms") : 0};
  }
  if (type == "round_opened") {
    round_opened o{str(j, "question"), std::nullopt, integer(j, "at_ms"), std::nullopt};
    if (j.contains("seconds")) o.seconds = static_cast<int>(integer(j, "seconds"));
    if (j.contains("deal")) o.deal = read_deal(need(j, "deal"));
    return o;
  }
  if (type == "round_closed") return round_closed{str(j, "question")};
  if (type == "ballot_cast")
    return ballot_cast{str(j, "question"), static_cast<int>(integer(j, "round")), str(j, "voter"), need(j, "ballot"),
                       str(j, "request")};
  if (type == "revealed") return revealed{str(j, "question")};
  if (type == "hidden") return hidden{str(j, "question")};
  if (type == "tally_published") return tally_published{str(j, "question"), static_cast<int>(integer(j, "round"))};
  if (type == "perspective_posted")
    return perspective_posted{str(j, "question"), static_cast<int>(integer(j, "round")),
                              str(j, "voter"),    str(j, "id"),
                              str(j, "text"),     str(j, "request")};
  if (type == "perspective_moderated") return perspective_moderated{str(j, "id"), boolean(j, "shown")};
  if (type == "endorsed") return endorsed{str(j, "perspective"), str(j, "voter"), str(j, "request")};
  if (type == "ended") return ended{integer(j, "at_ms")};
  if (type == "timer_set")
    return timer_set{str(j, "question"), static_cast<int>(integer(j, "round")), static_cast<int>(integer(j, "seconds")),
                     integer(j, "at_ms")};
  if (type == "ballot_withdrawn")
    return ballot_withdrawn{str(j, "question"), static_cast<int>(integer(j, "round")), str(j, "voter"),
                            str(j, "request")};
  if (type == "lens_dealt") {
    const auto m = integer(j, "model");
    if (m < 0) throw bad_event{"negative model index"};
    return lens_dealt{str(j, "question"), static_cast<int>(integer(j, "round")), str(j, "voter"),
                      static_cast<std::size_t>(m)};
  }
  throw bad_event{"unknown event type \"" + type + "\""};
}

}  // namespace

result<event> event_from_json(const json& j) {
  if (!j.is_object()) return error{error_code::bad_message, "a stored event must be a JSON object"};
  try {
    return read(j);
  } catch (const bad_event& e) {
    return error{error_code::bad_message, "stored event: " + e.what};
  } catch (const json::exception& e) {
    return error{error_code::bad_message, std::string("stored event: ") + e.what()};
  }
}

}  // namespace roundtable::events

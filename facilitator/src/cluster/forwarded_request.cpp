#include "cluster/forwarded_request.hpp"

#include <nlohmann/json.hpp>

#include "roundtable/overloaded.hpp"
#include "roundtable/protocol.hpp"

namespace roundtable::facilitator::cluster {

namespace {

using nlohmann::json;

// A voter key is an HMAC-SHA256 in hex: 64 characters.
constexpr std::size_t max_voter = 128;

json client_frame(const participant_request& r) {
  return std::visit(overloaded{
                        [](const protocol::vote& v) -> json {
                          return {{"type", "vote"}, {"question", v.question}, {"ballot", v.ballot}};
                        },
                        [](const protocol::perspective& p) -> json {
                          return {{"type", "perspective"}, {"question", p.question}, {"text", p.text}};
                        },
                        [](const protocol::endorse& e) -> json {
                          return {{"type", "endorse"}, {"perspective", e.perspective}};
                        },
                        [](const protocol::withdraw& w) -> json {
                          return {{"type", "withdraw"}, {"question", w.question}};
                        },
                    },
                    r);
}

}  // namespace

std::string encode(const forwarded_request& f) {
  auto frame = client_frame(f.request);
  if (f.id) frame["id"] = *f.id;
  return protocol::dump(json{{"voter", f.voter}, {"frame", protocol::dump(frame)}});
}

std::optional<forwarded_request> decode(std::string_view body) {
  const auto j = json::parse(body, nullptr, false);
  if (!j.is_object()) return std::nullopt;
  const auto voter = j.find("voter");
  const auto frame = j.find("frame");
  if (voter == j.end() || !voter->is_string() || frame == j.end() || !frame->is_string()) return std::nullopt;
  const auto& key = voter->get_ref<const std::string&>();
  if (key.empty() || key.size() > max_voter) return std::nullopt;
  auto parsed = protocol::parse(frame->get_ref<const std::string&>());
  if (!parsed.msg) return std::nullopt;
  auto sorted = sort_request(std::move(*parsed.msg));
  auto* r = std::get_if<participant_request>(&sorted);
  if (!r) return std::nullopt;  // only a participant's requests are forwarded
  return forwarded_request{key, std::move(*r), std::move(parsed.id)};
}

}  // namespace roundtable::facilitator::cluster

// The session's construction, lookups and the refusals its decide functions share.
// The rest of the class is beside this file: session_decide.cpp (commands -> events),
// session_apply.cpp (the fold), session_views.cpp (per-role views and pushes), session_export.cpp.
#include "roundtable/session.hpp"

#include <algorithm>
#include <utility>

#include "session_detail.hpp"

namespace roundtable {

using events::event;
using nlohmann::json;

namespace session_detail {

std::string json_quoted(std::string_view s) {
  return protocol::dump(json(std::string(s)));
}

error unknown_question(const std::string& q) {
  return {error_code::unknown_question, "this session has no question " + json_quoted(q)};
}

}  // namespace session_detail

events::started make_started(std::string code, scenario s, int server_min_group, const protocol::start& options,
                             std::int64_t now_ms) {
  const int requested = options.min_group.value_or(server_min_group);
  const int in_force = std::clamp(std::max(server_min_group, requested), min_group_floor, min_group_ceiling);
  // The owner is the server's to say (the key that started it): empty, the admin's, until it does.
  return events::started{std::move(code), std::move(s),
                         in_force,        options.live.value_or(false),
                         now_ms,          options.confidential.value_or(false),
                         options.lenses,  std::string()};
}

session::session(const events::started& e)
    : code_(e.code),
      scenario_(e.copy),
      min_group_(e.min_group),
      live_(e.live),
      confidential_(e.confidential),
      owner_(e.owner),
      started_ms_(e.at_ms) {
  if (e.lenses) lenses_ = std::clamp(*e.lenses, 0, static_cast<int>(scenario_.models.size()));
  for (std::size_t i = 0; i < scenario_.stages.size(); ++i) {
    const auto& st = scenario_.stages[i];
    if (!st.question) continue;
    questions_[st.id].stage = i;
    if (st.question->type == question_type::model_outcome && st.question->assign) assigns_ = true;
  }
}

result<session> session::replay(const std::vector<event>& log) {
  if (log.empty() || !std::holds_alternative<events::started>(log.front()))
    return error{error_code::internal, "a session's log must begin with its started event"};
  session s(std::get<events::started>(log.front()));
  for (std::size_t i = 1; i < log.size(); ++i) {
    auto r = s.apply(log[i]);
    if (!r)
      return error{error_code::internal, "event " + std::to_string(i) + " (" + std::string(events::type_name(log[i])) +
                                             ") does not apply: " + r.err().message};
  }
  return s;
}

// ----- lookups -----

const session::question_state* session::find(const std::string& question) const {
  const auto it = questions_.find(question);
  return it == questions_.end() ? nullptr : &it->second;
}

session::question_state* session::find(const std::string& question) {
  const auto it = questions_.find(question);
  return it == questions_.end() ? nullptr : &it->second;
}

std::optional<voter_id> session::voter(const events::voter_key& key) const {
  const auto it = voter_ids_.find(key);
  if (it == voter_ids_.end()) return std::nullopt;
  return it->second;
}

int session::round(const std::string& question) const {
  const auto* q = find(question);
  return q ? static_cast<int>(q->rounds.size()) : 0;
}

bool session::round_open(const std::string& question) const {
  const auto* q = find(question);
  return q && open_round(*q);
}

std::size_t session::ballots(const std::string& question) const {
  const auto* q = find(question);
  if (!q || q->rounds.empty()) return 0;
  const auto& r = q->rounds.back();
  return std::max(answers(r), r.posters.size());
}

std::optional<std::int64_t> session::closes_at(const std::string& question) const {
  const auto* q = find(question);
  const auto* r = q ? open_round(*q) : nullptr;
  if (!r) return std::nullopt;
  return r->closes_at_ms;
}

std::vector<std::string> session::question_ids() const {
  std::vector<std::string> ids;
  for (const auto& st : scenario_.stages)
    if (st.question) ids.push_back(st.id);
  return ids;
}

bool session::seen_request(voter_id v, const std::string& request, const std::string& content) const {
  return !request.empty() && requests_[v].contains(request, content);
}

std::size_t session::remembered_requests(const events::voter_key& key) const {
  const auto v = voter(key);
  return v ? requests_[*v].remembered() : 0;
}

const session::round_state* session::open_round(const question_state& q) {
  return !q.rounds.empty() && q.rounds.back().open ? &q.rounds.back() : nullptr;
}

session::round_state* session::open_round(question_state& q) {
  return !q.rounds.empty() && q.rounds.back().open ? &q.rounds.back() : nullptr;
}

// ----- the refusals the decide functions share -----

status session::check_not_ended() const {
  if (ended_) return error{error_code::session_ended, "the session has ended"};
  return ok();
}

result<voter_id> session::check_joined(const events::voter_key& key, std::string_view before) const {
  const auto who = voter(key);
  if (!who) return error{error_code::not_joined, "join the session before " + std::string(before)};
  return *who;
}

result<const session::question_state*> session::check_question(const std::string& question) const {
  const auto* q = find(question);
  if (!q) return session_detail::unknown_question(question);
  return q;
}

}  // namespace roundtable

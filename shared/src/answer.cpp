#include "roundtable/answer.hpp"

#include <nlohmann/json.hpp>

namespace roundtable {

using nlohmann::json;

result<answer> parse_answer(const scenario& s, const question& q, const json& b,
                            std::optional<std::size_t> assigned_model) {
  // A ballot naming "abstain" is read as an abstention whatever else it holds, so a mixed one is refused
  // for what it is rather than as an unknown field of the question's ballot.
  if (q.type != question_type::text && b.is_object() && b.contains("abstain")) {
    if (!q.abstain) return error{error_code::invalid_ballot, "ballot.abstain: this question offers no \"not sure\""};
    if (b["abstain"] != true) return error{error_code::invalid_ballot, "ballot.abstain: must be true"};
    if (b.size() != 1) return error{error_code::invalid_ballot, "ballot: an abstention carries no other field"};
    return answer{abstention{}};
  }
  auto parsed = parse_ballot(s, q, b, assigned_model);
  if (!parsed) return parsed.err();
  return answer{std::move(*parsed)};
}

json answer_json(const scenario& s, const question& q, const answer& a) {
  if (std::holds_alternative<abstention>(a)) return json{{"abstain", true}};
  return to_json(s, q, std::get<ballot>(a));
}

}  // namespace roundtable

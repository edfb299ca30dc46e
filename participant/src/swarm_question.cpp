#include "swarm_question.hpp"

#include "swarm_push.hpp"

namespace roundtable::participant {

std::optional<client::shown_question> swarm_question::get() const {
  std::lock_guard lock(mutex_);
  return question_;
}

std::string swarm_question::id() const {
  std::lock_guard lock(mutex_);
  return question_ ? question_->id : wanted_;
}

bool swarm_question::is(std::string_view q) const {
  std::lock_guard lock(mutex_);
  return question_ && question_->id == q;
}

void swarm_question::set(client::shown_question q) {
  std::lock_guard lock(mutex_);
  question_ = std::move(q);
}

stage_seen swarm_question::learn(const nlohmann::json& stage) {
  stage_seen seen;
  const auto& qv = object_member(stage, "question");
  const auto qid = qv.value("id", "");
  if (!wanted_.empty() && qid != wanted_) return seen;
  std::lock_guard lock(mutex_);
  if (!question_) {
    question_ = client::question_from_view(qv);
    if (question_) question_->assigned_model.reset();
  }
  if (!question_) return seen;
  if (stage.contains("assigned_model") && stage["assigned_model"].is_string()) {
    seen.has_model = true;
    seen.assigned_model = question_->scenario.model_index(stage["assigned_model"].get<std::string>());
  }
  seen.open = stage.value("status", "") == "open" && question_->id == qid;
  return seen;
}

}  // namespace roundtable::participant

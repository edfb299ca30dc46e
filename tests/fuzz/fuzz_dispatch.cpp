// libFuzzer: a whole session driven by client frames, as the server's rooms drive it, over the
// pure core. Input: lines "A<frame>", A = '0'..'7' a participant, 'F' the facilitator, 'P' a
// projector's join. Checks after every step: decided events always apply, no results below
// min_group leave the core for anyone, views serialise; at the end the event log replays to
// the same state.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "roundtable/protocol.hpp"
#include "roundtable/scenario.hpp"
#include "roundtable/session.hpp"

namespace rt = roundtable;
using nlohmann::json;

namespace {

const rt::scenario& demo() {
  static const rt::scenario s = [] {
    std::ifstream in(std::string(ROUNDTABLE_SOURCE_DIR) + "/tests/fixtures/server/demo.json");
    std::stringstream text;
    text << in.rdbuf();
    auto parsed = rt::parse_scenario(text.str(), "demo.json");
    if (!parsed.value) {
      std::cerr << "fuzz_dispatch: cannot load the demo scenario\n";
      std::abort();
    }
    return *parsed.value;
  }();
  return s;
}

template <class... F>
struct overloaded : F... {
  using F::operator()...;
};
template <class... F>
overloaded(F...) -> overloaded<F...>;

// A results message may carry a tally only with at least min_group ballots.
void check_result_message(const std::optional<json>& msg, int min_group) {
  if (!msg) return;
  if (msg->contains("tally") && msg->value("ballots", 0) < min_group) std::abort();
  if (!msg->value("suppressed", true) && msg->value("ballots", 0) < min_group) std::abort();
}

struct driver {
  rt::session s;
  std::vector<rt::events::event> log;
  std::int64_t now = 1'000'000;
  int next_perspective = 0;

  explicit driver(const rt::events::started& e) : s(e) { log.emplace_back(e); }

  void commit(const rt::result<std::vector<rt::events::event>>& decided) {
    if (!decided) return;
    for (const auto& e : *decided) {
      if (!s.apply(e)) std::abort();  // the core decided it: applying it must work
      log.push_back(e);
    }
  }

  void participant(const std::string& voter, const rt::protocol::message& m, const std::optional<std::string>& id) {
    const std::string request = id ? voter + "/" + *id : std::string();
    std::visit(overloaded{
                   [&](const rt::protocol::join&) { commit(s.decide_join(voter)); },
                   [&](const rt::protocol::vote& v) {
                     commit(s.decide_vote(voter, v, request));
                     if (auto e = s.decide_publish(v.question)) commit(std::vector<rt::events::event>{*e});
                   },
                   [&](const rt::protocol::perspective& p) {
                     commit(s.decide_perspective(voter, p, request, "p" + std::to_string(next_perspective++)));
                   },
                   [&](const rt::protocol::endorse& e) { commit(s.decide_endorse(voter, e, request)); },
                   [&](const rt::protocol::withdraw& w) {
                     commit(s.decide_withdraw(voter, w, request));
                     if (auto e = s.decide_publish(w.question)) commit(std::vector<rt::events::event>{*e});
                   },
                   [&](const auto&) {},
               },
               m);
  }

  void facilitator(const rt::protocol::message& m) {
    std::visit(overloaded{
                   [&](const rt::protocol::goto_stage& g) { commit(s.decide_goto(g.stage)); },
                   [&](const rt::protocol::open& o) { commit(s.decide_open(o, now)); },
                   [&](const rt::protocol::close& x) { commit(s.decide_close(x.question)); },
                   [&](const rt::protocol::reveal& x) { commit(s.decide_reveal(x.question, true)); },
                   [&](const rt::protocol::hide& x) { commit(s.decide_reveal(x.question, false)); },
                   [&](const rt::protocol::moderate& x) { commit(s.decide_moderate(x)); },
                   [&](const rt::protocol::end&) { commit(s.decide_end(now)); },
                   [&](const auto&) {},
               },
               m);
  }

  // Cheap, after every step: no tally under min_group for anyone.
  void check_results() {
    for (const auto r : {rt::role::participant, rt::role::facilitator})
      for (const auto& q : s.question_ids()) check_result_message(s.results_message(r, q), s.min_group());
  }

  // Every view and push serialises (at the end: costly).
  void check_views() {
    const rt::view_context ctx{"http://x/j/123456", 3, now};
    for (const auto r : {rt::role::participant, rt::role::projector, rt::role::facilitator}) {
      (void)rt::protocol::dump(s.view(r, std::string("v0"), ctx));
      for (const auto& q : s.question_ids()) {
        check_result_message(s.results_message(r, q), s.min_group());
        if (auto p = s.perspectives_message(r, q)) (void)rt::protocol::dump(*p);
      }
      for (const auto& m : s.catch_up(r)) (void)rt::protocol::dump(m);
    }
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  rt::protocol::start options{"demo", 2, false};
  if (!input.empty() && input[0] == 'L') options.live = true;
  driver d(rt::make_started("123456", demo(), 2, options, 1'000'000));
  std::size_t at = 0;
  int steps = 0;
  while (at < input.size() && steps++ < 200) {
    auto eol = input.find('\n', at);
    if (eol == std::string_view::npos) eol = input.size();
    const auto line = input.substr(at, eol - at);
    at = eol + 1;
    if (line.size() < 2) continue;
    const char who = line[0];
    const auto p = rt::protocol::parse(line.substr(1));
    d.now += 1000;
    if (!p.msg) continue;
    if (who >= '0' && who <= '7')
      d.participant(std::string("v") + who, *p.msg, p.id);
    else if (who == 'F')
      d.facilitator(*p.msg);
    else if (who == 'T')
      d.commit(d.s.decide_timeouts(d.now + 3'600'000));
    d.check_results();
  }
  d.check_views();
  // Restart = replay: the same log gives the same state.
  auto again = rt::session::replay(d.log);
  if (!again) std::abort();
  if (again->export_json() != d.s.export_json()) std::abort();
  return 0;
}

// Anonymity attacks: a group of 4 (min_group 3) watched by every receiver, the facilitator
// included; and a grep of everything the server writes for the participants' tokens and address.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "harness.hpp"

using namespace roundtable::test;

namespace {

constexpr int group = 4;
constexpr int min_group = 3;
// Perspectives in the push test: each of the group posts the limit of three a round (a black-box
// test: the server's constant is not linked in).
constexpr std::size_t posts = group * 3;

// Every key anywhere in a message (recursively), to look for times, authors and tokens.
void keys_of(const json& j, std::set<std::string>& out) {
  if (j.is_object())
    for (const auto& [k, v] : j.items()) {
      out.insert(k);
      keys_of(v, out);
    }
  if (j.is_array())
    for (const auto& v : j) keys_of(v, out);
}

// Every string value anywhere in a message.
void strings_of(const json& j, std::vector<std::string>& out) {
  if (j.is_string()) out.push_back(j.get<std::string>());
  if (j.is_object())
    for (const auto& [k, v] : j.items()) strings_of(v, out);
  if (j.is_array())
    for (const auto& v : j) strings_of(v, out);
}

// The test's own record of who changed a ballot since the facilitator's last open-round tally.
struct observer {
  explicit observer(served_session& served_) : s(served_) {}
  served_session& s;
  std::vector<std::shared_ptr<ws_client>> people;
  std::shared_ptr<ws_client> projector;
  std::set<int> changed;  // voters whose ballot changed since the last published tally
  std::size_t console_seen = 0;
  std::vector<json> published;  // every open-round tally the facilitator saw, in order
  int publishes_checked = 0;

  std::vector<std::shared_ptr<ws_client>> receivers() const {
    auto all = people;
    all.push_back(projector);
    all.push_back(s.console);
    return all;
  }

  // One participant's vote, then a pause long enough for any coalesced push (10 a second at
  // most), then the check: a tally pushed since the last one needs min_group changed ballots.
  void vote(int i, const std::string& q, const json& ballot, bool changes = true) {
    const auto r = people[i]->request({{"type", "vote"}, {"question", q}, {"ballot", ballot}});
    ASSERT_EQ(r["type"], "ack") << r.dump();
    if (changes) changed.insert(i);
    std::this_thread::sleep_for(250ms);
    const auto msgs = s.console->received();
    for (; console_seen < msgs.size(); ++console_seen) {
      const auto& m = msgs[console_seen];
      if (m.value("type", "") != "results" || !m.contains("tally")) continue;
      // A tally while the round is open: it must stand for at least min_group changed ballots.
      EXPECT_GE(changed.size(), static_cast<std::size_t>(min_group))
          << "a tally after only " << changed.size() << " changed ballot(s): " << m.dump();
      published.push_back(m);
      ++publishes_checked;
      changed.clear();
    }
  }

  // A facilitator command: what it pushes (a reveal's tally) must be one already published.
  void command(json msg) {
    s.command(std::move(msg));
    std::this_thread::sleep_for(250ms);
    const auto msgs = s.console->received();
    for (; console_seen < msgs.size(); ++console_seen) {
      const auto& m = msgs[console_seen];
      if (m.value("type", "") != "results" || !m.contains("tally")) continue;
      EXPECT_TRUE(!published.empty() && m["tally"] == published.back()["tally"])
          << "a command pushed a fresher tally: " << m.dump();
    }
  }

  // After a close: the exact final tally is allowed; the count starts again.
  void closed() {
    std::this_thread::sleep_for(250ms);
    const auto msgs = s.console->received();
    for (; console_seen < msgs.size(); ++console_seen) {
      const auto& m = msgs[console_seen];
      if (m.value("type", "") == "results" && m.contains("tally")) published.push_back(m);
    }
    changed.clear();
  }
};

bool same_tally(const json& a, const json& b) {
  return a.value("question", "") == b.value("question", "") && a.value("round", 0) == b.value("round", 0) &&
         a.value("ballots", -1) == b.value("ballots", -1) && a["tally"] == b["tally"];
}

}  // namespace

TEST(Anonymity, AGroupOfFourCannotTieAnyPushToASingleBallot) {
  served_session s({.min_group = min_group});
  observer o{s};
  for (int i = 0; i < group; ++i) o.people.push_back(s.join(i));
  o.projector = ws_client::connect(s.server->port());
  ASSERT_EQ(o.projector->request({{"type", "watch"}, {"code", s.code}})["type"], "joined");

  // Round 1 of a single choice: one tap at a time, changes of mind included.
  o.command({{"type", "goto"}, {"stage", "gut"}});
  o.command({{"type", "open"}, {"question", "gut"}});
  const char* first[] = {"decline", "refer", "refer", "conditions"};
  for (int i = 0; i < group; ++i) o.vote(i, "gut", {{"choice", first[i]}});
  o.vote(0, "gut", {{"choice", "refer"}});
  o.vote(3, "gut", {{"choice", "decline"}});
  o.vote(3, "gut", {{"choice", "decline"}}, false);  // the same ballot again: no change
  // A reveal while open shows the last published tally, never a fresher one.
  o.command({{"type", "reveal"}, {"question", "gut"}});
  o.vote(1, "gut", {{"choice", "conditions"}});
  s.command({{"type", "close"}, {"question", "gut"}});
  o.closed();
  // Round 2, the re-vote: the shift must not single anyone out either.
  o.command({{"type", "open"}, {"question", "gut"}});
  for (int i = 0; i < group; ++i) o.vote(i, "gut", {{"choice", i == 2 ? "decline" : "refer"}});
  o.vote(2, "gut", {{"choice", "refer"}});
  s.command({{"type", "close"}, {"question", "gut"}});
  o.closed();
  o.command({{"type", "reveal"}, {"question", "gut"}});

  // Assigned models: 4 people over 4 models is one each, so no model row may ever show.
  o.command({{"type", "goto"}, {"stage", "lens"}});
  o.command({{"type", "open"}, {"question", "lens"}});
  std::this_thread::sleep_for(200ms);
  for (int i = 0; i < group; ++i) {
    const auto joined = o.people[i]->request({{"type", "join"}, {"code", s.code}, {"token", token(i)}});
    const auto model = joined["session"]["stage"]["assigned_model"];
    ASSERT_TRUE(model.is_string()) << joined.dump();
    o.vote(i, "lens", {{"outcomes", {{model.get<std::string>(), "refer"}}}});
  }
  s.command({{"type", "close"}, {"question", "lens"}});
  o.closed();
  o.command({{"type", "reveal"}, {"question", "lens"}});

  // Perspectives: twelve posts (each participant's limit of three), shown one by one.
  o.command({{"type", "goto"}, {"stage", "voices"}});
  o.command({{"type", "open"}, {"question", "voices"}});
  std::vector<std::string> posted;
  for (std::size_t k = 0; k < posts; ++k) {
    const auto text = "view number " + std::to_string(k);
    ASSERT_EQ(o.people[k % group]->request({{"type", "perspective"}, {"question", "voices"}, {"text", text}})["type"],
              "ack");
    posted.push_back(text);
  }
  std::this_thread::sleep_for(300ms);
  // The facilitator's full list, to moderate: show each.
  const auto console_items = s.console->received();
  std::vector<std::string> ids;
  for (auto it = console_items.rbegin(); it != console_items.rend(); ++it)
    if (it->value("type", "") == "perspectives" && (*it)["items"].size() == posts) {
      for (const auto& item : (*it)["items"]) ids.push_back(item["id"]);
      break;
    }
  ASSERT_EQ(ids.size(), posts);
  for (const auto& id : ids) o.command({{"type", "moderate"}, {"perspective", id}, {"action", "show"}});
  std::this_thread::sleep_for(300ms);

  // ---- every push every receiver got ----
  const std::set<std::string> forbidden_keys = {"at",    "at_ms", "time",    "ms", "posted",  "posted_at", "author",
                                                "voter", "token", "address", "ip", "created", "timestamp"};
  std::set<int> ok_receivers;
  int receiver = 0;
  for (const auto& c : o.receivers()) {
    std::size_t shown_before = 0;
    for (const auto& m : c->received()) {
      std::set<std::string> keys;
      keys_of(m, keys);
      for (const auto& k : forbidden_keys) EXPECT_FALSE(keys.count(k)) << "key " << k << " in " << m.dump();
      std::vector<std::string> strings;
      strings_of(m, strings);
      for (const auto& str : strings) {
        for (int i = 0; i < group; ++i) {
          EXPECT_EQ(str.find(token(i)), std::string::npos) << "a token in " << m.dump();
        }
        EXPECT_FALSE(std::regex_search(str, std::regex("[0-9a-f]{64}"))) << "a voter hash in " << m.dump();
      }
      const auto type = m.value("type", "");
      if (type == "progress") {
        EXPECT_FALSE(m.contains("tally"));
      }
      if (type == "results" && m.contains("tally")) {
        EXPECT_GE(m["ballots"].get<int>(), min_group) << m.dump();
        const auto& t = m["tally"];
        if (t.contains("shift")) {
          EXPECT_GE(t["shift"]["compared"].get<int>(), min_group) << m.dump();
        }
        if (m["question"] == "lens") {
          EXPECT_TRUE(t.value("matrix", json::object()).empty()) << "a model row of one ballot: " << m.dump();
        }
        // Whoever sees a tally sees one the facilitator saw published, never a fresher one.
        EXPECT_TRUE(
            std::any_of(o.published.begin(), o.published.end(), [&](const json& p) { return same_tally(p, m); }))
            << "receiver " << receiver << " got an unpublished tally " << m.dump();
      }
      if (type == "perspectives") {
        const auto& items = m["items"];
        const bool facilitator = c == s.console;
        for (const auto& item : items)
          for (const auto& [k, v] : item.items())
            EXPECT_TRUE(k == "id" || k == "text" || k == "endorsements" || (facilitator && k == "shown")) << k;
        if (!facilitator) {
          // Always the whole visible set: it only grows by whole moderation steps, never one post's push.
          EXPECT_GE(items.size(), shown_before) << m.dump();
          shown_before = items.size();
        }
      }
    }
    ok_receivers.insert(receiver++);
  }
  EXPECT_EQ(ok_receivers.size(), static_cast<std::size_t>(group + 2));
  EXPECT_GE(o.publishes_checked, 3) << "the test saw too few open-round tallies to mean anything";

  // The participants' final perspectives push: all twelve, not in the order they were posted.
  const auto last = o.people[3]->wait_for(
      [](const json& m) { return m.value("type", "") == "perspectives" && m["items"].size() == posts; }, 2s);
  ASSERT_TRUE(last);
  std::vector<std::string> order;
  for (const auto& item : (*last)["items"]) order.push_back(item["text"]);
  EXPECT_NE(order, posted) << "perspectives in posting order (a 1 in 479,001,600 chance, or a leak)";
  std::vector<std::string> sorted_order = order, sorted_posted = posted;
  std::sort(sorted_order.begin(), sorted_order.end());
  std::sort(sorted_posted.begin(), sorted_posted.end());
  EXPECT_EQ(sorted_order, sorted_posted);

  // The export: counts only below min_group, pseudonyms, nothing that identifies.
  const auto exported = http_get(s.server->port(), "/api/sessions/" + s.code + "/export.json", test_key);
  ASSERT_EQ(exported.status, 200);
  const auto e = json::parse(exported.body);
  std::set<std::string> keys;
  keys_of(e, keys);
  for (const auto& k : {"token", "address", "ip", "author", "at_ms"}) EXPECT_FALSE(keys.count(k)) << k;
  for (int i = 0; i < group; ++i) EXPECT_EQ(exported.body.find(token(i)), std::string::npos);
  EXPECT_FALSE(std::regex_search(exported.body, std::regex("[0-9a-f]{64}"))) << "a voter hash in the export";
}

TEST(Anonymity, ExportPseudonymsDoNotFollowArrival) {
  // Five sessions of four who vote in the order they joined: if pseudonyms followed arrival,
  // v1..v4 would match that order every time (a 1 in 7,962,624 chance otherwise).
  served_session s({.min_group = min_group});
  int in_arrival_order = 0;
  constexpr int sessions = 5;
  for (int session = 0; session < sessions; ++session) {
    auto code = s.code;
    if (session > 0) code = s.console->request({{"type", "start"}, {"scenario", "demo"}})["code"].get<std::string>();
    ASSERT_EQ(s.console->request({{"type", "open"}, {"code", code}, {"question", "sure"}})["type"], "ack");
    for (int i = 0; i < group; ++i) {
      auto c = ws_client::connect(s.server->port());
      ASSERT_EQ(c->request({{"type", "join"}, {"code", code}, {"token", token(10 * session + i)}})["type"], "joined");
      // Each voter's value is its arrival number, so the export shows which pseudonym came when.
      ASSERT_EQ(c->request({{"type", "vote"}, {"question", "sure"}, {"ballot", {{"value", i + 1}}}})["type"], "ack");
    }
    ASSERT_EQ(s.console->request({{"type", "close"}, {"code", code}, {"question", "sure"}})["type"], "ack");
    const auto e = json::parse(http_get(s.server->port(), "/api/sessions/" + code + "/export.json", test_key).body);
    std::map<std::string, int> value_of;
    std::function<void(const json&)> find_votes = [&](const json& j) {
      if (j.is_object()) {
        if (j.contains("votes") && j["votes"].is_array())
          for (const auto& v : j["votes"])
            if (v["ballot"].contains("value")) value_of[v["voter"]] = v["ballot"]["value"];
        for (const auto& [k, v] : j.items()) find_votes(v);
      }
      if (j.is_array())
        for (const auto& v : j) find_votes(v);
    };
    find_votes(e);
    ASSERT_EQ(value_of.size(), 4u) << e.dump();
    bool arrival = true;
    for (int i = 0; i < group; ++i) arrival = arrival && value_of["v" + std::to_string(i + 1)] == i + 1;
    in_arrival_order += arrival;
  }
  EXPECT_LT(in_arrival_order, sessions);
}

TEST(Anonymity, NoTokenOrAddressInTheDatabaseTheWalTheLogsOrTheExports) {
  served_session s({.min_group = min_group});
  // Participants come from 127.0.0.2, an address used by nobody else here.
  std::vector<std::shared_ptr<ws_client>> people;
  s.command({{"type", "open"}, {"question", "gut"}});
  s.command({{"type", "open"}, {"question", "voices"}});
  for (int i = 0; i < 5; ++i) {
    auto c = ws_client::connect_from(s.server->port(), "127.0.0.2");
    ASSERT_EQ(c->request({{"type", "join"}, {"code", s.code}, {"token", token(100 + i)}})["type"], "joined");
    ASSERT_EQ(c->request({{"type", "vote"},
                          {"id", "req-" + token(100 + i)},
                          {"question", "gut"},
                          {"ballot", {{"choice", "refer"}}}})["type"],
              "ack");
    ASSERT_EQ(c->request({{"type", "perspective"}, {"question", "voices"}, {"text", "a thought"}})["type"], "ack");
    // A wrong code from the same address, so the limiter has seen it too.
    c->request({{"type", "watch"}, {"code", wrong_code(s.code, i)}});
    people.push_back(c);
  }
  s.command({{"type", "close"}, {"question", "gut"}});
  const auto json_export = http_get(s.server->port(), "/api/sessions/" + s.code + "/export.json", test_key);
  const auto csv_export = http_get(s.server->port(), "/api/sessions/" + s.code + "/export.csv", test_key);
  ASSERT_EQ(json_export.status, 200);
  ASSERT_EQ(csv_export.status, 200);
  // Kill it hard, so the WAL is left as it was, unmerged.
  s.server->kill_hard();

  std::vector<std::pair<std::string, std::string>> haystacks = {{"export.json", json_export.body},
                                                                {"export.csv", csv_export.body}};
  bool wal = false;
  for (const auto& f : std::filesystem::directory_iterator(s.dir.path())) {
    std::ifstream in(f.path(), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    haystacks.emplace_back(f.path().filename().string(), ss.str());
    wal = wal || f.path().string().ends_with("-wal");
  }
  EXPECT_TRUE(wal) << "no WAL file to look into";
  ASSERT_GE(haystacks.size(), 4u);  // exports, rt.db, rt.db-wal, rt.db.log
  for (const auto& [name, text] : haystacks) {
    EXPECT_EQ(text.find("127.0.0.2"), std::string::npos) << "the address in " << name;
    for (int i = 0; i < 5; ++i) {
      EXPECT_EQ(text.find(token(100 + i)), std::string::npos) << "a token in " << name;
      EXPECT_EQ(text.find("req-" + token(100 + i)), std::string::npos) << "a request id in " << name;
    }
  }
}

TEST(Anonymity, ADealOfLensesReachesOnlyEachParticipantsOwnLensAndNoExport) {
  // Five present, two lenses (issue 11): the deal is stored, but the projector, the console and the export see
  // only counts; each participant sees their own lens and nobody else's.
  served_session s({.min_group = min_group, .start = {{"lenses", 2}}});
  auto projector = ws_client::connect(s.server->port());
  ASSERT_EQ(projector->request({{"type", "watch"}, {"code", s.code}})["type"], "joined");
  std::vector<std::shared_ptr<ws_client>> people;
  for (int i = 0; i < 5; ++i) people.push_back(s.join(i));
  s.command({{"type", "goto"}, {"stage", "lens"}});
  s.command({{"type", "open"}, {"question", "lens"}});
  for (auto& p : people) {
    const auto st = p->wait_for([](const json& m) { return m["type"] == "stage" && m["stage"]["status"] == "open"; });
    ASSERT_TRUE(st);
    const std::string mine = (*st)["stage"]["assigned_model"];
    ASSERT_EQ(
        p->request({{"type", "vote"}, {"question", "lens"}, {"ballot", {{"outcomes", {{mine, "refer"}}}}}})["type"],
        "ack");
    std::set<json> named;
    for (const auto& m : p->received())
      if (m["type"] == "stage" && m["stage"].contains("assigned_model")) named.insert(m["stage"]["assigned_model"]);
    EXPECT_LE(named.size(), 2u) << "at most the lens shown before the open and the one dealt";
    EXPECT_TRUE(named.count(mine));
  }
  s.command({{"type", "close"}, {"question", "lens"}});
  s.command({{"type", "reveal"}, {"question", "lens"}});
  ASSERT_TRUE(projector->wait_push("results", "lens"));
  const auto exported = http_get(s.server->port(), "/api/sessions/" + s.code + "/export.json", test_key).body;
  const auto csv = http_get(s.server->port(), "/api/sessions/" + s.code + "/export.csv", test_key).body;
  std::set<std::string> keys;
  for (const auto& m : projector->received()) keys_of(m, keys);
  for (const auto& m : s.console->received()) keys_of(m, keys);
  keys_of(json::parse(exported), keys);
  for (const char* k : {"assigned_model", "deal", "holders", "lens_dealt"}) EXPECT_FALSE(keys.count(k)) << k;
  for (const char* word : {"holders", "assigned", "deal"}) EXPECT_EQ(csv.find(word), std::string::npos) << word;
}

// `participant join`: the terminal participant. One io_context thread runs the connection;
// the main thread reads stdin lines and posts them to it.
#include "commands.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <iostream>
#include <map>
#include <mutex>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "client/answer.hpp"
#include "client/connection.hpp"
#include "client/render.hpp"
#include "roundtable/command_line.hpp"

namespace roundtable::participant {

namespace asio = boost::asio;
using json = nlohmann::json;
using namespace roundtable::client;

namespace {

std::size_t terminal_width() {
  winsize ws{};
  if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20) return ws.ws_col;
  if (const char* c = std::getenv("COLUMNS")) {
    const int n = std::atoi(c);
    if (n >= 20) return static_cast<std::size_t>(n);
  }
  return 80;
}

class join_client {
public:
  join_client(asio::io_context& ioc, target t, std::string code, std::string token, bool tty, std::size_t width)
      : ioc_(ioc),
        strand_(asio::make_strand(ioc)),
        target_(std::move(t)),
        code_(std::move(code)),
        token_(std::move(token)),
        tty_(tty),
        width_(width),
        retry_(strand_) {
    std::random_device rd;
    id_prefix_ = "j" + std::to_string(rd() % 100000) + "-";
  }

  /// Connects (and reconnects until stop()).
  void start() {
    asio::post(strand_, [this] { connect(); });
  }

  /// A typed line, from the stdin thread.
  void line(std::string l) {
    asio::post(strand_, [this, l = std::move(l)] { on_line(l); });
  }

  /// stdin ended: finish what is pending, then stop.
  void eof() {
    asio::post(strand_, [this] {
      eof_ = true;
      maybe_finish();
    });
  }

  int exit_code() const { return exit_code_; }

private:
  void print(const std::string& s) { std::cout << s << "\n" << std::flush; }
  void print_lines(const std::vector<std::string>& lines) {
    for (const auto& l : lines) std::cout << l << "\n";
    std::cout << std::flush;
  }

  void connect() {
    if (stopping_) return;
    events ev;
    ev.on_open = [this] {
      conn_->send(json{{"type", "join"}, {"code", code_}, {"token", token_}, {"id", "join"}}.dump());
    };
    ev.on_message = [this](std::string_view m) { on_message(m); };
    ev.on_close = [this](const std::string& why, close_cause cause) { on_closed(why, cause); };
    conn_ = connection::create(strand_, std::move(ev));
    conn_->start(target_);
  }

  void on_closed(const std::string& why, close_cause cause) {
    joined_ = false;
    conn_.reset();
    if (stopping_) return finish_io();
    if (cause == close_cause::certificate) {
      // A refused certificate is refused again on every try: say why once and stop.
      print("error: " + why);
      exit_code_ = 1;
      return finish_io();
    }
    if (!ever_joined_ && attempts_ >= 3) {
      print("error: cannot reach " + target_.host + ": " + why);
      exit_code_ = 1;
      return finish_io();
    }
    const int delay = std::min(10, 1 << std::min(attempts_, 3));
    ++attempts_;
    print((tty_ ? "Disconnected (" : "disconnected ") + why + (tty_ ? "); reconnecting in " : "; reconnecting in ") +
          std::to_string(delay) + " s");
    retry_.expires_after(std::chrono::seconds(delay));
    retry_.async_wait([this](boost::system::error_code ec) {
      if (!ec) connect();
    });
  }

  void finish_io() {
    retry_.cancel();
    ioc_.stop();
  }

  void stop() {
    if (stopping_) return;
    stopping_ = true;
    retry_.cancel();
    if (conn_)
      conn_->close();
    else
      finish_io();
  }

  void maybe_finish() {
    if (eof_ && pending_.empty() && queued_lines_.empty() && (joined_ || !conn_)) stop();
  }

  void send_request(const std::string& id) {
    if (joined_ && conn_) conn_->send(pending_.at(id).dump());
  }

  void on_line(const std::string& raw) {
    std::string l = raw;
    while (!l.empty() && (l.back() == '\r' || l.back() == '\n')) l.pop_back();
    if (!joined_) {
      queued_lines_.push_back(l);
      return;
    }
    handle_line(l);
    maybe_finish();
  }

  void handle_line(const std::string& l) {
    if (l.empty()) return;
    if (l == "/quit" || l == "/q") return stop();
    if (l == "/help" || l == "?") {
      print_lines({"Type your answer and press Enter. " +
                       (question_ ? answer_hint(*question_) : std::string("(no question now)")),
                   "/show  shows the stage again;  /endorse N  endorses perspective N;  /pass  answers \"not sure\";",
                   "/withdraw  takes your answer back while voting is open;  /quit  leaves"});
      return;
    }
    if (l == "/show") return show_stage();
    if (l.starts_with("/endorse")) {
      const auto n = std::atoi(l.c_str() + 8);
      if (n < 1 || static_cast<std::size_t>(n) > perspectives_.size())
        return print("error: no perspective " + l.substr(std::min<std::size_t>(9, l.size())) + " to endorse");
      const auto id = next_id();
      pending_[id] = json{{"type", "endorse"}, {"id", id}, {"perspective", perspectives_[n - 1]}};
      return send_request(id);
    }
    if (l == "/pass" || l == "/withdraw") return send_pass_or_withdraw(l == "/pass");
    if (l.starts_with("/")) return print("error: unknown command " + l + " (try /help)");
    if (!question_) return print("error: there is no question to answer right now");
    auto a = parse_answer(*question_, l);
    if (!a) return print("error: " + a.err().message);
    const auto id = next_id();
    if (a->perspective)
      pending_[id] = json{{"type", "perspective"}, {"id", id}, {"question", question_->id}, {"text", a->text}};
    else
      pending_[id] = json{{"type", "vote"}, {"id", id}, {"question", question_->id}, {"ballot", a->ballot}};
    if (tty_)
      print("Sending " + (a->perspective ? std::string("your perspective") : a->ballot.dump()) + " ...");
    else
      print("sent " + id + " " + (a->perspective ? json{{"text", a->text}}.dump() : a->ballot.dump()));
    send_request(id);
  }

  // "Not sure / pass" (where the question offers it; the server says so otherwise) or taking the answer back.
  void send_pass_or_withdraw(bool pass) {
    if (!question_) return print("error: there is no question to answer right now");
    const auto id = next_id();
    pending_[id] =
        pass ? json{{"type", "vote"}, {"id", id}, {"question", question_->id}, {"ballot", {{"abstain", true}}}}
             : json{{"type", "withdraw"}, {"id", id}, {"question", question_->id}};
    if (!tty_) print("sent " + id + " " + (pass ? std::string(R"({"abstain":true})") : std::string("withdraw")));
    send_request(id);
  }

  std::string next_id() { return id_prefix_ + std::to_string(++next_id_); }

  void on_message(std::string_view text) {
    auto m = json::parse(text, nullptr, false);
    if (!m.is_object() || !m.contains("type") || !m["type"].is_string()) return;
    const auto type = m["type"].get<std::string>();
    const auto id = m.contains("id") && m["id"].is_string() ? m["id"].get<std::string>() : std::string();
    if (type == "joined") return on_joined(m);
    if (type == "error") {
      if (id == "join") {
        print("error " + m.value("code", "") + ": " + m.value("message", ""));
        exit_code_ = 1;
        pending_.clear();
        return stop();
      }
      pending_.erase(id);
      print("error " + m.value("code", "") + ": " + m.value("message", ""));
      return maybe_finish();
    }
    if (type == "ack") {
      auto it = pending_.find(id);
      const std::string what = it != pending_.end() ? it->second.value("type", "") : "";
      if (it != pending_.end()) pending_.erase(it);
      if (tty_)
        print(what == "withdraw"      ? "Your answer is withdrawn."
              : what == "vote"        ? "Your vote is counted."
              : what == "perspective" ? "Your perspective is stored; it is shown once the facilitator publishes it."
                                      : "Done.");
      else
        print("ack " + id + (what.empty() ? "" : " " + what));
      return maybe_finish();
    }
    if (type == "stage") {
      stage_ = m["stage"];
      take_question();
      return show_stage();
    }
    if (type == "round") {
      const auto q = m.value("question", "");
      if (stage_.is_object() && question_ && question_->id == q) {
        stage_["round"] = m["round"];
        stage_["status"] = m["status"];
      }
      const bool open = m.value("status", "") == "open";
      std::string s = tty_ ? (open ? "Voting is open" : "Voting is closed") + std::string(" (") + q + ", round " +
                                 std::to_string(m.value("round", 0)) + ")"
                           : "round " + q + " " + std::to_string(m.value("round", 0)) + " " + m.value("status", "");
      if (m.contains("closes_in"))
        s += tty_ ? "; closes in " + m["closes_in"].dump() + " s" : " closes_in " + m["closes_in"].dump();
      return print(s);
    }
    if (type == "progress") {
      if (tty_) return;  // a terminal shows results, not a stream of counts
      return print("progress " + m.value("question", "") + " " + std::to_string(m.value("ballots", 0)));
    }
    if (type == "results") {
      const auto q = m.value("question", "");
      const shown_question* sq = question_ && question_->id == q ? &*question_ : nullptr;
      if (!sq && known_.count(q)) sq = &known_.at(q);
      return print_lines(render_results(sq, m, tty_ ? width_ : 60));
    }
    if (type == "perspectives") return show_perspectives(m);
    if (type == "presence") {
      const auto n = m.value("participants", 0);
      return print(tty_ ? std::to_string(n) + (n == 1 ? " participant" : " participants") + " connected"
                        : "participants " + std::to_string(n));
    }
    if (type == "hidden")
      return print(tty_ ? "Results of " + m.value("question", "") + " are hidden again."
                        : "hidden " + m.value("question", ""));
    if (type == "ended") {
      print(tty_ ? "The session has ended. Thank you." : "ended");
      pending_.clear();
      return stop();
    }
  }

  void on_joined(const json& m) {
    const auto& s = m["session"];
    const bool first = !ever_joined_;
    joined_ = true;
    ever_joined_ = true;
    attempts_ = 0;
    if (first) {
      const auto title = s["scenario"].value("title", "");
      if (tty_) {
        print_lines(wrap("Joined session " + code_ + ": " + title, width_));
        print("Type /help for help.");
      } else {
        print("joined " + code_ + " " + title);
      }
    } else {
      print(tty_ ? "Reconnected." : "reconnected " + code_);
    }
    stage_ = s["stage"];
    take_question();
    if (first || last_stage_id_ != stage_.value("id", "")) show_stage();
    if (s.value("ended", false)) {
      print(tty_ ? "This session has ended (read only)." : "ended");
      return stop();
    }
    if (question_ && s.contains("mine") && s["mine"].contains(question_->id))
      print((tty_ ? "Your current answer: " : "mine " + question_->id + " ") + s["mine"][question_->id].dump());
    // Requests not yet acked go again with their ids: the server applies each once.
    for (const auto& [id, _] : pending_) send_request(id);
    auto lines = std::move(queued_lines_);
    queued_lines_.clear();
    for (const auto& l : lines) handle_line(l);
    maybe_finish();
  }

  void take_question() {
    question_.reset();
    if (stage_.is_object() && stage_.contains("question")) {
      question_ = question_from_view(stage_["question"]);
      if (question_) {
        if (stage_.contains("assigned_model") && stage_["assigned_model"].is_string())
          question_->assigned_model = question_->scenario.model_index(stage_["assigned_model"].get<std::string>());
        known_.insert_or_assign(question_->id, *question_);
      }
    }
  }

  void show_stage() {
    if (!stage_.is_object()) return;
    last_stage_id_ = stage_.value("id", "");
    const auto index = stage_.value("index", 0) + 1;
    const auto count = stage_.value("count", 0);
    std::vector<std::string> out;
    if (tty_) {
      out.push_back("");
      out.push_back("== " + stage_.value("title", "") + "  (" + std::to_string(index) + " of " + std::to_string(count) +
                    ")");
      for (const auto& p : stage_.value("body", json::array())) {
        for (auto& l : wrap(p.get<std::string>(), width_)) out.push_back(std::move(l));
        out.push_back("");
      }
    } else {
      out.push_back("stage " + std::to_string(index) + "/" + std::to_string(count) + " " + stage_.value("id", "") +
                    " " + stage_.value("kind", "") + ": " + stage_.value("title", ""));
      for (const auto& p : stage_.value("body", json::array())) out.push_back("text " + p.get<std::string>());
    }
    if (question_) {
      const auto& q = question_->question;
      if (tty_) {
        for (auto& l : wrap(q.prompt, width_)) out.push_back(std::move(l));
      } else {
        out.push_back("question " + question_->id + " " + std::string(to_string(q.type)) + ": " + q.prompt);
      }
      auto list = [&](const char* word, const std::vector<option>& opts) {
        for (std::size_t i = 0; i < opts.size(); ++i) {
          if (tty_) {
            // "   1. text", continuation lines hanging under the text.
            const std::string number = std::to_string(i + 1) + ". ";
            auto lines = wrap(opts[i].label, width_ > 3 + number.size() ? width_ - 3 - number.size() : width_);
            for (std::size_t k = 0; k < lines.size(); ++k)
              out.push_back((k == 0 ? "   " + number : std::string(3 + number.size(), ' ')) + lines[k]);
          } else
            out.push_back(std::string(word) + " " + std::to_string(i + 1) + " " + opts[i].id + ": " + opts[i].label);
        }
      };
      if (q.type == question_type::model_outcome) {
        if (tty_) out.push_back("Models:");
        std::vector<option> models;
        for (const auto& m : question_->scenario.models)
          if (!question_->assigned_model || question_->scenario.models[*question_->assigned_model].id == m.id)
            models.push_back({m.id, m.name + (m.prompt.empty() ? "" : ": " + m.prompt)});
        list("model", models);
        if (tty_) out.push_back("Outcomes:");
        list("outcome", question_->scenario.outcomes);
      } else if (q.type == question_type::scale) {
        std::string s = "scale " + std::to_string(q.min) + " to " + std::to_string(q.max);
        if (q.labels)
          s += " (" + std::to_string(q.min) + " = " + q.labels->min + ", " + std::to_string(q.max) + " = " +
               q.labels->max + ")";
        out.push_back(s);
      } else {
        list("option", q.options);
      }
      const auto status = stage_.value("status", "closed");
      if (tty_) {
        out.push_back(status == "open"                ? "Voting is open. " + answer_hint(*question_)
                      : stage_.value("round", 0) == 0 ? "Voting is not open yet."
                                                      : "Voting is closed.");
      } else {
        out.push_back("hint " + answer_hint(*question_));
        out.push_back("status " + question_->id + " round " + std::to_string(stage_.value("round", 0)) + " " + status);
      }
    }
    if (stage_.contains("results") && stage_["results"].is_object())
      for (auto it = stage_["results"].begin(); it != stage_["results"].end(); ++it) {
        const shown_question* sq = known_.count(it.key()) ? &known_.at(it.key()) : nullptr;
        for (auto& l : render_results(sq, *it, tty_ ? width_ : 60)) out.push_back(std::move(l));
      }
    if (stage_.contains("perspectives") && stage_["perspectives"].is_object())
      for (auto it = stage_["perspectives"].begin(); it != stage_["perspectives"].end(); ++it)
        show_perspectives(json{{"question", it.key()}, {"items", *it}}, &out);
    print_lines(out);
  }

  void show_perspectives(const json& m, std::vector<std::string>* into = nullptr) {
    std::vector<std::string> out;
    perspectives_.clear();
    const auto q = m.value("question", "");
    out.push_back(tty_ ? "Perspectives on " + q + ":" : "perspectives " + q);
    int n = 0;
    for (const auto& it : m.value("items", json::array())) {
      perspectives_.push_back(it.value("id", ""));
      ++n;
      const auto e = it.value("endorsements", 0);
      const std::string line = std::to_string(n) + ". " + it.value("text", "") + " (" + std::to_string(e) +
                               (e == 1 ? " endorsement)" : " endorsements)");
      if (tty_)
        for (auto& l : wrap(line, width_, "  ")) out.push_back(std::move(l));
      else
        out.push_back("perspective " + line);
    }
    if (tty_ && n > 0) out.push_back("  (/endorse N to endorse one)");
    if (into) {
      for (auto& l : out) into->push_back(std::move(l));
      return;
    }
    print_lines(out);
  }

  asio::io_context& ioc_;
  asio::strand<asio::io_context::executor_type> strand_;
  target target_;
  std::string code_;
  std::string token_;
  bool tty_;
  std::size_t width_;
  asio::steady_timer retry_;
  std::shared_ptr<connection> conn_;
  json stage_;
  std::optional<shown_question> question_;
  std::map<std::string, shown_question> known_;
  std::vector<std::string> perspectives_;
  std::map<std::string, json> pending_;  // requests sent, not yet answered, by id
  std::vector<std::string> queued_lines_;
  std::string id_prefix_;
  std::string last_stage_id_;
  int next_id_ = 0;
  int attempts_ = 0;
  int exit_code_ = 0;
  bool joined_ = false;
  bool ever_joined_ = false;
  bool eof_ = false;
  bool stopping_ = false;
};

}  // namespace

constexpr const char* join_usage =
    "usage: participant join --server ws[s]://HOST:PORT/ws --code CODE [OPTIONS]\n"
    "       participant join --server http[s]://HOST:PORT/j/CODE [OPTIONS]";

constexpr const char* join_about =
    "Takes part in a workshop from the terminal: shows the case and each question with\n"
    "numbered options, sends your answers, shows results as text bars and perspectives.";

constexpr const char* join_footer =
    "Answers, one line each (numbers are the option numbers shown; option ids work too):\n"
    "  choice         2            (several allowed: 1 3)\n"
    "  scale          4\n"
    "  points         points autonomy=4 justice=6   (or one number per option: 4 6 0)\n"
    "  rank           order 3 1 2  (every option once, best first)\n"
    "  model_outcome  guidelines=2 virtue=1 ...  (or one outcome number per model: 2 1 3 1;\n"
    "                 just the outcome number when a model is assigned to you)\n"
    "  text           your perspective, as typed\n"
    "  not sure       /pass        (where the question offers it)\n"
    "Commands: /show (the stage again), /endorse N, /withdraw (take your answer back while voting\n"
    "is open), /help, /quit. End of input (Ctrl-D)\n"
    "waits for the last answer's ack, then leaves.\n"
    "\n"
    "Plain output: one line per event, starting with a keyword: joined, stage, text, question,\n"
    "option, model, outcome, hint, status, round, sent, ack, error, progress, results, bar rows\n"
    "(two spaces, label, count, #s), perspectives, perspective, participants, hidden, ended.\n";

int join_command(const std::vector<std::string>& args) {
  cli::command_line line("participant", "join", join_usage, join_about, join_footer);
  std::optional<std::string> server, code_flag, token_file, ca_file;
  std::optional<std::size_t> width_flag;
  bool plain = false;
  line.text("server", server,
            "the server's WebSocket URL (ws:// or wss://), or the join link (http[s]://HOST:PORT/j/CODE)", "URL")
      .text("code", code_flag, "the six-digit join code (not needed with a join link)", "CODE")
      .text("token-file", token_file,
            "where your participant token is kept (default $XDG_CONFIG_HOME/roundtable/token-HOST-PORT-CODE); the "
            "same token means the same participant after a reconnect or restart",
            "FILE")
      .text("ca-file", ca_file,
            "trust the CA certificates in FILE (PEM) instead of the system's, for a wss:// or https:// server "
            "with a private or self-signed certificate",
            "FILE")
      .number("width", width_flag, 20, 1000, "wrap text at N columns (default: the terminal's width)")
      .flag("plain", plain, "line-oriented output even on a terminal (default when stdout is not one)");
  if (!line.parse(args, std::cout)) return 0;
  if (!server) throw cli::usage_error("--server is required, e.g. --server ws://127.0.0.1:8080/ws");
  std::string why;
  auto url = parse_server_url(*server, why);
  if (!url) throw cli::usage_error("--server: " + why);
  if (ca_file && !url->tls) throw cli::usage_error("--ca-file is for a wss:// or https:// server");
  std::string code = code_flag.value_or(url->code.value_or(""));
  if (code.empty()) throw cli::usage_error("--code is required (or give the join link http://HOST:PORT/j/CODE)");
  if (code.size() != 6 || code.find_first_not_of("0123456789") != std::string::npos)
    throw cli::usage_error("--code must be the six-digit join code, got \"" + code + "\"");
  const bool tty = !plain && isatty(STDOUT_FILENO);
  const auto width = width_flag.value_or(tty ? terminal_width() : 80);
  const auto token_path = token_file.value_or(default_token_path(*url, code));
  const auto token = load_or_create_token(token_path);
  const auto t = resolve(*url, ca_file);

  // Both live until the process exits: the stdin reader may still post a line while main
  // returns, and a blocking read cannot be interrupted portably. The static pointers keep them
  // reachable, so a leak checker (the ASan run) does not report them.
  static auto* const ioc = new asio::io_context;
  auto work = asio::make_work_guard(*ioc);
  static auto* const client = new join_client(*ioc, t, code, token, tty, width);
  client->start();
  std::thread reader([] {  // client is static: no capture needed
    std::string line;
    while (std::getline(std::cin, line)) client->line(line);
    client->eof();
  });
  reader.detach();
  ioc->run();
  std::cout << std::flush;
  return client->exit_code();
}

}  // namespace roundtable::participant

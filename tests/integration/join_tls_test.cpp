// `participant join` against a real `facilitator serve --tls-cert --tls-key` with a self-signed
// certificate: wss:// and https:// links, --ca-file, and certificate errors that are not retried.
#include <gtest/gtest.h>

#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include "child_process.hpp"
#include "tls_certificate.hpp"
#include "ws_client.hpp"

using namespace roundtable::test;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace ssl = asio::ssl;

namespace {

// A TLS server (certificate for IP:127.0.0.1) with a console over wss that started a session.
class TlsJoin : public ::testing::Test {
protected:
  void SetUp() override {
    make_certificate(certs.path());
    server = std::make_unique<server_process>(
        server_process::options{dir.path() + "/rt.db",
                                test_scenarios,
                                test_key,
                                1,
                                {"--tls-cert", cert(), "--tls-key", certs.path() + "/key.pem"}});
    // The console itself does not check the certificate: the participant program is under test.
    console = std::make_unique<beast::websocket::stream<beast::ssl_stream<beast::tcp_stream>>>(ioc, console_tls);
    beast::get_lowest_layer(*console).connect({asio::ip::make_address("127.0.0.1"), server->port()});
    console->next_layer().handshake(ssl::stream_base::client);
    console->handshake("127.0.0.1:" + port(), "/ws");
    ASSERT_EQ(ask({{"type", "host"}, {"key", test_key}})["type"], "hosting");
    const auto started = ask({{"type", "start"}, {"scenario", "demo"}});
    ASSERT_EQ(started["type"], "started") << started.dump();
    code = started["code"];
  }

  // One console request; its reply (pushes before it are skipped).
  json ask(json msg) {
    msg["id"] = std::to_string(++next_id);
    if (!code.empty()) msg["code"] = code;
    console->write(asio::buffer(msg.dump()));
    for (;;) {
      beast::flat_buffer b;
      console->read(b);
      auto reply = json::parse(beast::buffers_to_string(b.data()));
      if (reply.value("id", "") == msg["id"]) return reply;
    }
  }

  std::string cert() const { return certs.path() + "/cert.pem"; }
  std::string port() const { return std::to_string(server->port()); }
  std::string token_file() const { return dir.path() + "/token"; }

  temp_dir certs, dir;
  std::unique_ptr<server_process> server;
  asio::io_context ioc;
  ssl::context console_tls{ssl::context::tls_client};
  std::unique_ptr<beast::websocket::stream<beast::ssl_stream<beast::tcp_stream>>> console;
  std::string code;
  int next_id = 0;
};

// A certificate refusal: one clear line, exit 1, and no attempt to reconnect.
void expect_refused_once(child& join, const std::string& message) {
  EXPECT_EQ(join.wait_exit(10s), 1) << join.all_output();
  const auto lines = join.lines();
  ASSERT_EQ(lines.size(), 1u) << join.all_output();
  EXPECT_EQ(lines[0].rfind("error: " + message, 0), 0u) << lines[0];
  EXPECT_EQ(join.all_output().find("reconnecting"), std::string::npos) << join.all_output();
}

}  // namespace

TEST_F(TlsJoin, WssWithTheCaFileJoinsAndItsVoteIsAcked) {
  child join({"join", "--server", "wss://127.0.0.1:" + port() + "/ws", "--code", code, "--ca-file", cert(),
              "--token-file", token_file()});
  ASSERT_TRUE(join.wait_line("joined " + code)) << join.all_output();
  EXPECT_EQ(ask({{"type", "goto"}, {"stage", "gut"}})["type"], "ack");
  EXPECT_EQ(ask({{"type", "open"}, {"question", "gut"}})["type"], "ack");
  ASSERT_TRUE(join.wait_line("round gut 1 open")) << join.all_output();
  join.write_line("2");
  ASSERT_TRUE(join.wait_line("ack ")) << join.all_output();
  EXPECT_TRUE(join.wait_line(" vote"));
  join.close_stdin();
  EXPECT_EQ(join.wait_exit(10s), 0) << join.all_output();
}

TEST_F(TlsJoin, AnHttpsJoinLinkWorks) {
  child join({"join", "--server", "https://127.0.0.1:" + port() + "/j/" + code, "--ca-file", cert(), "--token-file",
              token_file()});
  ASSERT_TRUE(join.wait_line("joined " + code)) << join.all_output();
  join.close_stdin();
  EXPECT_EQ(join.wait_exit(10s), 0) << join.all_output();
}

TEST_F(TlsJoin, ASelfSignedCertificateWithoutTheCaFileIsRefusedOnceAndClearly) {
  // Verification is against the system's CAs by default: this certificate is in none of them.
  child join({"join", "--server", "wss://127.0.0.1:" + port() + "/ws", "--code", code, "--token-file", token_file()});
  expect_refused_once(join, "the server's certificate for 127.0.0.1 is not trusted (self-signed certificate)");
  EXPECT_NE(join.all_output().find("--ca-file"), std::string::npos);
  EXPECT_EQ(ask({{"type", "goto"}, {"stage", "gut"}})["type"], "ack");  // the server carries on
}

TEST_F(TlsJoin, ACertificateForAnotherNameIsRefusedOnce) {
  // Trusted, but made for 127.0.0.1 only: reaching it as localhost must fail the name check.
  child join({"join", "--server", "wss://localhost:" + port() + "/ws", "--code", code, "--ca-file", cert(),
              "--token-file", token_file()});
  expect_refused_once(join, "the server's certificate is not for localhost");
}

TEST_F(TlsJoin, ANetworkFailureOverTlsIsStillRetried) {
  child join({"join", "--server", "wss://127.0.0.1:" + port() + "/ws", "--code", code, "--ca-file", cert(),
              "--token-file", token_file()});
  ASSERT_TRUE(join.wait_line("joined " + code)) << join.all_output();
  server->kill_hard();  // the connection drops: not the certificate's fault, so the client tries again
  EXPECT_TRUE(join.wait_line("; reconnecting in 1 s")) << join.all_output();
  EXPECT_EQ(join.all_output().find("error: "), std::string::npos) << join.all_output();
}

TEST_F(TlsJoin, ACaFileThatCannotBeReadIsAnErrorAndOneForPlainWsIsAUsageError) {
  child missing({"join", "--server", "wss://127.0.0.1:" + port() + "/ws", "--code", code, "--ca-file",
                 dir.path() + "/none.pem", "--token-file", token_file()});
  EXPECT_EQ(missing.wait_exit(10s), 1) << missing.all_output();
  EXPECT_NE(missing.err().find("cannot use the CA file"), std::string::npos) << missing.all_output();
  child plain({"join", "--server", "ws://127.0.0.1:" + port() + "/ws", "--code", code, "--ca-file", cert(),
               "--token-file", token_file()});
  EXPECT_EQ(plain.wait_exit(10s), 2) << plain.all_output();
  EXPECT_NE(plain.err().find("--ca-file is for a wss:// or https:// server"), std::string::npos) << plain.all_output();
}

TEST_F(TlsJoin, TheSwarmRefusesWssWithAClearMessage) {
  child swarm({"swarm", "--server", "wss://127.0.0.1:" + port() + "/ws", "--code", code, "--count", "2"});
  EXPECT_EQ(swarm.wait_exit(10s), 2) << swarm.all_output();
  EXPECT_NE(swarm.err().find("the swarm speaks ws:// only"), std::string::npos) << swarm.all_output();
}

// The web pages as the server serves them: embedded assets, --web-root, the QR code of the join link.
#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

#include <filesystem>
#include <fstream>
#include <map>

#include "qr.hpp"
#include "served_session.hpp"
#include "web_assets.hpp"

using namespace roundtable::test;
namespace rf = roundtable::facilitator;
namespace beast = boost::beast;
namespace http = beast::http;

namespace {

const std::string web_dir = std::string(ROUNDTABLE_SOURCE_DIR) + "/facilitator/web";

struct reply {
  int status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names
};

// One HTTP/1.1 GET with optional extra headers; the whole reply, headers included.
reply get(unsigned short port, const std::string& target, std::map<std::string, std::string> extra = {}) {
  boost::asio::io_context ioc;
  beast::tcp_stream stream(ioc);
  stream.expires_after(5s);
  stream.connect(boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port));
  http::request<http::empty_body> req{http::verb::get, target, 11};
  req.set(http::field::host, "127.0.0.1:" + std::to_string(port));
  for (const auto& [k, v] : extra) req.set(k, v);
  http::write(stream, req);
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  http::read(stream, buffer, res);
  reply r{static_cast<int>(res.result_int()), res.body(), {}};
  for (const auto& f : res) {
    std::string name(f.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    r.headers[name] = std::string(f.value());
  }
  return r;
}

}  // namespace

TEST(WebAssets, ContentTypesByExtension) {
  EXPECT_EQ(rf::content_type_for("a.html"), "text/html; charset=utf-8");
  EXPECT_EQ(rf::content_type_for("a.css"), "text/css; charset=utf-8");
  EXPECT_EQ(rf::content_type_for("a.js"), "text/javascript; charset=utf-8");
  EXPECT_EQ(rf::content_type_for("a.svg"), "image/svg+xml");
  EXPECT_EQ(rf::content_type_for("a.png"), "image/png");
  EXPECT_EQ(rf::content_type_for("README"), "application/octet-stream");
  EXPECT_EQ(rf::content_type_for("a.exe"), "application/octet-stream");
}

TEST(WebAssets, OnlyPlainFileNamesAreServed) {
  EXPECT_TRUE(rf::is_asset_name("style.css"));
  EXPECT_TRUE(rf::is_asset_name("host-page_2.js"));
  for (const char* bad : {"", ".hidden", "../secret", "a/b.js", "a\\b.js", "a..b", "a b.js", "%2e%2e"})
    EXPECT_FALSE(rf::is_asset_name(bad)) << bad;
  EXPECT_FALSE(rf::is_asset_name(std::string("a\0b.js", 6)));
  EXPECT_FALSE(rf::is_asset_name(std::string(101, 'a')));
}

TEST(WebAssets, EmbeddedHoldsEveryPageAndModule) {
  const auto w = rf::web_assets::embedded();
  EXPECT_FALSE(w.from_disk());
  std::size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(web_dir)) {  // every file in the folder, none forgotten
    if (!entry.is_regular_file()) continue;
    ++files;
    const std::string name = entry.path().filename().string();
    const auto a = w.get(name);
    ASSERT_TRUE(a) << name;
    std::ifstream in(web_dir + "/" + name, std::ios::binary);
    const std::string disk((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(a->body, disk) << name << ": the embedded copy differs from the source";
    EXPECT_EQ(a->etag.front(), '"');
  }
  EXPECT_GE(files, 17u);  // the three pages and their modules are really there to compare
  EXPECT_FALSE(w.get("nope.js"));
  EXPECT_FALSE(w.get("../CMakeLists.txt"));
}

TEST(WebAssets, FromDirNeedsAFolder) {
  EXPECT_THROW(rf::web_assets::from_dir("/nonexistent/folder"), std::runtime_error);
}

TEST(Qr, SvgOfTheText) {
  const auto svg = rf::qr_svg("http://127.0.0.1:8080/j/123456");
  ASSERT_TRUE(svg);
  EXPECT_EQ(svg->rfind("<?xml", 0), 0u);
  EXPECT_NE(svg->find("<svg xmlns=\"http://www.w3.org/2000/svg\""), std::string::npos);
  EXPECT_NE(svg->find("<path"), std::string::npos);
  EXPECT_NE(svg->find("</svg>"), std::string::npos);
  // A different link gives a different picture.
  EXPECT_NE(*svg, *rf::qr_svg("http://127.0.0.1:8080/j/654321"));
  // Beyond what a QR code can hold (about 2,900 bytes at level M): nothing, not a broken image.
  EXPECT_FALSE(rf::qr_svg(std::string(5000, 'x')));
}

TEST(WebServer, PagesAndAssetsWithContentTypeAndCaching) {
  served_server s;
  const auto port = s.server->port();
  const std::map<std::string, std::string> pages = {{"/", "participant.js"},
                                                    {"/j/123456", "participant.js"},
                                                    {"/host", "host.js"},
                                                    {"/present/123456", "present.js"}};
  for (const auto& [target, script] : pages) {
    auto r = get(port, target);
    EXPECT_EQ(r.status, 200) << target;
    EXPECT_EQ(r.headers["content-type"], "text/html; charset=utf-8") << target;
    EXPECT_NE(r.body.find("/assets/" + script), std::string::npos) << target;
    EXPECT_EQ(r.headers["cache-control"], "no-cache");
    EXPECT_FALSE(r.headers["etag"].empty());
    EXPECT_NE(r.headers["content-security-policy"].find("default-src 'self'"), std::string::npos);
  }
  EXPECT_EQ(get(port, "/assets/style.css").headers["content-type"], "text/css; charset=utf-8");
  EXPECT_EQ(get(port, "/assets/client.js").headers["content-type"], "text/javascript; charset=utf-8");
  EXPECT_EQ(get(port, "/assets/icon.svg").headers["content-type"], "image/svg+xml");
  EXPECT_EQ(get(port, "/assets/host.js?v=2").status, 200);

  // An unchanged file is a 304 without a body; another ETag gets the file.
  auto first = get(port, "/assets/client.js");
  auto again = get(port, "/assets/client.js", {{"If-None-Match", first.headers.at("etag")}});
  EXPECT_EQ(again.status, 304);
  EXPECT_TRUE(again.body.empty());
  EXPECT_EQ(get(port, "/assets/client.js", {{"If-None-Match", "\"other\""}}).status, 200);

  for (const char* bad : {"/assets/", "/assets/nope.js", "/assets/../CMakeLists.txt", "/assets/%2e%2e/app.cpp",
                          "/assets/.hidden", "/assets/sub/x.js", "/j/12345", "/j/1234567", "/j/abcdef", "/present/",
                          "/present/12x456", "/hostx", "/participant.html", "/style.css"})
    EXPECT_EQ(get(port, bad).status, 404) << bad;
}

TEST(WebServer, QrCodeOfTheJoinLink) {
  served_session s;
  const auto& server = *s.server;
  const auto code = s.code;
  auto r = get(server.port(), "/qr/" + code + ".svg");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.headers["content-type"], "image/svg+xml");
  EXPECT_NE(r.body.find("<svg"), std::string::npos);
  EXPECT_EQ(r.body, *rf::qr_svg("http://127.0.0.1:" + std::to_string(server.port()) + "/j/" + code));

  const std::string other = code == "000000" ? "000001" : "000000";
  for (const std::string& bad : {"/qr/" + other + ".svg", std::string("/qr/12345.svg"), std::string("/qr/abcdef.svg"),
                                 "/qr/" + code, "/qr/" + code + ".png", "/qr/" + code + ".svgx", std::string("/qr/")})
    EXPECT_EQ(get(server.port(), bad).status, 404) << bad;
}

TEST(WebServer, QrUsesThePublicUrl) {
  served_session s({.extra = {"--public-url", "https://vote.example.org/"}});
  const auto& server = *s.server;
  const auto code = s.code;
  EXPECT_EQ(get(server.port(), "/qr/" + code + ".svg").body, *rf::qr_svg("https://vote.example.org/j/" + code));
}

TEST(WebServer, WebRootServesFromDiskAtEachRequest) {
  temp_dir dir;
  const auto root = dir.path() + "/web";
  std::filesystem::create_directory(root);
  std::ofstream(root + "/participant.html") << "<!doctype html><title>dev copy</title>";
  std::ofstream(root + "/extra.js") << "export const x = 1;";
  server_process server({dir.path() + "/rt.db", test_scenarios, test_key, 3, {"--web-root", root}});
  const auto port = server.port();
  EXPECT_EQ(get(port, "/").body, "<!doctype html><title>dev copy</title>");
  auto js = get(port, "/assets/extra.js");
  EXPECT_EQ(js.status, 200);
  EXPECT_EQ(js.headers["content-type"], "text/javascript; charset=utf-8");
  // Edited while the server runs: the next request sees it, with a new ETag.
  std::ofstream(root + "/extra.js") << "export const x = 2;";
  auto edited = get(port, "/assets/extra.js");
  EXPECT_EQ(edited.body, "export const x = 2;");
  EXPECT_NE(edited.headers["etag"], js.headers["etag"]);
  // Not in the folder: 404, never the embedded copy, never a file outside it.
  EXPECT_EQ(get(port, "/host").status, 404);
  EXPECT_EQ(get(port, "/assets/../rt.db").status, 404);
  std::filesystem::create_directory(root + "/folder.js");
  EXPECT_EQ(get(port, "/assets/folder.js").status, 404);
}

TEST(WebServer, WebRootThatIsNoFolderStopsTheStart) {
  temp_dir dir;
  EXPECT_THROW(
      server_process({dir.path() + "/rt.db", test_scenarios, test_key, 3, {"--web-root", dir.path() + "/missing"}}),
      std::exception);
}

// Client frames to typed messages: every malformed input answered with its code.
#include "roundtable/protocol.hpp"

#include <gtest/gtest.h>

using namespace roundtable;
using namespace roundtable::protocol;

namespace {

error parse_error(std::string_view frame) {
  auto p = parse(frame);
  EXPECT_FALSE(p.msg.has_value()) << frame;
  return p.err.value_or(error{error_code::internal, "no error"});
}

const std::string token = "abcdefghijklmnopqrstuvwxyz_-0123";

}  // namespace

TEST(Parse, EveryRequestType) {
  const std::string frames[] = {
      R"({"type":"join","code":"482913","token":")" + token + R"("})",
      R"({"type":"vote","id":"v1","question":"gut","ballot":{"choice":"refer"}})",
      R"({"type":"perspective","question":"voices","text":"Trust."})",
      R"({"type":"endorse","perspective":"p1"})",
      R"({"type":"host","key":"secret"})",
      R"({"type":"start","scenario":"warm-up","options":{"min_group":5,"live":true}})",
      R"({"type":"attach","code":"482913"})",
      R"({"type":"goto","code":"482913","stage":2})",
      R"({"type":"open","code":"482913","question":"gut","seconds":60})",
      R"({"type":"close","code":"482913","question":"gut"})",
      R"({"type":"reveal","code":"482913","question":"gut"})",
      R"({"type":"hide","code":"482913","question":"gut"})",
      R"({"type":"moderate","code":"482913","perspective":"p1","action":"show"})",
      R"({"type":"end","code":"482913"})",
      R"({"type":"purge","code":"482913"})",
      R"({"type":"watch","code":"482913"})",
      R"({"type":"scenario_save","scenario":{"id":"mine"}})",
      R"({"type":"scenario_get","scenario":"mine"})",
      R"({"type":"scenario_delete","scenario":"mine"})",
      R"({"type":"cohost_key","code":"482913"})",
  };
  const char* names[] = {
      "join",          "vote",         "perspective",     "endorse",   "host",     "start", "attach", "goto",
      "open",          "close",        "reveal",          "hide",      "moderate", "end",   "purge",  "watch",
      "scenario_save", "scenario_get", "scenario_delete", "cohost_key"};
  for (std::size_t i = 0; i < std::size(frames); ++i) {
    auto p = parse(frames[i]);
    ASSERT_TRUE(p.msg.has_value()) << frames[i] << ": " << (p.err ? p.err->message : "");
    EXPECT_EQ(type_name(*p.msg), names[i]);
  }
}

TEST(Parse, FieldsAreRead) {
  auto p = parse(R"({"type":"start","id":"s","scenario":"x","options":{"min_group":5,"live":true}})");
  ASSERT_TRUE(p.msg);
  EXPECT_EQ(*p.id, "s");
  const auto& s = std::get<start>(*p.msg);
  EXPECT_EQ(s.scenario, "x");
  EXPECT_EQ(*s.min_group, 5);
  EXPECT_TRUE(*s.live);
  auto g = parse(R"({"type":"goto","code":"1","stage":"discuss"})");
  EXPECT_EQ(std::get<std::string>(std::get<goto_stage>(*g.msg).stage), "discuss");
  auto m = parse(R"({"type":"moderate","code":"1","perspective":"p","action":"hide"})");
  EXPECT_FALSE(std::get<moderate>(*m.msg).show);
  auto o = parse(R"({"type":"open","code":"1","question":"q"})");
  EXPECT_FALSE(std::get<open>(*o.msg).seconds.has_value());
}

// A start names a case by id or carries it whole; confidential is an option like live.
TEST(Parse, AStartCarriesAnInlineCaseAndTheConfidentialOption) {
  auto p = parse(R"({"type":"start","scenario":{"id":"quick"},"options":{"confidential":true}})");
  ASSERT_TRUE(p.msg) << p.err->message;
  const auto& s = std::get<start>(*p.msg);
  EXPECT_TRUE(s.scenario.empty());
  EXPECT_EQ((*s.inline_scenario)["id"], "quick");
  EXPECT_TRUE(*s.confidential);
  EXPECT_FALSE(std::get<start>(*parse(R"({"type":"start","scenario":"x"})").msg).confidential.has_value());
  EXPECT_EQ(parse_error(R"({"type":"start","scenario":["x"]})").code, error_code::bad_message);
  EXPECT_EQ(parse_error(R"({"type":"start","scenario":"x","options":{"confidential":1}})").code,
            error_code::bad_message);
  EXPECT_EQ(parse_error(R"({"type":"scenario_save","scenario":"mine"})").code, error_code::bad_message);
  EXPECT_EQ(parse_error(R"({"type":"scenario_save"})").code, error_code::bad_message);
  EXPECT_EQ(parse_error(R"({"type":"scenario_get","scenario":3})").code, error_code::bad_message);
  EXPECT_EQ(parse_error(R"({"type":"scenario_delete"})").code, error_code::bad_message);
}

TEST(Parse, NotJsonIsBadJson) {
  EXPECT_EQ(parse_error("{").code, error_code::bad_json);
  EXPECT_EQ(parse_error("").code, error_code::bad_json);
  EXPECT_EQ(parse_error("hello").code, error_code::bad_json);
  EXPECT_EQ(parse_error(R"({"type":"join",})").code, error_code::bad_json);
}

TEST(Parse, NestingDeeperThan32IsBadJsonBeforeItIsParsed) {
  const auto nested = [](std::size_t depth) {
    return R"({"type":"vote","id":"v","question":"q","ballot":)" + std::string(depth - 1, '[') +
           std::string(depth - 1, ']') + "}";
  };
  // 32 levels (the object and 31 arrays) parse (the ballot is checked against its question later); 33 do not.
  EXPECT_TRUE(parse(nested(32)).msg.has_value());
  const auto deep = parse(nested(33));
  ASSERT_TRUE(deep.err);
  EXPECT_EQ(deep.err->code, error_code::bad_json);
  EXPECT_NE(deep.err->message.find("deeper than 32"), std::string::npos);
  // A whole 64 KiB frame of brackets, unbalanced, as an attacker would send it.
  EXPECT_EQ(parse_error(std::string(64 * 1024, '[')).code, error_code::bad_json);
  EXPECT_EQ(parse_error(std::string(16 * 1024 * 1024, '{')).code, error_code::bad_json);
  // Brackets inside strings (escaped quotes too) are text, not nesting.
  const std::string text = R"({"type":"perspective","question":"q","text":"\"[[[[)" + std::string(100, '[') + R"("})";
  EXPECT_EQ(parse(text).err, std::nullopt);
}

TEST(Parse, JsonThatIsNotARequestIsBadMessage) {
  EXPECT_EQ(parse_error("[]").message, "a request must be a JSON object");
  EXPECT_EQ(parse_error("42").code, error_code::bad_message);
  EXPECT_EQ(parse_error("{}").message, "field \"type\" (a string) is required");
  EXPECT_EQ(parse_error(R"({"type":7})").code, error_code::bad_message);
  EXPECT_EQ(parse_error(R"({"type":"dance"})").message, "unknown type \"dance\"");
  EXPECT_EQ(parse_error(R"({"type":"join","code":"1"})").message, "missing field \"token\"");
  EXPECT_EQ(parse_error(R"({"type":"join","code":1,"token":"x"})").message, "field \"code\" must be a string");
  EXPECT_EQ(parse_error(R"({"type":"join","code":"1","token":"short"})").message,
            "malformed token: 22 to 64 characters of A-Z, a-z, 0-9, _ and -");
  EXPECT_EQ(parse_error(R"({"type":"join","code":"1","token":"abcdefghijklmnopqrstuvwxyz!!"})").code,
            error_code::bad_message);
  EXPECT_EQ(parse_error(R"({"type":"vote","question":"q"})").message, "missing field \"ballot\"");
  EXPECT_EQ(parse_error(R"({"type":"goto","code":"1","stage":1.5})").code, error_code::bad_message);
  EXPECT_EQ(parse_error(R"({"type":"open","code":"1","question":"q","seconds":4})").message,
            "field \"seconds\" must be from 5 to 3600");
  EXPECT_EQ(parse_error(R"({"type":"open","code":"1","question":"q","seconds":3601})").code, error_code::bad_message);
  EXPECT_EQ(parse_error(R"({"type":"open","code":"1","question":"q","seconds":"60"})").code, error_code::bad_message);
  EXPECT_EQ(parse_error(R"({"type":"moderate","code":"1","perspective":"p","action":"delete"})").code,
            error_code::bad_message);
  EXPECT_EQ(parse_error(R"({"type":"start","scenario":"x","options":[]})").code, error_code::bad_message);
  EXPECT_EQ(parse_error(R"({"type":"start","scenario":"x","options":{"min_group":0}})").code, error_code::bad_message);
  EXPECT_EQ(parse_error(R"({"type":"start","scenario":"x","options":{"live":"yes"}})").code, error_code::bad_message);
  EXPECT_EQ(parse_error(R"({"type":"host","id":5,"key":"k"})").message, "field \"id\" must be a string");
}

TEST(Parse, OversizedFieldsAreTooLarge) {
  const std::string long_id(65, 'x');
  auto p = parse(R"({"type":"host","key":"k","id":")" + long_id + "\"}");
  ASSERT_TRUE(p.err);
  EXPECT_EQ(p.err->code, error_code::too_large);
  EXPECT_EQ(p.id, long_id) << "every request's reply echoes its id, a refused one too";
  auto ok = parse(R"({"type":"host","key":"k","id":")" + std::string(64, 'x') + "\"}");
  EXPECT_TRUE(ok.msg);
  // 64 characters are 64 code points, not bytes: 64 emoji (256 bytes) are fine, 65 are not.
  std::string emoji;
  for (int i = 0; i < 64; ++i) emoji += "\xF0\x9F\x98\x80";
  EXPECT_TRUE(parse(R"({"type":"host","key":"k","id":")" + emoji + "\"}").msg);
  auto over = parse(R"({"type":"host","key":"k","id":")" + emoji + "\xC3\xA9\"}");
  ASSERT_TRUE(over.err);
  EXPECT_EQ(over.err->code, error_code::too_large);
  EXPECT_EQ(parse_error(R"({"type":"vote","question":")" + std::string(201, 'q') + R"(","ballot":{}})").code,
            error_code::too_large);
}

TEST(Parse, ANegativeStageIndexNamesNoStage) {
  auto g = parse(R"({"type":"goto","code":"1","stage":-1})");
  ASSERT_TRUE(g.msg);
  EXPECT_EQ(std::get<std::size_t>(std::get<goto_stage>(*g.msg).stage), static_cast<std::size_t>(-1));
}

TEST(Parse, TheIdIsKeptForTheErrorReply) {
  auto p = parse(R"({"type":"dance","id":"r7"})");
  EXPECT_EQ(*p.id, "r7");
  EXPECT_EQ(error_reply(p.id, *p.err).dump(),
            R"({"code":"bad_message","id":"r7","message":"unknown type \"dance\"","type":"error"})");
  EXPECT_EQ(ack(std::string("r7")).dump(), R"({"id":"r7","type":"ack"})");
  EXPECT_EQ(ack(std::nullopt).dump(), R"({"type":"ack"})");
}

TEST(Parse, NeverThrowsOnHostileInput) {
  const char* frames[] = {("{\"type\":\"vote\",\"question\":\"q\",\"ballot\":"
                           "[[[[[[[[[[]]]]]]]]]]}"),
                          "\xff\xfe", "{\"type\":\"join\",\"code\":\"\\ud800\",\"token\":\"x\"}", "{\"a\":1e999999}",
                          "nul\0l"};
  for (const char* f : frames) EXPECT_NO_THROW(parse(f));
}

TEST(Dump, ReplacesInvalidUtf8InsteadOfThrowing) {
  nlohmann::json j = std::string("bad \xff byte");
  EXPECT_NO_THROW(dump(j));
}

TEST(Parse, LensesOnStartAndOpen) {
  auto s = parse(R"({"type":"start","scenario":"x","options":{"lenses":2}})");
  ASSERT_TRUE(s.msg);
  EXPECT_EQ(std::get<start>(*s.msg).lenses, 2);
  auto o = parse(R"({"type":"open","code":"1","question":"q","lenses":0})");
  ASSERT_TRUE(o.msg);
  EXPECT_EQ(std::get<open>(*o.msg).lenses, 0);
  auto none = parse(R"({"type":"open","code":"1","question":"q","lenses":null})");
  ASSERT_TRUE(none.msg);
  EXPECT_FALSE(std::get<open>(*none.msg).lenses.has_value());
  // The upper bound is the case's (the session checks it); here only what is never a count.
  EXPECT_EQ(parse_error(R"({"type":"open","code":"1","question":"q","lenses":-1})").message,
            "field \"lenses\" must be from 0 to the case's number of models");
  EXPECT_EQ(parse_error(R"({"type":"open","code":"1","question":"q","lenses":"two"})").code, error_code::bad_message);
  EXPECT_EQ(parse_error(R"({"type":"open","code":"1","question":"q","lenses":1e300})").code, error_code::bad_message);
  EXPECT_EQ(parse_error(R"({"type":"open","code":"1","question":"q","lenses":99999999999999999999})").code,
            error_code::bad_message);
  EXPECT_EQ(parse_error(R"({"type":"start","scenario":"x","options":{"lenses":65}})").message,
            "field \"options.lenses\" must be from 0 to the case's number of models");
}

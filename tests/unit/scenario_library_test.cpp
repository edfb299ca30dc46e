// Saved cases on a real SQLite file: versions, owners, the count limit, and the library's rules over
// the folder's read-only cases and the saved ones.
#include "scenario_library.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "store/event_store.hpp"
#include "store/scenario_store.hpp"

namespace roundtable::facilitator {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

json demo_case(const std::string& id) {
  std::ifstream in(std::string(ROUNDTABLE_SOURCE_DIR) + "/tests/fixtures/server/demo.json");
  auto c = json::parse(in);
  c["id"] = id;
  return c;
}

class ScenarioLibraryTest : public ::testing::Test {
protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("rt-library-" + std::to_string(std::random_device{}()));
    fs::create_directories(dir_ / "folder");
    fs::copy_file(std::string(ROUNDTABLE_SOURCE_DIR) + "/tests/fixtures/server/demo.json", dir_ / "folder/demo.json");
    events_ = store::event_store::open(dir_ / "rt.db");
    saved_ = store::scenario_store::open(dir_ / "rt.db");
    folder_ = std::make_unique<scenario_folder>(dir_ / "folder");
    library_ = std::make_unique<scenario_library>(*folder_, *saved_, case_limits{48 * 1024, 2});
  }
  void TearDown() override {
    library_.reset();
    saved_.reset();
    events_.reset();
    fs::remove_all(dir_);
  }

  fs::path dir_;
  std::unique_ptr<store::event_store> events_;
  std::unique_ptr<store::scenario_store> saved_;
  std::unique_ptr<scenario_folder> folder_;
  std::unique_ptr<scenario_library> library_;
};

TEST_F(ScenarioLibraryTest, EachSaveOfAnOwnIdIsTheNextVersion) {
  const std::string owner(admin_owner);
  auto v1 = library_->save(demo_case("ours"), owner);
  ASSERT_TRUE(v1) << v1.refusal.err.message;
  EXPECT_EQ(v1.value->version, 1);
  auto edited = demo_case("ours");
  edited["title"] = "Second";
  EXPECT_EQ(library_->save(edited, owner).value->version, 2);
  const auto got = library_->get("ours");
  ASSERT_TRUE(got);
  EXPECT_EQ(got.value->version, 2);
  EXPECT_EQ(got.value->file["title"], "Second");
  EXPECT_EQ(library_->find("ours")->title, "Second");
  // Another owner cannot take the id; the owner's count limit holds only for new ids.
  EXPECT_EQ(library_->save(demo_case("ours"), "someone-else").refusal.err.code, error_code::read_only_scenario);
  EXPECT_TRUE(library_->save(demo_case("second"), owner));
  EXPECT_EQ(library_->save(demo_case("third"), owner).refusal.err.code, error_code::too_large);
  EXPECT_EQ(library_->save(edited, owner).value->version, 3);
  EXPECT_FALSE(library_->remove("ours", "someone-else"));
  EXPECT_TRUE(library_->remove("ours", owner));
  EXPECT_FALSE(library_->find("ours"));
}

TEST_F(ScenarioLibraryTest, FolderCasesAreListedFirstAndReadOnly) {
  ASSERT_TRUE(library_->save(demo_case("mine"), std::string(admin_owner)));
  const auto list = library_->list();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].id, "demo");
  EXPECT_EQ(list[0].source, case_source::folder);
  EXPECT_EQ(list[1].id, "mine");
  EXPECT_EQ(list[1].source, case_source::saved);
  EXPECT_EQ(library_->save(demo_case("demo"), std::string(admin_owner)).refusal.err.code,
            error_code::read_only_scenario);
  EXPECT_EQ(library_->remove("demo", std::string(admin_owner)).refusal.err.code, error_code::read_only_scenario);
}

TEST_F(ScenarioLibraryTest, AnOwnersScopeHoldsTheFolderAndItsOwnCasesOnly) {
  ASSERT_TRUE(library_->save(demo_case("alices"), "alice"));
  ASSERT_TRUE(library_->save(demo_case("bobs"), "bob"));
  const owner_scope bob = std::string("bob");
  std::vector<std::string> ids;
  for (const auto& c : library_->list(bob)) ids.push_back(c.id);
  EXPECT_EQ(ids, (std::vector<std::string>{"demo", "bobs"}));
  EXPECT_EQ(library_->list().size(), 3u) << "the admin's scope holds every case";
  // Alice's case is to Bob what a missing one is: the same refusal, word for word.
  const auto missing = library_->get("nothing-here", bob);
  const auto hers = library_->get("alices", bob);
  ASSERT_FALSE(hers);
  EXPECT_EQ(hers.refusal.err.code, missing.refusal.err.code);
  EXPECT_EQ(hers.refusal.err.message, "no case has the id \"alices\"");
  EXPECT_FALSE(library_->find("alices", bob));
  EXPECT_TRUE(library_->find("demo", bob)) << "folder cases are everyone's";
  EXPECT_EQ(library_->remove("alices", bob).refusal.err.code, error_code::unknown_scenario);
  EXPECT_TRUE(library_->find("alices")) << "a refused delete deletes nothing";
  EXPECT_TRUE(library_->remove("alices", std::nullopt)) << "the admin deletes anyone's case";
}

TEST_F(ScenarioLibraryTest, ARefusedCaseCarriesEveryErrorAndNothingIsStored) {
  auto bad = demo_case("bad");
  bad.erase("summary");
  bad["stages"][1]["question"]["type"] = "poll";
  const auto r = library_->save(bad, std::string(admin_owner));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.refusal.err.code, error_code::invalid_scenario);
  ASSERT_EQ(r.refusal.details.size(), 2u);
  EXPECT_EQ(r.refusal.details[0].path, "summary");
  EXPECT_EQ(r.refusal.details[1].path, "stages[1].question.type");
  EXPECT_FALSE(library_->find("bad"));
  const auto not_a_case = library_->check(json{{"format", 1}, {"id", "x"}});
  EXPECT_EQ(not_a_case.refusal.err.code, error_code::invalid_scenario);
  EXPECT_FALSE(not_a_case.refusal.details.empty());
}

}  // namespace
}  // namespace roundtable::facilitator

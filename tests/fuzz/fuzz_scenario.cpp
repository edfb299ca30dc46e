// libFuzzer: a scenario file's text through the loader; a valid one must survive its canonical
// form (to_json, then parse again).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include <nlohmann/json.hpp>

#include "roundtable/scenario.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto parsed = roundtable::parse_scenario(text, "fuzz.json");
  if (parsed.value.has_value() == !parsed.errors.empty()) std::abort();  // a value or errors, never both
  for (const auto& e : parsed.errors) (void)e.to_string();
  if (!parsed.value) return 0;
  const auto canonical = roundtable::to_json(*parsed.value).dump();
  const auto again = roundtable::parse_scenario(canonical, "canonical.json");
  if (!again.value) std::abort();  // the canonical form of a valid scenario is valid
  if (roundtable::to_json(*again.value).dump() != canonical) std::abort();
  // The loader of a folder takes it too (and refuses it twice: duplicate ids).
  const auto catalog = roundtable::parse_catalog({{"a.json", std::string(text)}, {"b.json", std::string(text)}});
  if (catalog.errors.empty()) std::abort();
  return 0;
}

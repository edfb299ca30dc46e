// The deal of lenses over the participants present when a round opens (docs/protocol.md, "Lenses").
#include "roundtable/lenses.hpp"

#include <algorithm>
#include <string>

namespace roundtable {

namespace {

// The lowest lens with the fewest holders.
std::size_t fewest(const lens_deal& d) {
  std::size_t best = 0;
  for (std::size_t m = 1; m < d.holders.size(); ++m)
    if (d.holders[m].size() < d.holders[best].size()) best = m;
  return best;
}

}  // namespace

lens_deal deal_lenses(std::vector<voter_id> present, int lenses, const lens_preference& preferred) {
  lens_deal d{lenses, {}};
  if (lenses <= 0) return d;
  const auto k = static_cast<std::size_t>(lenses);
  d.holders.resize(k);
  std::sort(present.begin(), present.end());
  present.erase(std::unique(present.begin(), present.end()), present.end());
  const std::size_t base = present.size() / k;
  std::size_t extra = present.size() % k;  // lenses that may hold base + 1
  std::vector<voter_id> rest;
  // First every voter whose lens has room below base, then those who fit in one of the `extra` places.
  std::vector<std::pair<voter_id, std::size_t>> waiting;
  for (const auto v : present) {
    const auto p = preferred(v);
    if (!p || *p >= k) {
      rest.push_back(v);
    } else if (d.holders[*p].size() < base) {
      d.holders[*p].push_back(v);
    } else {
      waiting.emplace_back(v, *p);
    }
  }
  for (const auto& [v, p] : waiting) {
    if (d.holders[p].size() == base && extra > 0) {
      d.holders[p].push_back(v);
      --extra;
    } else {
      rest.push_back(v);
    }
  }
  std::sort(rest.begin(), rest.end());
  for (const auto v : rest) d.holders[fewest(d)].push_back(v);
  for (auto& h : d.holders) std::sort(h.begin(), h.end());
  return d;
}

std::size_t late_lens(const lens_deal& deal, std::optional<std::size_t> preferred) {
  const std::size_t low = fewest(deal);
  if (preferred && *preferred < deal.holders.size() && deal.holders[*preferred].size() == deal.holders[low].size())
    return *preferred;
  return low;
}

status check_lenses(const scenario& s, int lenses, std::string_view field) {
  if (lenses < 0 || static_cast<std::size_t>(lenses) > s.models.size())
    return error{error_code::bad_message, std::string(field) + " must be from 0 to " + std::to_string(s.models.size()) +
                                              " (the case's decision models)"};
  return ok();
}

}  // namespace roundtable

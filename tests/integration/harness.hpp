// Shared helpers of the hardening tests: the served session fixture, metrics, and wrong join codes.
#pragma once

#include <gtest/gtest.h>
#include <sys/resource.h>

#include <algorithm>
#include <string>

#include "served_session.hpp"

namespace roundtable::test {

/// The value of one metric line ("name value" or "name{labels} value") from /metrics; -1 if absent.
inline double metric(unsigned short port, const std::string& name) {
  const auto page = http_get(port, "/metrics", test_key).body;  // the facilitator's page
  std::size_t at = 0;
  while ((at = page.find(name + " ", at)) != std::string::npos) {
    if (at == 0 || page[at - 1] == '\n') return std::stod(page.substr(at + name.size() + 1));
    at += name.size();
  }
  return -1;
}

/// Makes the server's disk "full": no write past `bytes` of any file succeeds (the server ignores SIGXFSZ, so
/// writes fail with EFBIG). The soft limit only: the hard one stays, so RLIM_INFINITY gives the disk back.
inline void set_file_size_limit(int pid, rlim_t bytes) {
  rlimit lim{};
  ASSERT_EQ(prlimit(pid, RLIMIT_FSIZE, nullptr, &lim), 0);
  lim.rlim_cur = std::min(bytes, lim.rlim_max);
  ASSERT_EQ(prlimit(pid, RLIMIT_FSIZE, &lim, nullptr), 0) << "prlimit failed";
}

/// A join code that is not `code` (a wrong guess), different for each i.
inline std::string wrong_code(const std::string& code, int i) {
  for (int k = i;; ++k) {
    std::string c = std::to_string(100000 + (k * 7919) % 900000);
    if (c != code) return c;
  }
}

}  // namespace roundtable::test

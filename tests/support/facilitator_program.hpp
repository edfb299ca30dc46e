// The real `facilitator` program run to its end, for the offline commands (export, backup, keys...).
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <string>

namespace roundtable::test {

inline const std::string facilitator_bin = std::string(ROUNDTABLE_BINARY_DIR) + "/bin/facilitator";

/// A finished command: its exit status and everything it wrote (stdout and stderr).
struct ran {
  int status = -1;
  std::string output;
};

/// Runs `facilitator ARGS` to the end (stderr too when with_stderr).
inline ran facilitator(const std::string& args, bool with_stderr = true) {
  const std::string cmd = "timeout 60 " + facilitator_bin + " " + args + (with_stderr ? " 2>&1" : " 2>/dev/null");
  FILE* p = popen(cmd.c_str(), "r");
  ran r;
  char buf[512];
  while (p && fgets(buf, sizeof buf, p)) r.output += buf;
  const int status = p ? pclose(p) : -1;
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

}  // namespace roundtable::test

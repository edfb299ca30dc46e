// Test support: a self-signed certificate for the TLS tests, made with the openssl command line.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

namespace roundtable::test {

/// Writes dir/cert.pem and dir/key.pem: a self-signed certificate (its own CA) for the names in
/// subject_alt_name (e.g. "IP:127.0.0.1" or "DNS:elsewhere.example"), valid for a day.
inline void make_certificate(const std::string& dir, const std::string& subject_alt_name = "IP:127.0.0.1") {
  const std::string cmd =
      "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=roundtable-test -addext "
      "subjectAltName=" +
      subject_alt_name + " -keyout " + dir + "/key.pem -out " + dir + "/cert.pem >/dev/null 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
}

}  // namespace roundtable::test

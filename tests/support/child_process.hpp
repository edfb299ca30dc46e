// Test support: a program of the build (by default `participant`) run as a child process,
// its stdin written to and its stdout read line by line.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace roundtable::test {

using namespace std::chrono_literals;

/// build/bin/participant.
extern const std::string participant_bin;

/// A child process with its stdin, stdout and stderr piped; stdout read line by line.
class child {
public:
  /// Starts program with args (argv[0] is the program).
  explicit child(std::vector<std::string> args, const std::string& program = participant_bin);
  /// Kills the child when it is still running.
  ~child();
  child(const child&) = delete;
  child& operator=(const child&) = delete;

  /// Writes one line to its stdin.
  void write_line(const std::string& s);
  /// Closes its stdin (end of input).
  void close_stdin();
  /// Waits for a stdout line containing text; returns it (or nullopt after timeout).
  std::optional<std::string> wait_line(const std::string& text, std::chrono::milliseconds timeout = 10s);
  /// Waits for the exit; the exit status, or -1 after timeout (then killed).
  int wait_exit(std::chrono::milliseconds timeout);
  /// Every stdout line so far.
  std::vector<std::string> lines();
  /// stdout and stderr so far, for a failure message.
  std::string all_output();
  /// stderr so far.
  std::string err();

private:
  void read_all(int fd, bool out);

  int pid_ = -1;
  int in_ = -1;
  int status_ = -1;
  std::thread reader_, err_reader_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<std::string> lines_;
  std::string err_;
};

}  // namespace roundtable::test

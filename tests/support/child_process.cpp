#include "child_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <stdexcept>

namespace roundtable::test {

const std::string participant_bin = std::string(ROUNDTABLE_BINARY_DIR) + "/bin/participant";

child::child(std::vector<std::string> args, const std::string& program) {
  int in[2], out[2], err[2];
  if (pipe(in) != 0 || pipe(out) != 0 || pipe(err) != 0) throw std::runtime_error("pipe");
  pid_ = fork();
  if (pid_ == 0) {
    dup2(in[0], 0);
    dup2(out[1], 1);
    dup2(err[1], 2);
    for (int fd : {in[0], in[1], out[0], out[1], err[0], err[1]}) close(fd);
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(program.c_str()));
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(program.c_str(), argv.data());
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  close(err[1]);
  in_ = in[1];
  reader_ = std::thread([this, fd = out[0]] { read_all(fd, true); });
  err_reader_ = std::thread([this, fd = err[0]] { read_all(fd, false); });
}
child::~child() {
  close_stdin();
  if (pid_ > 0 && status_ < 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  if (reader_.joinable()) reader_.join();
  if (err_reader_.joinable()) err_reader_.join();
}

void child::write_line(const std::string& s) {
  const auto line = s + "\n";
  ASSERT_EQ(::write(in_, line.data(), line.size()), static_cast<ssize_t>(line.size()));
}

void child::close_stdin() {
  if (in_ >= 0) close(in_);
  in_ = -1;
}

std::optional<std::string> child::wait_line(const std::string& text, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  std::size_t seen = 0;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    for (; seen < lines_.size(); ++seen)
      if (lines_[seen].find(text) != std::string::npos) return lines_[seen];
    if (cv_.wait_until(lock, deadline) == std::cv_status::timeout) {
      for (; seen < lines_.size(); ++seen)
        if (lines_[seen].find(text) != std::string::npos) return lines_[seen];
      return std::nullopt;
    }
  }
}

int child::wait_exit(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int st = 0;
    if (waitpid(pid_, &st, WNOHANG) == pid_) {
      status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
      if (reader_.joinable()) reader_.join();
      if (err_reader_.joinable()) err_reader_.join();
      return status_;
    }
    std::this_thread::sleep_for(20ms);
  }
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  status_ = -1;
  return -1;
}

std::vector<std::string> child::lines() {
  std::lock_guard lock(mutex_);
  return lines_;
}

std::string child::all_output() {
  std::lock_guard lock(mutex_);
  std::string s;
  for (const auto& l : lines_) s += l + "\n";
  return s + "--- stderr ---\n" + err_;
}

std::string child::err() {
  std::lock_guard lock(mutex_);
  return err_;
}

void child::read_all(int fd, bool out) {
  std::string partial;
  char buf[4096];
  for (;;) {
    const auto n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    std::lock_guard lock(mutex_);
    if (!out) {
      err_.append(buf, static_cast<std::size_t>(n));
      continue;
    }
    partial.append(buf, static_cast<std::size_t>(n));
    for (auto nl = partial.find('\n'); nl != std::string::npos; nl = partial.find('\n')) {
      lines_.push_back(partial.substr(0, nl));
      partial.erase(0, nl + 1);
    }
    cv_.notify_all();
  }
  close(fd);
  std::lock_guard lock(mutex_);
  if (out && !partial.empty()) lines_.push_back(partial);
  cv_.notify_all();
}

}  // namespace roundtable::test

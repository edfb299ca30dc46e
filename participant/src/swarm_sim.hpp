// One simulated participant of the swarm.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "client/connection.hpp"

namespace roundtable::participant {

/// One simulated participant; touched only on its own strand.
struct sim {
  enum class phase { waiting, connecting, joined, voted, acked, failed };
  int index = 0;
  std::string token;
  boost::asio::strand<boost::asio::io_context::executor_type> strand;
  std::shared_ptr<client::connection> conn;
  std::unique_ptr<boost::asio::steady_timer> vote_timer;
  std::optional<std::size_t> assigned_model;
  std::chrono::steady_clock::time_point t_start, t_sent;
  phase state = phase::waiting;
  int votes_cast = 0;

  explicit sim(boost::asio::io_context& ioc) : strand(boost::asio::make_strand(ioc)) {}
};

}  // namespace roundtable::participant

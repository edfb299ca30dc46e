// Protocol error codes and a small result type shared by every layer.
#pragma once

#include <cassert>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace roundtable {

/// The stable error codes of protocol.md, in the order listed there.
enum class error_code {
  bad_json,
  bad_message,
  too_large,
  unauthorized,
  not_joined,
  unknown_code,
  unknown_scenario,
  unknown_stage,
  unknown_question,
  unknown_perspective,
  voting_closed,
  invalid_ballot,
  rate_limited,
  session_ended,
  internal,
  // Additions of docs/protocol.md (saved cases), after the contract's codes.
  invalid_scenario,    // a case that would not load: every error in the reply's `details`
  read_only_scenario,  // save or delete of a case from the --scenarios folder
};

/// The wire spelling of an error code ("bad_json", ...).
std::string_view to_string(error_code code);

/// A refusal: the protocol code and a sentence a person can act on.
struct error {
  error_code code;
  std::string message;

  friend bool operator==(const error&, const error&) = default;
};

/// Either a value or an error; the core's way to refuse input without throwing.
template <class T>
class result {
public:
  result(T value) : v_(std::move(value)) {}  // NOLINT: implicit on purpose
  result(error e) : v_(std::move(e)) {}      // NOLINT: implicit on purpose
  result(error_code code, std::string message) : v_(error{code, std::move(message)}) {}

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & {
    assert(ok());
    return std::get<0>(v_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(v_);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(v_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const error& err() const {
    assert(!ok());
    return std::get<1>(v_);
  }

private:
  std::variant<T, error> v_;
};

/// A result that carries nothing on success.
struct ok_t {
  friend bool operator==(ok_t, ok_t) = default;
};
using status = result<ok_t>;
inline status ok() {
  return ok_t{};
}

}  // namespace roundtable

// The "overloaded" idiom for std::visit: one visitor built from several lambdas.
#pragma once

namespace roundtable {

/// Combines lambdas into one visitor: std::visit(overloaded{[](const a&) {}, [](const b&) {}}, v).
template <class... F>
struct overloaded : F... {
  using F::operator()...;
};
template <class... F>
overloaded(F...) -> overloaded<F...>;

}  // namespace roundtable

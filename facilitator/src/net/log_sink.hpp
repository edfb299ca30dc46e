// Where the transport's own messages go (accept failing, a TLS handshake refused, a handler
// throwing): a sink the application installs (the facilitator's operator log), plain stderr lines
// until it does. Messages carry the error's words only: never a client's address or a payload.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>

namespace roundtable::net {

enum class severity : std::uint8_t { info, warning, error };

/// One transport message: how bad, an event name (e.g. "accept_failed"), the words.
using log_sink = std::function<void(severity, std::string_view event, std::string_view message)>;

/// Sends every later message to sink (an empty sink restores stderr); call before the server starts.
void set_log_sink(log_sink sink);

/// Reports one message through the sink installed; thread-safe when the sink is.
void report(severity s, std::string_view event, std::string_view message);

}  // namespace roundtable::net

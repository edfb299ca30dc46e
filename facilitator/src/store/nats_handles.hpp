#pragma once

// RAII owners for the NATS C client's objects (libnats), in the style of sqlite.hpp: each handle
// is released by its owner, and every failing call throws std::runtime_error with the client's text.

#include <nats/nats.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

namespace roundtable::store::nats {

// Releases any libnats object handed to a std::unique_ptr.
struct deleter {
  void operator()(natsOptions* p) const noexcept { natsOptions_Destroy(p); }
  void operator()(natsConnection* p) const noexcept { natsConnection_Destroy(p); }
  void operator()(jsCtx* p) const noexcept { jsCtx_Destroy(p); }
  void operator()(natsMsg* p) const noexcept { natsMsg_Destroy(p); }
  void operator()(jsPubAck* p) const noexcept { jsPubAck_Destroy(p); }
  void operator()(natsSubscription* p) const noexcept { natsSubscription_Destroy(p); }
  void operator()(jsMsgMetaData* p) const noexcept { jsMsgMetaData_Destroy(p); }
  void operator()(jsStreamInfo* p) const noexcept { jsStreamInfo_Destroy(p); }
  void operator()(kvStore* p) const noexcept { kvStore_Destroy(p); }
  void operator()(kvEntry* p) const noexcept { kvEntry_Destroy(p); }
};

template <class T>
using handle = std::unique_ptr<T, deleter>;

// What a failing libnats call throws: the connection or JetStream said no, or did not answer.
struct error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Throws error("WHAT: TEXT") unless s is NATS_OK; a JetStream error code, when given and set, is
// named too.
inline void check(natsStatus s, std::string_view what, jsErrCode code = static_cast<jsErrCode>(0)) {
  if (s == NATS_OK) return;
  std::string message = std::string(what) + ": " + natsStatus_GetText(s);
  if (code != 0) message += " (JetStream error " + std::to_string(static_cast<int>(code)) + ")";
  throw error(message);
}

}  // namespace roundtable::store::nats

// QR codes as SVG (libqrencode), for the join link shown on the console and the projector.
#pragma once

#include <optional>
#include <string>

namespace roundtable::facilitator {

/// An SVG image of the QR code of `text` (error correction M, a 4-module quiet zone), or nothing if the
/// text is too long for a QR code.
std::optional<std::string> qr_svg(const std::string& text);

}  // namespace roundtable::facilitator

// A session's printable report: one self-contained HTML page (inline CSS, charts as inline SVG, no
// scripts) built from the session's export, so it holds back exactly what the export and live views do.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "roundtable/scenario.hpp"
#include "roundtable/session.hpp"

namespace roundtable::facilitator {

/// The policy the report is served with: inline styles only; no script, no request, no frame.
inline constexpr const char* report_csp =
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'";

/// The report page from the session's scenario and its export (session::export_json).
std::string report_html(const scenario& s, const nlohmann::json& exported);

/// The report of a replayed session.
std::string report_html(const session& s);

}  // namespace roundtable::facilitator

#pragma once
// Browser assets embedded at build time: NiiVue's UMD bundle (BSD-2-Clause, from npm, pinned in
// web/package-lock.json), the report's own script and style sheet (web/report.js, report.css).
#include <string_view>

namespace qsmtk::report {
std::string_view niivue_js();
std::string_view report_js();
std::string_view report_css();
std::string_view niivue_version();
}  // namespace qsmtk::report

#pragma once

namespace qsmtk {
/// Release version, e.g. "0.1.0".
const char* version();
/// `git describe` of the source tree at configure time ("unknown" outside git).
const char* git_revision();
}  // namespace qsmtk

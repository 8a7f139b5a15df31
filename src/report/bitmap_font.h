#pragma once
// The built-in 5x7 font of the figure renderer (render.h): printable ASCII, one bit per pixel.
#include <array>
#include <cstdint>

namespace qsmtk::detail {

struct Glyph {
  const std::array<uint8_t, 7>& rows;  // top first; bit 4 is the leftmost pixel, bit 0 the rightmost
  int drop;                            // rows below the line's top (2 for descenders g, p, q, y)
};
/// Characters outside printable ASCII get the glyph of '?'.
Glyph glyph(char c);

}  // namespace qsmtk::detail

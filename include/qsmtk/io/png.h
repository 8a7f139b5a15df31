#pragma once
// PNG output of rendered figures: 8-bit RGB, deflated with zlib, one adaptive filter per row.
#include <string>

namespace qsmtk {

struct RgbImage;

/// The complete PNG file as bytes (for files, HTML data URIs, ...). Throws std::invalid_argument
/// for an empty image or one whose pixel buffer does not match its size.
std::string encode_png(const RgbImage& image);
/// Writes encode_png(image) atomically (temporary name, then rename); throws naming the path.
void write_png(const std::string& path, const RgbImage& image);

}  // namespace qsmtk

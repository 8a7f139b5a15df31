#pragma once
// JSON sidecars (BIDS) and other JSON files, read with clear errors and written atomically.
#include <nlohmann/json_fwd.hpp>
#include <string>

namespace qsmtk {

using Json = nlohmann::ordered_json;

/// Parses JSON text; throws std::runtime_error starting with `what` (a file name) and giving the
/// parse position.
Json parse_json(const std::string& text, const std::string& what);
/// Parses a JSON file; throws std::runtime_error naming the file and the parse position.
Json read_json(const std::string& path);
/// Writes pretty-printed JSON (2-space indent) atomically.
void write_json(const std::string& path, const Json& value);
/// Writes a text file atomically.
void write_text(const std::string& path, const std::string& text);

/// The sidecar path for an image or table: x.nii.gz / x.nii / x.tsv -> x.json.
std::string sidecar_path(const std::string& image_path);

}  // namespace qsmtk

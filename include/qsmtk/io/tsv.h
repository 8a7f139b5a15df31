#pragma once
// Tab-separated tables with a header row (BIDS .tsv), read as strings and written atomically.
#include <map>
#include <string>
#include <vector>

namespace qsmtk {

struct Table {
  std::vector<std::string> columns;
  std::vector<std::vector<std::string>> rows;

  /// Index of a column; throws naming the table when absent.
  size_t column(const std::string& name) const;
  bool has_column(const std::string& name) const;
  std::string to_text() const;
};

/// Reads a TSV file; throws naming the file and line on ragged rows.
Table read_tsv(const std::string& path);
void write_tsv(const std::string& path, const Table& table);

/// Formats a number for a table: "n/a" for NaN (BIDS), else up to `digits` significant digits.
std::string tsv_number(double v, int digits = 6);

/// Label names from a BIDS dseg.tsv (columns index, name).
std::map<int32_t, std::string> read_label_names(const std::string& tsv_path);

}  // namespace qsmtk

#include "qsmtk/io/tsv.h"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "qsmtk/io/json.h"
#include "qsmtk/strings.h"

namespace qsmtk {
namespace {
std::vector<std::string> split_tabs(const std::string& line) {
  std::vector<std::string> cells;
  std::string cell;
  std::istringstream in(line);
  while (std::getline(in, cell, '\t')) cells.push_back(cell);
  if (!line.empty() && line.back() == '\t') cells.emplace_back();
  return cells;
}
}  // namespace

size_t Table::column(const std::string& name) const {
  for (size_t c = 0; c < columns.size(); ++c)
    if (columns[c] == name) return c;
  throw std::invalid_argument("table has no column '" + name + "'");
}

bool Table::has_column(const std::string& name) const {
  for (const auto& c : columns)
    if (c == name) return true;
  return false;
}

std::string Table::to_text() const {
  std::ostringstream out;
  auto line = [&](const std::vector<std::string>& cells) {
    for (size_t c = 0; c < cells.size(); ++c) out << (c ? "\t" : "") << cells[c];
    out << "\n";
  };
  line(columns);
  for (const auto& r : rows) line(r);
  return out.str();
}

Table read_tsv(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path + ": cannot open table");
  Table t;
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    auto cells = split_tabs(line);
    if (t.columns.empty()) {
      t.columns = std::move(cells);
      continue;
    }
    if (cells.size() != t.columns.size())
      throw std::runtime_error(path + ": line " + std::to_string(n) + " has " + std::to_string(cells.size()) +
                               " columns, the header has " + std::to_string(t.columns.size()));
    t.rows.push_back(std::move(cells));
  }
  if (t.columns.empty()) throw std::runtime_error(path + ": empty table");
  return t;
}

void write_tsv(const std::string& path, const Table& table) { write_text(path, table.to_text()); }

std::string tsv_number(double v, int digits) {
  if (std::isnan(v)) return "n/a";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*g", digits, v);
  return buf;
}

std::map<int32_t, std::string> read_label_names(const std::string& tsv_path) {
  const Table t = read_tsv(tsv_path);
  const size_t ci = t.column("index"), cn = t.column("name");
  std::map<int32_t, std::string> names;
  for (const auto& r : t.rows) {
    int32_t index = 0;
    if (!parse_int(r[ci], index)) throw std::runtime_error(tsv_path + ": index '" + r[ci] + "' is not an integer");
    names[index] = r[cn];
  }
  return names;
}

}  // namespace qsmtk

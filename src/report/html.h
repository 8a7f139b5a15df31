#pragma once
// Small HTML and SVG helpers for the report pages.
#include <string>
#include <vector>

namespace qsmtk::report {

/// Text safe inside HTML elements and attribute values.
std::string escape_html(const std::string& text);
/// A number for display: `digits` significant digits, "n/a" for NaN.
std::string format_number(double v, int digits = 3);

struct Bar {
  std::string label;
  double value = 0;
  bool highlight = false;
};
/// Histogram of `values` (already in display units) over [lo, hi] with `bins` bins, inline SVG.
std::string histogram_svg(const std::vector<double>& values, double lo, double hi, int bins, const std::string& x_label);
/// Horizontal bars, highlighted ones in red, with a zero line; inline SVG.
std::string bar_chart_svg(const std::vector<Bar>& bars, const std::string& x_label);
/// One row of dots per scan value, each a link to `hrefs[i]` with its label as a tooltip.
std::string strip_plot_svg(const std::vector<double>& values, const std::vector<std::string>& labels,
                           const std::vector<std::string>& hrefs, const std::string& x_label);

}  // namespace qsmtk::report

// Inline SVG charts for the report: no charting library, no script, printable.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "report/html.h"

namespace qsmtk::report {

std::string escape_html(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string format_number(double v, int digits) {
  if (!std::isfinite(v)) return "n/a";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*g", digits, v);
  return buf;
}

namespace {

/// About `count` round tick values covering [lo, hi].
std::vector<double> ticks(double lo, double hi, int count = 5) {
  if (!(hi > lo)) return {lo};
  const double raw = (hi - lo) / count, mag = std::pow(10.0, std::floor(std::log10(raw)));
  const double step = raw / mag < 1.5 ? mag : raw / mag < 3.5 ? 2 * mag : raw / mag < 7.5 ? 5 * mag : 10 * mag;
  std::vector<double> t;
  for (double x = std::ceil(lo / step) * step; x <= hi + 1e-9 * step; x += step) t.push_back(std::fabs(x) < 1e-12 * step ? 0 : x);
  return t;
}

struct Frame {
  double width = 460, height = 230, left = 50, right = 15, top = 12, bottom = 42;
  double x0 = 0, x1 = 1;
  double px(double x) const { return left + (x - x0) / (x1 - x0) * (width - left - right); }
};

void x_axis(std::ostringstream& s, const Frame& f, const std::string& label) {
  const double y = f.height - f.bottom;
  s << "<line x1='" << f.left << "' y1='" << y << "' x2='" << f.width - f.right << "' y2='" << y
    << "' stroke='#57606a'/>";
  for (double t : ticks(f.x0, f.x1)) {
    const double x = f.px(t);
    s << "<line x1='" << x << "' y1='" << y << "' x2='" << x << "' y2='" << y + 4 << "' stroke='#57606a'/>"
      << "<text x='" << x << "' y='" << y + 16 << "' font-size='11' text-anchor='middle'>" << format_number(t, 4)
      << "</text>";
  }
  s << "<text x='" << (f.left + f.width - f.right) / 2 << "' y='" << f.height - 6
    << "' font-size='12' text-anchor='middle'>" << escape_html(label) << "</text>";
}

}  // namespace

std::string histogram_svg(const std::vector<double>& values, double lo, double hi, int bins, const std::string& x_label) {
  std::vector<int64_t> counts(size_t(std::max(bins, 1)), 0);
  for (double v : values) {
    if (!std::isfinite(v) || v < lo || v > hi || !(hi > lo)) continue;
    counts[std::min(size_t((v - lo) / (hi - lo) * bins), counts.size() - 1)]++;
  }
  const int64_t top = std::max<int64_t>(1, *std::max_element(counts.begin(), counts.end()));
  Frame f;
  f.x0 = lo;
  f.x1 = hi;
  const double base = f.height - f.bottom, span = base - f.top;
  std::ostringstream s;
  s << "<svg xmlns='http://www.w3.org/2000/svg' width='" << f.width << "' height='" << f.height
    << "' role='img' aria-label='" << escape_html("histogram of " + x_label) << "'>";
  const double w = (f.px(hi) - f.px(lo)) / double(counts.size());
  for (size_t b = 0; b < counts.size(); ++b) {
    const double h = span * double(counts[b]) / double(top);
    s << "<rect x='" << f.px(lo) + w * double(b) << "' y='" << base - h << "' width='" << std::max(w - 0.5, 0.5)
      << "' height='" << h << "' fill='#4a7fb0'><title>" << format_number(lo + (hi - lo) * b / bins, 4) << " to "
      << format_number(lo + (hi - lo) * (b + 1) / bins, 4) << ": " << counts[b] << " voxels</title></rect>";
  }
  if (lo < 0 && hi > 0)
    s << "<line x1='" << f.px(0) << "' y1='" << f.top << "' x2='" << f.px(0) << "' y2='" << base
      << "' stroke='#1d232a' stroke-dasharray='3,3'/>";
  x_axis(s, f, x_label);
  s << "<text x='" << f.left - 6 << "' y='" << f.top + 10 << "' font-size='11' text-anchor='end'>" << top
    << "</text></svg>";
  return s.str();
}

std::string bar_chart_svg(const std::vector<Bar>& bars, const std::string& x_label) {
  double lo = 0, hi = 0;
  for (const Bar& b : bars)
    if (std::isfinite(b.value)) lo = std::min(lo, b.value), hi = std::max(hi, b.value);
  if (hi == lo) hi = lo + 1;
  const double pad = 0.05 * (hi - lo);
  Frame f;
  f.left = 130;
  f.x0 = lo < 0 ? lo - pad : 0;
  f.x1 = hi + pad;
  const double row = 16;
  f.height = f.top + f.bottom + row * double(bars.size());
  std::ostringstream s;
  s << "<svg xmlns='http://www.w3.org/2000/svg' width='" << f.width << "' height='" << f.height
    << "' role='img' aria-label='" << escape_html(x_label) << "'>";
  for (size_t i = 0; i < bars.size(); ++i) {
    const Bar& b = bars[i];
    const double y = f.top + row * double(i);
    s << "<text x='" << f.left - 6 << "' y='" << y + 11 << "' font-size='11' text-anchor='end'>" << escape_html(b.label)
      << "</text>";
    if (!std::isfinite(b.value)) continue;
    const double x0 = f.px(std::min(0.0, b.value)), x1 = f.px(std::max(0.0, b.value));
    s << "<rect x='" << x0 << "' y='" << y + 2 << "' width='" << std::max(x1 - x0, 0.5) << "' height='" << row - 4
      << "' fill='" << (b.highlight ? "#cf222e" : "#4a7fb0") << "'><title>" << escape_html(b.label) << ": "
      << format_number(b.value, 4) << "</title></rect>";
  }
  s << "<line x1='" << f.px(0) << "' y1='" << f.top << "' x2='" << f.px(0) << "' y2='" << f.height - f.bottom
    << "' stroke='#1d232a'/>";
  x_axis(s, f, x_label);
  s << "</svg>";
  return s.str();
}

std::string strip_plot_svg(const std::vector<double>& values, const std::vector<std::string>& labels,
                           const std::vector<std::string>& hrefs, const std::string& x_label) {
  double lo = INFINITY, hi = -INFINITY;
  for (double v : values)
    if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
  if (!std::isfinite(lo)) lo = 0, hi = 1;
  if (hi == lo) lo -= 0.5, hi += 0.5;
  const double pad = 0.08 * (hi - lo);
  Frame f;
  f.height = 90;
  f.x0 = lo - pad;
  f.x1 = hi + pad;
  std::ostringstream s;
  s << "<svg xmlns='http://www.w3.org/2000/svg' width='" << f.width << "' height='" << f.height
    << "' role='img' aria-label='" << escape_html(x_label) << "'>";
  for (size_t i = 0; i < values.size(); ++i) {
    if (!std::isfinite(values[i])) continue;
    const double jitter = double((i * 7919) % 17) - 8;  // spread equal values vertically, deterministically
    s << "<a href='" << escape_html(hrefs[i]) << "'><circle cx='" << f.px(values[i]) << "' cy='" << 26 + jitter
      << "' r='4' fill='#4a7fb0' fill-opacity='0.75'><title>" << escape_html(labels[i]) << ": "
      << format_number(values[i], 4) << "</title></circle></a>";
  }
  x_axis(s, f, x_label);
  s << "</svg>";
  return s.str();
}

}  // namespace qsmtk::report

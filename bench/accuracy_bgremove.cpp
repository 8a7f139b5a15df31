// Background removal accuracy per phantom case and method, as Markdown tables for
// docs/accuracy.md: from the true total field in the true brain mask, and from the pipeline's
// field map (qsmtk fieldmap defaults, its mask and noise map).
//   build/release/bench/qsmtk_accuracy_bgremove [--size small|default] [cases...]
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "qsmtk/memory.h"
#include "qsmtk/bgremove/bgremove.h"
#include "case_args.h"
#include "qsmtk/log.h"
#include "qsmtk/metrics.h"
#include "qsmtk/parallel.h"
#include "qsmtk/phase/field_map.h"
#include "qsmtk/sim/phantom.h"

using namespace qsmtk;

namespace {

struct Variant {
  BackgroundMethod method;
  bool weighted;  // PDF: weights from the noise map, when there is one
  std::string label;
};
const std::vector<Variant> kVariants = {
    {BackgroundMethod::sharp, false, "sharp"},     {BackgroundMethod::vsharp, false, "vsharp"},
    {BackgroundMethod::resharp, false, "resharp"}, {BackgroundMethod::pdf, true, "pdf"},
    {BackgroundMethod::pdf, false, "pdf (unweighted)"}, {BackgroundMethod::lbv, false, "lbv"},
    {BackgroundMethod::ismv, false, "ismv"}};

int64_t count_of(const Mask& m) {
  int64_t n = 0;
  for (uint8_t v : m) n += v != 0;
  return n;
}

/// One input (field, mask, noise) through every method; one table row per method.
std::string table_rows(const std::string& case_name, const Simulation& s, const Volume& field, const Mask& mask,
                const Volume* noise) {
  std::vector<LocalField> out;
  std::vector<double> seconds;
  std::vector<Variant> variants;
  for (const Variant& v : kVariants)
    if (noise || v.weighted || v.method != BackgroundMethod::pdf) variants.push_back(v);
  for (const Variant& v : variants) {
    const auto t0 = std::chrono::steady_clock::now();
    out.push_back(remove_background(v.method, field, mask, s.b0_direction, v.weighted ? noise : nullptr));
    seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  // Common mask: inside the true brain and valid for every method.
  Mask common(mask.grid());
  for (int64_t q = 0; q < common.voxels(); ++q) {
    bool all = s.brain_mask[q] != 0;
    for (const LocalField& lf : out) all = all && lf.mask[q];
    common[q] = all;
  }
  const double brain = double(count_of(mask));
  std::string rows;
  for (size_t i = 0; i < out.size(); ++i) {
    Mask own(mask.grid());
    for (int64_t q = 0; q < own.voxels(); ++q) own[q] = out[i].mask[q] && s.brain_mask[q];
    const bool iterative = variants[i].method != BackgroundMethod::sharp && variants[i].method != BackgroundMethod::vsharp;
    char line[512];
    std::snprintf(line, sizeof line, "| %s | %s | %.1f%% | %.1f%% | %.1f%% | %.1f%% | %s | %.2f s |\n", case_name.c_str(),
                variants[i].label.c_str(), nrmse_percent(s.local_field_hz, out[i].field, common),
                nrmse_percent(s.local_field_hz, out[i].field, own), 100.0 * (1.0 - double(count_of(out[i].mask)) / brain),
                100.0 * double(count_of(common)) / double(count_of(s.brain_mask)),
                iterative ? std::to_string(out[i].iterations).c_str() : "-", seconds[i]);
    rows += line;
    std::fputs(line, stderr);  // progress
  }
  return rows;
}

}  // namespace

int main(int argc, char** argv) {
  qsmtk::keep_freed_memory_for_reuse();
  const bench::CaseArgs args = bench::parse_case_args(argc, argv);
  const std::string& size = args.size;
  const std::vector<std::string>& cases = args.cases;
  const char* header =
      "| case | method | NRMSE, common mask | NRMSE, own mask | mask eroded | common mask (of brain) | iterations | "
      "time |\n|---|---|---|---|---|---|---|---|\n";
  std::string from_truth, from_pipeline;
  for (const auto& name : cases) {
    SimulationOptions so;
    so.acquisition = simulation_case(name, size);
    const Simulation sim = simulate_phantom(so);
    from_truth += table_rows(name, sim, sim.total_field_hz, sim.brain_mask, nullptr);
    const FieldMapResult r = map_field(sim.magnitude, sim.phase, so.acquisition.echo_times_s);
    from_pipeline += table_rows(name, sim, r.fit.field_hz, r.mask, &r.fit.noise_hz);
  }
  std::printf("From the true total field, true brain mask:\n\n%s%s", header, from_truth.c_str());
  std::printf("\nFrom the pipeline's field map (qsmtk fieldmap defaults: its mask; PDF weighted by its noise map):\n\n%s%s",
              header, from_pipeline.c_str());
}

// qsmtk lesions: per-lesion susceptibility, delta chi against normal-appearing white matter, rim
// analysis and the paramagnetic rim lesion (PRL) flag, as a TSV table and a JSON summary.
#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "command.h"
#include "lesion_options.h"
#include "qsmtk/analysis/lesions.h"
#include "qsmtk/io/output_check.h"
#include "qsmtk/io/bids.h"
#include "qsmtk/io/json.h"
#include "qsmtk/io/nifti.h"
#include "qsmtk/io/tsv.h"
#include "qsmtk/log.h"

namespace qsmtk::app {
namespace {
struct Args {
  std::string chi, lesions, out, json, mask, wm, r2star;
  std::vector<int> wm_labels;
  LesionArgs lesion;
};

Json summary_json(const Args& a, const LesionAnalysis& r, LesionInputKind kind) {
  Json j;
  j["GeneratedBy"] = qsmtk_generated_by("qsmtk lesions");
  j["Inputs"] = {{"Chi", a.chi}, {"Lesions", a.lesions}, {"LesionInputKind", to_string(kind)}};
  if (!a.mask.empty()) j["Inputs"]["BrainMask"] = a.mask;
  if (!a.wm.empty()) j["Inputs"]["WhiteMatter"] = a.wm;
  if (!a.wm_labels.empty()) j["Inputs"]["WhiteMatterLabels"] = a.wm_labels;
  if (!a.r2star.empty()) j["Inputs"]["R2star"] = a.r2star;
  j["Options"] = lesion_options_json(a.lesion);
  j["Units"] = {{"chi", "ppb"}, {"volume", "mm^3"}, {"position", "world mm (scanner RAS)"}};
  j["LesionCount"] = r.lesions.size();
  j["PrlCount"] = r.prl_count;
  j["PrlAtLeast1"] = r.prl_at_least_1;
  j["PrlAtLeast4"] = r.prl_at_least_4;
  Json lesions = Json::array();
  for (const LesionStats& l : r.lesions) {
    Json profile = Json::array(), slices = Json::array();
    for (const RadialBand& b : l.profile)
      profile.push_back({{"FromMm", b.from_mm}, {"ToMm", b.to_mm}, {"Voxels", b.voxels}, {"MeanChiPpb", b.mean_chi_ppb}});
    for (const SliceRim& s : l.slices)
      slices.push_back({{"Slice", s.slice}, {"Sectors", s.sectors_with_data}, {"RimSectors", s.rim_sectors},
                        {"Coverage", s.coverage}});
    lesions.push_back({{"Id", l.id}, {"DeltaChiPpb", l.delta_chi_ppb}, {"RimCoverage", l.rim_coverage},
                       {"Prl", l.prl}, {"RadialProfile", profile}, {"Slices", slices}});
  }
  j["Lesions"] = lesions;
  return j;
}
/// White matter from a mask (nonzero voxels) or from chosen labels of a label map, on chi's grid.
Mask white_matter_mask(const std::string& path, const std::vector<int>& labels, const Grid& chi_grid) {
  LabelImage image = read_nifti_labels(path);
  if (!image.grid().same_space(chi_grid)) image = resample_nearest(image, chi_grid);
  Mask wm(chi_grid);
  int64_t n = 0;
  for (int64_t v = 0; v < wm.voxels(); ++v) {
    const int32_t l = image[v];
    wm[v] = labels.empty() ? l != 0 : std::find(labels.begin(), labels.end(), l) != labels.end();
    n += wm[v];
  }
  if (n == 0) throw std::runtime_error(path + ": no white matter voxels" + (labels.empty() ? "" : " with the given --wm-labels"));
  return wm;
}
}  // namespace

Command lesions_command() {
  auto a = std::make_shared<Args>();
  Command c;
  c.name = "lesions";
  c.summary = "Per-lesion chi, delta chi against white matter, rim analysis and PRL flags (TSV + JSON)";
  c.description =
      "Reads a chi map (ppm) and a lesion image: a label image (each lesion its own id, kept), a binary mask "
      "(lesions = its connected components) or a probability map (thresholded), detected from the values unless "
      "--kind is given; on another grid it is resampled to chi's through the affines (nearest neighbour). Writes "
      "TABLE.tsv with one row per lesion: lesion_id, volume_mm3, voxels, centroid (x_mm y_mm z_mm, world), "
      "mean/median/SD/P10/P90 chi (ppb), the normal-appearing white matter reference (median chi of a 1-3 mm "
      "perilesional shell without other lesions and outside-brain voxels, or of the --wm mask or --wm-labels of a label map there) and "
      "delta_chi_ppb, rim_score_ppb (edge band minus core), rim_coverage (fraction of the edge whose band is "
      "paramagnetic against the reference and the core, mean over the slices through the lesion's middle third), "
      "rim_slices, and prl (1 when the coverage is >= 2/3 on >= 2 consecutive slices). The JSON summary (--json, "
      "default TABLE.json) holds the PRL count with the >= 1 and >= 4 flags, the options and each lesion's radial "
      "profile and per-slice coverage.";
  c.references = {
      "Absinta M et al. Association of chronic active multiple sclerosis lesions with disability in vivo. JAMA "
      "Neurol 2019;76:1474-1483.",
      "Absinta M et al. Persistent 7-tesla phase rim predicts poor outcome in new multiple sclerosis patient "
      "lesions. J Clin Invest 2016;126:2597-2609.",
      "Dal-Bianco A et al. Slow expansion of multiple sclerosis iron rim lesions: pathology and 7 T magnetic "
      "resonance imaging. Acta Neuropathol 2017;133:25-42."};
  c.declare = [a](CLI::App& app) {
    app.add_option("--chi", a->chi, "Susceptibility map (ppm)")->required()->check(CLI::ExistingFile);
    app.add_option("--lesions", a->lesions, "Lesion labels, binary mask or probability map")
        ->required()
        ->check(CLI::ExistingFile);
    app.add_option("--out", a->out, "Output table (.tsv)")->required();
    app.add_option("--json", a->json, "JSON summary (default: the table's name with .json)");
    app.add_option("--mask", a->mask, "Brain mask: reference and rim voxels outside it are not used")
        ->check(CLI::ExistingFile);
    app.add_option("--wm", a->wm,
                   "White matter for the reference: a mask, or a label map with --wm-labels (default: the "
                   "perilesional shell alone); resampled to chi's grid when needed")
        ->check(CLI::ExistingFile);
    app.add_option("--wm-labels", a->wm_labels,
                   "Labels of --wm that are white matter, e.g. 2 41 (FreeSurfer/SynthSeg cerebral white matter)")
        ->needs("--wm");
    app.add_option("--r2star", a->r2star, "R2* map (1/s): adds mean_r2star")->check(CLI::ExistingFile);
    declare_lesion_options(app, a->lesion);
  };
  c.run = [a]() {
    check_output_file(a->out, {a->chi, a->lesions, a->mask, a->wm, a->r2star});
    if (!a->json.empty()) check_output_file(a->json, {a->chi, a->lesions, a->mask, a->wm, a->r2star});
    const Volume chi = read_nifti(a->chi);
    LesionInputKind kind{};
    const LabelImage labels = read_lesion_labels(a->lesions, chi.grid(), a->lesion, &kind);
    Mask brain, wm;
    Volume r2star;
    if (!a->mask.empty()) brain = read_nifti_mask(a->mask);
    if (!a->wm.empty()) wm = white_matter_mask(a->wm, a->wm_labels, chi.grid());
    if (!a->r2star.empty()) r2star = read_nifti(a->r2star);
    const LesionAnalysis r = analyse_lesions(chi, labels, a->lesion.analysis, brain.empty() ? nullptr : &brain,
                                             wm.empty() ? nullptr : &wm, r2star.empty() ? nullptr : &r2star);
    write_tsv(a->out, lesion_table(r, !r2star.empty()));
    const std::string json = a->json.empty() ? sidecar_path(a->out) : a->json;
    write_json(json, summary_json(*a, r, kind));
    std::printf("%zu lesion(s), %d PRL(s) -> %s\n", r.lesions.size(), r.prl_count, a->out.c_str());
    return 0;
  };
  return c;
}

}  // namespace qsmtk::app

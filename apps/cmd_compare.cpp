// qsmtk compare: accuracy of a chi map against ground truth (NRMSE, HFEN, SSIM, region errors).
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "command.h"
#include "qsmtk/io/json.h"
#include "qsmtk/io/output_check.h"
#include "qsmtk/io/nifti.h"
#include "qsmtk/io/tsv.h"
#include "qsmtk/metrics.h"

namespace qsmtk::app {
namespace {
struct Args {
  std::string truth, test, labels, labels_tsv, json, tsv;
  std::vector<std::string> masks;
};

std::string default_labels_tsv(const std::string& labels) {
  for (const std::string ext : {".nii.gz", ".nii"})
    if (labels.size() > ext.size() && labels.compare(labels.size() - ext.size(), ext.size(), ext) == 0) {
      const std::string t = labels.substr(0, labels.size() - ext.size()) + ".tsv";
      if (std::filesystem::exists(t)) return t;
    }
  return "";
}
}  // namespace

Json comparison_json(const Comparison& c) {
  Json j;
  j["nrmse"] = c.nrmse_pct;
  j["hfen"] = c.hfen_pct;
  j["ssim"] = c.ssim;
  j["mask_voxels"] = c.mask_voxels;
  if (!c.roi.empty()) {
    Json roi = Json::array();
    for (const auto& r : c.roi)
      roi.push_back({{"label", r.label}, {"name", r.name}, {"voxels", r.voxels}, {"true_mean_ppm", r.true_mean_ppm},
                     {"test_mean_ppm", r.test_mean_ppm}, {"error_ppb", r.error_ppb}});
    j["roi"] = roi;
  }
  return j;
}

Command compare_command() {
  auto a = std::make_shared<Args>();
  Command c;
  c.name = "compare";
  c.summary = "Score a chi map against ground truth: NRMSE, HFEN, SSIM and per-region errors";
  c.description =
      "All metrics are computed inside MASK after removing each map's mean there (QSM is relative). nrmse (%) = "
      "100 ||x - t|| / ||t||; hfen (%) is the same on Laplacian-of-Gaussian filtered maps (15^3 voxels, sigma "
      "1.5 voxels); ssim is the mean 3-D SSIM in the mask (Gaussian window sigma 1.5 voxels, dynamic range of the "
      "truth). With --labels, each label's true and test means (ppm) and the error (ppb) are listed; names come from "
      "the label image's BIDS .tsv (index, name) when present. JSON keys: nrmse, hfen, ssim, mask_voxels, roi.";
  c.references = {
      "Langkammer C et al. Quantitative susceptibility mapping: report from the 2016 reconstruction challenge. "
      "MRM 2018;79:1661-1673.",
      "Ravishankar S, Bresler Y. MR image reconstruction from highly undersampled k-space data by dictionary "
      "learning. IEEE TMI 2011;30:1028-1041 (HFEN).",
      "Wang Z et al. Image quality assessment: from error visibility to structural similarity. IEEE TIP "
      "2004;13:600-612 (SSIM)."};
  c.declare = [a](CLI::App& app) {
    app.add_option("--truth", a->truth, "True chi map (ppm)")->required()->check(CLI::ExistingFile);
    app.add_option("--test", a->test, "Chi map to score (ppm), same grid")->required()->check(CLI::ExistingFile);
    app.add_option("--mask", a->masks,
                   "Mask the metrics are computed in; given more than once, where all are set (e.g. the truth's and "
                   "the reconstruction's brain masks)")
        ->required()
        ->check(CLI::ExistingFile);
    app.add_option("--labels", a->labels, "Label image for per-region mean errors")->check(CLI::ExistingFile);
    app.add_option("--labels-tsv", a->labels_tsv, "Names of the labels (columns index, name); default: LABELS' .tsv")
        ->check(CLI::ExistingFile);
    app.add_option("--json", a->json, "Write the results as JSON here");
    app.add_option("--tsv", a->tsv, "Write the per-region errors as TSV here");
  };
  c.run = [a]() {
    for (const std::string& out : {a->json, a->tsv})
      if (!out.empty()) check_output_file(out, {a->truth, a->test, a->labels});
    const Volume truth = read_nifti(a->truth), test = read_nifti(a->test);
    Mask mask = read_nifti_mask(a->masks.front());
    for (size_t k = 1; k < a->masks.size(); ++k) {
      const Mask more = read_nifti_mask(a->masks[k]);
      require_same_space(mask.grid(), more.grid(), a->masks.front() + " and " + a->masks[k]);
      for (int64_t q = 0; q < mask.voxels(); ++q) mask[q] = mask[q] && more[q];
    }
    LabelImage labels;
    std::map<int32_t, std::string> names;
    if (!a->labels.empty()) {
      labels = read_nifti_labels(a->labels);
      const std::string tsv = a->labels_tsv.empty() ? default_labels_tsv(a->labels) : a->labels_tsv;
      if (!tsv.empty()) names = read_label_names(tsv);
    }
    const Comparison r = compare_maps(truth, test, mask, a->labels.empty() ? nullptr : &labels, names);
    std::printf("nrmse  %.2f %%\nhfen   %.2f %%\nssim   %.4f\n", r.nrmse_pct, r.hfen_pct, r.ssim);
    for (const auto& roi : r.roi)
      std::printf("  %-24s true %8.1f ppb  test %8.1f ppb  error %+7.1f ppb\n", roi.name.c_str(),
                  1000 * roi.true_mean_ppm, 1000 * roi.test_mean_ppm, roi.error_ppb);
    if (!a->json.empty()) write_json(a->json, comparison_json(r));
    if (!a->tsv.empty()) {
      Table t{{"label", "name", "voxels", "true_mean_ppm", "test_mean_ppm", "error_ppb"}, {}};
      for (const auto& roi : r.roi)
        t.rows.push_back({std::to_string(roi.label), roi.name, std::to_string(roi.voxels), tsv_number(roi.true_mean_ppm),
                          tsv_number(roi.test_mean_ppm), tsv_number(roi.error_ppb)});
      write_tsv(a->tsv, t);
    }
    return 0;
  };
  return c;
}

}  // namespace qsmtk::app

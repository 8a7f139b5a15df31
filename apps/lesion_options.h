#pragma once
// Lesion options shared by `qsmtk lesions` and `qsmtk longitudinal`: how a lesion image becomes
// labels, the rim and PRL thresholds, and the per-lesion table.
#include <string>

#include "command.h"
#include "qsmtk/analysis/lesions.h"
#include "qsmtk/io/tsv.h"

namespace qsmtk::app {

struct LesionArgs {
  std::string kind = "auto";
  LesionLabelOptions labels;
  LesionAnalysisOptions analysis;
};

/// --kind --threshold --connectivity --min-volume --rim-threshold --rim-coverage --rim-slices --sectors
void declare_lesion_options(CLI::App& app, LesionArgs& args);

/// Reads a lesion image, resamples it onto `chi_grid` when needed (nearest neighbour) and turns it
/// into labels; `kind` (optional) receives the kind used.
LabelImage read_lesion_labels(const std::string& path, const Grid& chi_grid, const LesionArgs& args,
                              LesionInputKind* kind = nullptr);

/// The options as recorded in JSON summaries.
Json lesion_options_json(const LesionArgs& args);

/// One row per lesion (the columns of CONVENTIONS.md and more); mean_r2star when asked.
Table lesion_table(const LesionAnalysis& a, bool with_r2star = false);

}  // namespace qsmtk::app

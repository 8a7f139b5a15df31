#pragma once
// Writes a Simulation as a BIDS MEGRE dataset plus the ground-truth derivatives dataset,
// with the names of CONVENTIONS.md ("Simulation and comparison").
#include <string>
#include <vector>

#include "qsmtk/io/bids.h"
#include "qsmtk/sim/phantom.h"

namespace qsmtk {

struct SimulationPaths {
  std::vector<std::string> magnitude, phase;  // per echo, in the raw dataset
  std::string truth_dir;                      // derivatives/truth/sub-.../anat
  std::string chi, brain_mask, total_field, local_field, deep_grey, deep_grey_tsv, lesions, lesions_tsv;
  std::string head_motion;                    // _desc-headmotion_xfm.json, only with head motion
};

/// Writes OUT_DIR/{dataset_description.json, sub-*/anat/*_MEGRE.nii.gz + .json} and
/// OUT_DIR/derivatives/truth/... Adds a subject to an existing dataset without touching others.
SimulationPaths write_simulation(const Simulation& sim, const std::string& out_dir, const BidsEntities& entities,
                                 const std::string& source_description);

}  // namespace qsmtk

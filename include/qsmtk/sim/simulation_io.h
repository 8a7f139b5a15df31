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

/// Rigid head motion as the truth states it: the phantom-frame parameters and the world matrix.
Json head_motion_json(const HeadMotion& motion, const Grid& grid);
/// The simulation's record in every sidecar (QsmtkSimulation): case, seed, field strength, echo
/// times, SNR, noise, B0 direction, voxel size, follow-up changes.
Json simulation_json(const Simulation& sim, const std::string& source_description);

/// Writes OUT_DIR/{dataset_description.json, sub-*/anat/*_MEGRE.nii.gz + .json} and
/// OUT_DIR/derivatives/truth/... Adds a subject to an existing dataset without touching others.
SimulationPaths write_simulation(const Simulation& sim, const std::string& out_dir, const BidsEntities& entities,
                                 const std::string& source_description);

}  // namespace qsmtk

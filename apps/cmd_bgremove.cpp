// qsmtk bgremove: total field map (Hz) + brain mask -> local field (Hz) and the mask it is valid on.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "command.h"
#include "method_options.h"
#include "qsmtk/io/atomic_file.h"
#include "qsmtk/io/output_check.h"
#include "qsmtk/io/bids.h"
#include "qsmtk/io/json.h"
#include "qsmtk/io/nifti.h"
#include "qsmtk/log.h"

namespace qsmtk::app {
namespace {

/// x_desc-local_fieldmap.nii.gz -> x_desc-localvalid_mask.nii.gz; other names: x_mask.nii.gz.
std::string default_mask_path(const std::string& out) {
  const std::string bids = "_desc-local_fieldmap.nii.gz";
  if (out.size() > bids.size() && out.compare(out.size() - bids.size(), bids.size(), bids) == 0)
    return out.substr(0, out.size() - bids.size()) + "_desc-localvalid_mask.nii.gz";
  std::string stem = out;
  for (const std::string ext : {".nii.gz", ".nii"})
    if (stem.size() > ext.size() && stem.compare(stem.size() - ext.size(), ext.size(), ext) == 0) {
      stem.resize(stem.size() - ext.size());
      break;
    }
  return stem + "_mask.nii.gz";
}

}  // namespace

Command bgremove_command() {
  struct Args {
    std::string field, mask, noise, out, out_mask, b0_dir;
    BackgroundArgs bg;
  };
  auto a = std::make_shared<Args>();
  Command c;
  c.name = "bgremove";
  c.summary = "Background field removal: total field (Hz) and brain mask to the local field (Hz)";
  c.description =
      "Removes the field of sources outside the brain mask (air, bone, the rest of the body) from a total field map "
      "and keeps that of the sources inside. Methods: sharp (one SMV radius, truncated deconvolution), vsharp "
      "(radii from large to small), resharp (Tikhonov-regularised SHARP, conjugate gradients), pdf (projection onto "
      "dipole fields, noise-weighted; the default), lbv (Laplace's equation with the total field on the mask's "
      "boundary) and ismv (iterative SMV). SMV methods erode the mask by their radius (V-SHARP by its smallest), "
      "LBV drops the one-voxel boundary, PDF keeps the mask; the valid mask is written next to the local field. "
      "Accuracy per method on the phantom, eroded volume and times are in docs/accuracy.md and docs/benchmarks.md.\n\n"
      "Writes --out (Hz, 0 outside the valid mask) with a JSON sidecar (units, method and every parameter, B0 "
      "direction, iterations, valid volume, inputs, timing) and the valid mask (--out-mask, default: "
      "<prefix>_desc-localvalid_mask.nii.gz for a BIDS _desc-local_fieldmap name, else <stem>_mask.nii.gz).";
  c.references = {
      "Schweser F et al. Quantitative imaging of intrinsic magnetic tissue properties using MRI signal phase "
      "(SHARP). NeuroImage 2011;54:2789-2807.",
      "Li W, Wu B, Liu C. Quantitative susceptibility mapping of human brain reflects spatial variation in tissue "
      "composition (V-SHARP). NeuroImage 2011;55:1645-1656.",
      "Sun H, Wilman AH. Background field removal using spherical mean value filtering and Tikhonov "
      "regularization (RESHARP). MRM 2014;71:1151-1157.",
      "Liu T et al. A novel background field removal method for MRI using projection onto dipole fields (PDF). NMR "
      "Biomed 2011;24:1129-1136.",
      "Zhou D et al. Background field removal by solving the Laplacian boundary value problem (LBV). NMR Biomed "
      "2014;27:312-319.",
      "Wen Y et al. An iterative spherical mean value method for background field removal in MRI (iSMV). MRM "
      "2014;72:1065-1071."};
  c.declare = [a](CLI::App& app) {
    app.add_option("--field", a->field, "Total field map, Hz (e.g. qsmtk fieldmap's _desc-total_fieldmap)")
        ->required()
        ->check(CLI::ExistingFile);
    app.add_option("--mask", a->mask, "Brain mask (nonzero = inside)")->required()->check(CLI::ExistingFile);
    app.add_option("--noise", a->noise, "Field noise SD map, Hz (weights for PDF; e.g. _desc-totalnoise_fieldmap)")
        ->check(CLI::ExistingFile);
    app.add_option("--out", a->out, "Local field output (.nii.gz)")->required();
    app.add_option("--out-mask", a->out_mask, "Valid-mask output (default: derived from --out)");
    declare_background_options(app, a->bg, "--method");
    declare_b0_option(app, a->b0_dir);
  };
  c.run = [a]() {
    check_output_file(a->out, {a->field, a->mask, a->noise});
    if (!a->out_mask.empty()) check_output_file(a->out_mask, {a->field, a->mask, a->noise});
    const Volume field = read_nifti(a->field);
    if (field.frames() != 1)
      throw std::invalid_argument(a->field + ": a 3-D field map is needed (has " + std::to_string(field.frames()) +
                                  " volumes)");
    const Mask mask = read_nifti_mask(a->mask);
    if (!mask.grid().same_space(field.grid(), 1e-3))
      throw std::invalid_argument(a->mask + " is not on the grid of " + a->field);
    Mask m(field.grid());  // the field's grid exactly (headers may differ in rounding)
    std::copy(mask.begin(), mask.end(), m.begin());
    Volume noise;
    if (!a->noise.empty()) {
      noise = read_nifti(a->noise);
      if (!noise.grid().same_space(field.grid(), 1e-3) || noise.frames() != 1)
        throw std::invalid_argument(a->noise + " is not a 3-D map on the grid of " + a->field);
      Volume on_grid(field.grid());
      std::copy(noise.begin(), noise.end(), on_grid.begin());
      noise = std::move(on_grid);
    }
    Json input_side;
    const std::string field_side = sidecar_path(a->field);
    if (std::filesystem::exists(field_side)) input_side = read_json(field_side);
    if (input_side.contains("Units") && input_side["Units"] != "Hz")
      log::warn(a->field + ": sidecar says Units " + input_side["Units"].dump() +
                ", not Hz; the local field keeps the input's unit");

    const std::string out_mask = a->out_mask.empty() ? default_mask_path(a->out) : a->out_mask;
    for (const std::string& path : {a->out, out_mask}) {
      const auto parent = std::filesystem::path(path).parent_path();
      if (!parent.empty()) make_directories(parent.string());
    }
    const BackgroundMethod method = parse_background_method(a->bg.method);
    const BackgroundOptions o = background_options(a->bg);
    const Vec3 b0 = resolve_b0(field.grid(), a->b0_dir);
    const auto t0 = std::chrono::steady_clock::now();
    const LocalField lf = remove_background(method, field, m, b0, a->noise.empty() ? nullptr : &noise, o);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

    int64_t in_mask = 0, valid = 0;
    for (int64_t q = 0; q < m.voxels(); ++q) in_mask += m[q] != 0, valid += lf.mask[q] != 0;
    Json side;
    side["Units"] = input_side.value("Units", std::string("Hz"));
    side["Description"] = "local field (background removed), 0 outside the valid mask";
    side["BackgroundRemoval"] = background_json(method, o, field.grid().voxel_size);
    side["B0Direction"] = {b0[0], b0[1], b0[2]};
    side["B0DirectionSource"] = a->b0_dir.empty() ? "affine" : "--b0-dir";
    const bool iterative = method == BackgroundMethod::resharp || method == BackgroundMethod::pdf ||
                           method == BackgroundMethod::lbv || method == BackgroundMethod::ismv;
    if (iterative) side["Iterations"] = lf.iterations, side["RelativeResidual"] = lf.residual;
    side["ValidMask"] = std::filesystem::path(out_mask).filename().string();
    side["ValidFractionOfMask"] = double(valid) / double(in_mask);
    side["Inputs"] = {{"Field", a->field}, {"Mask", a->mask}};
    if (!a->noise.empty()) side["Inputs"]["Noise"] = a->noise;
    for (const char* key : {"EchoTime", "MagneticFieldStrength", "ImagingFrequency", "Provenance"})
      if (input_side.contains(key)) side[key] = input_side[key];
    side["TimingSeconds"] = seconds;
    side["GeneratedBy"] = qsmtk_generated_by("qsmtk bgremove");
    write_nifti(a->out, lf.field, "local field");
    write_json(sidecar_path(a->out), side);
    write_nifti(out_mask, lf.mask, "valid mask of the local field");
    std::printf("%s: %s in %.1f s%s, valid on %.1f%% of the mask -> %s\n", a->field.c_str(), to_string(method).c_str(),
                seconds, iterative ? (", " + std::to_string(lf.iterations) + " iterations").c_str() : "",
                100.0 * double(valid) / double(in_mask), a->out.c_str());
    return 0;
  };
  return c;
}

}  // namespace qsmtk::app

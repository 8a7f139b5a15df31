// qsmtk invert: local field (Hz) + mask -> susceptibility chi (ppm).
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "command.h"
#include "inputs.h"
#include "method_options.h"
#include "qsmtk/io/atomic_file.h"
#include "qsmtk/io/output_check.h"
#include "qsmtk/io/bids.h"
#include "qsmtk/io/json.h"
#include "qsmtk/io/nifti.h"
#include "qsmtk/log.h"
#include "qsmtk/physics.h"

namespace qsmtk::app {

Command invert_command() {
  struct Args {
    std::string field, mask, out, magnitude, noise, csf, b0_dir;
    double field_strength = 0, echo_time = 0;
    InversionArgs inv;
  };
  auto a = std::make_shared<Args>();
  Command c;
  c.name = "invert";
  c.summary = "Dipole inversion: local field (Hz) and mask to susceptibility chi (ppm)";
  c.description =
      "Inverts the dipole convolution. Direct methods: tkd (truncated k-space division), tsvd, tikhonov (closed "
      "form, gradient or identity regulariser). Iterative: ilsqr (LSQR with streaking removal), tv (weighted total "
      "variation, ADMM), nltv (TV with the nonlinear complex-exponential data term), medi (morphology-enabled: no "
      "smoothing across magnitude edges; the default; MEDI+0 with --csf and --medi-lambda-csf), tgv (second-order "
      "total generalised variation in the Laplacian domain), rts (rapid two-step) and ndi (nonlinear dipole "
      "inversion). The field is converted to ppm with the sidecar's ImagingFrequency or MagneticFieldStrength (or "
      "--field-strength); a sidecar Units of ppm is read as is. --noise (Hz, e.g. qsmtk fieldmap's "
      "_desc-totalnoise_fieldmap) weights the data term and enables --lambda-choice discrepancy; --magnitude gives "
      "MEDI its edges. Accuracy per method on the phantom cases and times: docs/accuracy.md, docs/benchmarks.md.\n\n"
      "Writes --out (ppm, 0 outside the mask) with a JSON sidecar: units, method and every parameter, the "
      "regularisation weight and how it was chosen, iterations, B0 direction, field strength, inputs, timing.";
  c.references = {
      "Shmueli K et al. Magnetic susceptibility mapping of brain tissue in vivo using MRI phase data (TKD). MRM "
      "2009;62:1510-1522.",
      "Wharton S, Schaefer A, Bowtell R. Susceptibility mapping in the human brain using threshold-based "
      "k-space division (TSVD). MRM 2010;63:1292-1304.",
      "Bilgic B et al. Fast image reconstruction with L2-regularization (closed-form Tikhonov). JMRI 2014;40:181-191.",
      "Li W et al. A method for estimating and removing streaking artifacts in QSM (iLSQR). NeuroImage "
      "2015;108:111-122.",
      "Milovic C et al. Fast nonlinear susceptibility inversion with variational regularization (FANSI: tv, "
      "nltv). MRM 2018;80:814-821.",
      "Liu J et al. Morphology enabled dipole inversion for QSM (MEDI). NeuroImage 2012;59:2560-2568; Liu Z et al. "
      "MEDI+0. MRM 2018;79:2795-2803.",
      "Langkammer C et al. Fast QSM using total generalized variation (TGV). NeuroImage 2015;111:622-630.",
      "Kames C, Wiggermann V, Rauscher A. Rapid two-step dipole inversion (RTS). NeuroImage 2018;167:276-283.",
      "Polak D et al. Nonlinear dipole inversion (NDI). NMR Biomed 2020;33:e4271."};
  c.declare = [a](CLI::App& app) {
    app.add_option("--field", a->field, "Local field map, Hz (e.g. qsmtk bgremove's output)")
        ->required()
        ->check(CLI::ExistingFile);
    app.add_option("--mask", a->mask, "Mask the field is valid on (e.g. bgremove's valid mask)")
        ->required()
        ->check(CLI::ExistingFile);
    app.add_option("--out", a->out, "Susceptibility output, ppm (.nii.gz)")->required();
    app.add_option("--magnitude", a->magnitude, "Magnitude (first volume used): MEDI's edges")->check(CLI::ExistingFile);
    app.add_option("--noise", a->noise, "Field noise SD map, Hz: data weights and the discrepancy principle")
        ->check(CLI::ExistingFile);
    app.add_option("--csf", a->csf, "CSF mask (ventricles) for MEDI+0")->check(CLI::ExistingFile);
    app.add_option("--field-strength", a->field_strength, "Tesla, when the field's sidecar has none")
        ->check(CLI::Range(0.1, 20.0));
    app.add_option("--echo-time", a->echo_time,
                   "Effective echo time, s, for the nonlinear data terms (default: the mean of the sidecar's "
                   "EchoTime, else 20 ms at 3 T)")
        ->check(CLI::Range(1e-4, 1.0));
    declare_inversion_options(app, a->inv, "--method");
    declare_b0_option(app, a->b0_dir);
  };
  c.run = [a]() {
    check_output_file(a->out, {a->field, a->mask, a->magnitude, a->noise, a->csf});
    FieldInPpm f = read_field_in_ppm(a->field, a->mask, a->field_strength, false);
    Volume& field = f.field;
    const Mask& mask = f.mask;
    const Json& input_side = f.sidecar;
    const double hz_ppm = f.hz_per_ppm;
    const double b0_tesla = f.b0_tesla;

    Volume magnitude, noise;
    Mask csf;
    InversionInput in{field, mask, resolve_b0(field.grid(), a->b0_dir)};
    if (!a->magnitude.empty()) magnitude = read_map_on_grid(a->magnitude, field.grid(), "the magnitude"), in.magnitude = &magnitude;
    if (!a->noise.empty()) {
      noise = read_map_on_grid(a->noise, field.grid(), "the noise map");
      for (float& v : noise) v = float(v / hz_ppm);
      in.noise = &noise;
    }
    if (!a->csf.empty()) {
      const Mask m = read_nifti_mask(a->csf);
      if (!m.grid().same_space(field.grid(), 1e-3)) throw std::invalid_argument(a->csf + " is not on the grid of " + a->field);
      csf = Mask(field.grid());
      std::copy(m.begin(), m.end(), csf.begin());
      in.csf = &csf;
    }
    double te = a->echo_time;
    if (te == 0 && input_side.contains("EchoTime")) {
      const Json& e = input_side["EchoTime"];
      if (e.is_number()) te = e.get<double>();
      else if (e.is_array() && !e.empty()) {
        for (const auto& v : e) te += v.get<double>();
        te /= double(e.size());
      }
    }
    if (te > 0 && b0_tesla > 0) in.radians_per_ppm = 2 * M_PI * hz_per_ppm(b0_tesla) * te;

    const auto parent = std::filesystem::path(a->out).parent_path();
    if (!parent.empty()) make_directories(parent.string());
    const InversionMethod method = parse_inversion_method(a->inv.method);
    const InversionOptions o = inversion_options(a->inv);
    const auto t0 = std::chrono::steady_clock::now();
    const InversionResult r = invert(method, in, o);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

    Json side;
    side["Units"] = "ppm";
    side["Description"] = "magnetic susceptibility (chi), positive = paramagnetic, 0 outside the mask";
    side["Inversion"] = inversion_json(method, o, r);
    side["B0Direction"] = {in.b0[0], in.b0[1], in.b0[2]};
    side["B0DirectionSource"] = a->b0_dir.empty() ? "affine" : "--b0-dir";
    if (b0_tesla > 0) side["MagneticFieldStrength"] = b0_tesla;
    side["HzPerPpm"] = hz_ppm;
    if (in.radians_per_ppm > 0) side["RadiansPerPpm"] = in.radians_per_ppm;
    side["Inputs"] = {{"Field", a->field}, {"Mask", a->mask}};
    if (!a->magnitude.empty()) side["Inputs"]["Magnitude"] = a->magnitude;
    if (!a->noise.empty()) side["Inputs"]["Noise"] = a->noise;
    if (!a->csf.empty()) side["Inputs"]["Csf"] = a->csf;
    for (const char* key : {"EchoTime", "ImagingFrequency", "Provenance"})
      if (input_side.contains(key)) side[key] = input_side[key];
    if (input_side.contains("BackgroundRemoval")) side["BackgroundRemoval"] = input_side["BackgroundRemoval"];
    side["TimingSeconds"] = seconds;
    side["GeneratedBy"] = qsmtk_generated_by("qsmtk invert");
    write_nifti(a->out, r.chi, "susceptibility (ppm)");
    write_json(sidecar_path(a->out), side);
    std::printf("%s: %s in %.1f s%s -> %s\n", a->field.c_str(), r.method.c_str(), seconds,
                r.iterations > 0 ? (", " + std::to_string(r.iterations) + " iterations").c_str() : "", a->out.c_str());
    return 0;
  };
  return c;
}

}  // namespace qsmtk::app

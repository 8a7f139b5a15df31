#include "inputs.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <nlohmann/json.hpp>

#include "qsmtk/io/dicom.h"
#include "qsmtk/io/json.h"
#include "qsmtk/io/nifti.h"
#include "qsmtk/physics.h"
#include "qsmtk/log.h"
#include "qsmtk/process.h"

namespace qsmtk::app {
namespace fs = std::filesystem;

void declare_inputs(CLI::App& app, InputArgs& a, bool sources) {
  const std::string g = "Input";
  if (sources) {
    app.add_option("--bids", a.bids, "BIDS dataset with MEGRE images (echo-, part-mag/phase or part-real/imag)")
        ->check(CLI::ExistingDirectory)
        ->group(g);
    app.add_option("--participant-label", a.participants, "Only these participants (with --bids)")->group(g);
    app.add_option("--session", a.session, "Only this session (with --bids)")->group(g);
    app.add_option("--dicom", a.dicom, "DICOM folder (any order, classic or enhanced, .dcm.gz too); needs dcm2niix")
        ->check(CLI::ExistingDirectory)
        ->group(g);
  }
  app.add_option("--mag", a.magnitude, "Magnitude: one 4-D NIfTI or one file per echo")->group(g);
  app.add_option("--phase", a.phase, "Phase: one 4-D NIfTI or one file per echo (any stored units)")->group(g);
  app.add_option("--echo-times", a.echo_times,
                 "Echo times with their unit, e.g. 5,10,15ms or 0.005,0.01,0.015s (default: the JSON sidecars)")
      ->group(g);
  app.add_option("--field-strength", a.field_strength, "B0 in tesla (default: the sidecars)")
      ->check(CLI::Range(0.1, 21.0))
      ->group(g);
  app.add_option("--phase-units", a.phase_units,
                 "How stored phase maps to radians: auto, radians, siemens12 (0..4095), siemens-signed (-4096..4094), "
                 "mrad (Philips), rescale (min..max to -pi..pi)")
      ->check(CLI::IsMember({"auto", "radians", "siemens12", "siemens-signed", "mrad", "rescale"}))
      ->capture_default_str()
      ->group(g);
  app.add_flag("--flip-phase", a.flip_phase, "The data follow phase = phi0 - 2 pi f TE; flip them (recorded)")->group(g);
  app.add_option("--readout", a.readout, "monopolar, or bipolar (refused: not modelled)")
      ->check(CLI::IsMember({"monopolar", "bipolar"}))
      ->capture_default_str()
      ->group(g);
}

std::vector<std::string> input_paths(const InputArgs& a) {
  std::vector<std::string> paths = {a.bids, a.dicom};
  paths.insert(paths.end(), a.magnitude.begin(), a.magnitude.end());
  paths.insert(paths.end(), a.phase.begin(), a.phase.end());
  return paths;
}

LoadOptions load_options(const InputArgs& a) {
  LoadOptions o;
  if (!a.echo_times.empty()) o.echo_times_s = parse_echo_times(a.echo_times, "--echo-times");
  o.b0_tesla = a.field_strength;
  o.phase_units = parse_phase_units(a.phase_units);
  o.flip_phase = a.flip_phase;
  o.readout = a.readout;
  return o;
}

MultiEchoData InputScan::load(const InputArgs& args) const {
  MultiEchoData d = load_multi_echo(files, load_options(args));
  if (files.source == "dicom" && !files.metadata.empty() && files.metadata[0].contains("ConversionSoftwareVersion"))
    d.provenance["dcm2niix"] = files.metadata[0]["ConversionSoftwareVersion"];
  return d;
}

std::pair<Grid, int64_t> InputScan::size() const {
  if (files.echoes.empty()) throw std::invalid_argument(label + ": no echoes");
  Grid grid;
  int64_t echoes = 0;
  for (const EchoFiles& e : files.echoes) {
    const NiftiHeader h = read_nifti_header(e.magnitude.empty() ? e.real : e.magnitude);
    if (echoes == 0) grid = h.grid;
    echoes += h.frames;
  }
  return {grid, echoes};
}

std::vector<InputScan> find_inputs(const InputArgs& a, const std::string& work_parent) {
  const int sources = int(!a.bids.empty()) + int(!a.dicom.empty()) + int(!a.magnitude.empty() || !a.phase.empty());
  if (sources == 0) throw std::invalid_argument("no input: give --bids DIR, --dicom DIR, or --mag and --phase");
  if (sources > 1) throw std::invalid_argument("give one input: --bids, --dicom, or --mag/--phase");
  std::vector<InputScan> out;
  if (!a.bids.empty()) {
    for (ScanFiles& s : find_megre_scans(a.bids, a.participants)) {
      if (!a.session.empty() && s.entities.session != a.session) continue;
      InputScan in;
      in.label = s.entities.prefix();
      in.files = std::move(s);
      out.push_back(std::move(in));
    }
    if (out.empty()) throw std::invalid_argument(a.bids + ": no MEGRE acquisitions found for the chosen participants");
  } else if (!a.dicom.empty()) {
    std::shared_ptr<std::string> owner(new std::string(make_temp_dir(work_parent, ".qsmtk-dicom-")), [](std::string* p) {
      std::error_code ec;
      fs::remove_all(*p, ec);
      delete p;
    });
    DicomConversion c = convert_dicom(a.dicom, *owner);
    for (const auto& n : c.notes) log::info("DICOM: " + n);
    if (c.scans.empty())
      throw std::invalid_argument(a.dicom + ": no multi-echo gradient-echo series with magnitude and phase found" +
                                  (c.notes.empty() ? std::string() : " (" + c.notes.front() + ")"));
    for (ScanFiles& s : c.scans) {
      InputScan in;
      in.label = s.entities.prefix();
      in.files = std::move(s);
      in.temp_dir = owner;
      out.push_back(std::move(in));
    }
  } else {
    InputScan in;
    in.files = scan_from_files(a.magnitude, a.phase);
    in.label = in.files.entities.prefix();
    out.push_back(std::move(in));
  }
  return out;
}

FieldInPpm read_field_in_ppm(const std::string& field_path, const std::string& mask_path, double field_strength,
                             bool require_field_strength) {
  FieldInPpm r;
  r.field = read_nifti(field_path);
  if (r.field.frames() != 1)
    throw std::invalid_argument(field_path + ": a 3-D field map is needed (has " + std::to_string(r.field.frames()) +
                                " volumes)");
  const Mask mask_in = read_nifti_mask(mask_path);
  if (!mask_in.grid().same_space(r.field.grid(), 1e-3))
    throw std::invalid_argument(mask_path + " is not on the grid of " + field_path);
  r.mask = Mask(r.field.grid());
  std::copy(mask_in.begin(), mask_in.end(), r.mask.begin());
  r.sidecar = Json::object();
  if (fs::exists(sidecar_path(field_path))) r.sidecar = read_json(sidecar_path(field_path));
  const std::string units = r.sidecar.value("Units", std::string("Hz"));
  r.b0_tesla = field_strength > 0 ? field_strength : r.sidecar.value("MagneticFieldStrength", 0.0);
  if (units == "ppm") r.hz_per_ppm = 1;
  else if (units != "Hz") throw std::invalid_argument(field_path + ": sidecar Units " + units + " (Hz or ppm expected)");
  else if (r.sidecar.contains("ImagingFrequency") && field_strength == 0) r.hz_per_ppm = r.sidecar["ImagingFrequency"].get<double>();
  else if (r.b0_tesla > 0) r.hz_per_ppm = hz_per_ppm(r.b0_tesla);
  if (r.b0_tesla == 0 && r.hz_per_ppm > 1) r.b0_tesla = r.hz_per_ppm / kGammaBarMHzPerT;
  if (r.hz_per_ppm == 0 || (require_field_strength && r.b0_tesla == 0))
    throw std::invalid_argument(field_path +
                                ": no field strength (sidecar MagneticFieldStrength or ImagingFrequency, or --field-strength)");
  for (int64_t q = 0; q < r.field.voxels(); ++q) r.field[q] = r.mask[q] ? float(r.field[q] / r.hz_per_ppm) : 0.0f;
  return r;
}

Volume read_map_on_grid(const std::string& path, const Grid& grid, const std::string& what) {
  const Volume v = read_nifti(path);
  if (!v.grid().same_space(grid, 1e-3)) throw std::invalid_argument(path + ": " + what + " is not on the grid of the field");
  Volume out(grid);
  std::copy(v.begin(), v.begin() + out.voxels(), out.begin());
  return out;
}

namespace {
std::string strip_nifti(const std::string& p) {
  for (const std::string ext : {".nii.gz", ".nii"})
    if (p.size() > ext.size() && p.ends_with(ext)) return p.substr(0, p.size() - ext.size());
  return p;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot be read");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}
}  // namespace

std::map<int32_t, std::string> read_label_names(const std::string& labels_path, const std::string& lut_path,
                                                std::string* from) {
  const std::string sidecar = strip_nifti(labels_path) + ".tsv";
  std::string source = "label_<n>";
  std::map<int32_t, std::string> names;
  if (!lut_path.empty()) {
    names = parse_label_lut(read_text(lut_path), lut_path);
    source = lut_path;
  } else if (std::ifstream(sidecar).good()) {
    names = parse_label_lut(read_text(sidecar), sidecar);
    source = sidecar;
  }
  if (from) *from = source;
  return names;
}

}  // namespace qsmtk::app

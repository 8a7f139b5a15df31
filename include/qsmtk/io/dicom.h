#pragma once
// DICOM folders -> NIfTI + JSON through Debian's dcm2niix (run as a program), grouped into
// multi-echo acquisitions by series, echo and part. Handles unsorted folders, enhanced
// multi-frame files and gzip-compressed DICOM (.dcm.gz).
#include <string>
#include <vector>

#include "qsmtk/io/bids.h"

namespace qsmtk {

struct DicomConversion {
  std::string dcm2niix_version;   // e.g. "v1.0.20220720"
  std::string work_dir;           // converted NIfTI/JSON live here (the caller removes it)
  std::vector<ScanFiles> scans;   // multi-echo GRE acquisitions with magnitude and phase
  std::vector<std::string> notes; // series that were not usable, and why
  std::vector<std::string> converted;  // every NIfTI dcm2niix wrote
};

/// Converts every DICOM under `dicom_dir` into `work_dir` (created) and groups the results
/// (`scans` may be empty: `notes` says why).
/// Magnitude and phase series are paired by protocol and series number (Siemens writes phase as
/// the next series); echoes come from EchoNumber (or ascending EchoTime); the part from
/// ImageType (P/PHASE, REAL, IMAGINARY, else magnitude).
DicomConversion convert_dicom(const std::string& dicom_dir, const std::string& work_dir,
                              const std::string& subject = "01");

}  // namespace qsmtk

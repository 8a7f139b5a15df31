#!/usr/bin/env bash
# qsmtk demo: simulate, reconstruct, report accuracy and where everything is.
source "$(dirname "$0")/lib.sh"
"$QSMTK" demo out --size small -q > demo.txt
grep -q "Accuracy" demo.txt || fail "no accuracy printed"
grep -q "NRMSE" demo.txt || fail "no NRMSE printed"
assert_file out/bids/sub-01/anat/sub-01_echo-1_part-phase_MEGRE.nii.gz \
  out/derivatives/qsmtk/sub-01/anat/sub-01_Chimap.nii.gz out/derivatives/qsmtk/sub-01/anat/sub-01_Chimap.json \
  out/derivatives/qsmtk/sub-01/anat/sub-01_accuracy.json
A=out/derivatives/qsmtk/sub-01/anat/sub-01
# TKD from the true local field: a sane accuracy band (a regression or a broken kernel leaves it).
assert_py "20 < $(json_get ${A}_accuracy.json 'j["nrmse"]') < 80"
[[ $(json_get ${A}_Chimap.json 'j["Units"]') == ppm ]] || fail "units"
[[ $(json_get ${A}_Chimap.json 'j["Inversion"]["Method"]') == tkd ]] || fail "method in sidecar"
echo ok

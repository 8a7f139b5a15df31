#!/usr/bin/env bash
# qsmtk demo: simulate, reconstruct, report accuracy and where everything is.
source "$(dirname "$0")/lib.sh"
"$QSMTK" demo out --size small -q > demo.txt
grep -q "Background removal (pdf): local field NRMSE" demo.txt || fail "no background removal accuracy printed"
grep -q "Susceptibility (TKD)" demo.txt || fail "no chi accuracy printed"
assert_file out/bids/sub-01/anat/sub-01_echo-1_part-phase_MEGRE.nii.gz \
  out/derivatives/qsmtk/sub-01/anat/sub-01_Chimap.nii.gz out/derivatives/qsmtk/sub-01/anat/sub-01_Chimap.json \
  out/derivatives/qsmtk/sub-01/anat/sub-01_accuracy.json \
  out/derivatives/qsmtk/sub-01/anat/sub-01_desc-local_fieldmap.nii.gz out/derivatives/qsmtk/sub-01/anat/sub-01_desc-brain_mask.nii.gz
A=out/derivatives/qsmtk/sub-01/anat/sub-01
# Scan -> field map -> PDF -> TKD at 2 mm: a sane accuracy band (68.7% when written; a regression,
# a broken kernel or an unreliable mask edge leaves it: that took it to 350%).
assert_py "40 < $(json_get ${A}_accuracy.json 'j["nrmse"]') < 85"
[[ $(json_get ${A}_desc-local_fieldmap.json 'j["Units"]') == Hz ]] || fail "local field units"
[[ $(json_get ${A}_Chimap.json 'j["BackgroundRemoval"]["Method"]') == pdf ]] || fail "background method in sidecar"
[[ $(json_get ${A}_Chimap.json 'j["Units"]') == ppm ]] || fail "units"
[[ $(json_get ${A}_Chimap.json 'j["Inversion"]["Method"]') == tkd ]] || fail "method in sidecar"
echo ok

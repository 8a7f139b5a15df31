#!/usr/bin/env bash
# qsmtk simulate writes the BIDS dataset and truth with the names and units of CONVENTIONS.md.
source "$(dirname "$0")/lib.sh"
"$QSMTK" simulate data --size small --voxel-size 3 --case oblique --subject p1 --session s1 -q >/dev/null
A=data/sub-p1/ses-s1/anat/sub-p1_ses-s1
T=data/derivatives/truth/sub-p1/ses-s1/anat/sub-p1_ses-s1
assert_file data/dataset_description.json data/derivatives/truth/dataset_description.json
for e in 1 2 3 4 5; do
  assert_file ${A}_echo-${e}_part-mag_MEGRE.nii.gz ${A}_echo-${e}_part-phase_MEGRE.nii.gz ${A}_echo-${e}_part-phase_MEGRE.json
done
assert_file ${T}_Chimap.nii.gz ${T}_desc-brain_mask.nii.gz ${T}_desc-total_fieldmap.nii.gz \
  ${T}_desc-local_fieldmap.nii.gz ${T}_dseg.nii.gz ${T}_dseg.tsv ${T}_desc-lesions_dseg.nii.gz \
  ${T}_desc-lesions_dseg.tsv ${T}_R2starmap.nii.gz ${T}_desc-tissue_dseg.nii.gz
# Sidecars: echo time in seconds, field strength, imaging frequency = gammabar * B0.
[[ $(json_get ${A}_echo-3_part-phase_MEGRE.json 'j["EchoTime"]') == 0.017 ]] || fail "EchoTime of echo 3"
[[ $(json_get ${A}_echo-3_part-phase_MEGRE.json 'j["MagneticFieldStrength"]') == 3.0 ]] || fail "field strength"
assert_py "abs($(json_get ${A}_echo-1_part-mag_MEGRE.json 'j["ImagingFrequency"]') - 127.732434) < 1e-5"
[[ $(json_get ${T}_desc-total_fieldmap.json 'j["Units"]') == Hz ]] || fail "field units"
[[ $(json_get ${T}_Chimap.json 'j["Units"]') == ppm ]] || fail "chi units"
[[ $(json_get data/derivatives/truth/dataset_description.json 'j["DatasetType"]') == derivative ]] || fail "derivative"
# Tables have the contract's columns.
head -1 ${T}_dseg.tsv | grep -q $'^index\tname\tchi_ppm' || fail "dseg.tsv columns"
head -1 ${T}_desc-lesions_dseg.tsv | grep -q $'^index\tname\tradius_mm\tcore_chi_ppm\trim_chi_ppm\trim_coverage\tprl' \
  || fail "lesions tsv columns"
[[ $(tail -n +2 ${T}_desc-lesions_dseg.tsv | wc -l) == 16 ]] || fail "16 lesions"
# Every image shares the grid and the oblique affine; B0 is oblique in array coordinates.
"$QSMTK" info --json ${A}_echo-1_part-phase_MEGRE.nii.gz > phase.json
"$QSMTK" info --json ${T}_Chimap.nii.gz > chi.json
[[ "$(json_get phase.json 'j["dims"]')" == "[64, 75, 53]" ]] || fail "dims $(json_get phase.json 'j["dims"]')"
[[ "$(json_get phase.json 'j["affine"]')" == "$(json_get chi.json 'j["affine"]')" ]] || fail "affines differ"
assert_py "$(json_get phase.json 'j["b0_angle_deg"]') > 20"
assert_py "$(json_get phase.json 'j["min"]') >= -3.1416 and $(json_get phase.json 'j["max"]') <= 3.1416"
# A second subject joins the same dataset without touching the first.
before=$(md5sum ${A}_echo-1_part-mag_MEGRE.nii.gz)
"$QSMTK" simulate data --size small --voxel-size 3 --subject p2 --seed 2 -q >/dev/null
assert_file data/sub-p2/anat/sub-p2_echo-1_part-mag_MEGRE.nii.gz
[[ $(md5sum ${A}_echo-1_part-mag_MEGRE.nii.gz) == "$before" ]] || fail "first subject changed"
# --from-chi forward-simulates a given map on its own grid.
"$QSMTK" simulate fc --from-chi ${T}_Chimap.nii.gz --mask ${T}_desc-brain_mask.nii.gz --echo-times-ms 4,8,12 -q >/dev/null
assert_file fc/sub-01/anat/sub-01_echo-3_part-phase_MEGRE.nii.gz
[[ $(json_get fc/sub-01/anat/sub-01_echo-2_part-mag_MEGRE.json 'j["EchoTime"]') == 0.008 ]] || fail "from-chi TE"
[[ ! -e fc/sub-01/anat/sub-01_echo-4_part-mag_MEGRE.nii.gz ]] || fail "from-chi wrote 4 echoes"
echo ok

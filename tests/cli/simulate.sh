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
# A follow-up session of the same subject: head motion, lesion changes; the truth states them.
"$QSMTK" simulate fu --size small --voxel-size 4 --no-noise --session 1 -q >/dev/null
"$QSMTK" simulate fu --size small --voxel-size 4 --no-noise --session 2 --head-motion 2,-1,5,3,0,-2 \
  --lesion-change-ppb 2:10,3:-5 --lesion-rim-lost 1 -q >/dev/null
T1=fu/derivatives/truth/sub-01/ses-1/anat/sub-01_ses-1
T2=fu/derivatives/truth/sub-01/ses-2/anat/sub-01_ses-2
assert_file ${T2}_desc-headmotion_xfm.json
[[ ! -e ${T1}_desc-headmotion_xfm.json ]] || fail "head motion file without --head-motion"
[[ $(json_get ${T2}_desc-headmotion_xfm.json 'j["RotationDeg"]') == "[2.0, -1.0, 5.0]" ]] || fail "RotationDeg"
[[ $(json_get ${T2}_desc-headmotion_xfm.json 'j["TranslationMm"]') == "[3.0, 0.0, -2.0]" ]] || fail "TranslationMm"
[[ $(json_get ${T2}_Chimap.json 'j["QsmtkSimulation"]["LesionChangePpb"]') == "{'2': 10.0, '3': -5.0}" ]] \
  || fail "LesionChangePpb in the sidecar"
"$QSMTK" info --json ${T1}_Chimap.nii.gz > chi1.json
"$QSMTK" info --json ${T2}_Chimap.nii.gz > chi2.json
[[ "$(json_get chi1.json 'j["affine"]')" == "$(json_get chi2.json 'j["affine"]')" ]] || fail "motion changed the affine"
"$PY" - ${T1}_desc-lesions_dseg.tsv ${T2}_desc-lesions_dseg.tsv ${T2}_desc-headmotion_xfm.json <<'PYEOF' || fail "follow-up truth"
import csv, json, sys
import numpy as np
before, after = ({int(r["index"]): r for r in csv.DictReader(open(f), delimiter="\t")} for f in sys.argv[1:3])
m = np.array(json.load(open(sys.argv[3]))["WorldMatrix"])
assert m.shape == (4, 4) and np.allclose(m[3], [0, 0, 0, 1]), m
assert np.allclose(m[:3, :3] @ m[:3, :3].T, np.eye(3), atol=1e-9) and abs(np.linalg.det(m[:3, :3]) - 1) < 1e-9
centre = lambda r: np.array([float(r[k]) for k in ("x_mm", "y_mm", "z_mm")] + [1.0])
for i in before:  # lesion centres in world mm move with the head
    assert np.linalg.norm(m @ centre(before[i]) - centre(after[i])) < 5e-3, i  # 6 digits in the TSV
core = lambda t, i: float(t[i]["core_chi_ppm"])
assert abs(1000 * (core(after, 2) - core(before, 2)) - 10) < 1e-3
assert abs(1000 * (core(after, 3) - core(before, 3)) + 5) < 1e-3
# (label means at 4 mm are mostly partial volume, and the moved labels sample the lesion anew:
# the unit tests check the true mean's change without motion)
assert before[1]["prl"] == "1" and after[1]["prl"] == "0" and after[1]["type"] == "rim_lost"
assert float(after[1]["rim_coverage"]) == 0 and after[1]["rim_chi_ppm"] == after[1]["core_chi_ppm"]
for i in range(4, 17):
    for k in ("type", "radius_mm", "core_chi_ppm", "rim_chi_ppm", "rim_coverage", "prl"):
        assert before[i][k] == after[i][k], (i, k)
PYEOF
assert_exit 1 "$QSMTK" simulate bad --size small --lesion-rim-lost 17
assert_stderr_has "no lesion 17"
assert_exit 1 "$QSMTK" simulate bad --size small --lesion-rim-lost 2
assert_stderr_has "lesion 2 (homogeneous) has no iron rim to lose"
assert_exit 1 "$QSMTK" simulate bad --size small --lesion-change-ppb 3
assert_stderr_has "is not ID:PPB"
assert_exit 1 "$QSMTK" simulate bad --size small --head-motion 1,2,3
assert_stderr_has "--head-motion: give 6 numbers"
[[ ! -e bad ]] || fail "a refused simulation created its output folder"
echo ok

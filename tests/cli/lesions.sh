#!/usr/bin/env bash
# qsmtk lesions on the small phantom: one row per true lesion, delta chi against the truth from
# the true chi, exact voxel counts, binary masks split into the same lesions, the JSON summary,
# and an unreadable input. (Resampling and the rim rules are tested in tests/unit/test_lesions.cpp.)
source "$(dirname "$0")/lib.sh"
Q="$QSMTK"
"$Q" simulate ph --size small -q > /dev/null
T=ph/derivatives/truth/sub-01/anat/sub-01
assert_exit 0 "$Q" lesions --chi ${T}_Chimap.nii.gz --lesions ${T}_desc-lesions_dseg.nii.gz --mask ${T}_desc-brain_mask.nii.gz --out true.tsv
assert_stdout_has "lesion(s)"
assert_file true.tsv true.json
"$PY" - ${T}_desc-lesions_dseg.tsv true.tsv <<'PY' || fail "lesion table against the truth"
import csv, sys
truth = {r["index"]: r for r in csv.DictReader(open(sys.argv[1]), delimiter="\t")}
got = {r["lesion_id"]: r for r in csv.DictReader(open(sys.argv[2]), delimiter="\t")}
for col in ["lesion_id", "volume_mm3", "mean_chi_ppb", "delta_chi_ppb", "rim_coverage", "prl"]:
    assert col in next(iter(got.values())), col
assert set(truth) == set(got), (sorted(truth), sorted(got))
worst = max(abs(float(got[i]["delta_chi_ppb"]) - float(truth[i]["delta_chi_ppb"])) for i in truth)
print(f"  {len(got)} lesions, delta chi worst error from the true chi {worst:.2f} ppb")
assert worst < 3, worst
for i in truth:
    assert int(got[i]["voxels"]) == int(truth[i]["voxels"]), i
    assert abs(float(got[i]["volume_mm3"]) - 8 * int(truth[i]["voxels"])) < 1e-3, i
PY
[[ $(json_get true.json 'j["LesionCount"]') == $(($(wc -l < ${T}_desc-lesions_dseg.tsv) - 1)) ]] || fail "JSON count"
assert_py "$(json_get true.json 'j["PrlCount"]') >= 1"
[[ $(json_get true.json 'j["Units"]["chi"]') == ppb ]] || fail "units"
# A binary mask gives the same lesions as components (the phantom's lesions do not touch).
"$PY" - ${T}_desc-lesions_dseg.nii.gz <<'PY'
import sys, numpy as np, nibabel as nib
img = nib.load(sys.argv[1])
nib.save(nib.Nifti1Image((np.asarray(img.dataobj) > 0).astype(np.uint8), img.affine), "binary.nii.gz")
PY
assert_exit 0 "$Q" lesions --chi ${T}_Chimap.nii.gz --lesions binary.nii.gz --mask ${T}_desc-brain_mask.nii.gz --out bin.tsv
[[ $(json_get bin.json 'j["Inputs"]["LesionInputKind"]') == binary ]] || fail "binary detected"
[[ $(json_get bin.json 'j["LesionCount"]') == $(json_get true.json 'j["LesionCount"]') ]] || fail "binary components"
# White matter from the tissue label map (label 3) and from the same voxels as a mask: the same
# references ("wm_shell"), recorded in the JSON.
"$PY" - ${T}_desc-tissue_dseg.nii.gz <<'PY'
import sys, numpy as np, nibabel as nib
img = nib.load(sys.argv[1])
nib.save(nib.Nifti1Image((np.asarray(img.dataobj) == 3).astype(np.uint8), img.affine), "wm.nii.gz")
PY
assert_exit 0 "$Q" lesions --chi ${T}_Chimap.nii.gz --lesions ${T}_desc-lesions_dseg.nii.gz --wm ${T}_desc-tissue_dseg.nii.gz \
  --wm-labels 3 --out wml.tsv
assert_exit 0 "$Q" lesions --chi ${T}_Chimap.nii.gz --lesions ${T}_desc-lesions_dseg.nii.gz --wm wm.nii.gz --out wmm.tsv
cmp <(cut -f12-14 wml.tsv) <(cut -f12-14 wmm.tsv) || fail "label map and mask give different references"
grep -q wm_shell wml.tsv || fail "white matter reference not used"
[[ $(json_get wml.json 'j["Inputs"]["WhiteMatterLabels"]') == "[3]" ]] || fail "labels recorded"
assert_exit 1 "$Q" lesions --chi ${T}_Chimap.nii.gz --lesions ${T}_desc-lesions_dseg.nii.gz --wm ${T}_desc-tissue_dseg.nii.gz \
  --wm-labels 99 --out x.tsv
assert_stderr_has "no white matter voxels"
# An input that is not an image: one line naming the file.
assert_exit 1 "$Q" lesions --chi true.tsv --lesions binary.nii.gz --out x.tsv
assert_stderr_has "true.tsv"
echo ok

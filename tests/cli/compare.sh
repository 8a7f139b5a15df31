#!/usr/bin/env bash
# qsmtk compare: perfect scores against itself, JSON keys of the contract, per-region rows.
source "$(dirname "$0")/lib.sh"
"$QSMTK" simulate d --size small --voxel-size 3 -q >/dev/null
T=d/derivatives/truth/sub-01/anat/sub-01
"$QSMTK" compare --truth ${T}_Chimap.nii.gz --test ${T}_Chimap.nii.gz --mask ${T}_desc-brain_mask.nii.gz \
  --labels ${T}_dseg.nii.gz --json same.json --tsv same.tsv > same.txt
assert_py "$(json_get same.json 'j["nrmse"]') < 1e-3 and $(json_get same.json 'j["hfen"]') < 1e-3"
assert_py "abs($(json_get same.json 'j["ssim"]') - 1) < 1e-4"
[[ $(json_get same.json 'len(j["roi"])') == 14 ]] || fail "14 regions"
[[ $(json_get same.json 'j["roi"][4]["name"]') == Left-GlobusPallidus ]] || fail "names from dseg.tsv"
assert_py "abs($(json_get same.json 'j["roi"][4]["error_ppb"]')) < 1e-3"
grep -q "nrmse" same.txt || fail "printed summary"
head -1 same.tsv | grep -q $'label\tname\tvoxels\ttrue_mean_ppm\ttest_mean_ppm\terror_ppb' || fail "tsv columns"
# Against a different map the scores are imperfect; a map on another grid is refused clearly.
"$QSMTK" compare --truth ${T}_Chimap.nii.gz --test ${T}_desc-paramagnetic_Chimap.nii.gz \
  --mask ${T}_desc-brain_mask.nii.gz --json diff.json >/dev/null
assert_py "$(json_get diff.json 'j["nrmse"]') > 5"
"$QSMTK" simulate e --size small --voxel-size 4 -q >/dev/null
assert_exit 1 "$QSMTK" compare --truth ${T}_Chimap.nii.gz --test e/derivatives/truth/sub-01/anat/sub-01_Chimap.nii.gz \
  --mask ${T}_desc-brain_mask.nii.gz
assert_stderr_has "qsmtk compare: error: compare: truth and test: grids differ"
echo ok

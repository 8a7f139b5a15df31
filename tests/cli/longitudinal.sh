#!/usr/bin/env bash
# qsmtk longitudinal on two simulated sessions of one subject (small phantom, true chi maps): the
# follow-up's head is turned 5 degrees (3 about x, 4 about z) and shifted 3 mm, lesion 2 gains
# 10 ppb of iron, lesion 1 loses its rim and lesion 17 is new. Checks the recovered motion against
# the simulator's world matrix (0.5 mm / 0.5 degree), the 10 ppb change against the truth tables
# (2 ppb), the new lesion, the lost rim, the flags, the outputs and the errors.
source "$(dirname "$0")/lib.sh"
Q="$QSMTK"
command -v elastix > /dev/null || { echo "SKIP: elastix is not installed (scripts/setup-deps installs it)"; exit 77; }
"$Q" simulate sim --size small --session 1 -q > /dev/null
"$Q" simulate sim --size small --session 2 --lesions 17 --head-motion 3,0,4,2,-2,1 --lesion-change-ppb 2:10 \
  --lesion-rim-lost 1 -q > /dev/null
T=sim/derivatives/truth/sub-01
S1=$T/ses-1/anat/sub-01_ses-1
S2=$T/ses-2/anat/sub-01_ses-2
assert_exit 0 "$Q" longitudinal --chi ${S1}_Chimap.nii.gz ${S2}_Chimap.nii.gz \
  --lesions ${S1}_desc-lesions_dseg.nii.gz ${S2}_desc-lesions_dseg.nii.gz \
  --mask ${S1}_desc-brain_mask.nii.gz ${S2}_desc-brain_mask.nii.gz --labels ${S1}_dseg.nii.gz --erode-mm 2 --out long
assert_stdout_has "ses-2 vs ses-1: 1 new, 16 persisting, 0 resolved"
assert_file long/longitudinal.json long/transforms.tsv long/lesion_changes.tsv long/region_changes.tsv \
  long/ses-1_lesions.tsv long/ses-2_lesions.tsv long/ses-2_space-baseline_Chimap.nii.gz \
  long/ses-2_desc-change_Chimap.nii.gz long/ses-2_space-baseline_desc-lesions_dseg.nii.gz

"$PY" - long/longitudinal.json ${S2}_desc-headmotion_xfm.json ${S1}_desc-brain_mask.nii.gz <<'PY' || fail "motion"
import json, sys
import numpy as np, nibabel as nib
est = np.array(json.load(open(sys.argv[1]))["Sessions"][1]["BaselineToSessionWorld"])
true = np.array(json.load(open(sys.argv[2]))["WorldMatrix"])
err = np.linalg.inv(true) @ est
angle = np.degrees(np.arccos(np.clip((np.trace(err[:3, :3]) - 1) / 2, -1, 1)))
m = nib.load(sys.argv[3])
ijk = np.argwhere(m.get_fdata() > 0)
xyz = ijk @ m.affine[:3, :3].T + m.affine[:3, 3]
shift = np.linalg.norm(xyz @ (err[:3, :3] - np.eye(3)).T + err[:3, 3], axis=1).max()
print(f"  motion recovered: residual rotation {angle:.3f} deg, worst displacement over the brain {shift:.3f} mm")
assert angle < 0.5 and shift < 0.5, (angle, shift)
PY

"$PY" - long/lesion_changes.tsv ${S1}_desc-lesions_dseg.tsv ${S2}_desc-lesions_dseg.tsv <<'PY' || fail "lesion changes"
import csv, sys
rows = lambda p: list(csv.DictReader(open(p), delimiter="\t"))
changes = rows(sys.argv[1])
t1 = {r["index"]: r for r in rows(sys.argv[2])}
t2 = {r["index"]: r for r in rows(sys.argv[3])}
by_base = {r["baseline_ids"]: r for r in changes}
gained = by_base["2"]
true_change = float(t2["2"]["delta_chi_ppb"]) - float(t1["2"]["delta_chi_ppb"])
got = float(gained["delta_chi_change_ppb"])
print(f"  lesion 2: delta chi change {got:.2f} ppb (truth {true_change:.2f}, iron added 10)")
assert abs(got - true_change) < 2, (got, true_change)
assert gained["flag"] == "chi", gained            # beyond the default limits [-7.3, 7.0]
assert by_base["1"]["rim_change"] == "lost_rim", by_base["1"]
new = [r for r in changes if r["change"] == "new"]
assert len(new) == 1 and new[0]["followup_ids"] == "17", new
assert all(r["change"] == "persisting" and r["followup_ids"] == r["baseline_ids"] for r in changes if r["baseline_ids"] != "n/a")
# Unchanged lesions: no change beyond the limits.
others = [abs(float(r["delta_chi_change_ppb"])) for r in changes if r["baseline_ids"] not in ("1", "2", "n/a")]
print(f"  unchanged lesions: worst delta chi change {max(others):.2f} ppb")
assert max(others) < 4, max(others)
PY
[[ $(json_get long/longitudinal.json 'j["Changes"][0]["LostRims"]') == 1 ]] || fail "lost rim count"
[[ $(json_get long/longitudinal.json 'j["Changes"][0]["NewLesions"]') == 1 ]] || fail "new lesion count"
[[ $(json_get long/longitudinal.json 'j["Registration"]["Engine"]') == elastix* ]] || fail "engine"
# Regions: the baseline labels carried to ses-2, eroded one voxel against partial volume (at 2 mm
# a nucleus's edge voxels differ between the two voxelisations by up to 10 ppb).
"$PY" - long/region_changes.tsv <<'PY' || fail "region changes"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
worst = max(abs(float(r["change_ppb"])) for r in rows)
print(f"  {len(rows)} regions unchanged in truth, carried labels: worst change {worst:.2f} ppb")
assert len(rows) == 21 and worst < 4.0 and not any(r["flag"] for r in rows), worst
PY
# Each session's own labels: the change is the truth tables' change.
assert_exit 0 "$Q" longitudinal --chi ${S1}_Chimap.nii.gz ${S2}_Chimap.nii.gz --labels ${S1}_dseg.nii.gz \
  ${S2}_dseg.nii.gz --session-labels base later --loa-region-ppb none --out own
assert_stdout_has "later vs base: 0 lesion and 0 region change(s) beyond the limits"
[[ ! -e own/lesion_changes.tsv ]] || fail "no lesions given, no lesion table"
"$PY" - own/region_changes.tsv ${S1}_dseg.tsv ${S2}_dseg.tsv <<'PY' || fail "own labels"
import csv, sys
rows = lambda p: list(csv.DictReader(open(p), delimiter="\t"))
t1 = {r["name"]: float(r["chi_ppm"]) * 1000 for r in rows(sys.argv[2])}
t2 = {r["name"]: float(r["chi_ppm"]) * 1000 for r in rows(sys.argv[3])}
for r in rows(sys.argv[1]):
    if r["region"] in t1:
        assert abs(float(r["change_ppb"]) - (t2[r["region"]] - t1[r["region"]])) < 0.01, r
PY

# Errors: one session, mismatched counts.
assert_exit 1 "$Q" longitudinal --chi ${S1}_Chimap.nii.gz ${S2}_Chimap.nii.gz --lesions ${S1}_desc-lesions_dseg.nii.gz \
  ${S2}_desc-lesions_dseg.nii.gz --mask ${S1}_desc-brain_mask.nii.gz ${S1}_desc-brain_mask.nii.gz \
  ${S2}_desc-brain_mask.nii.gz --out bad
assert_stderr_has "--mask"
assert_exit 1 "$Q" longitudinal --chi ${S1}_Chimap.nii.gz ${S2}_Chimap.nii.gz --loa-lesion-ppb 5,-5 --out bad
assert_stderr_has "LOWER <= UPPER"
echo ok

#!/usr/bin/env bash
# qsmtk roistats on the small phantom's true chi: deep grey matter means against the truth (names
# from the dseg.tsv sidecar), bilateral rows, erosion, the CSF reference from the truth tissue
# dseg, iron estimates and z-scores against normative curves, and a bad option.
source "$(dirname "$0")/lib.sh"
Q="$QSMTK"
"$Q" simulate ph --size small -q > /dev/null
T=ph/derivatives/truth/sub-01/anat/sub-01
assert_exit 0 "$Q" roistats --chi ${T}_Chimap.nii.gz --labels ${T}_dseg.nii.gz --out dgm.tsv
assert_stdout_has "region(s)"
assert_file dgm.tsv dgm.json
"$PY" - ${T}_dseg.tsv dgm.tsv <<'PY' || fail "deep grey matter means against the truth"
import csv, sys
truth = {r["name"]: r for r in csv.DictReader(open(sys.argv[1]), delimiter="\t")}
got = {r["name"]: r for r in csv.DictReader(open(sys.argv[2]), delimiter="\t")}
worst = max(abs(float(got[n]["mean_chi_ppb"]) - 1000 * float(truth[n]["chi_ppm"])) for n in truth)
print(f"  {len(truth)} regions, worst mean error {worst:.4f} ppb")
assert worst < 2, worst
for n in truth:
    assert int(got[n]["voxels"]) == int(truth[n]["voxels"]), n
    assert got[n]["label"] == truth[n]["index"] and got[n]["reference"] == "none", n
p = got["Putamen"]  # bilateral row: voxel-weighted mean of both sides
assert p["hemisphere"] == "bilateral" and p["labels"] == "3,4", p
want = (float(got["Left-Putamen"]["mean_chi_ppb"]) * int(got["Left-Putamen"]["voxels"]) +
        float(got["Right-Putamen"]["mean_chi_ppb"]) * int(got["Right-Putamen"]["voxels"])) / int(p["voxels"])
assert abs(float(p["mean_chi_ppb"]) - want) < 1e-3, (p, want)
PY
# Erosion by 2 mm (one 2 mm voxel): fewer voxels, the tighter spread of a region's interior.
assert_exit 0 "$Q" roistats --chi ${T}_Chimap.nii.gz --labels ${T}_dseg.nii.gz --erode-mm 2 --out ero.tsv
"$PY" - dgm.tsv ero.tsv <<'PY' || fail "erosion"
import csv, sys
a = {r["name"]: r for r in csv.DictReader(open(sys.argv[1]), delimiter="\t")}
b = {r["name"]: r for r in csv.DictReader(open(sys.argv[2]), delimiter="\t")}
for n in ["Left-Putamen", "Right-Thalamus", "Caudate"]:
    assert 0 < int(b[n]["voxels"]) < int(a[n]["voxels"]), n
    assert float(b[n]["volume_mm3"]) == 8 * int(b[n]["voxels"]), n
PY
[[ $(json_get ero.json 'j["Options"]["ErodeMm"]') == 2.0 ]] || fail "erosion recorded"
# CSF reference from the truth tissue dseg (label 1), iron estimates, norms and z.
"$PY" - ${T}_desc-tissue_dseg.nii.gz <<'PY'
import sys, numpy as np, nibabel as nib
img = nib.load(sys.argv[1])
nib.save(nib.Nifti1Image((np.asarray(img.dataobj) == 1).astype(np.uint8), img.affine), "csf.nii.gz")
PY
printf 'region\tmodel\ta\tb\tc\tsd\nPutamen\tlinear\t20\t1\tn/a\t10\nLeft-GlobusPallidus\texponential\t150\t0.1\t10\t20\n' > norms.tsv
assert_exit 0 "$Q" roistats --chi ${T}_Chimap.nii.gz --labels ${T}_dseg.nii.gz --mask ${T}_desc-brain_mask.nii.gz \
  --reference csf --csf-mask csf.nii.gz --iron --norms norms.tsv --age 40 --out ref.tsv
csf=$(nii_py ${T}_Chimap.nii.gz csf.nii.gz ${T}_desc-brain_mask.nii.gz '1000 * a[(b > 0) & (c > 0)].mean()')
"$PY" - dgm.tsv ref.tsv "$csf" <<'PY' || fail "CSF reference, iron and z"
import csv, sys, math
a = {r["name"]: r for r in csv.DictReader(open(sys.argv[1]), delimiter="\t")}
b = {r["name"]: r for r in csv.DictReader(open(sys.argv[2]), delimiter="\t")}
csf = float(sys.argv[3])
for col in ["reference", "reference_chi_ppb", "iron_estimate_ug_per_g", "expected_chi_ppb", "z_score"]:
    assert col in b["Putamen"], col
for n in a:
    assert b[n]["reference"] == "csf", n
    assert abs(float(b[n]["reference_chi_ppb"]) - csf) < 1e-3, (b[n]["reference_chi_ppb"], csf)
    assert abs(float(b[n]["mean_chi_ppb"]) - (float(a[n]["mean_chi_ppb"]) - csf)) < 2e-3, n
    assert abs(float(b[n]["sd_chi_ppb"]) - float(a[n]["sd_chi_ppb"])) < 1e-3, n
    m = float(b[n]["mean_chi_ppb"])
    assert abs(float(b[n]["iron_estimate_ug_per_g"]) - (m + 11) / 0.97) < 1e-2, n
p = b["Putamen"]
assert abs(float(p["expected_chi_ppb"]) - 60) < 1e-6
assert abs(float(p["z_score"]) - (float(p["mean_chi_ppb"]) - 60) / 10) < 1e-3
g = b["Left-GlobusPallidus"]
e = 150 * (1 - math.exp(-4)) + 10
assert abs(float(g["expected_chi_ppb"]) - e) < 1e-3
assert abs(float(g["z_score"]) - (float(g["mean_chi_ppb"]) - e) / 20) < 1e-3
assert b["Caudate"]["z_score"] == "n/a"
print(f"  CSF reference {csf:.2f} ppb")
PY
[[ $(json_get ref.json 'j["Reference"]["Kind"]') == csf ]] || fail "reference recorded"
[[ $(json_get ref.json 'j["IronCalibration"]["Estimate"]') == True ]] || fail "iron labelled as an estimate"
json_get ref.json 'j["IronCalibration"]["Source"]' | grep -q "Langkammer" || fail "iron source"
# A named region as reference; the calibration is configurable.
assert_exit 0 "$Q" roistats --chi ${T}_Chimap.nii.gz --labels ${T}_dseg.nii.gz --reference Thalamus --iron \
  --iron-slope 1 --iron-intercept 0 --out thal.tsv
assert_py "abs($(json_get thal.json 'j["Reference"]["ChiPpb"]') - 7.248) < 0.01"
[[ $(json_get thal.json 'j["IronCalibration"]["SlopePpbPerUgG"]') == 1.0 ]] || fail "slope"
# Bad input: an unknown reference region; --norms without --age.
assert_exit 1 "$Q" roistats --chi ${T}_Chimap.nii.gz --labels ${T}_dseg.nii.gz --reference Nowhere --out x.tsv
assert_stderr_has "Nowhere"
[[ ! -e x.tsv ]] || fail "no table on error"
assert_exit 2 "$Q" roistats --chi ${T}_Chimap.nii.gz --labels ${T}_dseg.nii.gz --norms norms.tsv --out y.tsv
echo ok

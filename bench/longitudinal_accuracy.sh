#!/usr/bin/env bash
# Longitudinal change from reconstructed chi: two simulated sessions of one subject (the second
# with the head turned 5 degrees and shifted 3 mm, lesion 2 +10 ppb of iron, lesion 1's rim lost,
# lesion 17 new), each through the default pipeline (`qsmtk run`), then `qsmtk longitudinal` with
# the true lesion labels, the pipeline's masks and the truth's deep grey matter labels (eroded 1 mm),
# registering chi maps and, separately, first-echo magnitudes. Prints a Markdown table.
#   bench/longitudinal_accuracy.sh [--size small|default] [--qsmtk BIN] [--work DIR]
set -euo pipefail
size=default
qsmtk="$(cd "$(dirname "$0")/.." && pwd)/build/release/qsmtk"
work=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --size) size=$2; shift 2 ;;
    --qsmtk) qsmtk=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
if [[ -z "$work" ]]; then
  work=$(mktemp -d "${TMPDIR:-/tmp}/qsmtk-longitudinal.XXXXXX")
  trap 'rm -rf "$work"' EXIT
fi
mkdir -p "$work"
py=/usr/bin/python3
d="$work/$size"
if [[ ! -f "$d/out/sub-01/ses-2/anat/sub-01_ses-2_Chimap.json" ]]; then
  "$qsmtk" simulate "$d/sim" --size "$size" --session 1 -q > /dev/null
  "$qsmtk" simulate "$d/sim" --size "$size" --session 2 --lesions 17 --head-motion 3,0,4,2,-2,1 \
    --lesion-change-ppb 2:10 --lesion-rim-lost 1 -q > /dev/null
  "$qsmtk" run "$d/sim" "$d/out" participant -q > /dev/null
fi
T="$d/sim/derivatives/truth/sub-01"
O="$d/out/sub-01"
echo "| registered on | residual rotation | worst displacement over the brain | lesion 2 change (truth) | unchanged lesions, worst change | new lesion | lost rim | PRLs ses-1 / ses-2 | regions, worst change | time |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for on in chi magnitude; do
  reg=()
  [[ $on == magnitude ]] && reg=(--register-image "$d/sim/sub-01/ses-1/anat/sub-01_ses-1_echo-1_part-mag_MEGRE.nii.gz" \
    "$d/sim/sub-01/ses-2/anat/sub-01_ses-2_echo-1_part-mag_MEGRE.nii.gz")
  start=$(date +%s.%N)
  "$qsmtk" longitudinal --chi "$O/ses-1/anat/sub-01_ses-1_Chimap.nii.gz" "$O/ses-2/anat/sub-01_ses-2_Chimap.nii.gz" \
    --lesions "$T/ses-1/anat/sub-01_ses-1_desc-lesions_dseg.nii.gz" "$T/ses-2/anat/sub-01_ses-2_desc-lesions_dseg.nii.gz" \
    --mask "$O/ses-1/anat/sub-01_ses-1_desc-brain_mask.nii.gz" "$O/ses-2/anat/sub-01_ses-2_desc-brain_mask.nii.gz" \
    --labels "$T/ses-1/anat/sub-01_ses-1_dseg.nii.gz" --erode-mm 1 "${reg[@]}" --out "$d/long-$on" -q > /dev/null
  seconds=$("$py" -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$start" "$(date +%s.%N)")
  "$py" - "$on" "$d/long-$on" "$T" "$seconds" <<'PY'
import csv, json, sys
import numpy as np, nibabel as nib
on, out, truth, seconds = sys.argv[1:]
rows = lambda p: list(csv.DictReader(open(p), delimiter="\t"))
j = json.load(open(f"{out}/longitudinal.json"))
est = np.array(j["Sessions"][1]["BaselineToSessionWorld"])
true = np.array(json.load(open(f"{truth}/ses-2/anat/sub-01_ses-2_desc-headmotion_xfm.json"))["WorldMatrix"])
err = np.linalg.inv(true) @ est
angle = np.degrees(np.arccos(np.clip((np.trace(err[:3, :3]) - 1) / 2, -1, 1)))
m = nib.load(f"{truth}/ses-1/anat/sub-01_ses-1_desc-brain_mask.nii.gz")
xyz = np.argwhere(m.get_fdata() > 0) @ m.affine[:3, :3].T + m.affine[:3, 3]
shift = np.linalg.norm(xyz @ (err[:3, :3] - np.eye(3)).T + err[:3, 3], axis=1).max()
ch = {r["baseline_ids"]: r for r in rows(f"{out}/lesion_changes.tsv")}
t1 = {r["index"]: r for r in rows(f"{truth}/ses-1/anat/sub-01_ses-1_desc-lesions_dseg.tsv")}
t2 = {r["index"]: r for r in rows(f"{truth}/ses-2/anat/sub-01_ses-2_desc-lesions_dseg.tsv")}
true2 = float(t2["2"]["delta_chi_ppb"]) - float(t1["2"]["delta_chi_ppb"])
others = max(abs(float(r["delta_chi_change_ppb"])) for k, r in ch.items() if k not in ("1", "2", "n/a"))
new = [r["followup_ids"] for r in ch.values() if r["change"] == "new"]
regions = max(abs(float(r["change_ppb"])) for r in rows(f"{out}/region_changes.tsv") if r["change_ppb"] != "n/a")
prl = "/".join(str(s.get("PrlCount")) for s in j["Sessions"])
print(f"| {on} | {angle:.2f} deg | {shift:.2f} mm | {float(ch['2']['delta_chi_change_ppb']):.1f} ppb ({true2:.1f}) | "
      f"{others:.1f} ppb | {'+'.join(new) or 'none'} | {ch['1']['rim_change']} | {prl} | {regions:.1f} ppb | {seconds} s |")
PY
done

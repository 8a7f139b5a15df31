#!/usr/bin/env bash
# Lesion measurements from the reconstructed chi: the default pipeline (`qsmtk run`) on the
# simulator's cases, then `qsmtk lesions` with the true lesion labels and the pipeline's brain
# mask, scored against the truth table (delta chi error, PRL precision and recall), as a Markdown
# table for docs/accuracy.md.
#   bench/lesion_accuracy.sh [--size small|default] [--qsmtk BIN] [--work DIR] [cases...] [-- qsmtk lesions options]
# --work keeps the simulations and reconstructions there and reuses them on the next call.
set -euo pipefail
size=default
qsmtk="$(cd "$(dirname "$0")/.." && pwd)/build/release/qsmtk"
work=""
cases=()
extra=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --size) size=$2; shift 2 ;;
    --qsmtk) qsmtk=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    --) shift; extra=("$@"); break ;;
    *) cases+=("$1"); shift ;;
  esac
done
[[ ${#cases[@]} -gt 0 ]] || cases=(std oblique aniso lowsnr 7t)
if [[ -z "$work" ]]; then
  work=$(mktemp -d "${TMPDIR:-/tmp}/qsmtk-lesions.XXXXXX")
  trap 'rm -rf "$work"' EXIT
fi
mkdir -p "$work"
py=/usr/bin/python3
echo "| case | lesions | delta chi mean abs error (ppb) | worst (ppb) | PRL found | false PRL | precision | recall |"
echo "|---|---|---|---|---|---|---|---|"
for c in "${cases[@]}"; do
  d="$work/$size-$c"
  [[ -f "$d/sim/dataset_description.json" ]] || "$qsmtk" simulate "$d/sim" --case "$c" --size "$size" -q > /dev/null
  [[ -f "$d/out/sub-01/anat/sub-01_Chimap.json" ]] || "$qsmtk" run "$d/sim" "$d/out" participant -q > /dev/null
  T="$d/sim/derivatives/truth/sub-01/anat/sub-01"
  O="$d/out/sub-01/anat/sub-01"
  "$qsmtk" lesions --chi "${O}_Chimap.nii.gz" --lesions "${T}_desc-lesions_dseg.nii.gz" \
    --mask "${O}_desc-brain_mask.nii.gz" --out "$d/lesions.tsv" -q "${extra[@]}" > /dev/null
  "$py" - "$c" "${T}_desc-lesions_dseg.tsv" "$d/lesions.tsv" <<'PY'
import csv, sys
case, truth_path, measured_path = sys.argv[1:]
rows = lambda p: list(csv.DictReader(open(p), delimiter="\t"))
truth = {r["index"]: r for r in rows(truth_path)}
errors, tp, fp, fn = [], 0, 0, 0
for r in rows(measured_path):
    t = truth[r["lesion_id"]]
    errors.append(abs(float(r["delta_chi_ppb"]) - float(t["delta_chi_ppb"])))
    found, real = r["prl"] == "1", t["prl"] == "1"
    tp += found and real; fp += found and not real; fn += real and not found
precision = tp / (tp + fp) if tp + fp else float("nan")
recall = tp / (tp + fn) if tp + fn else float("nan")
print(f"| {case} | {len(errors)} | {sum(errors) / len(errors):.1f} | {max(errors):.1f} | {tp} of {tp + fn} | {fp} | "
      f"{precision:.2f} | {recall:.2f} |")
PY
done

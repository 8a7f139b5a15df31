#!/usr/bin/env bash
# Accuracy, time and peak memory of the default pipeline (`qsmtk run`) on the simulator's cases,
# scored by `qsmtk compare` where both the truth and the reconstruction have brain, as a Markdown
# table for docs/accuracy.md and docs/benchmarks.md.
#   bench/pipeline_accuracy.sh [--size small|default] [--qsmtk BIN] [cases...] [-- qsmtk run options]
set -euo pipefail
size=default
qsmtk="$(cd "$(dirname "$0")/.." && pwd)/build/release/qsmtk"
cases=()
extra=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --size) size=$2; shift 2 ;;
    --qsmtk) qsmtk=$2; shift 2 ;;
    --) shift; extra=("$@"); break ;;
    *) cases+=("$1"); shift ;;
  esac
done
[[ ${#cases[@]} -gt 0 ]] || cases=(std oblique aniso lowsnr 7t)
work=$(mktemp -d "${TMPDIR:-/tmp}/qsmtk-pipeline.XXXXXX")
trap 'rm -rf "$work"' EXIT
py=/usr/bin/python3
echo "| case | NRMSE | HFEN | SSIM | deep GM mean abs error (ppb) | run time | peak memory |"
echo "|---|---|---|---|---|---|---|"
for c in "${cases[@]}"; do
  "$qsmtk" simulate "$work/$c" --case "$c" --size "$size" -q > /dev/null
  "$qsmtk" run "$work/$c" "$work/out-$c" participant -q "${extra[@]}" > /dev/null
  T="$work/$c/derivatives/truth/sub-01/anat/sub-01"
  O="$work/out-$c/sub-01/anat/sub-01"
  "$qsmtk" compare --truth "${T}_Chimap.nii.gz" --test "${O}_Chimap.nii.gz" --mask "${T}_desc-brain_mask.nii.gz" \
    --mask "${O}_desc-brain_mask.nii.gz" --labels "${T}_dseg.nii.gz" --json "$work/$c.json" > /dev/null
  "$py" - "$c" "$work/$c.json" "${O}_Chimap.json" <<'PY'
import json, sys
case, acc, side = sys.argv[1], json.load(open(sys.argv[2])), json.load(open(sys.argv[3]))
dgm = sum(abs(r["error_ppb"]) for r in acc["roi"]) / max(1, len(acc["roi"]))
print(f"| {case} | {acc['nrmse']:.1f}% | {acc['hfen']:.1f}% | {acc['ssim']:.3f} | {dgm:.1f} | "
      f"{side['TimingSeconds']['total']:.1f} s | {side['QsmtkRun']['ProcessPeakMemoryMiB'] / 1024:.2f} GiB |")
PY
done

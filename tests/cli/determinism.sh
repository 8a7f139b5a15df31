#!/usr/bin/env bash
# qsmtk run twice on the same scan with the same thread count (1, then 2) gives bit-identical
# outputs: every image's header and voxel data, every sidecar apart from timings and memory.
source "$(dirname "$0")/lib.sh"
Q="$QSMTK"
"$Q" simulate sim --size small -q > /dev/null

# same A B: fails unless the two output folders hold the same files with the same contents.
same() {
  "$PY" - "$1" "$2" <<'PYEOF'
import json, os, sys
import numpy as np, nibabel as nib
a, b = sys.argv[1], sys.argv[2]
# Measured, not computed: these may differ between identical runs.
volatile = {"TimingSeconds", "ProcessPeakMemoryMiB"}
def strip(j):
    if isinstance(j, dict):
        return {k: strip(v) for k, v in j.items() if k not in volatile}
    if isinstance(j, list):
        return [strip(v) for v in j]
    return j
def files(root):
    return sorted(os.path.relpath(os.path.join(d, f), root) for d, _, fs in os.walk(root) for f in fs
                  if f.endswith((".nii.gz", ".json")))
diffs = []
if files(a) != files(b):
    diffs.append(f"different files: {sorted(set(files(a)) ^ set(files(b)))}")
compared = 0
for f in files(a):
    pa, pb = os.path.join(a, f), os.path.join(b, f)
    if not os.path.exists(pb):
        continue
    compared += 1
    if f.endswith(".json"):
        # A QC report's provenance is the chi sidecar as a JSON string.
        ja, jb = json.load(open(pa)), json.load(open(pb))
        for j in (ja, jb):
            if isinstance(j, dict) and isinstance(j.get("Provenance"), str):
                j["Provenance"] = json.loads(j["Provenance"])
        if strip(ja) != strip(jb):
            diffs.append(f"{f}: sidecar differs")
        continue
    # gzip headers carry times: compare the decompressed header and voxels.
    ia, ib = nib.load(pa), nib.load(pb)
    da, db = np.asarray(ia.dataobj), np.asarray(ib.dataobj)
    if ia.header.binaryblock != ib.header.binaryblock:
        diffs.append(f"{f}: NIfTI header differs")
    elif da.dtype != db.dtype or da.tobytes() != db.tobytes():
        d = np.abs(da.astype(np.float64) - db.astype(np.float64))
        diffs.append(f"{f}: {int((d > 0).sum())} voxels differ, by up to {d.max():.3g}")
if compared < 10:
    diffs.append(f"only {compared} files compared")
for d in diffs:
    print(d, file=sys.stderr)
sys.exit(1 if diffs else 0)
PYEOF
}

# Passive OpenMP waits: spinning threads make --threads 2 several times slower on a loaded
# machine (ctest runs tests in parallel); the wait policy does not change any result.
export OMP_WAIT_POLICY=passive
for t in 1 2; do
  for r in a b; do
    assert_exit 0 "$Q" run sim "out$t$r" participant -q --threads "$t"
  done
  same "out${t}a" "out${t}b" || fail "two runs with --threads $t differ"
done
echo "determinism: ok"

#!/usr/bin/env bash
# Bad inputs (issue 10): every case is refused with one line on stderr naming the file (or option)
# and the problem, exit code 1 or 2 (never a crash signal), and no output left behind (a failed
# scan of `qsmtk run` leaves only its log in OUT/logs/).
source "$(dirname "$0")/lib.sh"
Q="$QSMTK"
"$Q" simulate good --size small --seed 1 -q > /dev/null
G=good/sub-01/anat/sub-01
FAST=(--inversion tkd --bgremove vsharp --no-report -q)

# refused NAME 'TEXT'... -- CMD...: CMD must fail cleanly with one stderr line holding every TEXT.
refused() {
  local name=$1; shift
  local texts=()
  while [[ $1 != -- ]]; do texts+=("$1"); shift; done
  shift
  set +e; "$@" > "$WORK/stdout" 2> "$WORK/stderr"; local rc=$?; set -e
  [[ $rc == 1 || $rc == 2 ]] || { cat "$WORK/stderr" >&2; fail "$name: exit code $rc (1 or 2 expected; >= 128 is a crash)"; }
  [[ $(wc -l < "$WORK/stderr") == 1 ]] || { cat "$WORK/stderr" >&2; fail "$name: not one line on stderr"; }
  local t
  for t in "${texts[@]}"; do grep -qF -- "$t" "$WORK/stderr" || { cat "$WORK/stderr" >&2; fail "$name: stderr lacks '$t'"; }; done
  local left
  left=$(find out -type f ! -path 'out/logs/*' 2>/dev/null || true)
  [[ -z $left ]] || fail "$name: left behind: $left"
  [[ -z $(find . -name '*.tmp-*' -o -name '.qsmtk-write-test-*') ]] || fail "$name: temporary files left"
  echo "ok: $name: $(cut -c1-160 < "$WORK/stderr")"
  rm -rf out
}
# fresh: a clean copy of the good dataset in bad/ (the case then spoils one thing)
fresh() { rm -rf bad out; cp -r good bad; }
B=bad/sub-01/anat/sub-01
run_bad() { "$Q" run bad out participant "${FAST[@]}" "$@"; }
# edit_nifti FILE PYTHON: rewrites FILE with nibabel; the code sees a (float32 data), aff, hdr
edit_nifti() {
  "$PY" - "$1" "$2" <<'PYEOF'
import sys, numpy as np, nibabel as nib
f, code = sys.argv[1], sys.argv[2]
im = nib.load(f); a = np.asarray(im.dataobj, dtype=np.float32); aff = im.affine.copy(); hdr = im.header
env = {"np": np, "a": a, "aff": aff}
exec(code, env)
nib.save(nib.Nifti1Image(env["a"], env["aff"]), f)
PYEOF
}
# edit_header FILE.nii.gz OFFSET FORMAT VALUES...: patches raw NIfTI-1 header fields
edit_header() {
  "$PY" - "$@" <<'PYEOF'
import sys, gzip, struct
f, off, fmt, vals = sys.argv[1], int(sys.argv[2]), sys.argv[3], [int(v) for v in sys.argv[4:]]
d = bytearray(gzip.open(f).read()); struct.pack_into(fmt, d, off, *vals)
gzip.open(f, "wb").write(bytes(d))
PYEOF
}
# edit_sidecars KEY PYTHON-VALUE|del: every sidecar of the bad dataset
edit_sidecars() {
  local f
  for f in bad/sub-01/anat/*.json; do
    "$PY" -c "import json,sys; f=sys.argv[1]; j=json.load(open(f)); v=sys.argv[3]
if v == 'del': j.pop(sys.argv[2], None)
else: j[sys.argv[2]] = eval(v, {'j': j})
json.dump(j, open(f, 'w'))" "$f" "$1" "$2"
  done
}
P2="${B}_echo-2_part-phase_MEGRE.nii.gz"
M2="${B}_echo-2_part-mag_MEGRE.nii.gz"

# --- Broken files
fresh; head -c 30000 "$P2" > cut && mv cut "$P2"
refused "truncated .nii.gz" "$P2" "truncated or corrupt" -- run_bad
fresh; "$PY" -c "import gzip; open('bad/p.nii','wb').write(gzip.open('$P2').read()[:200000])"
refused "truncated .nii" "bad/p.nii" "file is truncated: the header promises" -- "$Q" run out --mag "$M2" --phase bad/p.nii --echo-times 11ms --field-strength 3 "${FAST[@]}"
fresh; edit_header "$P2" 42 '<h' 200   # dim[3] 80 -> 200: the header promises more than the file has
refused "header lies about size" "$P2" "header promises more data" -- run_bad
fresh; edit_header "$P2" 70 '<h' 999
refused "unknown datatype" "$P2" "unknown NIfTI datatype code 999" -- run_bad
fresh; edit_header "$P2" 70 '<h' 1792   # complex128: a real NIfTI type qsmtk does not read
refused "unsupported datatype" "$P2" "unsupported NIfTI datatype COMPLEX128" -- run_bad
fresh; edit_nifti "$P2" "a = a[:, :, 40]"
refused "2-D image" "$P2" "is a 2-D image" -- run_bad
fresh; edit_nifti "$P2" "a = np.repeat(a[..., None, None], 2, axis=4)"
refused "5-D image" "$P2" "is a 5-D image" -- run_bad
# A huge declared size is refused before anything is allocated: beyond any MRI, or beyond memory.
fresh; edit_header "$P2" 42 '<hhh' 30000 30000 30000
refused "huge size (implausible)" "$P2" "implausibly large image" -- run_bad
fresh; edit_header "$P2" 42 '<hhh' 1000 1000 500   # 2 GB of float32 promised by a 1.5 MB file
refused "huge size (memory)" "$P2" "needs about 3.73 GiB of memory, but only 1 GiB are allowed (--memory-limit)" -- \
  run_bad --memory-limit 1

# --- Bad values
for part in phase mag; do
  for value in nan inf; do
    fresh; edit_nifti "${B}_echo-2_part-${part}_MEGRE.nii.gz" "a[48, 56, 40] = np.$value; a[10, 11, 12] = np.$value"
    refused "$value in $part" "${B}_echo-2_part-${part}_MEGRE.nii.gz" "2 voxel value(s) are NaN or Inf (first at voxel 10,11,12)" -- run_bad
  done
done
fresh; for e in 1 2 3 4 5; do edit_nifti "${B}_echo-${e}_part-mag_MEGRE.nii.gz" "a[:] = 0"; done
refused "all-zero magnitude" "${B}_echo-1_part-mag_MEGRE.nii.gz" "magnitude is zero (or negative) everywhere" -- run_bad
fresh; "$PY" -c "import nibabel as nib, numpy as np; im = nib.load('$M2'); nib.save(nib.Nifti1Image(np.zeros(im.shape, np.uint8), im.affine), 'empty_mask.nii.gz')"
refused "empty mask" "empty_mask.nii.gz" "the mask is empty" -- run_bad --mask empty_mask.nii.gz

# --- Files that do not belong together
fresh; edit_nifti "$P2" "a = a[:, :, :70]"
refused "grid mismatch" "$M2" "$P2" "do not match: 96x112x80 at 2x2x2 mm vs 96x112x70" -- run_bad
fresh; edit_nifti "$P2" "aff[0, 3] += 10"
refused "affine mismatch" "$M2" "$P2" "(affines differ)" -- run_bad
fresh; rm "${B}_echo-5_part-phase_MEGRE.nii.gz" "${B}_echo-5_part-phase_MEGRE.json"
refused "echo count mismatch (BIDS)" "${B}_echo-5_part-mag_MEGRE.nii.gz" "echo 5 needs part-mag and part-phase" -- run_bad
fresh
refused "echo count mismatch (files)" "5 magnitude files but 4 phase files" -- \
  "$Q" run out --mag "$B"_echo-{1,2,3,4,5}_part-mag_MEGRE.nii.gz --phase "$B"_echo-{1,2,3,4}_part-phase_MEGRE.nii.gz "${FAST[@]}"
refused "echo times count" "--echo-times" "5 echoes but 4 echo times" -- run_bad --echo-times 5,11,17,23ms

# --- Echo times and field strength
fresh; edit_sidecars EchoTime del
refused "missing EchoTime" "${B}_echo-1_part-phase_MEGRE.nii.gz" "no EchoTime in its sidecar" -- run_bad
fresh; edit_sidecars EchoTime "'five'"
refused "non-numeric EchoTime" "${B}_echo-1_part-phase_MEGRE.nii.gz" "EchoTime is not a number" -- run_bad
fresh; edit_sidecars EchoTime "j['EchoTime'] * 1000"
refused "EchoTime in ms" "${B}_echo-1_part-mag_MEGRE.nii.gz" "echo time 5 s is implausible" "given in ms where seconds are expected" -- run_bad
refused "--echo-times in s marked ms" "--echo-times" "echo time 5e-06 s is implausibly short" "given in seconds where ms are expected" -- \
  run_bad --echo-times 0.005,0.011,0.017,0.023,0.029ms
refused "--echo-times in ms marked s" "--echo-times" "echo time 5 s is implausible" -- run_bad --echo-times 5,11,17,23,29s
refused "--echo-times ambiguous" "--echo-times" "unclear whether in ms or s" -- run_bad --echo-times 0.5,11
fresh; edit_sidecars MagneticFieldStrength del; edit_sidecars ImagingFrequency del
refused "field strength missing" "${B}_echo-1_part-mag_MEGRE.nii.gz" "no MagneticFieldStrength in its sidecar; give --field-strength" -- run_bad
fresh; edit_sidecars MagneticFieldStrength 3000; edit_sidecars ImagingFrequency del
refused "field strength absurd" "${B}_echo-1_part-mag_MEGRE.nii.gz" "field strength 3000 T is implausible" -- run_bad
fresh; edit_sidecars ImagingFrequency 63.9
refused "field strength and frequency disagree" "MagneticFieldStrength 3 T and ImagingFrequency 63.9 MHz disagree" -- run_bad
refused "--field-strength absurd" "--field-strength" -- run_bad --field-strength 30

# --- Output folders
fresh
refused "output folder is the input folder" "bad: the output folder is the input folder" -- "$Q" run bad bad participant "${FAST[@]}"
refused "output folder holds the input files" "bad/sub-01/anat: the output folder holds the input bad/sub-01/anat/sub-01_echo-2_part-mag_MEGRE.nii.gz" -- \
  "$Q" fieldmap bad/sub-01/anat --mag "$M2" --phase "$P2" --echo-times 11ms --field-strength 3 -q
refused "output file is an input" "this output would overwrite the input" -- \
  "$Q" invert --field "$P2" --mask "$M2" --out "$P2"
touch afile
refused "output folder is a file" "afile: exists and is not a folder" -- "$Q" run bad afile participant "${FAST[@]}"
# Read-only and unreadable folders: root ignores permissions, so run as 'nobody' when root.
as_user=()
if [[ $(id -u) == 0 ]]; then
  if command -v setpriv > /dev/null &&
     setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$Q" 2> /dev/null; then
    as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups)
    chmod 755 "$WORK"; chmod -R a+rX "$WORK"
  else
    echo "skipped: read-only folder cases (root, and 'nobody' cannot run $Q)"
    as_user=(skip)
  fi
fi
if [[ ${as_user[0]-} != skip ]]; then
  mkdir ro unreadable; chmod 555 ro; chmod 000 unreadable
  refused "read-only output folder" "ro: the output folder is not writable" -- "${as_user[@]}" "$Q" run bad ro participant "${FAST[@]}"
  refused "output folder in a read-only folder" "ro/out (to be created in ro): the output folder is not writable" -- \
    "${as_user[@]}" "$Q" run bad ro/out participant "${FAST[@]}"
  refused "unreadable output folder" "unreadable: the output folder is not readable" -- \
    "${as_user[@]}" "$Q" run bad unreadable participant "${FAST[@]}"
  chmod 755 unreadable
fi
# A file system that takes no files at all, whoever runs.
if [[ -d /sys/kernel ]] && ! mkdir /sys/qsmtk-test 2> /dev/null; then
  refused "output folder on a read-only file system" "/sys/qsmtk/out (to be created in /sys)" "not writable" -- \
    "$Q" run bad /sys/qsmtk/out participant "${FAST[@]}"
fi

# --- Memory: a job that cannot fit is refused up front with the estimate.
fresh
refused "memory guard" "sub-01" "needs about" "of memory, but only 0.05 GiB are allowed (--memory-limit)" -- run_bad --memory-limit 0.05
# The simulator's fine grid grows with the cube of --supersampling: refused before any work.
refused "simulation memory guard" "the simulation (96x112x80 at 2x2x2 mm, 5 echoes, supersampled x4)" \
  "of memory, but only 0.2 GiB are allowed (--memory-limit)" -- \
  "$Q" simulate out --size small --supersampling 4 --memory-limit 0.2
refused "demo memory guard" "the simulation (" "of memory, but only 0.2 GiB are allowed" -- \
  "$Q" demo out --size small --memory-limit 0.2

# The good dataset still runs (the checks refuse nothing valid).
assert_exit 0 "$Q" run good out participant "${FAST[@]}"
assert_file out/sub-01/anat/sub-01_Chimap.nii.gz
# ... and the memory estimate the guard used was not below the peak it measured.
peak=$(json_get out/sub-01/anat/sub-01_Chimap.json 'j["QsmtkRun"]["ProcessPeakMemoryMiB"]')
estimate=$(json_get out/sub-01/anat/sub-01_Chimap.json 'j["QsmtkRun"]["EstimatedPeakMemoryMiB"]')
echo "peak memory $peak MiB, estimated $estimate MiB"
if [[ ${QSMTK_SANITIZED:-OFF} == ON ]]; then
  echo "(peak not compared: AddressSanitizer's shadow memory and quarantine are not in the estimate)"
else
  assert_py "$peak <= $estimate < 2 * $peak"
fi
echo ok

#!/usr/bin/env bash
# Bad command lines and bad files: one clear message, a non-zero exit, no crash, no output left.
source "$(dirname "$0")/lib.sh"
assert_exit 2 "$QSMTK" simulate
assert_stderr_has "OUT_DIR is required"
assert_exit 2 "$QSMTK" simulate out --case 9t
assert_stderr_has "--case"
assert_exit 2 "$QSMTK" frobnicate
assert_exit 2 "$QSMTK" simulate out --snr -3
[[ ! -e out ]] || fail "a refused command created its output folder"
echo "not an image" > text.nii
assert_exit 1 "$QSMTK" info text.nii
assert_stderr_has "qsmtk info: error: text.nii: not a valid NIfTI-1 or NIfTI-2 file"
printf 'x' > empty.nii.gz
assert_exit 1 "$QSMTK" info empty.nii.gz
assert_stderr_has "empty.nii.gz"
assert_exit 2 "$QSMTK" compare --truth missing.nii.gz --test missing.nii.gz --mask missing.nii.gz
assert_stderr_has "missing.nii.gz"
assert_exit 1 "$QSMTK" simulate out2 --echo-times-ms 5,abc
assert_stderr_has "'abc' is not a number"
assert_exit 1 "$QSMTK" simulate out3 --echo-times-ms 0.005,0.011
assert_stderr_has "is not an echo time in ms"
# Every command documents its options with units and defaults.
for c in simulate compare demo info; do
  "$QSMTK" $c --help > help.txt
  grep -q -- "--threads" help.txt || fail "$c --help lacks the common options"
done
"$QSMTK" simulate --help > help.txt   # (a file: grep -q on a pipe would cut a long help short with SIGPIPE)
grep -q "ppm" help.txt || fail "simulate --help lacks units"
"$QSMTK" --version | grep -q "qsmtk 0." || fail "--version"
echo ok

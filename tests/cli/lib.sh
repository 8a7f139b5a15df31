# Shared helpers for the command-line tests. Each test is a short bash script run by ctest with
# QSMTK (the binary) and SOURCE_DIR set; it works in a fresh temporary folder.
set -euo pipefail
: "${QSMTK:?QSMTK must point at the qsmtk binary}"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/qsmtk-cli.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
PY=/usr/bin/python3  # Debian's python3 (stdlib only here)

fail() { echo "FAIL: $*" >&2; exit 1; }
assert_file() { local f; for f in "$@"; do [[ -s "$f" ]] || fail "missing or empty: $f"; done; }
# assert_exit CODE CMD... : runs CMD, checks its exit code, keeps stderr in $WORK/stderr
assert_exit() {
  local want=$1; shift
  set +e; "$@" >"$WORK/stdout" 2>"$WORK/stderr"; local got=$?; set -e
  [[ $got == "$want" ]] || { cat "$WORK/stderr" >&2; fail "exit code $got, expected $want: $*"; }
}
assert_stderr_has() { grep -qF -- "$1" "$WORK/stderr" || { cat "$WORK/stderr" >&2; fail "stderr lacks: $1"; }; }
assert_stdout_has() { grep -qF -- "$1" "$WORK/stdout" || { cat "$WORK/stdout" >&2; fail "stdout lacks: $1"; }; }
# json_get FILE EXPR : prints a Python expression evaluated on the parsed JSON as `j`
json_get() { "$PY" -c "import json,sys; j=json.load(open(sys.argv[1])); print($2)" "$1"; }
# assert_py EXPR : fails unless the Python expression is true
assert_py() { "$PY" -c "import sys; sys.exit(0 if ($1) else 1)" || fail "not true: $1"; }
# nii_py FILE... EXPR : evaluates a Python expression with numpy as np and the images loaded
# as a, b, c, ... (nibabel, float arrays); prints the result. inner(m): m > 0 without its
# outermost voxel layer (6-neighbour erosion).
nii_py() {
  local expr="${@: -1}"
  "$PY" - "$@" <<'PYEOF'
import sys, numpy as np, nibabel as nib
files, expr = sys.argv[1:-1], sys.argv[-1]
def inner(m):
    m = m > 0
    out = m.copy()
    for axis in range(3):
        for shift in (1, -1):
            out &= np.roll(m, shift, axis=axis)
    return out
env = {"np": np, "inner": inner}
for name, f in zip("abcdefgh", files):
    env[name] = np.asarray(nib.load(f).dataobj, dtype=np.float64)
print(eval(expr, env))
PYEOF
}

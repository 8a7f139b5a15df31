#!/usr/bin/env bash
# The Python module (python/): every function against the command line on the small phantom,
# layouts, copies, errors, the GIL and threads (tests/python/test_qsmtk.py, Debian's python3).
source "$(dirname "$0")/lib.sh"
# The sanitizer build has no module: an ASan-instrumented one loads only into a python started
# with LD_PRELOAD of libasan.
if [[ "${QSMTK_SANITIZED:-OFF}" == ON ]]; then
  echo "SKIP: the Python module is not built in the sanitizer build (it would need python run with LD_PRELOAD of libasan)"
  exit 77
fi
# The module's folder: from ctest (QSMTK_PYTHONPATH), else next to the binary (<build>/python).
module_dir="${QSMTK_PYTHONPATH:-$(dirname "$QSMTK")/python}"
if ! compgen -G "$module_dir/qsmtk*.so" >/dev/null; then
  echo "SKIP: the Python module is not built (QSMTK_BUILD_PYTHON; needs pybind11-dev and python3-dev)"
  exit 77
fi
PYTHONPATH="$module_dir" QSMTK_TEST_WORK="$WORK" "$PY" "$SOURCE_DIR/tests/python/test_qsmtk.py" 2>&1
echo ok

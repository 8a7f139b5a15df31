#!/usr/bin/env bash
# The input parsers (NIfTI, JSON sidecars, BIDS discovery) under libFuzzer, ASan and UBSan for
# about 10 s each, after replaying every saved crash input (scripts/fuzz, docs/fuzzing.md).
# Builds build/fuzz in the source tree with clang when needed (about a minute on 2 cores).
# Skipped (77) when clang or libFuzzer is missing.
source "$(dirname "$0")/lib.sh"
: "${SOURCE_DIR:?}"
set +e
"$SOURCE_DIR/scripts/fuzz" --seconds "${QSMTK_FUZZ_SECONDS:-10}" --skip-exit-code 77
status=$?
set -e
exit "$status"

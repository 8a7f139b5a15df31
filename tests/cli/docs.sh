#!/usr/bin/env bash
# docs/commands.md is generated from the command declarations and must be current.
source "$(dirname "$0")/lib.sh"
: "${SOURCE_DIR:?}"
"$QSMTK" --help-markdown > commands.md
diff -u "$SOURCE_DIR/docs/commands.md" commands.md > diff.txt || { cat diff.txt >&2; fail "docs/commands.md is stale: run scripts/update-docs"; }
echo ok

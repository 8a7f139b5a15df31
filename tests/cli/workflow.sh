#!/usr/bin/env bash
# The Snakemake workflow on two simulated participants (one with two sessions), --cores 2: every
# scan processed once, a second invocation has nothing to do.
source "$(dirname "$0")/lib.sh"
if ! command -v snakemake >/dev/null; then
  echo "SKIPPED: snakemake not installed (scripts/setup-deps --test installs it)"
  exit 77
fi
: "${SOURCE_DIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
"$QSMTK" simulate bids --size small --subject 01 --session a --seed 1 -q > /dev/null
"$QSMTK" simulate bids --size small --subject 01 --session b --seed 2 -q > /dev/null
"$QSMTK" simulate bids --size small --subject 02 --seed 3 -q > /dev/null
run_workflow() {
  snakemake -s "$SOURCE_DIR/workflow/Snakefile" --directory "$WORK" --cores 2 --quiet \
    --config bids="$WORK/bids" out="$WORK/out" qsmtk="$QSMTK" threads=1 args="--preset fast" > sm.txt 2>&1 ||
    { cat sm.txt >&2; fail "snakemake failed"; }
}
run_workflow
for chi in out/sub-01/ses-a/anat/sub-01_ses-a_Chimap out/sub-01/ses-b/anat/sub-01_ses-b_Chimap out/sub-02/anat/sub-02_Chimap; do
  assert_file "$chi.nii.gz" "$chi.json"
  [[ $(json_get "$chi.json" 'j["Preset"]') == fast ]] || fail "args not passed: $chi"
done
[[ -e out/logs/snakemake/sub-01_ses-a.done && -e out/logs/snakemake/sub-02_ses-none.done ]] || fail "job markers"
[[ $(json_get out/dataset_description.json 'j["DatasetType"]') == derivative ]] || fail "derivative dataset"
run_workflow
grep -q "Nothing to be done" sm.txt || { cat sm.txt >&2; fail "second invocation did work"; }
echo ok

#!/usr/bin/env bash
# Real scanner data (../shared/data, or $QSMTK_REAL_DATA): NIfTI reading of an in-vivo patch.
source "$(dirname "$0")/lib.sh"
if [[ -z "${QSMTK_REAL_DATA:-}" || ! -d "${QSMTK_REAL_DATA}/romeo-small-invivo" ]]; then
  echo "SKIPPED: real scanner data not found (set QSMTK_REAL_DATA)"
  exit 77
fi
R="$QSMTK_REAL_DATA/romeo-small-invivo"
"$QSMTK" info --json "$R/Phase.nii" > phase.json
"$QSMTK" info --json "$R/Mag.nii" > mag.json
[[ "$(json_get phase.json 'j["dims"]')" == "[51, 51, 41]" ]] || fail "dims"
[[ "$(json_get phase.json 'j["frames"]')" == 3 ]] || fail "3 echoes"
assert_py "abs($(json_get phase.json 'j["voxel_size_mm"][0]') - 0.469) < 0.001"
assert_py "abs($(json_get phase.json 'j["voxel_size_mm"][2]') - 1.0) < 0.001"
# The phase is stored in a tiny float range (+-0.00367, data README); magnitude is positive.
assert_py "0.003 < $(json_get phase.json 'j["max"]') < 0.004"
assert_py "$(json_get mag.json 'j["min"]') >= 0"
[[ "$(json_get phase.json 'j["affine"]')" == "$(json_get mag.json 'j["affine"]')" ]] || fail "mag/phase affines"
"$QSMTK" info --json "$R/phase_with_nan.nii" > nan.json
[[ "$(json_get nan.json 'j["nonfinite_voxels"]')" == 1280 ]] || fail "1280 NaNs"
echo ok

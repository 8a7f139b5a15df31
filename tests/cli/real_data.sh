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

# DICOM folders through dcm2niix into field maps (unsorted Siemens, gzipped Philips).
if command -v dcm2niix >/dev/null; then
  "$QSMTK" fieldmap sie --dicom "$QSMTK_REAL_DATA/siemens-6echo-phantom-dicom" -q > sie.txt
  S=$(ls sie/sub-01/anat/*_desc-total_fieldmap.json)
  assert_py "'$(json_get $S 'j["Provenance"]["dcm2niix"]')'.startswith('v1')"
  [[ $(json_get $S 'j["Provenance"]["PhaseScaling"]["Units"]') == siemens12 ]] || fail "Siemens scaling"
  [[ $(json_get $S 'j["ImagingFrequency"]') == 123.259 ]] || fail "imaging frequency"
  "$QSMTK" fieldmap phi --dicom "$QSMTK_REAL_DATA/philips-2echo-brain-dicom/classic" -q > phi.txt
  assert_file $(ls phi/sub-01/anat/*_desc-total_fieldmap.nii.gz)
  [[ -z $(ls -A phi | grep qsmtk-dicom) ]] || fail "the DICOM working folder was left behind"
  # qsmtk run --dicom: the whole pipeline, and a total field that agrees with the field each pair
  # of consecutive echoes gives on its own (unwrapped phase from the same route; the pair
  # estimate is wrapped to its own range, so compare modulo 1/dTE).
  for set in siemens-6echo-phantom-dicom philips-2echo-brain-dicom/classic; do
    name=$(basename "$(dirname "$set/x")" | tr '/' '-')
    assert_exit 0 "$QSMTK" run --dicom "$QSMTK_REAL_DATA/$set" "run-$name" --preset fast -q
    C=$(ls run-$name/sub-*/anat/*_Chimap.nii.gz)
    assert_file "$C" "${C%.nii.gz}.json"
    assert_py "$(nii_py "$C" 'int(np.isfinite(a).all())') == 1"
    "$QSMTK" fieldmap "fm-$name" --dicom "$QSMTK_REAL_DATA/$set" --save-unwrapped -q > /dev/null
    U=$(ls fm-$name/sub-*/anat/*_desc-unwrapped_phase.nii.gz)
    F=$(ls run-$name/sub-*/anat/*_desc-total_fieldmap.nii.gz)
    M=$(ls run-$name/sub-*/anat/*_desc-brain_mask.nii.gz)
    tes=$(json_get "${F%.nii.gz}.json" '",".join(str(t) for t in j["EchoTime"])')
    worst=$(nii_py "$U" "$F" "$M" "(lambda te, m: max(float(np.median(np.abs(np.angle(np.exp(1j*((a[...,k+1]-a[...,k])[m] - 2*np.pi*b[m]*(te[k+1]-te[k]))))))) for k in range(a.shape[3]-1)))([$tes], inner(c))")
    # Median disagreement of every echo pair with the fitted field: under 0.2 rad of phase.
    assert_py "$worst < 0.2"
    echo "  $set: echo-pair phase disagreement with the fitted field, median $worst rad"
  done
  # A DICOM folder's outputs are up to date until a file of the folder changes.
  cp -r "$QSMTK_REAL_DATA/siemens-6echo-phantom-dicom" dcm
  assert_exit 0 "$QSMTK" run --dicom dcm again --preset fast -q
  assert_exit 0 "$QSMTK" run --dicom dcm again --preset fast -q
  assert_stdout_has "skipped"
  touch "$(find dcm -type f | head -1)"
  assert_exit 0 "$QSMTK" run --dicom dcm again --preset fast -q
  assert_stdout_has "done"
else
  echo "dcm2niix not installed: DICOM part skipped"
fi
echo ok

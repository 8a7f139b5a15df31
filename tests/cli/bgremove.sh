#!/usr/bin/env bash
# qsmtk bgremove on the small oblique phantom's true total field: every method runs, writes the
# local field (Hz) and its valid mask with a sidecar, and is close to the true local field;
# the noise map and the B0 override are used; bad input is refused with a clear message.
source "$(dirname "$0")/lib.sh"
"$QSMTK" simulate sim --size small --case oblique -q > /dev/null
T=sim/derivatives/truth/sub-01/anat/sub-01
# Bounds from docs/accuracy.md (small oblique phantom, true total field), with margin.
declare -A bound=([sharp]=16 [vsharp]=55 [resharp]=20 [pdf]=55 [lbv]=95 [ismv]=55)
for m in sharp vsharp resharp pdf lbv ismv; do
  "$QSMTK" bgremove --field ${T}_desc-total_fieldmap.nii.gz --mask ${T}_desc-brain_mask.nii.gz --method $m \
    --out out/$m/sub-01_desc-local_fieldmap.nii.gz -q > /dev/null
  L=out/$m/sub-01
  assert_file ${L}_desc-local_fieldmap.nii.gz ${L}_desc-local_fieldmap.json ${L}_desc-localvalid_mask.nii.gz
  [[ $(json_get ${L}_desc-local_fieldmap.json 'j["Units"]') == Hz ]] || fail "$m units"
  [[ $(json_get ${L}_desc-local_fieldmap.json 'j["BackgroundRemoval"]["Method"]') == $m ]] || fail "$m in sidecar"
  nrmse=$("$QSMTK" compare --truth ${T}_desc-local_fieldmap.nii.gz --test ${L}_desc-local_fieldmap.nii.gz \
    --mask ${L}_desc-localvalid_mask.nii.gz --json $m.json -q > /dev/null && json_get $m.json 'j["nrmse"]')
  assert_py "$nrmse < ${bound[$m]}"
done
# The valid masks: PDF keeps the mask, SHARP (9 mm) keeps less than RESHARP (6 mm).
n() { nii_py "$1" 'int(np.sum(a > 0))'; }
[[ $(n out/pdf/sub-01_desc-localvalid_mask.nii.gz) == $(n ${T}_desc-brain_mask.nii.gz) ]] || fail "PDF mask"
assert_py "$(n out/sharp/sub-01_desc-localvalid_mask.nii.gz) < $(n out/resharp/sub-01_desc-localvalid_mask.nii.gz)"
[[ $(json_get out/sharp/sub-01_desc-local_fieldmap.json 'j["BackgroundRemoval"]["RadiusMm"]') == 9.0 ]] || fail "radius"

# Options reach the method and the sidecar; a plain output name gets <stem>_mask.nii.gz.
"$QSMTK" bgremove --field ${T}_desc-total_fieldmap.nii.gz --mask ${T}_desc-brain_mask.nii.gz --method resharp \
  --bg-radius 4 --bg-lambda 1e-3 --out r4.nii.gz -q > /dev/null
assert_file r4_mask.nii.gz
[[ $(json_get r4.json 'j["BackgroundRemoval"]["RadiusMm"]') == 4.0 ]] || fail "--bg-radius"
[[ $(json_get r4.json 'j["BackgroundRemoval"]["Lambda"]') == 0.001 ]] || fail "--bg-lambda"

# The field map's noise weights PDF; --b0-dir overrides the affine and is recorded.
"$QSMTK" fieldmap fm --bids sim -q > /dev/null
F=fm/sub-01/anat/sub-01
"$QSMTK" bgremove --field ${F}_desc-total_fieldmap.nii.gz --mask ${F}_desc-brain_mask.nii.gz \
  --noise ${F}_desc-totalnoise_fieldmap.nii.gz --out w.nii.gz -q > /dev/null
[[ $(json_get w.json 'j["Inputs"]["Noise"]') == ${F}_desc-totalnoise_fieldmap.nii.gz ]] || fail "noise input"
[[ $(json_get w.json 'len(j["EchoTime"])') == 5 ]] || fail "field sidecar metadata carried over"
"$QSMTK" bgremove --field ${F}_desc-total_fieldmap.nii.gz --mask ${F}_desc-brain_mask.nii.gz --b0-dir 0,0,2 \
  --out b.nii.gz -q > /dev/null
[[ $(json_get b.json 'j["B0Direction"]') == "[0.0, 0.0, 1.0]" ]] || fail "--b0-dir"
[[ $(json_get b.json 'j["B0DirectionSource"]') == "--b0-dir" ]] || fail "--b0-dir source"

# Bad input: a mask on another grid, a 4-D field, a bad B0 vector; nothing written.
"$QSMTK" simulate other --size small --case aniso -q > /dev/null
assert_exit 1 "$QSMTK" bgremove --field ${T}_desc-total_fieldmap.nii.gz \
  --mask other/derivatives/truth/sub-01/anat/sub-01_desc-brain_mask.nii.gz --out bad1.nii.gz
assert_stderr_has "is not on the grid of"
"$PY" -c "import nibabel as nib, numpy as np, sys; i = nib.load(sys.argv[1]); a = np.asarray(i.dataobj)
nib.save(nib.Nifti1Image(np.stack([a, a], -1), i.affine), 'four_d.nii.gz')" ${T}_desc-total_fieldmap.nii.gz
assert_exit 1 "$QSMTK" bgremove --field four_d.nii.gz --mask ${T}_desc-brain_mask.nii.gz --out bad2.nii.gz
assert_stderr_has "a 3-D field map is needed"
assert_exit 1 "$QSMTK" bgremove --field ${T}_desc-total_fieldmap.nii.gz --mask ${T}_desc-brain_mask.nii.gz \
  --b0-dir 0,0 --out bad3.nii.gz
assert_stderr_has "--b0-dir needs three numbers"
[[ ! -e bad1.nii.gz && ! -e bad2.nii.gz && ! -e bad3.nii.gz ]] || fail "output left after an error"
echo ok

#!/usr/bin/env bash
# qsmtk chisep on the small std phantom from the true local field: with the true R2' (built from
# the para/dia truth, R2' = 137 (para - dia)) and in the R2*-only mode; outputs, units, signs,
# sidecar parameters, and bad input refused.
source "$(dirname "$0")/lib.sh"
"$QSMTK" simulate sim --size small -q > /dev/null
T=sim/derivatives/truth/sub-01/anat/sub-01
"$PY" -c "import nibabel as nib, numpy as np, sys; p, d = (nib.load(f) for f in sys.argv[1:3])
nib.save(nib.Nifti1Image((137.0 * (p.get_fdata() - d.get_fdata())).astype(np.float32), p.affine), 'r2p.nii.gz')" \
  ${T}_desc-paramagnetic_Chimap.nii.gz ${T}_desc-diamagnetic_Chimap.nii.gz

"$QSMTK" chisep --field ${T}_desc-local_fieldmap.nii.gz --mask ${T}_desc-brain_mask.nii.gz --field-strength 3 \
  --r2star ${T}_R2starmap.nii.gz --r2prime r2p.nii.gz --out-para out/para.nii.gz --out-dia out/dia.nii.gz -q > /dev/null
assert_file out/para.nii.gz out/dia.nii.gz out/para.json out/dia.json
for f in out/para.json out/dia.json; do
  [[ $(json_get $f 'j["Units"]') == ppm ]] || fail "units of $f"
  [[ $(json_get $f 'j["ChiSeparation"]["R2PrimeSource"]') == r2prime ]] || fail "R2' source in $f"
  assert_py "abs($(json_get $f 'j["ChiSeparation"]["DrHzPerPpm"]') - 137) < 1e-9"
done
assert_py "$(nii_py out/para.nii.gz 'a.min()') >= 0"
assert_py "$(nii_py out/dia.nii.gz 'a.max()') <= 0"
# Mean over the brain interior near the truth for each part (1.8 ppb worst when written).
err=$(nii_py out/para.nii.gz out/dia.nii.gz ${T}_desc-paramagnetic_Chimap.nii.gz ${T}_desc-diamagnetic_Chimap.nii.gz \
  ${T}_desc-brain_mask.nii.gz 'max(abs((a - c)[inner(e)].mean()), abs((b - d)[inner(e)].mean())) * 1000')
echo "worst brain-mean error: $err ppb"
assert_py "$err < 5"

# R2*-only mode: the source and the warning in the sidecar, signs.
"$QSMTK" chisep --field ${T}_desc-local_fieldmap.nii.gz --mask ${T}_desc-brain_mask.nii.gz --field-strength 3 \
  --r2star ${T}_R2starmap.nii.gz --max-iterations 20 --out-para p2.nii.gz --out-dia d2.nii.gz -q > /dev/null
[[ $(json_get p2.json 'j["ChiSeparation"]["R2PrimeSource"]') == r2star-only ]] || fail "R2*-only source"
json_get p2.json 'j["ChiSeparation"]["Warning"]' | grep -q "biased" || fail "R2*-only warning"
assert_py "$(nii_py p2.nii.gz d2.nii.gz 'min(a.min(), -b.max())') >= 0"

# Bad input: both R2 and R2', no field strength.
assert_exit 2 "$QSMTK" chisep --field ${T}_desc-local_fieldmap.nii.gz --mask ${T}_desc-brain_mask.nii.gz \
  --field-strength 3 --r2star ${T}_R2starmap.nii.gz --r2 r2p.nii.gz --r2prime r2p.nii.gz --out-para b1.nii.gz --out-dia b2.nii.gz
assert_stderr_has "excludes"
assert_exit 1 "$QSMTK" chisep --field ${T}_desc-local_fieldmap.nii.gz --mask ${T}_desc-brain_mask.nii.gz \
  --r2star ${T}_R2starmap.nii.gz --out-para b1.nii.gz --out-dia b2.nii.gz
assert_stderr_has "no field strength"
[[ ! -e b1.nii.gz && ! -e b2.nii.gz ]] || fail "output left after an error"
echo ok

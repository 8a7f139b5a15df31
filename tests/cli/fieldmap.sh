#!/usr/bin/env bash
# qsmtk fieldmap on a simulated BIDS cohort: outputs, units, accuracy against the truth, the
# plain-file form giving the same result, a broken scan failing alone, clear errors.
source "$(dirname "$0")/lib.sh"
"$QSMTK" simulate data --size small --subject 01 -q >/dev/null
"$QSMTK" simulate data --size small --subject 02 --seed 2 --case oblique -q >/dev/null
set +e; "$QSMTK" fieldmap out --bids data --swi -q > run.txt 2> err.txt; rc=$?; set -e
[[ $rc == 0 ]] || { cat err.txt; fail "fieldmap exit $rc"; }
for s in 01 02; do
  P=out/sub-$s/anat/sub-$s
  assert_file ${P}_desc-total_fieldmap.nii.gz ${P}_desc-totalnoise_fieldmap.nii.gz ${P}_desc-brain_mask.nii.gz \
    ${P}_R2starmap.nii.gz ${P}_T2starmap.nii.gz ${P}_S0map.nii.gz ${P}_swi.nii.gz ${P}_desc-minip_swi.nii.gz
  [[ $(json_get ${P}_desc-total_fieldmap.json 'j["Units"]') == Hz ]] || fail "units"
  [[ $(json_get ${P}_desc-total_fieldmap.json 'j["Methods"]["Unwrap"]["Method"]') == romeo ]] || fail "method"
  [[ $(json_get ${P}_desc-total_fieldmap.json 'len(j["EchoTime"])') == 5 ]] || fail "echo times"
  [[ $(json_get ${P}_desc-total_fieldmap.json 'j["Provenance"]["PhaseScaling"]["Units"]') == radians ]] || fail "phase"
  T=data/derivatives/truth/sub-$s/anat/sub-$s
  # Field within a few tenths of a Hz of the truth in the (true) brain; the outermost voxel layer,
  # partial volume with bone and air at 2 mm, may carry a wrong 2 pi, but few voxels do.
  rms=$(nii_py ${P}_desc-total_fieldmap.nii.gz ${T}_desc-total_fieldmap.nii.gz ${T}_desc-brain_mask.nii.gz ${P}_desc-brain_mask.nii.gz \
    'float(np.sqrt(np.mean(((a-b)[(c>0)&inner(d)] - np.mean((a-b)[(c>0)&inner(d)]))**2)))')
  assert_py "$rms < 0.5"
  wrong=$(nii_py ${P}_desc-total_fieldmap.nii.gz ${T}_desc-total_fieldmap.nii.gz ${T}_desc-brain_mask.nii.gz ${P}_desc-brain_mask.nii.gz \
    'float(np.mean(np.abs((a-b-np.median((a-b)[(c>0)&(d>0)]))[(c>0)&(d>0)]) > 5))')
  assert_py "$wrong < 0.001"
  dice=$(nii_py ${P}_desc-brain_mask.nii.gz ${T}_desc-brain_mask.nii.gz '2*float(((a>0)&(b>0)).sum())/float((a>0).sum()+(b>0).sum())')
  assert_py "$dice > 0.9"  # 2 mm voxels; the 1 mm default phantom reaches 0.989 (unit test)
  wm=$(nii_py ${P}_R2starmap.nii.gz ${T}_R2starmap.nii.gz ${T}_desc-tissue_dseg.nii.gz ${P}_desc-brain_mask.nii.gz \
    'float(a[(c==3)&(d>0)].mean()/b[(c==3)&(d>0)].mean())')
  assert_py "abs($wm - 1) < 0.05"
done
[[ $(json_get out/dataset_description.json 'j["DatasetType"]') == derivative ]] || fail "derivative dataset"

# The plain-file form on the same data gives the same field map.
A=data/sub-01/anat/sub-01
"$QSMTK" fieldmap plain --mag ${A}_echo-{1,2,3,4,5}_part-mag_MEGRE.nii.gz --phase ${A}_echo-{1,2,3,4,5}_part-phase_MEGRE.nii.gz \
  --echo-times 5,11,17,23,29ms --field-strength 3 -q > /dev/null
same=$(nii_py plain/sub-01/anat/sub-01_desc-total_fieldmap.nii.gz out/sub-01/anat/sub-01_desc-total_fieldmap.nii.gz 'float(np.abs(a-b).max())')
assert_py "$same < 1e-4"

# One echo: works, and the sidecar says the offset could not be removed.
"$QSMTK" fieldmap one --mag ${A}_echo-2_part-mag_MEGRE.nii.gz --phase ${A}_echo-2_part-phase_MEGRE.nii.gz \
  --echo-times 11ms --field-strength 3 -q > /dev/null 2> one.txt
json_get one/sub-01/anat/sub-01_desc-total_fieldmap.json 'j["Warnings"][0]' | grep -q "one echo" || fail "one-echo warning"

# Stage commands.
"$QSMTK" mask --mag ${A}_echo-{1,2,3,4,5}_part-mag_MEGRE.nii.gz --echo-times 5,11,17,23,29ms --out m.nii.gz -q > /dev/null
# fieldmap's mask is the mask command's, less the edge voxels with unreliable phase (a few %).
extra=$(nii_py m.nii.gz out/sub-01/anat/sub-01_desc-brain_mask.nii.gz 'int(np.sum((b > 0) & (a == 0)))')
[[ $extra == 0 ]] || fail "fieldmap's mask has voxels the mask command's lacks"
assert_py "$(nii_py m.nii.gz out/sub-01/anat/sub-01_desc-brain_mask.nii.gz 'float(np.sum(b > 0) / np.sum(a > 0))') > 0.95"
"$QSMTK" r2star --mag ${A}_echo-{1,2,3,4,5}_part-mag_MEGRE.nii.gz --echo-times 0.005,0.011,0.017,0.023,0.029s \
  --mask m.nii.gz --method nonlinear --out-prefix r -q > /dev/null
assert_file r_R2starmap.nii.gz r_T2starmap.nii.gz r_S0map.nii.gz
"$QSMTK" unwrap --mag ${A}_echo-{1,2,3,4,5}_part-mag_MEGRE.nii.gz --phase ${A}_echo-{1,2,3,4,5}_part-phase_MEGRE.nii.gz \
  --echo-times 5,11,17,23,29ms --field-strength 3 --mask m.nii.gz --out u.nii.gz -q > /dev/null
[[ $(nii_py u.nii.gz 'a.shape[3]') == 5 ]] || fail "unwrapped echoes"
"$QSMTK" swi --mag ${A}_echo-{1,2,3,4,5}_part-mag_MEGRE.nii.gz --phase ${A}_echo-{1,2,3,4,5}_part-phase_MEGRE.nii.gz \
  --echo-times 5,11,17,23,29ms --field-strength 3 --out-prefix s --single-echo 3 -q > /dev/null
assert_file s_swi.nii.gz s_desc-minip_swi.nii.gz

# A broken acquisition fails alone, with its file named; the others are written.
mkdir -p data/sub-03/anat
for e in 1 2; do
  cp ${A}_echo-${e}_part-mag_MEGRE.nii.gz data/sub-03/anat/sub-03_echo-${e}_part-mag_MEGRE.nii.gz
  cp ${A}_echo-${e}_part-phase_MEGRE.json data/sub-03/anat/sub-03_echo-${e}_part-phase_MEGRE.json
  head -c 20000 ${A}_echo-${e}_part-phase_MEGRE.nii.gz > data/sub-03/anat/sub-03_echo-${e}_part-phase_MEGRE.nii.gz
done
assert_exit 1 "$QSMTK" fieldmap out2 --bids data -q
assert_stderr_has "sub-03"
assert_stderr_has "sub-03_echo-1_part-phase_MEGRE.nii.gz"
assert_file out2/sub-01/anat/sub-01_desc-total_fieldmap.nii.gz out2/sub-02/anat/sub-02_desc-total_fieldmap.nii.gz
[[ ! -e out2/sub-03/anat/sub-03_desc-total_fieldmap.nii.gz ]] || fail "broken scan wrote output"

# Mismatched magnitude and phase are refused naming both files.
"$QSMTK" simulate other --size small --voxel-size 3 -q > /dev/null
assert_exit 1 "$QSMTK" fieldmap bad --mag ${A}_echo-1_part-mag_MEGRE.nii.gz \
  --phase other/sub-01/anat/sub-01_echo-1_part-phase_MEGRE.nii.gz --echo-times 5ms --field-strength 3
assert_stderr_has "sub-01_echo-1_part-mag_MEGRE.nii.gz and other/sub-01/anat/sub-01_echo-1_part-phase_MEGRE.nii.gz do not match"
assert_exit 1 "$QSMTK" fieldmap bad --mag ${A}_echo-1_part-mag_MEGRE.nii.gz --phase ${A}_echo-1_part-phase_MEGRE.nii.gz \
  --echo-times 0.5,1.5
assert_stderr_has "unclear whether in ms or s"
assert_exit 2 "$QSMTK" fieldmap bad --bids data --readout trapezoid
echo ok

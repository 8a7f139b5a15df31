#!/usr/bin/env bash
# qsmtk run on a simulated cohort: sub-01 with two sessions (good), sub-02 with a broken phase
# file. Good scans complete and accurate, a clear error for the broken one, a second run is a
# no-op, --force redoes, --jobs gives the same maps; presets, config files and the plain-file form.
source "$(dirname "$0")/lib.sh"
Q="$QSMTK"
"$Q" simulate bids --size small --subject 01 --session 1 --seed 1 -q > /dev/null
"$Q" simulate bids --size small --subject 01 --session 2 --seed 2 -q > /dev/null
"$Q" simulate bids --size small --subject 02 --seed 3 -q > /dev/null
broken=bids/sub-02/anat/sub-02_echo-3_part-phase_MEGRE.nii.gz
head -c 20000 "$broken" > cut && mv cut "$broken"  # truncated
T=bids/derivatives/truth

assert_exit 1 "$Q" run bids out participant -q
cat stdout stderr > first.txt
assert_stderr_has "sub-02"
assert_stderr_has "sub-02_echo-3_part-phase_MEGRE.nii.gz"
for ses in 1 2; do
  A=out/sub-01/ses-$ses/anat/sub-01_ses-$ses
  for s in _Chimap _desc-brain_mask _desc-total_fieldmap _desc-totalnoise_fieldmap _desc-local_fieldmap _R2starmap _T2starmap; do
    assert_file "$A$s.nii.gz" "$A$s.json"
  done
  # Correct: chi against the truth where both have brain (the demo's scoring, same bound).
  TA=$T/sub-01/ses-$ses/anat/sub-01_ses-$ses
  e=$(nii_py "$TA"_Chimap.nii.gz "$A"_Chimap.nii.gz "$A"_desc-brain_mask.nii.gz "$TA"_desc-brain_mask.nii.gz \
    "(lambda s: float(np.linalg.norm((a[s]-a[s].mean())-(b[s]-b[s].mean()))/np.linalg.norm(a[s]-a[s].mean())*100))((c>0)&(d>0))")
  assert_py "35 < $e < 62"
  # Referenced to the brain mask: mean 0 there. Units and provenance in the sidecar.
  assert_py "abs($(nii_py "$A"_Chimap.nii.gz "$A"_desc-brain_mask.nii.gz 'float(a[b>0].mean())')) < 1e-5"
  [[ $(json_get "$A"_Chimap.json 'j["Units"]') == ppm ]] || fail "chi units"
  [[ $(json_get "$A"_Chimap.json 'j["Inversion"]["Method"]') == medi ]] || fail "default inversion"
  [[ $(json_get "$A"_Chimap.json 'j["BackgroundRemoval"]["Method"]') == pdf ]] || fail "default bgremove"
  [[ $(json_get "$A"_Chimap.json 'j["Reference"]["Region"]') == brain ]] || fail "reference"
  [[ $(json_get "$A"_Chimap.json 'len(j["EchoTime"])') == 5 ]] || fail "echo times"
  [[ $(json_get "$A"_Chimap.json 'j["MagneticFieldStrength"]') == 3.0 ]] || fail "field strength"
  assert_py "'$(json_get "$A"_Chimap.json 'j["GeneratedBy"]["Version"]')' != ''"
  assert_py "$(json_get "$A"_Chimap.json 'j["TimingSeconds"]["total"]') > 0"
  [[ $(json_get "$A"_desc-local_fieldmap.json 'j["Units"]') == Hz ]] || fail "field units"
  assert_file out/logs/sub-01_ses-$ses.log
done
[[ ! -e out/sub-02/anat/sub-02_Chimap.nii.gz ]] || fail "a chi map for the broken scan"
[[ -z $(find out -name '*.tmp*') ]] || fail "temporary files left behind"
grep -q "1 of 3 scan(s) failed" first.txt || fail "summary"
[[ $(json_get out/dataset_description.json 'j["DatasetType"]') == derivative ]] || fail "derivative dataset"

# Second run: nothing redone (same files, same times), still the error for sub-02.
stamp=$(stat -c %.9Y out/sub-01/ses-1/anat/sub-01_ses-1_Chimap.nii.gz)
sleep 1
assert_exit 1 "$Q" run bids out participant --participant-label 01 02 -q
grep -c "skipped" stdout | grep -qx 2 || fail "two scans skipped: $(cat stdout)"
[[ $(stat -c %.9Y out/sub-01/ses-1/anat/sub-01_ses-1_Chimap.nii.gz) == "$stamp" ]] || fail "re-run rewrote outputs"
# --force redoes; --jobs 2 runs the two good scans side by side and gives the same maps.
cp out/sub-01/ses-2/anat/sub-01_ses-2_Chimap.nii.gz seq.nii.gz
assert_exit 0 "$Q" run bids out participant --participant-label 01 --force -j2 --threads 2 -q
assert_stdout_has "done"
[[ $(stat -c %.9Y out/sub-01/ses-1/anat/sub-01_ses-1_Chimap.nii.gz) != "$stamp" ]] || fail "--force did not redo"
assert_py "$(nii_py seq.nii.gz out/sub-01/ses-2/anat/sub-01_ses-2_Chimap.nii.gz 'float(np.abs(a-b).max())') < 1e-4"
# A changed setting makes the outputs out of date.
assert_exit 0 "$Q" run bids out participant --participant-label 01 --session 1 --reference none -q
assert_stdout_has "done"
[[ $(json_get out/sub-01/ses-1/anat/sub-01_ses-1_Chimap.json 'j["Reference"]["Region"]') == none ]] || fail "reference none"

# Presets, a config file, the command line over both; --print-config is a complete TOML file.
"$Q" run --print-config > default.toml
grep -q '^inversion="medi"' default.toml || fail "config lacks inversion: $(head default.toml)"
grep -q "^bgremove=\"pdf\"" default.toml || fail "config lacks bgremove"
"$Q" run --config default.toml --print-config | diff - default.toml > /dev/null || fail "--print-config does not read back"
assert_exit 0 "$Q" run bids fast participant --participant-label 01 --session 1 --preset fast -q
F=fast/sub-01/ses-1/anat/sub-01_ses-1_Chimap.json
[[ $(json_get $F 'j["Inversion"]["Method"]') == tkd ]] || fail "fast preset inversion"
[[ $(json_get $F 'j["BackgroundRemoval"]["Method"]') == sharp ]] || fail "fast preset bgremove"
# A config written by --print-config leaves presets working; --print-config shows a preset's values.
"$Q" run --preset fast --print-config > fast.toml
grep -q '^inversion="tkd"' fast.toml || fail "--print-config does not show the preset"
assert_exit 0 "$Q" run bids fastcfg participant --participant-label 01 --session 1 --config default.toml --preset fast -q
[[ $(json_get fastcfg/sub-01/ses-1/anat/sub-01_ses-1_Chimap.json 'j["Inversion"]["Method"]') == tkd ]] || fail "printed config switched the preset off"
printf 'inversion = "rts"\nreference = "csf"\n' > my.toml
assert_exit 0 "$Q" run bids cfg participant --participant-label 01 --session 1 --preset fast --config my.toml -q
C=cfg/sub-01/ses-1/anat/sub-01_ses-1
[[ $(json_get $C'_Chimap.json' 'j["Inversion"]["Method"]') == rts ]] || fail "config over preset"
[[ $(json_get $C'_Chimap.json' 'j["Reference"]["Region"]') == csf ]] || fail "csf reference"
assert_file $C'_desc-csf_mask.nii.gz'
assert_py "abs($(nii_py $C'_Chimap.nii.gz' $C'_desc-csf_mask.nii.gz' 'float(a[b>0].mean())')) < 1e-5"
# The CSF mask from R2* lies in the truth's CSF (ventricles: tissue label 1).
assert_py "$(nii_py $C'_desc-csf_mask.nii.gz' $T/sub-01/ses-1/anat/sub-01_ses-1_desc-tissue_dseg.nii.gz 'float(((a>0)&(b==1)).sum()/max(1,(a>0).sum()))') > 0.8"
assert_exit 0 "$Q" run bids cli participant --participant-label 01 --session 1 --config my.toml --inversion tkd -q
[[ $(json_get cli/sub-01/ses-1/anat/sub-01_ses-1_Chimap.json 'j["Inversion"]["Method"]') == tkd ]] || fail "command line over config"

# Plain files: magnitude and phase NIfTI + echo times + field strength.
B=bids/sub-01/ses-1/anat/sub-01_ses-1
mkdir plain
for e in 1 2 3 4 5; do cp ${B}_echo-${e}_part-mag_MEGRE.nii.gz plain/m$e.nii.gz; cp ${B}_echo-${e}_part-phase_MEGRE.nii.gz plain/p$e.nii.gz; done
tes=$(json_get ${B}_echo-1_part-mag_MEGRE.json 'j["EchoTime"]')
assert_exit 0 "$Q" run --mag plain/m{1,2,3,4,5}.nii.gz --phase plain/p{1,2,3,4,5}.nii.gz \
  --echo-times "$(for e in 1 2 3 4 5; do json_get ${B}_echo-${e}_part-mag_MEGRE.json 'j["EchoTime"]'; done | paste -sd,)s" \
  --field-strength 3 plainout -q
P=$(ls plainout/sub-*/anat/*_Chimap.nii.gz)
# Same maps as from the BIDS dataset (whose ses-1 output is now unreferenced: compare without means).
assert_py "$(nii_py "$P" out/sub-01/ses-1/anat/sub-01_ses-1_Chimap.nii.gz out/sub-01/ses-1/anat/sub-01_ses-1_desc-brain_mask.nii.gz 'float(np.abs((a-a[c>0].mean())-(b-b[c>0].mean()))[c>0].max())') < 1e-4"

# Errors: bad analysis level, output folder = input folder, no scans for a label.
assert_exit 1 "$Q" run bids out group
assert_stderr_has "participant"
assert_exit 1 "$Q" run bids bids participant
assert_stderr_has "output folder is the input folder"
assert_exit 1 "$Q" run bids out participant --participant-label 07
assert_stderr_has "no MEGRE"
echo ok

#!/usr/bin/env bash
# qsmtk export-dicom: (1) a source DICOM series made here (dump2dcm) on the small oblique phantom's
# grid; chi on the grid dcm2niix gives that series, exported with PRL outlines: identifiers copied
# (dcmdump), a new series UID, the overlay bits on the PRL outlines, refusals, and a round trip
# through dcm2niix to the same affine and values within half a storage step. (2) With real scanner
# data: `qsmtk run --dicom` then export against the same folder (Siemens classic; Philips classic
# chi against the enhanced file of the same series), identifiers and dcm2niix round trip.
source "$(dirname "$0")/lib.sh"
Q="$QSMTK"
for tool in dcmdump dump2dcm dcm2niix; do
  command -v $tool > /dev/null ||
    { echo "SKIP: $tool is not installed (scripts/setup-deps --test installs dcmtk and dcm2niix)"; exit 77; }
done
# tag FILE gggg,eeee: the value dcmdump prints for a top-level attribute (no brackets).
tag() { dcmdump -q +L +p +P "$2" "$1" | sed -n -E "/^\($2\) /s/^[^[]*\[([^]]*)\].*$/\1/p"; }
# same_values A.nii.gz B.nii.gz : prints the largest |B - 1000 A| (ppb) after checking the affines agree
same_values() {
  "$PY" - "$1" "$2" <<'PY'
import sys, numpy as np, nibabel as nib
a, b = nib.load(sys.argv[1]), nib.load(sys.argv[2])
assert a.shape == b.shape, (a.shape, b.shape)
d = np.abs(a.affine - b.affine).max()
assert d < 1e-3, f"affines differ by {d} mm\n{a.affine}\n{b.affine}"
err = np.abs(np.asarray(b.dataobj, dtype=np.float64) - 1000 * np.asarray(a.dataobj, dtype=np.float64)).max()
print(f"{err:.4f}")
PY
}

# ---- (1) a simulated source series ----
"$Q" simulate ph --size small --case oblique -q > /dev/null
T=ph/derivatives/truth/sub-01/anat/sub-01
# The source: the first echo's magnitude as classic MR images with patient and study attributes,
# laid out as a scanner writes them (row 0 at the top: dcm2niix flips rows into NIfTI's j).
"$PY" - ph/sub-01/anat/sub-01_echo-1_part-mag_MEGRE.nii.gz src <<'PY'
import sys, os, subprocess, numpy as np, nibabel as nib
img, out = nib.load(sys.argv[1]), sys.argv[2]
data = np.asarray(img.dataobj, dtype=np.float64)
A, lps = img.affine, np.diag([-1.0, -1.0, 1.0])
c0, c1 = lps @ A[:3, 0], lps @ A[:3, 1]
iop = np.r_[c0 / np.linalg.norm(c0), -c1 / np.linalg.norm(c1)]
nx, ny, nz = data.shape
pixels = np.clip(np.round(data / data.max() * 4000), 0, 4095).astype("<u2")
ds = lambda v: "\\".join("%.10g" % x for x in v)
os.makedirs(out)
common = ["(0008,0016) UI =MRImageStorage", "(0008,0060) CS [MR]", "(0008,0070) LO [SIMULATED]",
          "(0008,0020) DA [20240102]", "(0008,0030) TM [083000]", "(0008,0050) SH [A-555]",
          "(0008,0090) PN [Ref^Doc]", "(0008,1030) LO [qsmtk test study]", "(0008,103e) LO [gre_me]",
          "(0010,0010) PN [Phantom^Sim]", "(0010,0020) LO [SIM-0001]", "(0010,0030) DA [19700101]",
          "(0010,0040) CS [O]", "(0018,0020) CS [GR]", "(0018,0021) CS [SP]", "(0018,5100) CS [HFS]",
          "(0020,000d) UI [1.2.826.0.1.3680043.8.498.7001]", "(0020,0010) SH [4711]",
          "(0020,000e) UI [1.2.826.0.1.3680043.8.498.7011]", "(0020,0011) IS [11]",
          "(0020,0052) UI [1.2.826.0.1.3680043.8.498.7002]", "(0020,0037) DS [%s]" % ds(iop),
          "(0028,0030) DS [%s]" % ds([np.linalg.norm(c1), np.linalg.norm(c0)]),
          "(0018,0050) DS [%.10g]" % np.linalg.norm(A[:3, 2]), "(0028,0002) US 1", "(0028,0004) CS [MONOCHROME2]",
          "(0028,0010) US %d" % ny, "(0028,0011) US %d" % nx, "(0028,0100) US 16", "(0028,0101) US 12",
          "(0028,0102) US 11", "(0028,0103) US 0"]
for k in range(nz):
    raw, dump = f"{out}/px{k}.raw", f"{out}/im{k}.txt"
    pixels[:, ::-1, k].T.tofile(raw)  # row r holds j = ny-1-r
    pos = lps @ (A @ [0, ny - 1, k, 1])[:3]
    lines = common + ["(0008,0018) UI [1.2.826.0.1.3680043.8.498.8011.%d]" % (k + 1),
                      "(0020,0013) IS [%d]" % (k + 1), "(0020,0032) DS [%s]" % ds(pos), "(7fe0,0010) OW =" + raw]
    open(dump, "w").write("\n".join(lines) + "\n")
    subprocess.run(["dump2dcm", "-q", "--write-xfer-little", dump, f"{out}/IM{k + 1:04d}.dcm"], check=True)
    os.remove(raw); os.remove(dump)
PY
# What `qsmtk run --dicom` would reconstruct on: the grid of dcm2niix's conversion of the source
# (this right-handed phantom grid comes back with its slices reversed). The true chi on that grid:
mkdir conv && dcm2niix -z y -f mag -o conv src > /dev/null
"$PY" - conv/mag.nii.gz ${T}_Chimap.nii.gz chi.nii.gz <<'PY'
import sys, numpy as np, nibabel as nib
grid, truth = nib.load(sys.argv[1]), nib.load(sys.argv[2])
index = np.linalg.inv(truth.affine) @ grid.affine  # conversion voxel -> phantom voxel
assert np.abs(index - np.round(index)).max() < 1e-3, index
ijk = np.indices(grid.shape[:3]).reshape(3, -1)
src = np.round(index[:3, :3] @ ijk + index[:3, 3:4]).astype(int)
chi = np.asarray(truth.dataobj, dtype=np.float32)[tuple(src)].reshape(grid.shape[:3])
nib.save(nib.Nifti1Image(chi, grid.affine), sys.argv[3])
PY

assert_exit 0 "$Q" export-dicom --chi chi.nii.gz --source src --out ex --lesions ${T}_desc-lesions_dseg.nii.gz \
  --lesions-table ${T}_desc-lesions_dseg.tsv
assert_stdout_has "80 slices -> ex (series 1011, from source series 11 'gre_me', with lesion outlines)"
[[ $(ls ex | wc -l) == 80 ]] || fail "80 files"
E=ex/CHI_0001.dcm S=src/IM0001.dcm
for t in 0010,0010 0010,0020 0010,0030 0010,0040 0020,000d 0020,0010 0008,0020 0008,0030 0008,0050 0008,0090 0008,1030 0020,0052; do
  [[ "$(tag $E $t)" == "$(tag $S $t)" && -n "$(tag $E $t)" ]] || fail "($t) not copied: '$(tag $E $t)' vs '$(tag $S $t)'"
done
[[ $(tag $E 0020,000e) != $(tag $S 0020,000e) ]] || fail "the series UID must be new"
[[ $(tag ex/CHI_0002.dcm 0020,000e) == $(tag $E 0020,000e) ]] || fail "one series"
[[ $(tag ex/CHI_0002.dcm 0008,0018) != $(tag $E 0008,0018) ]] || fail "SOP instance UIDs must differ"
[[ $(tag $E 0008,0008) == 'DERIVED\SECONDARY\QSM' ]] || fail "ImageType"
[[ $(tag $E 0028,1053) == 1 && $(tag $E 0028,1052) == 0 && $(tag $E 0028,1054) == PPB ]] || fail "rescale"
[[ $(tag $E 0018,1020) == "qsmtk "* ]] || fail "SoftwareVersions"
[[ $(tag $E 6000,1500) == PRL ]] || fail "overlay label"
# The overlay bits, over all slices, are exactly the in-slice outlines of the true PRLs.
dcmdump -q +L +p +P 0020,0013 +P 6000,3000 ex/*.dcm > overlay.txt
"$PY" - overlay.txt conv/mag.nii.gz ${T}_desc-lesions_dseg.nii.gz ${T}_desc-lesions_dseg.tsv <<'PY' || fail "overlay bits"
import sys, csv, numpy as np, nibabel as nib
grid, les = nib.load(sys.argv[2]), nib.load(sys.argv[3])
prl = {int(r["index"]) for r in csv.DictReader(open(sys.argv[4]), delimiter="\t") if r["prl"] == "1"}
index = np.linalg.inv(les.affine) @ grid.affine
ijk = np.indices(grid.shape[:3]).reshape(3, -1)
src = np.round(index[:3, :3] @ ijk + index[:3, 3:4]).astype(int)
lab = np.asarray(les.dataobj).astype(int)[tuple(src)].reshape(grid.shape[:3])
lab[~np.isin(lab, list(prl))] = 0
nx, ny, nz = lab.shape
p = np.pad(lab, ((1, 1), (1, 1), (0, 0)))
edge = (lab > 0) & ((p[:-2, 1:-1] != lab) | (p[2:, 1:-1] != lab) | (p[1:-1, :-2] != lab) | (p[1:-1, 2:] != lab))
got = np.zeros_like(edge)
slices = 0
for line in open(sys.argv[1]):  # per file: InstanceNumber, then OverlayData
    if line.startswith("(0020,0013)"):
        number = int(line.split("[")[1].split("]")[0])
    elif line.startswith("(6000,3000)"):
        w = np.array([int(x, 16) for x in line.split()[2].split("\\")], dtype="<u2")
        bits = np.unpackbits(w.view(np.uint8), bitorder="little")[: nx * ny].reshape(ny, nx)  # [row, column]
        got[:, :, number - 1] = bits.T[:, ::-1]  # column = i, row = ny-1-j
        slices += 1
assert slices == nz, slices
assert (got == edge).all(), (int(got.sum()), int(edge.sum()))
assert edge.sum() > 50
print(f"  overlay: {int(edge.sum())} outline pixels of {len(prl)} PRLs, all where expected")
PY
# Round trip through dcm2niix: chi's grid and values within half a storage step (0.5 ppb).
mkdir rt && dcm2niix -z y -f chi -o rt ex > /dev/null
err=$(same_values chi.nii.gz rt/chi.nii.gz)
assert_py "$err <= 0.5 + 1e-4"
echo "  simulated source: dcm2niix round trip of 80 slices, same affine, largest error $err ppb"

# Chi on the phantom's own (right-handed) grid is the same series with the slices reversed: it is
# matched and written in the source's layout, so every slice is the same image at the same position.
assert_exit 0 "$Q" export-dicom --chi ${T}_Chimap.nii.gz --source src --out ex-phantom-grid
assert_stdout_has "from source series 11"
images() { dcmdump -q +L +P 0020,0032 +P 7fe0,0010 "$@" | awk NF | paste -d' ' - - | sort; }
[[ $(images ex/*.dcm | wc -l) == 80 && "$(images ex-phantom-grid/*.dcm)" == "$(images ex/*.dcm)" ]] ||
  fail "a reversed-slice chi must give the same images"

# Refusals: the source folder, a folder inside it, foreign files, another grid, a 4-D chi.
assert_exit 1 "$Q" export-dicom --chi chi.nii.gz --source src --out src
assert_stderr_has "is the source DICOM folder"
assert_exit 1 "$Q" export-dicom --chi chi.nii.gz --source src --out src/export
assert_stderr_has "inside the source DICOM folder"
mkdir busy && echo keep > busy/notes.txt
assert_exit 1 "$Q" export-dicom --chi chi.nii.gz --source src --out busy
assert_stderr_has "notes.txt is not part of an earlier qsmtk DICOM export"
"$PY" - <<'PY'
import nibabel as nib
chi = nib.load("chi.nii.gz")
nib.save(chi.slicer[:, :, 1:], "cropped.nii.gz")
nib.save(nib.Nifti1Image(chi.get_fdata()[..., None].repeat(2, 3), chi.affine), "four.nii.gz")
PY
assert_exit 1 "$Q" export-dicom --chi cropped.nii.gz --source src --out crop
assert_stderr_has "cropped.nii.gz: its grid (96x112x79"
assert_stderr_has "80 slice positions, chi has 79 slices"
assert_stderr_has "--allow-grid-mismatch"
[[ ! -e crop ]] || fail "nothing written on refusal"
assert_exit 0 "$Q" export-dicom --chi cropped.nii.gz --source src --out crop --allow-grid-mismatch --series-number 77
assert_stderr_has "matches no series"
[[ $(tag crop/CHI_0001.dcm 0020,0011) == 77 && $(tag crop/CHI_0001.dcm 0010,0020) == SIM-0001 ]] || fail "mismatch export"
assert_exit 1 "$Q" export-dicom --chi four.nii.gz --source src --out four
assert_stderr_has "four.nii.gz: has 2 volumes"
assert_exit 1 "$Q" export-dicom --chi chi.nii.gz --source src --out w --window-ppb 0
assert_stderr_has "--window-ppb"
mkdir empty
assert_exit 1 "$Q" export-dicom --chi chi.nii.gz --source empty --out e
assert_stderr_has "empty: no DICOM images found"
# An earlier export is replaced: a new series UID, the same number of files, options applied.
old=$(tag $E 0020,000e)
assert_exit 0 "$Q" export-dicom --chi chi.nii.gz --source src --out ex --series-description "QSM test" --window-ppb 20,400
[[ $(ls ex | wc -l) == 80 && $(tag $E 0020,000e) != "$old" ]] || fail "re-export"
[[ $(tag $E 0008,103e) == "QSM test" && $(tag $E 0028,1050) == 20 && $(tag $E 0028,1051) == 400 ]] || fail "options"
[[ -z "$(dcmdump -q +P 6000,3000 $E)" ]] || fail "no overlay without --lesions"
echo "  simulated source: ok"

# ---- (2) real scanner data ----
DATA="${QSMTK_REAL_DATA:-${SOURCE_DIR:-$(dirname "$0")/../..}/../shared/data}"
if [[ ! -d "$DATA/siemens-6echo-phantom-dicom" ]]; then
  echo "SKIPPED: real scanner data not found (set QSMTK_REAL_DATA); the simulated part passed"
  exit 77
fi
S="$DATA/siemens-6echo-phantom-dicom"
assert_exit 0 "$Q" run --dicom "$S" run-sie --preset fast -q
C=$(ls run-sie/sub-01/anat/*_Chimap.nii.gz)
assert_exit 0 "$Q" export-dicom --chi "$C" --source "$S" --out ex-sie
assert_stdout_has "10 slices -> ex-sie (series 1006, from source series 6"
source_files=("$S"/*)
first=${source_files[0]}
for t in 0010,0010 0010,0020 0020,000d 0020,0052 0008,0020 0008,0070; do
  [[ "$(tag ex-sie/CHI_0001.dcm $t)" == "$(tag "$first" $t)" ]] || fail "Siemens ($t) not copied"
done
dcmdump -q +p +P 0020,000e "${source_files[@]}" | sed -n -E 's/^\(0020,000e\) UI \[([^]]*)\].*$/\1/p' | sort -u > source-series.txt
[[ $(wc -l < source-series.txt) == 2 ]] || fail "two source series"
! grep -qxF "$(tag ex-sie/CHI_0001.dcm 0020,000e)" source-series.txt || fail "Siemens series UID must be new"
[[ $(tag ex-sie/CHI_0001.dcm 0008,2111) == *"dipole inversion"* ]] || fail "DerivationDescription from the sidecar"
mkdir rt-sie && dcm2niix -z y -f chi -o rt-sie ex-sie > /dev/null 2>&1
err=$(same_values "$C" rt-sie/chi.nii.gz)
assert_py "$err <= 0.5 + 1e-4"
echo "  Siemens: dcm2niix round trip, same affine, largest error $err ppb"
P="$DATA/philips-2echo-brain-dicom"
assert_exit 0 "$Q" run --dicom "$P/classic" run-phi --preset fast -q
C=$(ls run-phi/sub-01/anat/*_Chimap.nii.gz)
assert_exit 0 "$Q" export-dicom --chi "$C" --source "$P/enhanced" --out ex-phi
assert_stdout_has "53 slices -> ex-phi (series 3001, from source series 2001"
mkdir rt-phi && dcm2niix -z y -f chi -o rt-phi ex-phi > /dev/null 2>&1
err=$(same_values "$C" rt-phi/chi.nii.gz)
assert_py "$err <= 0.5 + 1e-4"
echo "  Philips (chi from the classic files, exported against the enhanced file): largest error $err ppb"
echo ok

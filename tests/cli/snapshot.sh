#!/usr/bin/env bash
# qsmtk snapshot on the small phantom: a PNG of the true chi with lesion outlines that PIL reads, of
# the expected size, not blank, with a colour bar (in ppb) and the lesions' colours; overlays on
# another grid resampled to the same picture; 4-D input; clear errors for bad input.
# (Orientation, aspect, outlines and the PNG encoding itself: tests/unit/test_render.cpp.)
source "$(dirname "$0")/lib.sh"
Q="$QSMTK"
"$Q" simulate ph --size small -q > /dev/null
T=ph/derivatives/truth/sub-01/anat/sub-01
CHI=${T}_Chimap.nii.gz LES=${T}_desc-lesions_dseg.nii.gz MASK=${T}_desc-brain_mask.nii.gz

# Six axial slices through the brain, lesions outlined, diverging colormap; and the same without the bar.
assert_exit 0 "$Q" snapshot --image $CHI --out chi.png --mask $MASK --overlay $LES --outline --slices 6 \
  --colormap rdbu --title "true chi"
assert_stdout_has "ppb"
assert_stdout_has "-> chi.png"
assert_file chi.png
assert_exit 0 "$Q" snapshot --image $CHI --out bare.png --mask $MASK --overlay $LES --outline --slices 6 \
  --colormap rdbu --title "true chi" --no-colorbar
# Lesion 1 spans axial slices 51-54 of the 96x112x80 grid at 2 mm.
assert_exit 0 "$Q" snapshot --image $CHI --out one.png --overlay $LES --outline --slice-index 52
"$PY" - <<'PY' || fail "PNG contents"
import numpy as np
from PIL import Image
# label_colour(1..10) of report/render.cpp
palette = [(255, 220, 0), (0, 220, 60), (0, 220, 255), (255, 0, 255), (255, 140, 0),
           (160, 255, 60), (160, 90, 255), (255, 120, 180), (0, 170, 150), (200, 150, 60)]
rdbu_top, rdbu_bottom = (110, 10, 30), (24, 54, 130)

def load(name):
    im = Image.open(name)
    assert im.format == "PNG" and im.mode == "RGB", (im.format, im.mode)
    return np.asarray(im).astype(int)

def has(a, colour):
    return bool(np.all(a == np.array(colour), axis=-1).any())

chi, bare, one = load("chi.png"), load("bare.png"), load("one.png")
h, w, _ = chi.shape
print(f"  chi.png {w}x{h}, bare.png {bare.shape[1]}x{bare.shape[0]}, one.png {one.shape[1]}x{one.shape[0]}")
# 2 mm voxels magnified 2x (longest side 224 mm -> 224 px): 6 panels of 192x224 px, 4 px apart,
# 8 px margins, a title above.
assert bare.shape[1] == 6 * 192 + 5 * 4 + 2 * 8, bare.shape
assert h == bare.shape[0] and h > 224 + 2 * 8, (h, bare.shape)
assert len(np.unique(chi.reshape(-1, 3), axis=0)) > 50, "nearly blank"
assert chi[8:-8, 8:-8].std() > 20, "no contrast"
# The colour bar is what the bar version adds at the right: both ends of rdbu and white text.
bar = chi[:, bare.shape[1] - 8:]
assert w > bare.shape[1] + 30, (w, bare.shape)
assert has(bar, rdbu_top) and has(bar, rdbu_bottom), "colour bar colours"
assert (np.all(bar == 255, axis=-1)).sum() > 100, "colour bar labels"
# Title text in the top rows.
assert (np.all(chi[:30] == 255, axis=-1)).sum() > 50, "title"
# Lesion outlines: palette colours in the panels; lesion 1 in the slice through it.
assert any(has(chi[:, :bare.shape[1]], c) for c in palette), "no lesion outline colour"
assert has(one, palette[0]), "lesion 1 outline missing"
PY

# The same lesions on a cropped grid (another affine) are resampled onto the chi grid: same picture.
"$PY" - $LES <<'PY'
import sys, numpy as np, nibabel as nib
img = nib.load(sys.argv[1])
a = np.asarray(img.dataobj)
shift = img.affine.copy()
shift[:3, 3] += img.affine[:3, :3] @ np.array([10, 5, 3])
nib.save(nib.Nifti1Image(a[10:-4, 5:-2, 3:].astype(np.int16), shift), "cropped.nii.gz")
PY
assert_exit 0 "$Q" snapshot --image $CHI --out one_cropped.png --overlay cropped.nii.gz --outline --slice-index 52
cmp -s one.png one_cropped.png || fail "overlay on another grid not resampled onto the image"

# All three planes; a 4-D image shows the chosen volume; units from --units.
assert_exit 0 "$Q" snapshot --image $CHI --out all.png --plane all --slices 2 --units ppm --window -0.1,0.1
assert_stdout_has "axial"
assert_stdout_has "sagittal"
assert_stdout_has "ppm"
"$PY" - $CHI <<'PY'
import sys, numpy as np, nibabel as nib
img = nib.load(sys.argv[1])
a = np.asarray(img.dataobj, dtype=np.float32)
nib.save(nib.Nifti1Image(np.stack([np.zeros_like(a), a], axis=-1), img.affine), "four_d.nii.gz")
nib.save(nib.Nifti1Image(a[:, :, 40:41], img.affine), "flat.nii.gz")
PY
assert_exit 0 "$Q" snapshot --image four_d.nii.gz --out vol1.png --volume 1 --image-units ppm --slice-index 52 \
  --overlay $LES --outline
cmp -s one.png vol1.png || fail "--volume 1 of the 4-D image differs from the 3-D image"

# Errors: one line naming the file or the option.
assert_exit 2 "$Q" snapshot --image missing.nii.gz --out x.png
assert_stderr_has "missing.nii.gz"
assert_exit 1 "$Q" snapshot --image flat.nii.gz --out x.png
assert_stderr_has "flat.nii.gz"
assert_stderr_has "not a 3-D volume"
assert_exit 1 "$Q" snapshot --image $CHI --out x.png --window 5,1
assert_stderr_has "--window 5,1"
assert_exit 1 "$Q" snapshot --image $CHI --out x.png --window abc
assert_stderr_has "--window"
assert_exit 1 "$Q" snapshot --image four_d.nii.gz --out x.png --volume 2
assert_stderr_has "four_d.nii.gz"
assert_exit 1 "$Q" snapshot --image $CHI --out x.png --slice-index 80
assert_stderr_has "outside 0..79"
assert_exit 1 "$Q" snapshot --image $CHI --out x.png --overlay ${T}_Chimap.json
assert_stderr_has "_Chimap.json"
[[ ! -e x.png ]] || fail "an output was written after an error"
echo ok

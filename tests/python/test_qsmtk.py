"""The Python module `qsmtk` against the command line on the small phantom.

Run by tests/cli/python.sh (QSMTK: the qsmtk binary; PYTHONPATH: the module's folder) with
Debian's python3; plain unittest. Every exposed function gets the same arrays the command reads
from its files (loaded with nibabel) and must give the command's output exactly (one thread on
both sides; the library is deterministic), its tables and sidecar records too. Then: C order and
float64 give the same results, float32 Fortran input is not copied, inputs are never written,
wrong arguments raise TypeError/ValueError naming the argument, the GIL is released while the
library computes, and thread counts are honoured.
"""
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import tracemalloc
import unittest

import nibabel as nib
import numpy as np

import qsmtk

QSMTK = os.environ["QSMTK"]
WORK = tempfile.mkdtemp(prefix="qsmtk-python.", dir=os.environ.get("QSMTK_TEST_WORK"))
ECHOES = range(1, 6)
RAW = "sim/sub-01/anat/sub-01_"
TRUTH = "sim/derivatives/truth/sub-01/anat/sub-01_"
FM = "fm/sub-01/anat/sub-01_"


def cli(*args):
    """Runs a qsmtk command in WORK with one thread."""
    subprocess.run([QSMTK, *args, "-q", "--threads", "1"], cwd=WORK, check=True, stdout=subprocess.DEVNULL)


def path(p):
    return os.path.join(WORK, p)


def load(p, dtype=np.float32):
    """An image as nibabel gives it (Fortran order) and its affine."""
    img = nib.load(path(p))
    return img.get_fdata(dtype=dtype), img.affine


def image(p, dtype=np.float32):
    return load(p, dtype)[0]


def sidecar(p):
    with open(path(p)) as f:
        return json.load(f)


def tsv(p):
    with open(path(p)) as f:
        return list(csv.DictReader(f, delimiter="\t"))


def echo_files(part):
    return [f"{RAW}echo-{e}_part-{part}_MEGRE.nii.gz" for e in ECHOES]


def setUpModule():
    global SIM, MAG, PHASE, AFFINE, TE, F0
    qsmtk.set_log_level("quiet")
    qsmtk.set_threads(1)
    # The command and the module simulate at the same time: the module releases the GIL.
    cmd = subprocess.Popen([QSMTK, "simulate", "sim", "--size", "small", "-q", "--threads", "1"], cwd=WORK,
                           stdout=subprocess.DEVNULL)
    SIM = qsmtk.simulate(size="small")
    if cmd.wait() != 0:
        raise RuntimeError("qsmtk simulate failed")
    MAG = np.asfortranarray(np.stack([image(f) for f in echo_files("mag")], axis=-1))
    PHASE = np.asfortranarray(np.stack([image(f) for f in echo_files("phase")], axis=-1))
    AFFINE = load(echo_files("mag")[0])[1]
    TE = [sidecar(f.replace(".nii.gz", ".json"))["EchoTime"] for f in echo_files("phase")]
    F0 = sidecar(echo_files("phase")[0].replace(".nii.gz", ".json"))["ImagingFrequency"]
    cli("fieldmap", "fm", "--mag", *echo_files("mag"), "--phase", *echo_files("phase"), "--save-unwrapped")


def tearDownModule():
    shutil.rmtree(WORK, ignore_errors=True)


class Agreement(unittest.TestCase):
    """Each function gives what its command writes, bit for bit."""

    def assertSame(self, actual, expected_file, what):
        expected = image(expected_file)
        self.assertEqual(actual.shape, expected.shape, what)
        self.assertTrue(actual.flags["F_CONTIGUOUS"], what + ": Fortran order")
        same = np.array_equal(actual.astype(np.float32), expected, equal_nan=True)
        self.assertTrue(same, f"{what}: max difference {np.nanmax(np.abs(actual - expected))}")

    def assertTableMatches(self, columns, rows, digits=None):
        """A dict of columns against the command's TSV (numbers as the TSV prints them)."""
        self.assertEqual(list(columns), list(rows[0]))
        for name, values in columns.items():
            printed = [r[name] for r in rows]
            if values.dtype.kind == "i":
                ours = [str(v) for v in values]
                if name == "label":  # the bilateral rows
                    ours = ["n/a" if v == "0" else v for v in ours]
            elif values.dtype.kind == "f":
                d = (digits or {}).get(name, 6)
                ours = ["n/a" if np.isnan(v) else f"{v:.{d}g}" for v in values]
            else:
                ours = ["n/a" if v == "" else str(v) for v in values]
            self.assertEqual(ours, printed, name)

    def test_simulate(self):
        self.assertLessEqual({"mag", "phase", "echo_times", "field_strength", "imaging_frequency", "affine",
                              "voxel_size", "b0_dir", "noise_sd", "truth", "metadata"}, set(SIM))
        truth = SIM["truth"]
        self.assertLessEqual({"chi", "chi_para", "chi_dia", "r2star", "total_field", "local_field", "brain_mask",
                              "dseg", "lesions_dseg", "tissue_dseg", "deep_grey", "lesions", "head_motion"}, set(truth))
        self.assertEqual(SIM["mag"].shape, MAG.shape)
        for e in range(len(ECHOES)):
            self.assertSame(SIM["mag"][..., e], echo_files("mag")[e], f"magnitude echo {e + 1}")
            self.assertSame(SIM["phase"][..., e], echo_files("phase")[e], f"phase echo {e + 1}")
        for key, suffix in [("chi", "Chimap"), ("chi_para", "desc-paramagnetic_Chimap"), ("r2star", "R2starmap"),
                            ("total_field", "desc-total_fieldmap"), ("local_field", "desc-local_fieldmap"),
                            ("brain_mask", "desc-brain_mask"), ("dseg", "dseg"), ("lesions_dseg", "desc-lesions_dseg"),
                            ("tissue_dseg", "desc-tissue_dseg")]:
            self.assertSame(truth[key], f"{TRUTH}{suffix}.nii.gz", key)
        self.assertEqual(truth["brain_mask"].dtype, np.uint8)
        self.assertEqual(truth["dseg"].dtype, np.int32)
        np.testing.assert_array_equal(SIM["affine"], AFFINE)
        self.assertEqual(list(SIM["echo_times"]), TE)
        self.assertEqual(SIM["imaging_frequency"], F0)
        self.assertEqual(tuple(SIM["b0_dir"]), qsmtk.b0_direction(AFFINE))
        lesions = tsv(TRUTH + "desc-lesions_dseg.tsv")
        self.assertEqual([int(r["index"]) for r in lesions], [l["index"] for l in truth["lesions"]])
        self.assertEqual([r["type"] for r in lesions], [l["type"] for l in truth["lesions"]])
        self.assertEqual([r["prl"] == "1" for r in lesions], [l["prl"] for l in truth["lesions"]])
        self.assertEqual([r["name"] for r in tsv(TRUTH + "dseg.tsv")], [r["name"] for r in truth["deep_grey"]])
        self.assertEqual(SIM["metadata"]["Seed"], 1)

    def test_brain_mask(self):
        cli("mask", "--mag", *echo_files("mag"), "--echo-times", "5,11,17,23,29ms", "--out", "mask.nii.gz")
        mask = qsmtk.brain_mask(MAG, "5,11,17,23,29ms", affine=AFFINE)
        self.assertEqual(mask.dtype, np.uint8)
        self.assertSame(mask, "mask.nii.gz", "brain_mask")

    def test_unwrap(self):
        cli("unwrap", "--mag", *echo_files("mag"), "--phase", *echo_files("phase"), "--field-strength", "3",
            "--out", "unwrapped.nii.gz")
        self.assertSame(qsmtk.unwrap(MAG, PHASE, TE, affine=AFFINE), "unwrapped.nii.gz", "unwrap")

    def test_fieldmap(self):
        r = qsmtk.fieldmap(MAG, PHASE, TE, field_strength=3, imaging_frequency=F0, affine=AFFINE,
                           save_unwrapped=True)
        for key, suffix in [("mask", "desc-brain_mask"), ("total_field", "desc-total_fieldmap"),
                            ("total_noise", "desc-totalnoise_fieldmap"), ("r2star", "R2starmap"),
                            ("t2star", "T2starmap"), ("s0", "S0map"), ("unwrapped", "desc-unwrapped_phase")]:
            self.assertSame(r[key], f"{FM}{suffix}.nii.gz", "fieldmap " + key)
        side = sidecar(FM + "desc-total_fieldmap.json")
        for key in ("Methods", "EchoTime", "MagneticFieldStrength", "ImagingFrequency", "B0Direction"):
            self.assertEqual(r["metadata"][key], side[key], key)

    def test_echo_fit(self):
        # With a given mask the field map is the echo fit of the unwrapped phase on that mask.
        cli("fieldmap", "fm_mask", "--mag", *echo_files("mag"), "--phase", *echo_files("phase"), "--mask",
            TRUTH + "desc-brain_mask.nii.gz", "--save-unwrapped", "--r2star", "none")
        d = "fm_mask/sub-01/anat/sub-01_"
        r = qsmtk.echo_fit(image(d + "desc-unwrapped_phase.nii.gz"), MAG, TE, image(TRUTH + "desc-brain_mask.nii.gz"),
                           affine=AFFINE)
        self.assertSame(r["field"], d + "desc-total_fieldmap.nii.gz", "echo_fit field")
        self.assertSame(r["noise"], d + "desc-totalnoise_fieldmap.nii.gz", "echo_fit noise")
        self.assertEqual(r["noise_sd"], sidecar(d + "desc-total_fieldmap.json")["Methods"]["EchoFit"]["NoiseSD"])

    def test_r2star(self):
        cli("r2star", "--mag", *echo_files("mag"), "--echo-times", "5,11,17,23,29ms", "--mask",
            FM + "desc-brain_mask.nii.gz", "--out-prefix", "r2")
        r = qsmtk.r2star(MAG, TE, mask=image(FM + "desc-brain_mask.nii.gz"), affine=AFFINE)
        for key, suffix in [("r2star", "R2starmap"), ("t2star", "T2starmap"), ("s0", "S0map")]:
            self.assertSame(r[key], f"r2_{suffix}.nii.gz", "r2star " + key)

    def test_bgremove(self):
        total, mask, noise = (image(FM + s + ".nii.gz") for s in ("desc-total_fieldmap", "desc-brain_mask",
                                                                   "desc-totalnoise_fieldmap"))
        for method, extra, kw in [("pdf", ["--noise", FM + "desc-totalnoise_fieldmap.nii.gz"], {"noise": noise}),
                                  ("vsharp", ["--bg-max-radius", "10"], {"bg_max_radius": 10})]:
            out = f"local_{method}.nii.gz"
            cli("bgremove", "--field", FM + "desc-total_fieldmap.nii.gz", "--mask", FM + "desc-brain_mask.nii.gz",
                "--method", method, *extra, "--out", out)
            r = qsmtk.bgremove(total, mask, method=method, affine=AFFINE, **kw)
            self.assertSame(r["local_field"], out, "bgremove " + method)
            self.assertSame(r["mask"], out.replace(".nii.gz", "_mask.nii.gz"), "bgremove mask " + method)
            side = sidecar(out.replace(".nii.gz", ".json"))
            for key in ("BackgroundRemoval", "B0Direction", "ValidFractionOfMask"):
                self.assertEqual(r["metadata"][key], side[key], key)
            self.assertEqual(r["metadata"].get("Iterations"), side.get("Iterations"))

    def test_invert(self):
        cli("bgremove", "--field", FM + "desc-total_fieldmap.nii.gz", "--mask", FM + "desc-brain_mask.nii.gz",
            "--method", "sharp", "--out", "local.nii.gz")
        field, mask = image("local.nii.gz"), image("local_mask.nii.gz")
        side = sidecar("local.json")
        noise = image(FM + "desc-totalnoise_fieldmap.nii.gz")
        cases = [("tkd", [], {}), ("tv", ["--max-iterations", "20"], {"max_iterations": 20}),
                 ("tikhonov", ["--lambda", "0.01", "--tikhonov-regulariser", "identity"],
                  {"lambda_": 0.01, "tikhonov_regulariser": "identity"}),
                 ("medi", ["--max-iterations", "2", "--magnitude", echo_files("mag")[0], "--noise",
                           FM + "desc-totalnoise_fieldmap.nii.gz"],
                  {"max_iterations": 2, "magnitude": MAG, "noise": noise})]
        for method, extra, kw in cases:
            out = f"chi_{method}.nii.gz"
            cli("invert", "--field", "local.nii.gz", "--mask", "local_mask.nii.gz", "--method", method, *extra,
                "--out", out)
            r = qsmtk.invert(field, mask, method=method, field_strength=side["MagneticFieldStrength"],
                             imaging_frequency=side["ImagingFrequency"], echo_time=side["EchoTime"], affine=AFFINE,
                             **kw)
            self.assertSame(r["chi"], out, "invert " + method)
            chi_side = sidecar(out.replace(".nii.gz", ".json"))
            for key in ("Inversion", "B0Direction", "HzPerPpm", "RadiansPerPpm"):
                self.assertEqual(r["metadata"].get(key), chi_side.get(key), f"{method} {key}")
        # A field in ppm needs no field strength.
        r = qsmtk.invert(field / side["ImagingFrequency"], mask, method="tkd", units="ppm", affine=AFFINE)
        np.testing.assert_allclose(r["chi"], image("chi_tkd.nii.gz"), atol=1e-6)

    def test_run_pipeline(self):
        cli("run", "sim", "run", "participant", "--preset", "fast", "--no-report")
        r = qsmtk.run_pipeline(MAG, PHASE, TE, field_strength=3, imaging_frequency=F0, preset="fast", affine=AFFINE)
        d = "run/sub-01/anat/sub-01_"
        for key, suffix in [("chi", "Chimap"), ("mask", "desc-brain_mask"), ("local_field", "desc-local_fieldmap"),
                            ("total_field", "desc-total_fieldmap"), ("total_noise", "desc-totalnoise_fieldmap"),
                            ("r2star", "R2starmap"), ("t2star", "T2starmap")]:
            self.assertSame(r[key], f"{d}{suffix}.nii.gz", "run_pipeline " + key)
        side = sidecar(d + "Chimap.json")
        for key in ("FieldMap", "BackgroundRemoval", "Inversion", "Reference", "B0Direction", "EchoTime",
                    "MagneticFieldStrength", "ImagingFrequency", "Preset"):
            self.assertEqual(r["metadata"][key], side[key], key)

    def test_lesions(self):
        cli("lesions", "--chi", TRUTH + "Chimap.nii.gz", "--lesions", TRUTH + "desc-lesions_dseg.nii.gz", "--mask",
            TRUTH + "desc-brain_mask.nii.gz", "--r2star", TRUTH + "R2starmap.nii.gz", "--out", "lesions.tsv")
        chi, affine = load(TRUTH + "Chimap.nii.gz")
        r = qsmtk.lesions(chi, image(TRUTH + "desc-lesions_dseg.nii.gz"), mask=image(TRUTH + "desc-brain_mask.nii.gz"),
                          r2star=image(TRUTH + "R2starmap.nii.gz"), affine=affine)
        self.assertTableMatches(r["table"], tsv("lesions.tsv"), {"rim_coverage": 3})
        summary = sidecar("lesions.json")
        self.assertEqual(r["prl_count"], summary["PrlCount"])
        self.assertEqual(r["prl_at_least_1"], summary["PrlAtLeast1"])
        self.assertEqual(r["lesion_input_kind"], summary["Inputs"]["LesionInputKind"])
        self.assertEqual([[s["slice"] for s in l["slices"]] for l in r["lesions"]],
                         [[s["Slice"] for s in l["Slices"]] for l in summary["Lesions"]])

    def test_roistats(self):
        cli("roistats", "--chi", TRUTH + "Chimap.nii.gz", "--labels", TRUTH + "dseg.nii.gz", "--mask",
            TRUTH + "desc-brain_mask.nii.gz", "--reference", "brain", "--erode-mm", "1", "--iron", "--out", "roi.tsv")
        chi, affine = load(TRUTH + "Chimap.nii.gz")
        r = qsmtk.roistats(chi, image(TRUTH + "dseg.nii.gz"), lut=path(TRUTH + "dseg.tsv"),
                           mask=image(TRUTH + "desc-brain_mask.nii.gz"), reference="brain", erode_mm=1, iron=True,
                           affine=affine)
        self.assertTableMatches(r["table"], tsv("roi.tsv"))
        self.assertEqual(r["reference"]["description"], sidecar("roi.json")["Reference"]["Description"])

    def test_compare(self):
        test = TRUTH + "desc-paramagnetic_Chimap.nii.gz"
        cli("compare", "--truth", TRUTH + "Chimap.nii.gz", "--test", test, "--mask", TRUTH + "desc-brain_mask.nii.gz",
            "--mask", FM + "desc-brain_mask.nii.gz", "--labels", TRUTH + "dseg.nii.gz", "--json", "compare.json")
        r = qsmtk.compare(image(TRUTH + "Chimap.nii.gz"), image(test),
                          [image(TRUTH + "desc-brain_mask.nii.gz"), image(FM + "desc-brain_mask.nii.gz")],
                          labels=image(TRUTH + "dseg.nii.gz"), labels_tsv=path(TRUTH + "dseg.tsv"))
        self.assertEqual(r, sidecar("compare.json"))


class Arrays(unittest.TestCase):
    """Layouts, dtypes, copies."""

    @classmethod
    def setUpClass(cls):
        cls.field = image(FM + "desc-total_fieldmap.nii.gz")
        cls.mask = image(FM + "desc-brain_mask.nii.gz") > 0

    def test_layouts_and_dtypes_agree(self):
        ref = qsmtk.invert(self.field, self.mask, method="tkd", field_strength=3, affine=AFFINE)["chi"]
        strided = np.zeros((2 * self.field.shape[0],) + self.field.shape[1:], np.float32, order="F")
        strided[::2] = self.field
        for what, field, mask in [("C order", np.ascontiguousarray(self.field), np.ascontiguousarray(self.mask)),
                                  ("float64", self.field.astype(np.float64), self.mask.astype(np.float64)),
                                  ("strided", strided[::2], self.mask.astype(np.int16))]:
            chi = qsmtk.invert(field, mask, method="tkd", field_strength=3, affine=AFFINE)["chi"]
            self.assertTrue(np.array_equal(chi, ref), what)
        c = qsmtk.brain_mask(np.ascontiguousarray(MAG), TE, affine=AFFINE)
        self.assertTrue(np.array_equal(c, qsmtk.brain_mask(MAG, TE, affine=AFFINE)), "C-ordered 4-D magnitude")
        self.assertEqual(qsmtk.brain_mask(MAG[..., 0], affine=AFFINE).shape, MAG.shape[:3])

    def test_fortran_float32_is_not_copied(self):
        # NumPy reports its allocations to tracemalloc; the library's own buffers are not Python's.
        def peak(field, mask):
            tracemalloc.start()
            qsmtk.bgremove(field, mask, method="sharp", affine=AFFINE)
            p = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            return p
        self.assertLess(peak(self.field, self.mask), self.field.nbytes // 4)
        self.assertGreater(peak(np.ascontiguousarray(self.field), self.mask), self.field.nbytes)

    def test_inputs_are_never_written(self):
        mag, phase = MAG.copy(order="F"), PHASE.copy(order="F")
        mag[0, 0, 0, 0] = -1  # converted to 0 by the loader: in a copy
        for a in (mag, phase):
            a.setflags(write=False)
        qsmtk.unwrap(mag, phase, TE, flip_phase=True, mask=self.mask, affine=AFFINE)
        self.assertEqual(mag[0, 0, 0, 0], -1)
        self.assertTrue(np.array_equal(phase, PHASE))

    def test_voxel_size_and_b0_dir(self):
        ref = qsmtk.invert(self.field, self.mask, method="tkd", field_strength=3, affine=AFFINE)
        by_size = qsmtk.invert(self.field, self.mask, method="tkd", field_strength=3, voxel_size=(2, 2, 2))
        self.assertTrue(np.array_equal(ref["chi"], by_size["chi"]))
        tilted = qsmtk.invert(self.field, self.mask, method="tkd", field_strength=3, affine=AFFINE, b0_dir=(0, 1, 1))
        self.assertEqual(tilted["metadata"]["B0DirectionSource"], "b0_dir")
        np.testing.assert_allclose(tilted["metadata"]["B0Direction"], [0, 2 ** -0.5, 2 ** -0.5])
        self.assertFalse(np.array_equal(tilted["chi"], ref["chi"]))
        # An oblique affine gives the CONVENTIONS direction (R^T z), anisotropic voxels included.
        c, s = np.cos(0.3), np.sin(0.3)
        oblique = np.diag([1.0, 1.0, 1.0, 1.0])
        oblique[:3, :3] = np.array([[1, 0, 0], [0, c, -s], [0, s, c]]) @ np.diag([1.0, 1.0, 3.0])
        np.testing.assert_allclose(qsmtk.b0_direction(oblique), [0, s, c], atol=1e-12)


class Errors(unittest.TestCase):
    """Wrong arguments raise a clear Python exception naming the argument, never a crash."""

    def test_messages(self):
        field = image(FM + "desc-total_fieldmap.nii.gz")
        mask = image(FM + "desc-brain_mask.nii.gz")
        nan_field = field.copy(order="F")
        nan_field[mask > 0] = np.nan
        geo = {"affine": AFFINE}
        cases = [
            (TypeError, "field: expected a float32 or float64 array, got int32",
             lambda: qsmtk.bgremove(field.astype(np.int32), mask, **geo)),
            (TypeError, "field: expected a float32 or float64 array, got complex64",
             lambda: qsmtk.invert(field.astype(np.complex64), mask, field_strength=3, **geo)),
            (TypeError, "field: expected a NumPy array, got list", lambda: qsmtk.bgremove([[[1.0]]], mask, **geo)),
            (ValueError, "field: expected a 3-D array", lambda: qsmtk.bgremove(field[:, :, 0], mask, **geo)),
            (ValueError, "mask: shape (96, 112, 79) does not match field's (96, 112, 80)",
             lambda: qsmtk.bgremove(field, mask[:, :, 1:], **geo)),
            (TypeError, "mask: expected a boolean, integer or float mask, got complex128",
             lambda: qsmtk.bgremove(field, mask.astype(complex), **geo)),
            (ValueError, "phase: shape (96, 112, 80, 4) does not match mag's (96, 112, 80, 5)",
             lambda: qsmtk.fieldmap(MAG, PHASE[..., :4], TE, **geo)),
            (ValueError, "echo_times: 5 echoes but 3 echo times", lambda: qsmtk.fieldmap(MAG, PHASE, TE[:3], **geo)),
            (ValueError, "was it given in ms", lambda: qsmtk.unwrap(MAG, PHASE, [5, 11, 17, 23, 29], **geo)),
            (ValueError, "give the geometry: affine=", lambda: qsmtk.bgremove(field, mask)),
            (ValueError, "give affine= or voxel_size=, not both",
             lambda: qsmtk.bgremove(field, mask, affine=AFFINE, voxel_size=(1, 1, 1))),
            (ValueError, "affine: expected a 4x4 matrix", lambda: qsmtk.bgremove(field, mask, affine=np.eye(3))),
            (ValueError, "voxel_size: -1.000000 is not a positive size",
             lambda: qsmtk.bgremove(field, mask, voxel_size=(1, -1, 1))),
            (ValueError, "unknown background removal method 'fast' (sharp, vsharp, resharp, pdf, lbv, ismv)",
             lambda: qsmtk.bgremove(field, mask, method="fast", **geo)),
            (ValueError, "lambda_choice 'best' is not one of fixed, lcurve, discrepancy",
             lambda: qsmtk.invert(field, mask, field_strength=3, lambda_choice="best", **geo)),
            (ValueError, "a field in Hz needs field_strength=", lambda: qsmtk.invert(field, mask, **geo)),
            (ValueError, "MEDI: the field has", lambda: qsmtk.invert(nan_field, mask, field_strength=3, **geo)),
            (ValueError, "NaN/Inf voxels inside the mask", lambda: qsmtk.bgremove(nan_field, mask, **geo)),
            (ValueError, "b0_dir must be a non-zero vector",
             lambda: qsmtk.bgremove(field, mask, b0_dir=(0, 0, 0), **geo)),
            (ValueError, "labels: label images must hold whole numbers",
             lambda: qsmtk.roistats(field, mask * 0.5, **geo)),
            (ValueError, "kind 'mask' is not one of auto, binary, labels, probability",
             lambda: qsmtk.lesions(field, mask, kind="mask", **geo)),
            (ValueError, "run_pipeline needs field_strength=", lambda: qsmtk.run_pipeline(MAG, PHASE, TE, **geo)),
            (ValueError, "preset 'quick' is not one of", lambda: qsmtk.run_pipeline(MAG, PHASE, TE, field_strength=3,
                                                                                 preset="quick", **geo)),
            (ValueError, "threads must be >= 0", lambda: qsmtk.bgremove(field, mask, threads=-1, **geo)),
            (ValueError, "unknown simulation case 'big'", lambda: qsmtk.simulate(case="big")),
            (TypeError, "lesion_change_ppb: expected a dict", lambda: qsmtk.simulate(lesion_change_ppb=[3, 10])),
            (TypeError, "incompatible function arguments", lambda: qsmtk.bgremove(field, mask, lambda_=1, **geo)),
        ]
        for exc, text, call in cases:
            with self.subTest(text):
                with self.assertRaises(exc) as caught:
                    call()
                self.assertIn(text, str(caught.exception))


class Concurrency(unittest.TestCase):
    """The GIL is released while the library computes; thread counts are honoured."""

    def test_gil_released(self):
        field = image(FM + "desc-total_fieldmap.nii.gz")
        mask = image(FM + "desc-brain_mask.nii.gz")
        results = {}
        worker = threading.Thread(target=lambda: results.update(
            r=qsmtk.invert(field, mask, method="tv", max_iterations=60, tolerance=1e-8, field_strength=3,
                           affine=AFFINE)))
        counter, start = 0, time.perf_counter()
        worker.start()
        while worker.is_alive():
            counter += 1
        seconds = time.perf_counter() - start
        worker.join()
        self.assertEqual(results["r"]["metadata"]["Inversion"]["Iterations"], 60)
        self.assertGreater(seconds, 0.2)
        # Held GIL: the loop would wait out each 5 ms switch interval (a few hundred turns a second).
        self.assertGreater(counter / seconds, 20000, f"{counter} turns in {seconds:.2f} s")
        # Two calls at once give what they give alone.
        ref = qsmtk.invert(field, mask, method="tkd", field_strength=3, affine=AFFINE)["chi"]
        out = [None, None]
        calls = [threading.Thread(target=lambda k=k: out.__setitem__(
            k, qsmtk.invert(field, mask, method="tkd", field_strength=3, affine=AFFINE)["chi"])) for k in range(2)]
        for t in calls:
            t.start()
        for t in calls:
            t.join()
        self.assertTrue(all(np.array_equal(o, ref) for o in out))

    def test_threads(self):
        qsmtk.set_threads(3)
        self.assertEqual(qsmtk.get_threads(), 3)
        qsmtk.brain_mask(MAG[..., 0], voxel_size=(2, 2, 2), threads=2)  # a call's own count ...
        self.assertEqual(qsmtk.get_threads(), 3)                        # ... leaves the setting alone
        qsmtk.set_threads(0)
        if "QSMTK_THREADS" in os.environ:
            self.assertEqual(qsmtk.get_threads(), int(os.environ["QSMTK_THREADS"]))
        qsmtk.set_threads(1)
        # OpenMP starts worker threads (kept afterwards) only for a call that asks for them.
        script = textwrap.dedent(f"""
            import os, numpy as np, qsmtk
            qsmtk.set_log_level("quiet")
            field = np.zeros((40, 40, 40), np.float32, order="F"); field[20, 20, 20] = 1
            mask = np.ones(field.shape, bool, order="F")
            tasks = lambda: len(os.listdir("/proc/self/task"))
            n0 = tasks(); qsmtk.invert(field, mask, method="tkd", units="ppm", voxel_size=(1, 1, 1), threads=1)
            n1 = tasks(); qsmtk.invert(field, mask, method="tkd", units="ppm", voxel_size=(1, 1, 1), threads=3)
            n2 = tasks(); print(n1 - n0, n2 - n1)
        """)
        env = dict(os.environ, QSMTK_THREADS="1")
        out = subprocess.run([sys.executable, "-c", script], env=env, check=True, capture_output=True, text=True)
        self.assertEqual(out.stdout.split(), ["0", "2"])


if __name__ == "__main__":
    unittest.main(verbosity=2)

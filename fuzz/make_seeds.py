#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_nifti (fuzz/corpus/fuzz_nifti/): tiny valid NIfTI-1 and
NIfTI-2 files (4x4x4, some 4-D, every datatype qsmtk reads, scaling, big-endian, an extension),
each after the control byte fuzz_nifti.cpp expects (so they are not NIfTI files themselves:
no .nii in their names). Standard library only; deterministic.
    fuzz/make_seeds.py            (re)writes the files
"""
import gzip
import os
import struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "fuzz_nifti")

# datatype code -> (struct format, bytes)
TYPES = {2: ("B", 1), 4: ("h", 2), 8: ("i", 4), 16: ("f", 4), 64: ("d", 8), 256: ("b", 1), 512: ("H", 2), 768: ("I", 4)}
SFORM = [[-2.0, 0, 0, 3], [0, 2.0, 0, -3], [0, 0, 2.5, -4]]


def values(datatype, n):
    fmt = TYPES[datatype][0]
    if fmt in "fd":
        return [0.25 * ((i * 7) % 13) - 1.0 for i in range(n)]
    if fmt in "bhi":
        return [(i * 7) % 13 - 3 for i in range(n)]
    return [(i * 7) % 13 for i in range(n)]


def nifti1(dims, datatype, slope=1.0, inter=0.0, endian="<", extension=b"", descrip=b"qsmtk fuzz seed"):
    fmt, size = TYPES[datatype]
    ndim = len(dims)
    dim = [ndim] + list(dims) + [1] * (7 - ndim)
    vox_offset = 352 + len(extension)
    h = bytearray(348)
    e = endian
    struct.pack_into(e + "i", h, 0, 348)
    struct.pack_into(e + "8h", h, 40, *dim)
    struct.pack_into(e + "hhh", h, 70, datatype, size * 8, 0)
    struct.pack_into(e + "8f", h, 76, -1.0, 2.0, 2.0, 2.5, 1.0, 1.0, 1.0, 1.0)
    struct.pack_into(e + "fff", h, 108, float(vox_offset), slope, inter)
    h[123] = 2 | 8  # mm, s
    h[148:148 + len(descrip)] = descrip
    struct.pack_into(e + "hh", h, 252, 1, 1)  # qform_code, sform_code
    struct.pack_into(e + "6f", h, 256, 0.0, 1.0, 0.0, 3.0, -3.0, -4.0)  # quaternion: 180 deg about y
    for row, off in zip(SFORM, (280, 296, 312)):
        struct.pack_into(e + "4f", h, off, *row)
    h[344:348] = b"n+1\0"
    ext_flag = bytes([1 if extension else 0, 0, 0, 0])
    n = 1
    for d in dims:
        n *= d
    data = struct.pack(e + fmt * n, *values(datatype, n))
    return bytes(h) + ext_flag + extension + data


def nifti2(dims, datatype, slope=1.0, inter=0.0, endian="<"):
    fmt, size = TYPES[datatype]
    ndim = len(dims)
    dim = [ndim] + list(dims) + [1] * (7 - ndim)
    e = endian
    h = bytearray(540)
    struct.pack_into(e + "i", h, 0, 540)
    h[4:12] = b"n+2\0\r\n\x1a\n"
    struct.pack_into(e + "hh", h, 12, datatype, size * 8)
    struct.pack_into(e + "8q", h, 16, *dim)
    struct.pack_into(e + "8d", h, 104, 1.0, 2.0, 2.0, 2.5, 1.0, 1.0, 1.0, 1.0)
    struct.pack_into(e + "q", h, 168, 544)
    struct.pack_into(e + "dd", h, 176, slope, inter)
    struct.pack_into(e + "ii", h, 344, 1, 1)
    struct.pack_into(e + "6d", h, 352, 0.0, 1.0, 0.0, 3.0, -3.0, -4.0)
    for row, off in zip(SFORM, (400, 432, 464)):
        struct.pack_into(e + "4d", h, off, *row)
    struct.pack_into(e + "i", h, 500, 2 | 8)
    n = 1
    for d in dims:
        n *= d
    data = struct.pack(e + fmt * n, *values(datatype, n))
    return bytes(h) + b"\0\0\0\0" + data


def extension(text):
    body = text.encode()
    body += b"\0" * (-(len(body) + 8) % 16)
    return struct.pack("<ii", len(body) + 8, 6) + body  # ecode 6: comment


def control(variant, reader=0):
    """variant: 0 .nii, 1 gzip by the target, 2 .nii.gz as given, 3 header only;
    reader: 0 read_nifti, 1 read_nifti_mask, 2 read_nifti_labels."""
    return bytes([variant + 4 * reader])


SEEDS = {
    "n1-float32": control(0) + nifti1((4, 4, 4), 16),
    "n1-int16-scaled-gz": control(1) + nifti1((4, 4, 4), 4, slope=2.0, inter=1.0),
    "n1-uint8-mask": control(0, 1) + nifti1((4, 4, 4), 2),
    "n1-int16-labels": control(0, 2) + nifti1((4, 4, 4), 4),
    "n1-int16-bigendian": control(0) + nifti1((4, 4, 4), 4, endian=">"),
    "n1-float32-4d": control(0) + nifti1((4, 4, 4, 2), 16),
    "n1-uint16-extension": control(0) + nifti1((2, 2, 2), 512, extension=extension("qsmtk seed")),
    "n1-int8": control(0) + nifti1((2, 2, 2), 256),
    "n1-uint32-labels-gz": control(1, 2) + nifti1((2, 2, 2), 768),
    "n1-uint8-gzip-stream-gz": control(2) + gzip.compress(nifti1((4, 4, 4), 2), mtime=0),
    "n2-float64": control(0) + nifti2((4, 4, 4), 64),
    "n2-int32-4d-gz": control(1) + nifti2((2, 2, 2, 3), 8),
    "n2-float32-bigendian": control(0) + nifti2((4, 4, 4), 16, endian=">"),
    "n2-header-only": control(3) + nifti2((4, 4, 4), 16),
}


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, data in SEEDS.items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
    print(f"{len(SEEDS)} seeds in {OUT}")


if __name__ == "__main__":
    main()

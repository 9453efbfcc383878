#!/usr/bin/env python3
"""Writes the .npy fixtures of Tests/Caffe2Tests/NpyTests.swift with numpy.

Run from the package root:  python3 Scripts/testdata/npy.py
Output: Tests/Caffe2Tests/Data/npy/*.npy and expected.json, which lists for each
file the dtype (as swift-caffe2 names it), the shape and the values in C order
(each as Python's repr, so floats round-trip exactly; 'nan', 'inf', '-inf'),
or, for files the reader must reject, the text the error must contain.
"""
import json
import os

import numpy as np
from numpy.lib import format as npformat

OUT = os.path.join("Tests", "Caffe2Tests", "Data", "npy")

# numpy dtype -> swift-caffe2 DataType description
NAMES = {
    "f2": "float16", "f4": "float", "f8": "double",
    "i1": "int8", "i2": "int16", "i4": "int32", "i8": "int64",
    "u1": "uint8", "u2": "uint16", "b1": "bool",
}


def sample(code, shape):
    """Values that exercise each type: negatives, extremes, float specials."""
    n = int(np.prod(shape)) if len(shape) else 1
    kind = code[0]
    if kind == "f":
        base = [0.0, 1.5, -2.25, np.inf, -np.inf, np.nan, -0.0, 3.0e-3, 65504.0, -1.0e-5, 7.0, 1.0 / 3.0]
        vals = [base[i] if i < len(base) else base[i % len(base)] + i for i in range(n)]
    elif kind == "i" or kind == "u":
        info = np.iinfo(np.dtype(code))
        base = [0, 1, int(info.max), int(info.min), 7, int(info.max) - 1]
        if kind == "i":
            base += [-1, -100]
        vals = [base[i % len(base)] for i in range(n)]
    else:  # bool
        vals = [(i * 7) % 3 == 0 for i in range(n)]
    return np.array(vals, dtype=np.dtype(code)).reshape(shape)


def rep(v):
    if isinstance(v, (bool, np.bool_)):
        return "True" if v else "False"
    if isinstance(v, np.floating):
        if np.isnan(v):
            return "nan"
        if np.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(float(v))
    return str(int(v))


manifest = {}


def save(name, arr, version=None, note=None):
    path = os.path.join(OUT, name)
    with open(path, "wb") as f:
        if version is None:
            np.save(f, arr)
        else:
            npformat.write_array(f, arr, version=version)
    c = np.ascontiguousarray(arr)
    entry = {
        "dtype": NAMES[arr.dtype.str[1:]],
        "shape": list(arr.shape),
        "values": [rep(v) for v in c.reshape(-1)],
        "descr": arr.dtype.str,
        "fortran_order": bool(arr.flags.f_contiguous and not arr.flags.c_contiguous),
        "version": list(version) if version else [1, 0],
    }
    if note:
        entry["note"] = note
    manifest[name] = entry


def save_rejected(name, arr, must_contain):
    with open(os.path.join(OUT, name), "wb") as f:
        np.save(f, arr)
    manifest[name] = {"error": must_contain}


os.makedirs(OUT, exist_ok=True)
for old in os.listdir(OUT):
    os.remove(os.path.join(OUT, old))

# Every supported dtype, little-endian, C order, version 1.0.
for code in NAMES:
    save(f"{code}_le.npy", sample(code, (3, 4)))
# Big-endian.
for code in ["f2", "f4", "f8", "i2", "i4", "i8", "u2"]:
    save(f"{code}_be.npy", sample(code, (3, 4)).astype(">" + code))
# Fortran order, including big-endian Fortran order.
save("f4_fortran.npy", np.asfortranarray(sample("f4", (2, 3, 4))))
save("i8_fortran.npy", np.asfortranarray(sample("i8", (3, 2))))
save("f8_be_fortran.npy", np.asfortranarray(sample("f8", (2, 3)).astype(">f8")))
save("u1_fortran.npy", np.asfortranarray(np.arange(24, dtype=np.uint8).reshape(2, 3, 4)))
# Format versions 2.0 and 3.0.
save("f4_v2.npy", sample("f4", (2, 3)), version=(2, 0))
save("i4_v3.npy", sample("i4", (4,)), version=(3, 0))
save("f8_v3_fortran.npy", np.asfortranarray(sample("f8", (3, 2))), version=(3, 0))
# 0-d, empty and 1-d arrays.
save("f4_scalar.npy", np.array(3.5, dtype=np.float32))
save("i8_scalar.npy", np.array(-42, dtype=np.int64))
save("f4_empty.npy", np.zeros((0,), dtype=np.float32))
save("i4_empty_2x0x3.npy", np.zeros((2, 0, 3), dtype=np.int32))
save("f8_vector.npy", sample("f8", (5,)))
save("b1_4d.npy", sample("b1", (1, 2, 2, 2)))
# A realistic input: an image batch.
save("f4_image_1x3x4x5.npy", (np.arange(60, dtype=np.float32).reshape(1, 3, 4, 5) / 8.0))

# dtypes the reader must reject with a clear message.
save_rejected("u4_unsupported.npy", np.arange(3, dtype=np.uint32), "'<u4' is not supported")
save_rejected("c8_unsupported.npy", np.arange(3, dtype=np.complex64), "'<c8' is not supported")
save_rejected("structured_unsupported.npy", np.zeros(2, dtype=[("a", "<f4"), ("b", "<i4")]), "structured dtypes are not supported")
save_rejected("unicode_unsupported.npy", np.array(["ab", "c"]), "'<U2' is not supported")

with open(os.path.join(OUT, "expected.json"), "w") as f:
    json.dump({"numpy": np.__version__, "files": manifest}, f, indent=1, sort_keys=True)
    f.write("\n")
print(f"wrote {len(manifest)} files to {OUT} with numpy {np.__version__}")

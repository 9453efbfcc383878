#!/usr/bin/env python3
"""Golden values for the shape and data-movement operators.

    Scripts/testdata/shape.py      # rewrite Tests/Caffe2Tests/Data/shape/goldens.json

Each case names a Caffe2 operator (Transpose, NCHW2NHWC, NHWC2NCHW, Concat,
Split), its arguments, its inputs and the outputs numpy computes with
`transpose`, `concatenate`, `stack` and slicing (the semantics of
../shared/reference/operators.md §9). Values are exact in every element type,
so the Swift tests (ShapeGoldenTests) compare bit for bit. The `nets` list
holds small chains (the super-resolution pixel shuffle: Reshape -> Transpose
-> Reshape). Only needed to regenerate the data: the tests never run Python.
"""

import json
import os

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "Tests", "Caffe2Tests", "Data", "shape", "goldens.json")
rng = np.random.default_rng(20240611)

TYPES = {
    "float": np.float32, "double": np.float64, "int32": np.int32, "int64": np.int64,
    "int16": np.int16, "uint8": np.uint8, "bool": np.bool_,
}


def values(shape, kind):
    if kind in ("float", "double"):
        # Multiples of 1/8 are exact in every float type.
        return (rng.integers(-400, 400, size=shape) / 8.0).astype(TYPES[kind])
    if kind == "bool":
        return rng.integers(0, 2, size=shape).astype(np.bool_)
    if kind == "uint8":
        return rng.integers(0, 256, size=shape).astype(np.uint8)
    return rng.integers(-1000, 1000, size=shape).astype(TYPES[kind])


def tensor(name, a, kind):
    a = np.asarray(a)
    return {"name": name, "dims": list(a.shape), "type": kind,
            "values": [float(v) for v in a.astype(np.float64).ravel()]}


def arg(name, value):
    if isinstance(value, str):
        return {"name": name, "s": value}
    if isinstance(value, (list, tuple)):
        return {"name": name, "ints": [int(v) for v in value]}
    return {"name": name, "i": int(value)}


cases = []
nets = []


def case(name, op, inputs, outputs, args=()):
    cases.append({
        "name": name, "op": op, "args": [arg(k, v) for k, v in args],
        "inputs": [tensor(n, a, k) for n, a, k in inputs],
        "outputs": [tensor(n, a, k) for n, a, k in outputs],
    })


# Transpose: default (reversed) axes and explicit permutations, several element types.
for kind, shape, axes in [
    ("float", (2, 3, 4), None),
    ("float", (2, 3, 4), (1, 0, 2)),
    ("int64", (2, 3, 4, 5), (0, 2, 3, 1)),
    ("int32", (2, 1, 3, 2, 2), (4, 2, 0, 3, 1)),
    ("uint8", (3, 4, 5), (2, 0, 1)),
    ("int16", (3, 4, 5), (1, 2, 0)),
    ("double", (4, 6), (1, 0)),
    ("bool", (2, 3, 2), (2, 1, 0)),
    ("float", (5,), None),
]:
    x = values(shape, kind)
    y = np.transpose(x) if axes is None else np.transpose(x, axes)
    args = [] if axes is None else [("axes", axes)]
    case(f"Transpose {kind} {shape} axes={axes}", "Transpose", [("X", x, kind)], [("Y", y, kind)], args)

# Layout switches, 3-D to 5-D.
for shape in [(2, 3, 4, 5), (2, 3, 5), (1, 2, 3, 2, 2)]:
    x = values(shape, "float")
    y = np.moveaxis(x, 1, -1)
    case(f"NCHW2NHWC {shape}", "NCHW2NHWC", [("X", x, "float")], [("Y", y, "float")])
    z = values(y.shape, "float")
    case(f"NHWC2NCHW {y.shape}", "NHWC2NCHW", [("X", z, "float")], [("Y", np.moveaxis(z, -1, 1), "float")])

# Concat along an existing axis, and stacking with add_axis.
for kind, shapes, axis in [
    ("float", [(2, 3, 4), (2, 1, 4), (2, 2, 4)], 1),
    ("int32", [(2, 3), (2, 5)], -1),
    ("double", [(1, 2, 2), (3, 2, 2)], 0),
    ("uint8", [(2, 2, 3), (2, 2, 1), (2, 2, 2)], 2),
]:
    xs = [values(s, kind) for s in shapes]
    y = np.concatenate(xs, axis=axis)
    split = np.array([x.shape[axis] for x in xs], dtype=np.int32)
    case(f"Concat {kind} axis={axis} {shapes}", "Concat",
         [(f"X{i}", x, kind) for i, x in enumerate(xs)],
         [("Y", y, kind), ("split_info", split, "int32")], [("axis", axis)])
for kind, shape, n, axis in [("float", (10, 7), 3, 1), ("int64", (2, 3, 2), 2, -1), ("float", (2, 3), 4, 0)]:
    xs = [values(shape, kind) for _ in range(n)]
    canonical = axis if axis >= 0 else axis + len(shape) + 1
    y = np.stack(xs, axis=canonical)
    case(f"Concat add_axis {kind} {shape} x{n} axis={axis}", "Concat",
         [(f"X{i}", x, kind) for i, x in enumerate(xs)],
         [("Y", y, kind), ("split_info", np.ones(n, dtype=np.int32), "int32")],
         [("axis", axis), ("add_axis", 1)])
xs = [values((1, c, 2, 2), "float") for c in (2, 3)]
case("Concat order=NHWC", "Concat", [("X0", np.moveaxis(xs[0], 1, -1), "float"), ("X1", np.moveaxis(xs[1], 1, -1), "float")],
     [("Y", np.concatenate([np.moveaxis(x, 1, -1) for x in xs], axis=3), "float"),
      ("split_info", np.array([2, 3], dtype=np.int32), "int32")], [("order", "NHWC")])
case("Concat default order (NCHW, axis 1)", "Concat", [("X0", xs[0], "float"), ("X1", xs[1], "float")],
     [("Y", np.concatenate(xs, axis=1), "float"), ("split_info", np.array([2, 3], dtype=np.int32), "int32")])

# Split by the argument, equally, and removing the axis.
x = values((2, 6, 3), "float")
case("Split axis=1 split=[1,2,3]", "Split", [("X", x, "float")],
     [("Y0", x[:, 0:1], "float"), ("Y1", x[:, 1:3], "float"), ("Y2", x[:, 3:6], "float")],
     [("axis", 1), ("split", [1, 2, 3])])
x = values((4, 3), "int64")
case("Split axis=0 equal", "Split", [("X", x, "int64")], [("Y0", x[0:2], "int64"), ("Y1", x[2:4], "int64")],
     [("axis", 0)])
x = values((2, 3, 2), "double")
case("Split add_axis axis=1", "Split", [("X", x, "double")],
     [(f"Y{i}", x[:, i, :], "double") for i in range(3)], [("axis", 1), ("add_axis", 1)])
x = values((2, 5), "float")
case("Split with an int32 split input", "Split",
     [("X", x, "float"), ("S", np.array([2, 3], dtype=np.int32), "int32")],
     [("Y0", x[:, 0:2], "float"), ("Y1", x[:, 2:5], "float")], [("axis", -1)])

# Pixel shuffle as in the super-resolution net (upscale r = 3).
r, h, w = 3, 4, 5
x = values((1, r * r, h, w), "float")
a = x.reshape(1, 1, r, r, h, w)
b = np.transpose(a, (0, 1, 4, 2, 5, 3))
y = b.reshape(1, 1, h * r, w * r)
nets.append({"name": "pixel shuffle r=3", "input": tensor("X", x, "float"), "output": tensor("Y", y, "float"),
             "shape1": [1, 1, r, r, h, w], "axes": [0, 1, 4, 2, 5, 3], "shape2": [1, 1, h * r, w * r]})

os.makedirs(os.path.dirname(OUT), exist_ok=True)
with open(OUT, "w") as f:
    json.dump({"cases": cases, "nets": nets}, f, indent=1)
    f.write("\n")
print(f"wrote {len(cases)} cases and {len(nets)} nets to {OUT}")

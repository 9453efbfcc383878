#!/usr/bin/env python3
"""Golden values for LayerNorm and TopK.

    Scripts/testdata/utility.py      # rewrite Tests/Caffe2Tests/Data/utility/goldens.json

LayerNorm follows PyTorch-era Caffe2 (layer_norm_op.cc): rows are the dims
before `axis`, mean and population variance over the rest, sigma =
sqrt(var + epsilon), Y = (X - mean) / sigma (times gamma plus beta with
elementwise_affine); mean and sigma have dims[:axis] + [1]. TopK (top_k.cc):
the k largest along `axis` in descending order, ties by lower index, int64
indices. numpy computes in float64 from float32 inputs; the Swift tests
(UtilityGoldenTests) compare with a tolerance for LayerNorm and exactly for
TopK. Only needed to regenerate the data: the tests never run Python.
"""

import json
import os

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "Tests", "Caffe2Tests", "Data", "utility", "goldens.json")
rng = np.random.default_rng(20240612)


def tensor(name, a, kind):
    a = np.asarray(a)
    return {"name": name, "dims": list(a.shape), "type": kind,
            "values": [float(v) for v in a.astype(np.float64).ravel()]}


def arg(name, value):
    if isinstance(value, float):
        return {"name": name, "f": value}
    return {"name": name, "i": int(value)}


cases = []


def case(name, op, inputs, outputs, args=()):
    cases.append({"name": name, "op": op, "args": [arg(k, v) for k, v in args],
                  "inputs": [tensor(n, a, k) for n, a, k in inputs],
                  "outputs": [tensor(n, a, k) for n, a, k in outputs]})


def layer_norm(x, axis, eps, gamma=None, beta=None):
    x64 = x.astype(np.float64)
    axis = axis if axis >= 0 else axis + x.ndim
    rows = int(np.prod(x.shape[:axis], dtype=np.int64))
    flat = x64.reshape(rows, -1)
    mean = flat.mean(axis=1, keepdims=True)
    sigma = np.sqrt(((flat - mean) ** 2).mean(axis=1, keepdims=True) + eps)
    y = (flat - mean) / sigma
    if gamma is not None:
        y = y * gamma.astype(np.float64).ravel() + beta.astype(np.float64).ravel()
    stat = list(x.shape[:axis]) + [1]
    return y.reshape(x.shape), mean.reshape(stat), sigma.reshape(stat)


for shape, axis, eps in [((2, 3, 4), 2, 0.05), ((3, 5), 1, 1e-5), ((2, 2, 3), 1, 1e-3), ((4, 6), -1, 1e-5)]:
    x = (rng.standard_normal(shape) * 3 + 1).astype(np.float32)
    y, m, s = layer_norm(x, axis, eps)
    case(f"LayerNorm {shape} axis={axis} eps={eps}", "LayerNorm", [("X", x, "float")],
         [("Y", y, "float"), ("mean", m, "float"), ("sigma", s, "float")], [("axis", axis), ("epsilon", eps)])
x = rng.standard_normal((3, 2, 4)).astype(np.float32)
gamma = rng.standard_normal((2, 4)).astype(np.float32)
beta = rng.standard_normal((2, 4)).astype(np.float32)
y, m, s = layer_norm(x, 1, 1e-5, gamma, beta)
case("LayerNorm elementwise_affine", "LayerNorm", [("X", x, "float"), ("gamma", gamma, "float"), ("beta", beta, "float")],
     [("Y", y, "float"), ("mean", m, "float"), ("sigma", s, "float")], [("axis", 1), ("elementwise_affine", 1)])


def top_k(x, k, axis):
    moved = np.moveaxis(x, axis, -1)
    # Stable sort of the negated values: descending, ties by lower index.
    order = np.argsort(-moved.astype(np.float64), axis=-1, kind="stable")[..., :k]
    vals = np.take_along_axis(moved, order, axis=-1)
    return np.moveaxis(vals, -1, axis), np.moveaxis(order, -1, axis)


for shape, k, axis in [((3, 5), 2, -1), ((2, 6, 3), 3, 1), ((4,), 4, 0)]:
    x = rng.integers(-5, 6, size=shape).astype(np.float32)  # repeated values exercise the tie rule
    v, i = top_k(x, k, axis)
    args = [("k", k)] + ([] if axis == -1 else [("axis", axis)])
    case(f"TopK {shape} k={k} axis={axis}", "TopK", [("X", x, "float")],
         [("Values", v, "float"), ("Indices", i.astype(np.int64), "int64")], args)

os.makedirs(os.path.dirname(OUT), exist_ok=True)
with open(OUT, "w") as f:
    json.dump({"cases": cases}, f, indent=1)
    f.write("\n")
print(f"wrote {len(cases)} cases to {OUT}")

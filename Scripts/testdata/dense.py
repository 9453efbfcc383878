#!/usr/bin/env python3
"""Golden values for FC, FCTransposed, their gradients, MatMul and BatchMatMul.

    Scripts/testdata/dense.py     # rewrite Tests/Caffe2Tests/Data/dense/goldens.json

numpy float64 products of float32 inputs, following ../shared/reference/operators.md
§7: FC coerces X to `size_to_dim(axis) × size_from_dim(axis)` and W at `axis_w`;
MatMul coerces A and B at `axis_a` / `axis_b`; BatchMatMul is numpy.matmul. The
Swift tests (DenseGoldenTests) run each case.
"""

import json
import os

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "Tests", "Caffe2Tests", "Data", "dense", "goldens.json")
rng = np.random.default_rng(20240614)


def f32(shape):
    return rng.uniform(-1, 1, size=shape).astype(np.float32)


def tensor(name, a):
    a = np.asarray(a, dtype=np.float64)
    return {"name": name, "dims": list(a.shape), "values": [float(v) for v in a.ravel()]}


def arg(name, value):
    return {"name": name, "i": int(value)}


cases = []


def case(name, op, inputs, outputs, args=(), atol=1e-5, rtol=1e-4):
    cases.append({
        "name": name, "op": op, "args": [arg(k, v) for k, v in args],
        "inputs": [tensor(n, a) for n, a in inputs],
        "outputs": [tensor(n, a) for n, a in outputs],
        "atol": atol, "rtol": rtol,
    })


def d(a):
    return np.asarray(a, dtype=np.float64)


def fc_case(name, xshape, wshape, axis=1, axis_w=1, transposed=False, with_dx=True):
    x, w = f32(xshape), f32(wshape)
    ax = axis % len(xshape)
    axw = axis_w % len(wshape)
    m = int(np.prod(xshape[:ax]))
    k = int(np.prod(xshape[ax:]))
    if transposed:
        n = int(np.prod(wshape[axw:]))
        w2 = d(w).reshape(k, n)
    else:
        n = int(np.prod(wshape[:axw]))
        w2 = d(w).reshape(n, k).T
    b = f32((n,))
    x2 = d(x).reshape(m, k)
    y = (x2 @ w2 + d(b)).reshape(tuple(xshape[:ax]) + (n,))
    args = ([("axis", axis)] if axis != 1 else []) + ([("axis_w", axis_w)] if axis_w != 1 else [])
    op = "FCTransposed" if transposed else "FC"
    case(name, op, [("X", x), ("W", w), ("b", b)], [("Y", y)], args)
    dy = f32(y.shape)
    dy2 = d(dy).reshape(m, n)
    dw = (x2.T @ dy2) if transposed else (dy2.T @ x2)
    db = dy2.sum(axis=0)
    dx = (dy2 @ w2.T).reshape(xshape)
    outs = [("dW", dw.reshape(wshape)), ("db", db)] + ([("dX", dx)] if with_dx else [])
    case(name + "_grad", op + "Gradient", [("X", x), ("W", w), ("dY", dy)], outs, args)


fc_case("fc_basic", (4, 5), (3, 5))
fc_case("fc_4d_axis1", (2, 3, 2, 2), (4, 12))
fc_case("fc_4d_axis3", (2, 3, 2, 5), (3, 5), axis=3)
fc_case("fc_axis_w2", (3, 6), (2, 2, 3, 2), axis_w=2)
fc_case("fc_negative_axis", (2, 3, 4), (5, 4), axis=-1)
fc_case("fc_no_dx", (3, 4), (2, 4), with_dx=False)
fc_case("fct_basic", (4, 5), (5, 3), transposed=True)
fc_case("fct_axis_w", (2, 6), (3, 2, 2, 2), transposed=True, axis_w=2)
fc_case("fct_4d", (2, 2, 3), (6, 4), transposed=True)


def matmul_case(name, ashape, bshape, trans_a=0, trans_b=0, axis_a=1, axis_b=1, like=None):
    a, b = f32(ashape), f32(bshape)
    ca, cb = axis_a % len(ashape), axis_b % len(bshape)
    a2 = d(a).reshape(int(np.prod(ashape[:ca])), -1)
    b2 = d(b).reshape(int(np.prod(bshape[:cb])), -1)
    y = (a2.T if trans_a else a2) @ (b2.T if trans_b else b2)
    args = [(k, v) for k, v, default in
            [("trans_a", trans_a, 0), ("trans_b", trans_b, 0), ("axis_a", axis_a, 1), ("axis_b", axis_b, 1)]
            if v != default]
    inputs = [("A", a), ("B", b)]
    if like is not None:
        inputs.append(("shape", np.zeros(like, np.float32)))
        y = y.reshape(like)
    case(name, "MatMul", inputs, [("Y", y)], args)


matmul_case("matmul_basic", (3, 4), (4, 5))
matmul_case("matmul_trans_a", (4, 3), (4, 2), trans_a=1)
matmul_case("matmul_trans_b", (3, 4), (5, 4), trans_b=1)
matmul_case("matmul_trans_both", (4, 3), (2, 4), trans_a=1, trans_b=1)
matmul_case("matmul_axes", (2, 3, 4), (4, 5), axis_a=2)
matmul_case("matmul_axis_b", (6, 4), (2, 2, 3, 5), axis_b=2)
matmul_case("matmul_shape_like", (3, 4), (4, 6), like=(3, 2, 3))


def batch_case(name, ashape, bshape, trans_a=0, trans_b=0, broadcast=0):
    a, b = f32(ashape), f32(bshape)
    aa = np.swapaxes(d(a), -1, -2) if trans_a and a.ndim > 1 else d(a)
    bb = np.swapaxes(d(b), -1, -2) if trans_b and b.ndim > 1 else d(b)
    y = np.matmul(aa, bb)
    if y.ndim == 0:
        y = y.reshape(1)
    args = [(k, v) for k, v in [("trans_a", trans_a), ("trans_b", trans_b), ("broadcast", broadcast)] if v]
    case(name, "BatchMatMul", [("A", a), ("B", b)], [("Y", y)], args)


batch_case("bmm_2d", (3, 4), (4, 2))
batch_case("bmm_3d", (2, 3, 4), (2, 4, 5))
batch_case("bmm_trans_a", (2, 4, 3), (2, 4, 2), trans_a=1)
batch_case("bmm_trans_b", (3, 2, 4), (3, 5, 4), trans_b=1)
batch_case("bmm_trans_both", (2, 4, 3), (2, 2, 4), trans_a=1, trans_b=1)
batch_case("bmm_4d", (2, 3, 2, 4), (2, 3, 4, 3))
batch_case("bmm_broadcast_rank", (2, 3, 2, 4), (4, 3), broadcast=1)
batch_case("bmm_broadcast_dims", (2, 1, 2, 3), (1, 4, 3, 2), broadcast=1)
batch_case("bmm_vec_vec", (5,), (5,))
batch_case("bmm_vec_mat", (4,), (2, 4, 3))
batch_case("bmm_mat_vec", (2, 3, 4), (4,))

os.makedirs(os.path.dirname(OUT), exist_ok=True)
with open(OUT, "w") as f:
    f.write('{"generator": "Scripts/testdata/dense.py", "numpy": "%s", "cases": [\n' % np.__version__)
    f.write(",\n".join(json.dumps(c) for c in cases))
    f.write("\n]}\n")
print(f"wrote {len(cases)} cases to {OUT}")

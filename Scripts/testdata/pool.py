#!/usr/bin/env python3
"""Golden values for MaxPool, AveragePool and their gradients.

    Scripts/testdata/pool.py      # rewrite Tests/Caffe2Tests/Data/pool/goldens.json

Outputs are computed in float64 by explicit window loops following
../shared/reference/operators.md §1.3 and §8: windows start at
`o·stride − pad_head` and are clipped to the input; AveragePool divides by the
clipped window size, or by the kernel size with `count_include_pad`;
`legacy_pad = 3` uses Caffe's rounded-up output size. Max gradients go to
every element equal to the window maximum. The Swift tests (PoolGoldenTests)
run each case.
"""

import itertools
import json
import math
import os

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "Tests", "Caffe2Tests", "Data", "pool", "goldens.json")
rng = np.random.default_rng(20240612)


def f32(shape):
    # A permutation of distinct values: no ties inside any window.
    n = int(np.prod(shape))
    return (rng.permutation(n).astype(np.float64) / n * 4 - 2).reshape(shape).astype(np.float32)


def tensor(name, a):
    a = np.asarray(a, dtype=np.float64)
    return {"name": name, "dims": list(a.shape), "values": [float(v) for v in a.ravel()]}


def arg(name, value):
    if isinstance(value, str):
        return {"name": name, "s": value}
    if isinstance(value, (list, tuple)):
        return {"name": name, "ints": [int(v) for v in value]}
    return {"name": name, "i": int(value)}


cases = []


def case(name, op, inputs, outputs, args, atol=1e-5, rtol=1e-5):
    cases.append({
        "name": name, "op": op, "args": [arg(k, v) for k, v in args],
        "inputs": [tensor(n, a) for n, a in inputs],
        "outputs": [tensor(n, a) for n, a in outputs],
        "atol": atol, "rtol": rtol,
    })


def out_and_tail(size, k, s, head, tail, legacy):
    if legacy == 3:
        out = int(math.ceil((size + 2 * head - k) / s + 1))
        if head > 0 and (out - 1) * s >= size + head:
            out -= 1
        standard = (size + 2 * head - k) // s + 1
        return out, head + s * (out - standard)
    return (size + head + tail - k) // s + 1, tail


def pool_ref(x, kind, k, s, pads, legacy=0, include_pad=False, global_pool=False):
    """NCHW pooling over any number of spatial dims; returns (Y, dX function)."""
    x = x.astype(np.float64)
    sp = x.shape[2:]
    r = len(sp)
    if global_pool:
        k, s, pads = list(sp), [1] * r, [0] * (2 * r)
    outs = [out_and_tail(sp[i], k[i], s[i], pads[i], pads[r + i], legacy)[0] for i in range(r)]
    y = np.zeros(x.shape[:2] + tuple(outs))
    windows = {}
    for o in itertools.product(*[range(v) for v in outs]):
        lo = [max(o[i] * s[i] - pads[i], 0) for i in range(r)]
        hi = [min(o[i] * s[i] - pads[i] + k[i], sp[i]) for i in range(r)]
        sl = tuple(slice(lo[i], hi[i]) for i in range(r))
        win = x[(slice(None), slice(None)) + sl]
        if kind == "max":
            y[(slice(None), slice(None)) + o] = win.reshape(win.shape[0], win.shape[1], -1).max(axis=2)
        else:
            count = int(np.prod(k)) if include_pad else int(np.prod([hi[i] - lo[i] for i in range(r)]))
            y[(slice(None), slice(None)) + o] = win.reshape(win.shape[0], win.shape[1], -1).sum(axis=2) / count
            windows[o] = count
        windows.setdefault(o, None)
        windows[("sl",) + o] = sl

    def grad(dy):
        dx = np.zeros_like(x)
        for o in itertools.product(*[range(v) for v in outs]):
            sl = windows[("sl",) + o]
            idx = (slice(None), slice(None)) + sl
            g = dy[(slice(None), slice(None)) + o].astype(np.float64)
            if kind == "max":
                m = y[(slice(None), slice(None)) + o]
                mask = x[idx] == m.reshape(m.shape + (1,) * r)
                dx[idx] += mask * g.reshape(g.shape + (1,) * r)
            else:
                dx[idx] += (g / windows[o]).reshape(g.shape + (1,) * r)
        return dx

    return y, grad


def nhwc(a):
    return np.moveaxis(a, 1, -1)


def pool_case(name, op, xshape, kind, k=None, s=None, pads=None, legacy=0, include_pad=False, global_pool=False,
              spelling=None, order="NCHW", x=None):
    r = len(xshape) - 2
    k = k or [1] * r
    s = s or [1] * r
    pads = pads or [0] * (2 * r)
    if x is None:
        x = f32(xshape)
    y, grad = pool_ref(x, kind, k, s, pads, legacy, include_pad, global_pool)
    args = list(spelling) if spelling is not None else [("kernels", k), ("strides", s), ("pads", pads)]
    if legacy:
        args.append(("legacy_pad", legacy))
    if include_pad:
        args.append(("count_include_pad", 1))
    if global_pool:
        args.append(("global_pooling", 1))
    dy = f32(y.shape)
    dx = grad(dy)
    xin, yout, dyin, dxout = x, y, dy, dx
    if order == "NHWC":
        args.append(("order", "NHWC"))
        xin, yout, dyin, dxout = nhwc(x), nhwc(y), nhwc(dy), nhwc(dx)
    case(name, op, [("X", xin)], [("Y", yout)], args)
    # The gradient op is fed Y as float32, as the forward op would produce it.
    case(name + "_grad", op + "Gradient", [("X", xin), ("Y", np.asarray(yout, dtype=np.float32)), ("dY", dyin)],
         [("dX", dxout)], args)


pool_case("max_2x2_s2", "MaxPool", (2, 3, 6, 6), "max", [2, 2], [2, 2], spelling=[("kernel", 2), ("stride", 2)])
pool_case("max_3x3_s2_pad", "MaxPool", (1, 2, 7, 6), "max", [3, 3], [2, 2], [1, 1, 1, 1],
          spelling=[("kernel", 3), ("stride", 2), ("pad", 1)])
pool_case("max_hw_spelling", "MaxPool", (1, 2, 7, 8), "max", [3, 2], [2, 3], [1, 0, 0, 1],
          spelling=[("kernel_h", 3), ("kernel_w", 2), ("stride_h", 2), ("stride_w", 3), ("pad_t", 1), ("pad_l", 0),
                    ("pad_b", 0), ("pad_r", 1)])
pool_case("max_legacy_ceil", "MaxPool", (1, 2, 6, 6), "max", [3, 3], [2, 2], [0, 0, 0, 0], legacy=3,
          spelling=[("kernel", 3), ("stride", 2)])
pool_case("max_legacy_ceil_pad", "MaxPool", (1, 2, 6, 7), "max", [3, 3], [2, 2], [1, 1, 1, 1], legacy=3,
          spelling=[("kernel", 3), ("stride", 2), ("pad", 1)])
pool_case("max_legacy_squeezenet", "MaxPool", (1, 2, 13, 13), "max", [3, 3], [2, 2], legacy=3,
          spelling=[("kernel", 3), ("stride", 2)])
pool_case("max_global", "MaxPool", (2, 3, 4, 5), "max", global_pool=True, spelling=[])
pool_case("max_nhwc", "MaxPool", (2, 3, 5, 6), "max", [3, 2], [2, 2], [1, 0, 1, 1], order="NHWC")
pool_case("max_1d", "MaxPool1D", (2, 3, 9), "max", [3], [2], [1, 1])
pool_case("max_3d", "MaxPool3D", (1, 2, 4, 5, 4), "max", [2, 3, 2], [2, 1, 2], [0, 1, 1, 1, 0, 0])
pool_case("max_2d_alias", "MaxPool2D", (1, 2, 4, 4), "max", [2, 2], [1, 1])

pool_case("avg_2x2_s2", "AveragePool", (2, 3, 6, 6), "avg", [2, 2], [2, 2], spelling=[("kernel", 2), ("stride", 2)])
pool_case("avg_3x3_pad", "AveragePool", (1, 2, 5, 6), "avg", [3, 3], [1, 1], [1, 1, 1, 1],
          spelling=[("kernel", 3), ("pad", 1)])
pool_case("avg_3x3_pad_include", "AveragePool", (1, 2, 5, 6), "avg", [3, 3], [1, 1], [1, 1, 1, 1],
          include_pad=True, spelling=[("kernel", 3), ("pad", 1)])
pool_case("avg_asym_pads", "AveragePool", (1, 2, 6, 5), "avg", [3, 2], [2, 1], [0, 1, 2, 0])
pool_case("avg_legacy_ceil", "AveragePool", (1, 2, 6, 7), "avg", [3, 3], [2, 2], [1, 1, 1, 1], legacy=3,
          spelling=[("kernel", 3), ("stride", 2), ("pad", 1)])
pool_case("avg_legacy_ceil_include", "AveragePool", (1, 2, 6, 7), "avg", [3, 3], [2, 2], [1, 1, 1, 1], legacy=3,
          include_pad=True, spelling=[("kernel", 3), ("stride", 2), ("pad", 1)])
pool_case("avg_global", "AveragePool", (2, 3, 5, 4), "avg", global_pool=True, spelling=[])
pool_case("avg_global_nhwc", "AveragePool", (2, 3, 3, 4), "avg", global_pool=True, spelling=[], order="NHWC")
pool_case("avg_nhwc_include", "AveragePool", (1, 4, 5, 5), "avg", [3, 3], [2, 2], [1, 1, 1, 1], include_pad=True,
          order="NHWC")
pool_case("avg_1d", "AveragePool1D", (1, 2, 8), "avg", [3], [2], [1, 0])
pool_case("avg_3d", "AveragePool3D", (1, 2, 4, 4, 5), "avg", [2, 2, 3], [2, 2, 2], [1, 0, 1, 0, 1, 1])
pool_case("avg_2d_alias", "AveragePool2D", (1, 1, 4, 4), "avg", [2, 2], [2, 2])

# Ties: every tied maximum of a window receives that window's gradient.
tie = np.array([[1, 3, 3, 0], [3, 2, 1, 3], [0, 0, 2, 2], [1, 2, 2, 1]], dtype=np.float32).reshape(1, 1, 4, 4)
pool_case("max_ties", "MaxPool", (1, 1, 4, 4), "max", [2, 2], [1, 1], x=tie)

os.makedirs(os.path.dirname(OUT), exist_ok=True)
with open(OUT, "w") as f:
    f.write('{"generator": "Scripts/testdata/pool.py", "numpy": "%s", "cases": [\n' % np.__version__)
    f.write(",\n".join(json.dumps(c) for c in cases))
    f.write("\n]}\n")
print(f"wrote {len(cases)} cases to {OUT}")

#!/usr/bin/env python3
"""Generates Tests/Caffe2Tests/Data/elementwise_goldens.json: element-wise,
comparison, logical, n-ary and reduction operator cases with outputs computed
independently by numpy (Caffe2 semantics as described in
shared/reference/operators.md). Run from the package root:

    python3 Scripts/testdata/elementwise_goldens.py
"""
import json
import os

import numpy as np

rng = np.random.default_rng(20240605)
cases = []

DT = {np.float32: "float", np.float64: "double", np.int32: "int32", np.int64: "int64", np.bool_: "bool"}


def tensor(a):
    a = np.asarray(a)
    dt = DT[a.dtype.type]
    if dt == "bool":
        vals = [1.0 if v else 0.0 for v in a.reshape(-1)]
    elif dt in ("int32", "int64"):
        vals = [int(v) for v in a.reshape(-1)]
    else:
        vals = [float(v) for v in a.reshape(-1)]
    assert all(np.isfinite(vals)), "goldens hold finite values only"
    return {"dims": list(a.shape), "dtype": dt, "values": vals}


def rand(shape, dtype, lo=-3.0, hi=3.0, nonzero=False):
    if dtype in (np.int32, np.int64):
        a = rng.integers(int(lo) - 4, int(hi) + 5, size=shape).astype(dtype)
        if nonzero:
            a[a == 0] = 3
        return a
    if dtype == np.bool_:
        return rng.random(shape) > 0.5
    a = rng.uniform(lo, hi, size=shape).astype(dtype)
    if nonzero:
        a[np.abs(a) < 0.25] = 0.75
    return a


def add(name, op, inputs, outputs, args=None, input_names=None, output_names=None, atol=1e-6, rtol=1e-5):
    n_in = len(inputs)
    cases.append({
        "name": name,
        "op": op,
        "inputNames": input_names or [f"X{i}" for i in range(n_in)],
        "outputNames": output_names or [f"Y{i}" for i in range(len(outputs))],
        "args": args or [],
        "inputs": [tensor(x) for x in inputs],
        "outputs": [tensor(y) for y in outputs],
        "atol": atol,
        "rtol": rtol,
    })


def arg_i(name, v):
    return {"name": name, "i": int(v)}


def arg_f(name, v):
    return {"name": name, "f": float(v)}


def arg_s(name, v):
    return {"name": name, "s": v}


def arg_ints(name, v):
    return {"name": name, "ints": [int(x) for x in v]}


def trunc_div(a, b):
    if np.issubdtype(a.dtype, np.integer):
        q = np.abs(a.astype(np.int64)) // np.abs(b.astype(np.int64))
        return (np.sign(a.astype(np.int64)) * np.sign(b.astype(np.int64)) * q).astype(a.dtype)
    return (a / b).astype(a.dtype)


ARITH = {
    "Add": lambda a, b: (a + b).astype(a.dtype),
    "Sub": lambda a, b: (a - b).astype(a.dtype),
    "Mul": lambda a, b: (a * b).astype(a.dtype),
    "Div": trunc_div,
}

NUMERIC = [np.float32, np.float64, np.int32, np.int64]


def reduce_to(g, shape):
    """Sums g (broadcast result) down to `shape` (numpy right-aligned rules)."""
    shape = tuple(shape)
    nd = g.ndim - len(shape)
    r = g.sum(axis=tuple(range(nd))) if nd > 0 else g
    axes = tuple(i for i, d in enumerate(shape) if d == 1 and r.shape[i] != 1)
    if axes:
        r = r.sum(axis=axes, keepdims=True)
    return r.reshape(shape)


def legacy_view(bshape, ashape, axis):
    """B reshaped so numpy broadcasting equals Caffe2's legacy broadcast."""
    if int(np.prod(bshape)) == 1:
        return (1,) * len(ashape)
    if axis == -1:
        axis = len(ashape) - len(bshape)
    return (1,) * axis + tuple(bshape) + (1,) * (len(ashape) - axis - len(bshape))


# --- Binary arithmetic, numpy broadcasting -------------------------------
numpy_pairs = [
    ([2, 3], [2, 3]),
    ([2, 3, 4], [4]),
    ([2, 3, 4], [3, 1]),
    ([1, 3], [2, 1]),
    ([], [2, 3]),
    ([2, 1, 4], [3, 1]),
    ([4], [2, 3, 4]),
    ([3, 1], []),
    ([2, 0, 3], [1, 3]),
    ([5, 1, 1], [1, 4, 6]),
]
for op, f in ARITH.items():
    for dt in NUMERIC:
        for sa, sb in numpy_pairs:
            a = rand(sa, dt)
            b = rand(sb, dt, nonzero=(op == "Div"))
            add(f"{op} numpy {sa}x{sb} {DT[dt]}", op, [a, b], [f(a, b)])

# --- Binary arithmetic, legacy broadcast ---------------------------------
legacy = [
    ([2, 3, 4, 5], [3, 4], [arg_i("broadcast", 1), arg_i("axis", 1)], 1),
    ([2, 3, 4, 5], [4, 5], [arg_i("broadcast", 1)], -1),
    ([2, 3, 4, 5], [1, 3, 1], [arg_i("broadcast", 1), arg_i("axis", 0)], 0),
    ([2, 3, 4, 5], [3], [arg_i("broadcast", 1), arg_s("axis_str", "C")], 1),
    ([2, 4, 5, 3], [3], [arg_i("broadcast", 1), arg_s("axis_str", "C"), arg_s("order", "NHWC")], 3),
    ([2, 3], [1], [arg_i("broadcast", 1)], -1),
    ([2, 3], [1, 1], [arg_i("broadcast", 1)], -1),
    ([4, 10], [10], [arg_i("broadcast", 1), arg_i("axis", 1)], 1),
]
for op, f in ARITH.items():
    for dt in NUMERIC:
        for sa, sb, args, axis in legacy:
            a = rand(sa, dt)
            b = rand(sb, dt, nonzero=(op == "Div"))
            bv = b.reshape(legacy_view(sb, sa, axis))
            add(f"{op} legacy {sa}x{sb} {DT[dt]} {args}", op, [a, b], [f(a, bv)], args)

# --- In place ----------------------------------------------------------------
a = rand([3, 4], np.float32)
b = rand([4], np.float32)
add("Add in place over A, numpy", "Add", [a, b], [a + b], input_names=["A", "B"], output_names=["A"])
a = rand([4], np.float32)
b = rand([3, 4], np.float32)
add("Mul in place over B, numpy (A broadcast)", "Mul", [a, b], [a * b], input_names=["A", "B"], output_names=["B"])
a = rand([2, 3, 4], np.float64)
b = rand([3], np.float64)
add("Sub in place over A, legacy", "Sub", [a, b], [a - b.reshape(1, 3, 1)], [arg_i("broadcast", 1), arg_i("axis", 1)],
    input_names=["A", "B"], output_names=["A"])
a = rand([3, 4], np.int32)
b = rand([3, 4], np.int32, nonzero=True)
add("Div in place over A, int32", "Div", [a, b], [trunc_div(a, b)], input_names=["A", "B"], output_names=["A"])
a = rand([5], np.float32)
add("Add with both inputs the output", "Add", [a, a], [a + a], input_names=["A", "A"], output_names=["A"])

# --- Gradient ops -------------------------------------------------------------
def grads(op, a, b, dc, c):
    if op == "Add":
        return reduce_to(dc, a.shape), reduce_to(dc, b.shape)
    if op == "Sub":
        return reduce_to(dc, a.shape), reduce_to(-dc, b.shape)
    if op == "Mul":
        return reduce_to(dc * b, a.shape), reduce_to(dc * a, b.shape)
    if np.issubdtype(a.dtype, np.integer):
        return reduce_to(trunc_div(dc, np.broadcast_to(b, dc.shape)), a.shape), \
            reduce_to(trunc_div(-dc * c, np.broadcast_to(b, dc.shape)), b.shape)
    return reduce_to(dc / b, a.shape), reduce_to(-dc * c / b, b.shape)


grad_pairs = [([2, 3], [2, 3]), ([2, 3, 4], [3, 1]), ([4], [2, 3, 4]), ([1, 3], [2, 1]), ([], [2, 2]),
              ([2, 0, 3], [1, 3])]
for op in ARITH:
    for dt in NUMERIC:
        for sa, sb in grad_pairs:
            a = rand(sa, dt)
            b = rand(sb, dt, nonzero=(op == "Div"))
            c = ARITH[op](a, b)
            dc = rand(c.shape, dt)
            ga, gb = grads(op, a, b, dc, c)
            ins = [dc, a, b] + ([c] if op == "Div" else [])
            add(f"{op}Gradient numpy {sa}x{sb} {DT[dt]}", op + "Gradient", ins,
                [ga.astype(dt), gb.astype(dt)], atol=1e-5)
    for dt in [np.float32, np.int64]:
        for sa, sb, args, axis in legacy[:4] + legacy[5:6]:
            a = rand(sa, dt)
            b = rand(sb, dt, nonzero=(op == "Div"))
            bv = b.reshape(legacy_view(sb, sa, axis))
            c = ARITH[op](a, bv)
            dc = rand(c.shape, dt)
            ga, gbv = grads(op, a, bv, dc, c)
            ins = [dc, a, b] + ([c] if op == "Div" else [])
            add(f"{op}Gradient legacy {sa}x{sb} {DT[dt]}", op + "Gradient", ins,
                [ga.astype(dt), gbv.reshape(sb).astype(dt)], args, atol=1e-5)
# DivGradient legacy 3-input form (B, C, dC).
a = rand([2, 3], np.float32)
b = rand([2, 3], np.float32, nonzero=True)
c = a / b
dc = rand([2, 3], np.float32)
add("DivGradient 3-input form", "DivGradient", [b, c, dc], [dc / b, -dc * c / b])

# Gradient ops computed in place over dC (the output written over dC must go last).
for op in ARITH:
    a = rand([2, 3, 4], np.float32)
    b = rand([3, 1], np.float32, nonzero=True)
    c = ARITH[op](a, b)
    dc = rand(c.shape, np.float32)
    ga, gb = grads(op, a, b, dc, c)
    ins = [dc, a, b] + ([c] if op == "Div" else [])
    names = ["dC", "A", "B"] + (["C"] if op == "Div" else [])
    add(f"{op}Gradient in place dC -> dA", op + "Gradient", ins, [ga, gb], input_names=names,
        output_names=["dC", "dB"], atol=1e-5)
    if op != "Div":
        a2 = rand([3, 1], np.float32)
        b2 = rand([2, 3, 4], np.float32)
        c2 = ARITH[op](a2, b2)
        dc2 = rand(c2.shape, np.float32)
        ga2, gb2 = grads(op, a2, b2, dc2, c2)
        add(f"{op}Gradient in place dC -> dB", op + "Gradient", [dc2, a2, b2], [ga2, gb2],
            input_names=["dC", "A", "B"], output_names=["dA", "dC"], atol=1e-5)
for dt in [np.int32, np.int64, np.float64]:
    x = rand([2, 3, 4], dt)
    dyv = rand([2, 1, 4], dt)
    add(f"ReduceSumGradient {DT[dt]}", "ReduceSumGradient", [dyv, x, dyv], [np.broadcast_to(dyv, x.shape).astype(dt)],
        [arg_ints("axes", [1])])
    dyb = rand([2, 3], dt)
    add(f"ReduceBackSumGradient {DT[dt]}", "ReduceBackSumGradient", [dyb, x],
        [np.broadcast_to(dyb[..., None], x.shape).astype(dt)])
    dyf = rand([3, 4], dt)
    add(f"ReduceFrontMeanGradient {DT[dt]}", "ReduceFrontMeanGradient", [dyf, x],
        [trunc_div(np.broadcast_to(dyf, x.shape).astype(dt), np.full(x.shape, 2, dt))])

# Unary ops and gradient ops in place.
x = rand([3, 4], np.float32, -2, 2)
add("Exp in place", "Exp", [x], [np.exp(x.astype(np.float64)).astype(np.float32)], input_names=["X"], output_names=["X"])
add("Negative in place int64", "Negative", [x.astype(np.int64)], [-(x.astype(np.int64))], input_names=["X"],
    output_names=["X"])
add("Clip in place", "Clip", [x], [np.clip(x, -1, 1)], [arg_f("min", -1), arg_f("max", 1)], input_names=["X"],
    output_names=["X"])
add("Scale in place double", "Scale", [x.astype(np.float64)], [x.astype(np.float64) * np.float64(np.float32(0.3))],
    [arg_f("scale", 0.3)], input_names=["X"], output_names=["X"])
y = rand([3, 4], np.float32, 0.2, 2)
dyv = rand([3, 4], np.float32)
add("RSqrtGradient in place", "RSqrtGradient", [dyv, y], [dyv * y ** 3 * -0.5], input_names=["dY", "Y"],
    output_names=["dY"])
add("ClipGradient in place", "ClipGradient", [x, dyv], [np.where((x > -1) & (x < 1), dyv, 0).astype(np.float32)],
    [arg_f("min", -1), arg_f("max", 1)], input_names=["Y", "dY"], output_names=["dY"])
sx = 1 / (1 + np.exp(-x.astype(np.float64)))
yv = (x * sx).astype(np.float32)
add("SwishGradient in place", "SwishGradient", [x, yv, dyv], [(dyv * (yv + sx * (1 - yv))).astype(np.float32)],
    input_names=["X", "Y", "dY"], output_names=["dY"])
add("MeanGradient in place", "MeanGradient", [dyv], [dyv / 2, dyv / 2], input_names=["dY"], output_names=["dY", "d1"])
xs = [rand([2, 3], np.float32) for _ in range(2)]
add("Max in place", "Max", xs, [np.maximum(xs[0], xs[1])], input_names=["A", "B"], output_names=["A"])

# --- Comparisons and logical ----------------------------------------------------
CMP = {"EQ": np.equal, "NE": np.not_equal, "LT": np.less, "LE": np.less_equal, "GT": np.greater,
       "GE": np.greater_equal}
for op, f in CMP.items():
    for dt in [np.bool_, np.int32, np.int64, np.float32, np.float64]:
        for sa, sb in [([3, 4], [3, 4]), ([2, 3, 4], [3, 1]), ([4], [2, 1])]:
            if dt == np.bool_:
                a, b = rand(sa, dt), rand(sb, dt)
            else:
                a = rand(sa, dt, -2, 2)
                b = rand(sb, dt, -2, 2)
                if dt in (np.float32, np.float64):
                    a = np.round(a).astype(dt)  # ties, so EQ/LE/GE see equal values
                    b = np.round(b).astype(dt)
            add(f"{op} {sa}x{sb} {DT[dt]}", op, [a, b], [f(a, b)])
    a = rand([2, 3, 4], np.int32, -2, 2)
    b = rand([3], np.int32, -2, 2)
    add(f"{op} legacy int32", op, [a, b], [f(a, b.reshape(1, 3, 1))], [arg_i("broadcast", 1), arg_i("axis", 1)])

LOGIC = {"And": np.logical_and, "Or": np.logical_or, "Xor": np.logical_xor}
for op, f in LOGIC.items():
    for sa, sb in [([3, 4], [3, 4]), ([2, 3, 4], [3, 1]), ([4], [2, 1])]:
        a, b = rand(sa, np.bool_), rand(sb, np.bool_)
        add(f"{op} {sa}x{sb}", op, [a, b], [f(a, b)])
    a, b = rand([2, 5], np.bool_), rand([5], np.bool_)
    add(f"{op} in place", op, [a, b], [f(a, b)], input_names=["A", "B"], output_names=["A"])
a = rand([3, 5], np.bool_)
add("Not", "Not", [a], [np.logical_not(a)])

# --- Unary math -----------------------------------------------------------------
for dt in NUMERIC:
    x = rand([3, 4], dt)
    add(f"Negative {DT[dt]}", "Negative", [x], [(-x).astype(dt)])
    x = rand([2, 5], dt)
    x.reshape(-1)[0] = 0
    add(f"Sign {DT[dt]}", "Sign", [x], [np.sign(x).astype(dt)])
for dt in [np.float32, np.float64]:
    x = rand([3, 4], dt)
    add(f"Scale {DT[dt]}", "Scale", [x], [(x * np.float32(1.5)).astype(dt)], [arg_f("scale", 1.5)])
    x = rand([3, 4], dt, 0.1, 4)
    add(f"Sqrt {DT[dt]}", "Sqrt", [x], [np.sqrt(x)])
    x = rand([2, 3], dt, -6, 6)
    add(f"Swish {DT[dt]}", "Swish", [x], [(x / (1 + np.exp(-x.astype(np.float64)))).astype(dt)])
x = rand([4], np.float32)
add("Scale default", "Scale", [x], [x])
x = rand([3, 4], np.float32)
add("Sqr", "Sqr", [x], [x * x])
x = rand([3, 4], np.float32, 0.1, 4)
add("RSqrt", "RSqrt", [x], [(1 / np.sqrt(x.astype(np.float64))).astype(np.float32)])
x = rand([3, 4], np.float32, -4, 4)
add("Exp", "Exp", [x], [np.exp(x.astype(np.float64)).astype(np.float32)])
x = rand([3, 4], np.float32, 0.05, 8)
add("Log", "Log", [x], [np.log(x.astype(np.float64)).astype(np.float32)])
x = rand([3, 4], np.float32)
x[0, 0] = 0
add("Abs", "Abs", [x], [np.abs(x)])
x = rand([3, 4], np.float32)
add("Clip", "Clip", [x], [np.clip(x, -1, 0.5)], [arg_f("min", -1), arg_f("max", 0.5)])
add("Clip min only", "Clip", [x], [np.maximum(x, -0.5)], [arg_f("min", -0.5)])
add("Clip min > max", "Clip", [x], [np.full_like(x, 0.25)], [arg_f("min", 1), arg_f("max", 0.25)])
x = rand([3, 4], np.float32, 0.2, 3)
for e in [3.0, 2.0, 0.5, -1.0, -2.5]:
    add(f"Pow exponent {e}", "Pow", [x], [np.power(x.astype(np.float64), e).astype(np.float32)], [arg_f("exponent", e)])
xn = rand([3, 4], np.float32, -3, 3)
add("Pow negative base, integral exponent", "Pow", [xn], [np.power(xn.astype(np.float64), 3.0).astype(np.float32)],
    [arg_f("exponent", 3)])
e = rand([3, 4], np.float32, -2, 2)
add("Pow tensor exponent", "Pow", [x, e], [np.power(x.astype(np.float64), e).astype(np.float32)])
x4 = rand([2, 3, 4], np.float32, 0.2, 3)
e3 = rand([3], np.float32, -2, 2)
add("Pow legacy broadcast", "Pow", [x4, e3], [np.power(x4.astype(np.float64), e3.reshape(1, 3, 1)).astype(np.float32)],
    [arg_i("broadcast", 1), arg_i("axis", 1)])
for k in [2.0, 0.5, -0.5, -1.0, 1.7]:
    add(f"Pow broadcast scalar exponent {k}", "Pow", [x4, np.array([k], np.float32)],
        [np.power(x4.astype(np.float64), k).astype(np.float32)], [arg_i("broadcast", 1)])

# Unary gradient ops.
y = rand([3, 4], np.float32, 0.2, 3)
dy = rand([3, 4], np.float32)
add("RSqrtGradient", "RSqrtGradient", [dy, y], [dy * y ** 3 * -0.5])
x = rand([3, 4], np.float32)
x[1, 1] = 0
add("AbsGradient", "AbsGradient", [x, dy], [np.sign(x) * dy])
y = rand([3, 4], np.float32, -2, 2)
y[0, 0] = 1.0
y[0, 1] = -1.0
add("ClipGradient", "ClipGradient", [y, dy], [np.where((y > -1) & (y < 1), dy, 0).astype(np.float32)],
    [arg_f("min", -1), arg_f("max", 1)])
for dt in [np.float32, np.float64]:
    x = rand([2, 3], dt, -4, 4)
    sx = 1 / (1 + np.exp(-x.astype(np.float64)))
    yv = (x * sx).astype(dt)
    dyv = rand([2, 3], dt)
    add(f"SwishGradient {DT[dt]}", "SwishGradient", [x, yv, dyv],
        [(dyv * (yv + sx * (1 - yv))).astype(dt)])

# --- N-ary ------------------------------------------------------------------------
for dt in NUMERIC:
    xs = [rand([2, 3], dt) for _ in range(3)]
    add(f"Sum 3 inputs {DT[dt]}", "Sum", xs, [(xs[0] + xs[1] + xs[2]).astype(dt)])
    add(f"Sum 1 input {DT[dt]}", "Sum", xs[:1], [xs[0]])
    add(f"Sum in place {DT[dt]}", "Sum", xs[:2], [(xs[0] + xs[1]).astype(dt)], input_names=["A", "B"], output_names=["A"])
for dt in [np.float32, np.float64]:
    xs = [rand([4, 2], dt) for _ in range(3)]
    add(f"Mean {DT[dt]}", "Mean", xs, [((xs[0] + xs[1] + xs[2]) / 3).astype(dt)])
    dyv = rand([4, 2], dt)
    add(f"MeanGradient {DT[dt]}", "MeanGradient", [dyv], [(dyv / 3).astype(dt)] * 3)
xs = [rand([3, 4], np.float32) for _ in range(3)]
add("Max 3 inputs", "Max", xs, [np.maximum(np.maximum(xs[0], xs[1]), xs[2])])
add("Min 3 inputs", "Min", xs, [np.minimum(np.minimum(xs[0], xs[1]), xs[2])])
add("Max 1 input", "Max", xs[:1], [xs[0]])
a = np.array([[1, 2, 3], [4, 5, 6]], np.float32)
b = np.array([[1, 0, 3], [7, 5, 0]], np.float32)
ymax = np.maximum(a, b)
dyv = np.array([[0.5, -1, 2], [3, -4, 6]], np.float32)
add("MaxGradient with ties", "MaxGradient", [ymax, dyv, a, b],
    [np.where(a == ymax, dyv, 0).astype(np.float32), np.where(b == ymax, dyv, 0).astype(np.float32)])
ymin = np.minimum(a, b)
add("MinGradient with ties", "MinGradient", [ymin, dyv, a, b],
    [np.where(a == ymin, dyv, 0).astype(np.float32), np.where(b == ymin, dyv, 0).astype(np.float32)])
xs = [rand([2, 3], np.float32) for _ in range(3)]
ws = [np.array([w], np.float32) for w in (0.5, -2.0, 1.25)]
add("WeightedSum 3 pairs", "WeightedSum", [xs[0], ws[0], xs[1], ws[1], xs[2], ws[2]],
    [(0.5 * xs[0] - 2 * xs[1] + 1.25 * xs[2]).astype(np.float32)])
add("WeightedSum 1 pair", "WeightedSum", [xs[0], ws[1]], [(-2 * xs[0]).astype(np.float32)])
add("WeightedSum in place", "WeightedSum", [xs[0], ws[0], xs[1], ws[1]], [(0.5 * xs[0] - 2 * xs[1]).astype(np.float32)],
    input_names=["X", "w0", "Z", "w1"], output_names=["X"])
add("WeightedSum X1 of other dims, same count", "WeightedSum", [xs[0], ws[0], xs[1].reshape(3, 2), ws[1]],
    [(0.5 * xs[0] - 2 * xs[1]).astype(np.float32)])
dyv = rand([2, 3], np.float32)
add("WeightedSumGradient", "WeightedSumGradient", [dyv, xs[0], ws[0], xs[1], ws[1]],
    [(0.5 * dyv).astype(np.float32), (-2 * dyv).astype(np.float32)])
add("WeightedSumGradient grad_on_w", "WeightedSumGradient", [dyv, xs[0], ws[0], xs[1], ws[1]],
    [(0.5 * dyv).astype(np.float32), (-2 * dyv).astype(np.float32),
     np.array([np.sum(dyv * xs[0])], np.float32), np.array([np.sum(dyv * xs[1])], np.float32)],
    [arg_i("grad_on_w", 1)], atol=1e-5)
for dt in [np.float32, np.float64]:
    a = rand([2, 3, 4, 5], dt)
    add(f"SumReduceLike axis 1 {DT[dt]}", "SumReduceLike", [a, rand([3, 4], dt)],
        [a.sum(axis=(0, 3)).astype(dt)], [arg_i("axis", 1)], atol=1e-5)
    add(f"SumReduceLike suffix {DT[dt]}", "SumReduceLike", [a, rand([4, 5], dt)], [a.sum(axis=(0, 1)).astype(dt)],
        atol=1e-5)
    add(f"SumReduceLike scalar {DT[dt]}", "SumReduceLike", [a, rand([1], dt)], [np.array([a.sum()], dt)], atol=1e-4)
    add(f"SumReduceLike axis_str {DT[dt]}", "SumReduceLike", [a, rand([3], dt)],
        [a.sum(axis=(0, 2, 3)).astype(dt)], [arg_s("axis_str", "C")], atol=1e-5)
x = rand([4, 5], np.float32)
w = rand([5], np.float32)
bb = rand([5], np.float32)
add("ElementwiseLinear", "ElementwiseLinear", [x, w, bb], [(x * w + bb).astype(np.float32)])
x3 = rand([2, 3, 4], np.float32)
w12 = rand([12], np.float32)
b12 = rand([12], np.float32)
add("ElementwiseLinear axis 1 on 3-D", "ElementwiseLinear", [x3, w12, b12],
    [(x3.reshape(2, 12) * w12 + b12).reshape(2, 3, 4).astype(np.float32)])
w4 = rand([4], np.float32)
b4 = rand([4], np.float32)
add("ElementwiseLinear axis 2", "ElementwiseLinear", [x3, w4, b4], [(x3 * w4 + b4).astype(np.float32)],
    [arg_i("axis", 2)])
# Glow's importer reading: vectors of X.dims[axis] elements apply along that axis only.
xg = rand([10, 5], np.float32)
wg = rand([10], np.float32)
bg = rand([10], np.float32)
add("ElementwiseLinear Glow axis 0", "ElementwiseLinear", [xg, wg, bg], [(xg * wg[:, None] + bg[:, None]).astype(np.float32)],
    [arg_i("axis", 0)])
w3 = rand([3], np.float32)
b3 = rand([3], np.float32)
add("ElementwiseLinear Glow axis 1 on 3-D", "ElementwiseLinear", [x3, w3, b3],
    [(x3 * w3[None, :, None] + b3[None, :, None]).astype(np.float32)])
dy3 = rand([2, 3, 4], np.float32)
add("ElementwiseLinearGradient Glow axis 1 on 3-D", "ElementwiseLinearGradient", [dy3, x3, w3],
    [(dy3 * w3[None, :, None]).astype(np.float32), (dy3 * x3).sum(axis=(0, 2)).astype(np.float32),
     dy3.sum(axis=(0, 2)).astype(np.float32)], atol=1e-5)
dyv = rand([4, 5], np.float32)
add("ElementwiseLinearGradient", "ElementwiseLinearGradient", [dyv, x, w],
    [(dyv * w).astype(np.float32), (dyv * x).sum(axis=0).astype(np.float32), dyv.sum(axis=0).astype(np.float32)],
    atol=1e-5)

# --- Reductions ---------------------------------------------------------------------
x = None
for dt in NUMERIC:
    x = rand([2, 3, 4], dt)
    for axes, keep in [([1], 1), ([0, 2], 0), ([-1], 1), ([], 0), ([], 1), ([2, 0], 1)]:
        ax = tuple(a % 3 for a in axes) if axes else None
        args = ([arg_ints("axes", axes)] if axes else []) + [arg_i("keepdims", keep)]
        add(f"ReduceSum {axes} keepdims={keep} {DT[dt]}", "ReduceSum", [x],
            [np.asarray(x.sum(axis=ax, keepdims=bool(keep))).astype(dt)], args, atol=1e-5)
x = rand([2, 3, 4], np.float32)
for axes, keep in [([1], 1), ([0, 2], 0), ([], 0)]:
    ax = tuple(axes) if axes else None
    args = ([arg_ints("axes", axes)] if axes else []) + [arg_i("keepdims", keep)]
    add(f"ReduceMean {axes} keepdims={keep}", "ReduceMean", [x],
        [np.asarray(x.mean(axis=ax, keepdims=bool(keep))).astype(np.float32)], args)
    y = np.asarray(x.sum(axis=ax, keepdims=bool(keep)))
    dyv = rand(y.shape, np.float32)
    kept = np.asarray(x.sum(axis=ax, keepdims=True)).shape
    add(f"ReduceSumGradient {axes} keepdims={keep}", "ReduceSumGradient", [dyv, x, y.astype(np.float32)],
        [np.broadcast_to(dyv.reshape(kept), x.shape).astype(np.float32)], args)
    add(f"ReduceMeanGradient {axes} keepdims={keep}", "ReduceMeanGradient", [dyv, x, y.astype(np.float32)],
        [(np.broadcast_to(dyv.reshape(kept), x.shape) * (dyv.size / x.size)).astype(np.float32)], args)

for dt in NUMERIC:
    x = rand([2, 3, 4], dt)
    for k in [0, 1, 2, 3]:
        front_sum = x.reshape(int(np.prod(x.shape[:k], dtype=np.int64)), -1).sum(axis=0).reshape(x.shape[k:])
        back_sum = x.reshape(-1, int(np.prod(x.shape[3 - k:], dtype=np.int64))).sum(axis=1).reshape(x.shape[:3 - k])
        add(f"ReduceFrontSum k={k} {DT[dt]}", "ReduceFrontSum", [x], [front_sum.astype(dt)],
            [arg_i("num_reduce_dim", k)], atol=1e-5)
        add(f"ReduceBackSum k={k} {DT[dt]}", "ReduceBackSum", [x], [back_sum.astype(dt)],
            [arg_i("num_reduce_dim", k)], atol=1e-5)
        if dt in (np.float32, np.float64) and k > 0:
            nf = int(np.prod(x.shape[:k]))
            nb = int(np.prod(x.shape[3 - k:]))
            add(f"ReduceFrontMean k={k} {DT[dt]}", "ReduceFrontMean", [x], [(front_sum / nf).astype(dt)],
                [arg_i("num_reduce_dim", k)], atol=1e-5)
            add(f"ReduceBackMean k={k} {DT[dt]}", "ReduceBackMean", [x], [(back_sum / nb).astype(dt)],
                [arg_i("num_reduce_dims", k)], atol=1e-5)
    if dt in (np.int32, np.int64):
        xm = rand([3, 4], dt)
        add(f"ReduceBackMean integer {DT[dt]}", "ReduceBackMean", [xm],
            [trunc_div(xm.sum(axis=1).astype(dt), np.full(3, 4, dt))])

x = rand([3, 4], np.float32)
lengths = np.array([2, 4, 0], np.int32)
back_len = np.array([x[i, :lengths[i]].sum() for i in range(3)], np.float32)
add("ReduceBackSum lengths", "ReduceBackSum", [x, lengths], [back_len])
lengths_m = np.array([2, 4, 1], np.int32)
add("ReduceBackMean lengths", "ReduceBackMean", [x, lengths_m],
    [np.array([x[i, :lengths_m[i]].mean() for i in range(3)], np.float32)])
flen = np.array([1, 3, 0, 2], np.int32)
add("ReduceFrontSum lengths", "ReduceFrontSum", [x, flen],
    [np.array([x[:flen[j], j].sum() for j in range(4)], np.float32)])
flen_m = np.array([1, 3, 2, 2], np.int32)
add("ReduceFrontMean lengths", "ReduceFrontMean", [x, flen_m],
    [np.array([x[:flen_m[j], j].mean() for j in range(4)], np.float32)])
# Gradients of the front/back reductions.
x = rand([2, 3, 4], np.float32)
dyb = rand([2, 3], np.float32)
add("ReduceBackSumGradient", "ReduceBackSumGradient", [dyb, x], [np.broadcast_to(dyb[..., None], x.shape).copy()])
add("ReduceBackMeanGradient", "ReduceBackMeanGradient", [dyb, x],
    [(np.broadcast_to(dyb[..., None], x.shape) / 4).astype(np.float32)])
dyf = rand([4], np.float32)
add("ReduceFrontSumGradient k=2", "ReduceFrontSumGradient", [dyf, x], [np.broadcast_to(dyf, x.shape).copy()],
    [arg_i("num_reduce_dim", 2)])
add("ReduceFrontMeanGradient k=2", "ReduceFrontMeanGradient", [dyf, x],
    [(np.broadcast_to(dyf, x.shape) / 6).astype(np.float32)], [arg_i("num_reduce_dim", 2)])
add("ReduceFrontSumGradient shape input", "ReduceFrontSumGradient", [dyf, np.array([2, 3, 4], np.int64)],
    [np.broadcast_to(dyf, x.shape).copy()], [arg_i("num_reduce_dim", 2)])
x2 = rand([3, 4], np.float32)
dy3 = rand([3], np.float32)
mask = np.arange(4)[None, :] < lengths_m[:, None]
add("ReduceBackMeanGradient lengths", "ReduceBackMeanGradient", [dy3, x2, lengths_m],
    [np.where(mask, dy3[:, None] / lengths_m[:, None], 0).astype(np.float32)])
add("ReduceBackSumGradient lengths", "ReduceBackSumGradient", [dy3, x2, lengths],
    [np.where(np.arange(4)[None, :] < lengths[:, None], dy3[:, None], 0).astype(np.float32)])
dy4 = rand([4], np.float32)
fmask = np.arange(3)[:, None] < flen[None, :]
add("ReduceFrontSumGradient lengths", "ReduceFrontSumGradient", [dy4, x2, flen],
    [np.where(fmask, dy4[None, :], 0).astype(np.float32)])
fmask_m = np.arange(3)[:, None] < flen_m[None, :]
add("ReduceFrontMeanGradient lengths", "ReduceFrontMeanGradient", [dy4, x2, flen_m],
    [np.where(fmask_m, dy4[None, :] / flen_m[None, :], 0).astype(np.float32)])

out = os.path.join(os.path.dirname(__file__), "..", "..", "Tests", "Caffe2Tests", "Data", "elementwise_goldens.json")
with open(out, "w") as f:
    json.dump({"generator": "Scripts/testdata/elementwise_goldens.py", "numpy": np.__version__, "cases": cases}, f,
              separators=(",", ":"))
print(f"{len(cases)} cases -> {os.path.normpath(out)}")

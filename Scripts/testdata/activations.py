#!/usr/bin/env python3
"""Golden values for the activation, Softmax and activation-gradient operators.

    Scripts/testdata/activations.py      # rewrite Tests/Caffe2Tests/Data/activations/goldens.json

Each case names a Caffe2 operator, its arguments, its inputs (float32 values,
or int32) and the outputs numpy computes from the formulas of
../shared/reference/operators.md §5, in float64 from the float32 inputs. The
Swift tests (ActivationGoldenTests) run the operator on the same inputs and
compare. Only needed to regenerate the data: the tests never run Python.
"""

import json
import os

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "Tests", "Caffe2Tests", "Data", "activations", "goldens.json")
rng = np.random.default_rng(20240605)


def f32(shape, scale=2.0, avoid_zero=0.0):
    """float32 normal values; |x| >= avoid_zero so kinks at 0 are not hit."""
    x = rng.standard_normal(shape) * scale
    if avoid_zero > 0:
        x = np.where(np.abs(x) < avoid_zero, np.sign(x + 1e-12) * (avoid_zero + np.abs(x)), x)
    return x.astype(np.float32)


def tensor(name, a):
    a = np.asarray(a)
    kind = "int32" if a.dtype == np.int32 else "float"
    vals = [int(v) for v in a.ravel()] if kind == "int32" else [float(v) for v in a.astype(np.float64).ravel()]
    return {"name": name, "dims": list(a.shape), "type": kind, "values": vals}


def arg(name, value):
    if isinstance(value, str):
        return {"name": name, "s": value}
    if isinstance(value, float):
        return {"name": name, "f": value}
    return {"name": name, "i": int(value)}


cases = []


def case(name, op, inputs, outputs, args=(), atol=1e-6, rtol=1e-5):
    cases.append({
        "name": name, "op": op, "args": [arg(k, v) for k, v in args],
        "inputs": [tensor(n, a) for n, a in inputs],
        "outputs": [tensor(n, np.asarray(a, dtype=np.float64)) for n, a in outputs],
        "atol": atol, "rtol": rtol,
    })


def d(a):
    return np.asarray(a, dtype=np.float64)


# Relu / LeakyRelu
x = f32((2, 3, 4), avoid_zero=0.05)
case("relu", "Relu", [("X", x)], [("Y", np.maximum(d(x), 0))])
y = np.maximum(d(x), 0).astype(np.float32)
dy = f32((2, 3, 4))
case("relu_gradient", "ReluGradient", [("Y", y), ("dY", dy)], [("dX", np.where(d(y) > 0, d(dy), 0))])
case("leaky_relu_default_alpha", "LeakyRelu", [("X", x)], [("Y", np.where(d(x) >= 0, d(x), 0.01 * d(x)))])
case("leaky_relu_alpha", "LeakyRelu", [("X", x)], [("Y", np.where(d(x) >= 0, d(x), 0.2 * d(x)))],
     args=[("alpha", 0.2)])
ly = np.where(d(x) >= 0, d(x), 0.2 * d(x)).astype(np.float32)
case("leaky_relu_gradient", "LeakyReluGradient", [("Y", ly), ("dY", dy)],
     [("dX", np.where(d(ly) >= 0, d(dy), 0.2 * d(dy)))], args=[("alpha", 0.2)])

# PRelu: NCHW per channel, NHWC per channel, shared, 2-D
def prelu(x, w, axis):
    shape = [1] * x.ndim
    shape[axis] = -1
    wb = d(w).reshape(shape) if w.size > 1 else d(w).reshape([1] * x.ndim)
    return np.where(d(x) > 0, d(x), wb * d(x))


def prelu_grad(x, w, dy, axis):
    shape = [1] * x.ndim
    shape[axis] = -1
    wb = d(w).reshape(shape) if w.size > 1 else d(w).reshape([1] * x.ndim)
    dx = np.where(d(x) > 0, d(dy), wb * d(dy))
    contrib = np.where(d(x) <= 0, d(dy) * d(x), 0)
    if w.size == 1:
        dw = np.array([contrib.sum()])
    else:
        axes = tuple(i for i in range(x.ndim) if i != axis)
        dw = contrib.sum(axis=axes)
    return dx, dw


xn = f32((2, 3, 2, 2), avoid_zero=0.05)
wn = np.array([0.1, -0.3, 0.5], dtype=np.float32)
case("prelu_nchw", "PRelu", [("X", xn), ("Slope", wn)], [("Y", prelu(xn, wn, 1))])
xh = f32((2, 2, 2, 3), avoid_zero=0.05)
case("prelu_nhwc", "PRelu", [("X", xh), ("Slope", wn)], [("Y", prelu(xh, wn, 3))], args=[("order", "NHWC")])
ws = np.array([0.25], dtype=np.float32)
case("prelu_shared", "PRelu", [("X", xn), ("Slope", ws)], [("Y", prelu(xn, ws, 1))])
x2 = f32((4, 3), avoid_zero=0.05)
case("prelu_2d", "PRelu", [("X", x2), ("Slope", wn)], [("Y", prelu(x2, wn, 1))])
dyn = f32((2, 3, 2, 2))
dx_, dw_ = prelu_grad(xn, wn, dyn, 1)
case("prelu_gradient_nchw", "PReluGradient",
     [("Y", prelu(xn, wn, 1).astype(np.float32)), ("dY", dyn), ("X", xn), ("Slope", wn)],
     [("dX", dx_), ("dSlope", dw_)], atol=1e-5)
dx_, dw_ = prelu_grad(xn, ws, dyn, 1)
case("prelu_gradient_shared", "PReluGradient",
     [("Y", prelu(xn, ws, 1).astype(np.float32)), ("dY", dyn), ("X", xn), ("Slope", ws)],
     [("dX", dx_), ("dSlope", dw_)], atol=1e-5)
dyh = f32((2, 2, 2, 3))
dx_, dw_ = prelu_grad(xh, wn, dyh, 3)
case("prelu_gradient_nhwc", "PReluGradient",
     [("Y", prelu(xh, wn, 3).astype(np.float32)), ("dY", dyh), ("X", xh), ("Slope", wn)],
     [("dX", dx_), ("dSlope", dw_)], args=[("order", "NHWC")], atol=1e-5)

# Sigmoid, Tanh, Softplus, Elu and their gradients
xs = np.concatenate([f32((10,), scale=3.0), np.array([-30, -12, 0, 12, 30], dtype=np.float32)])
sig = 1 / (1 + np.exp(-d(xs)))
case("sigmoid", "Sigmoid", [("X", xs)], [("Y", sig)])
ys = sig.astype(np.float32)
dys = f32((15,))
case("sigmoid_gradient", "SigmoidGradient", [("Y", ys), ("dY", dys)], [("dX", d(dys) * d(ys) * (1 - d(ys)))])
case("tanh", "Tanh", [("X", xs)], [("Y", np.tanh(d(xs)))])
yt = np.tanh(d(xs)).astype(np.float32)
case("tanh_gradient", "TanhGradient", [("Y", yt), ("dY", dys)], [("dX", d(dys) * (1 - d(yt) ** 2))])
xsp = np.concatenate([f32((10,), scale=3.0), np.array([-20, -5, 0, 5, 20], dtype=np.float32)])
sp = np.log1p(np.exp(d(xsp)))
case("softplus", "Softplus", [("X", xsp)], [("Y", sp)])
ysp = sp.astype(np.float32)
case("softplus_gradient", "SoftplusGradient", [("Y", ysp), ("dY", dys)], [("dX", d(dys) * (1 - np.exp(-d(ysp))))])
xe = f32((3, 5), avoid_zero=0.05)
case("elu_default_alpha", "Elu", [("X", xe)], [("Y", np.where(d(xe) >= 0, d(xe), np.expm1(d(xe))))])
ye = np.where(d(xe) >= 0, d(xe), 0.5 * np.expm1(d(xe)))
case("elu_alpha", "Elu", [("X", xe)], [("Y", ye)], args=[("alpha", 0.5)])
ye = ye.astype(np.float32)
dye = f32((3, 5))
case("elu_gradient", "EluGradient", [("Y", ye), ("dY", dye)],
     [("dX", np.where(d(ye) >= 0, d(dye), d(dye) * (d(ye) + 0.5)))], args=[("alpha", 0.5)])


# Softmax with Caffe2's 2-D coercion at `axis`
def softmax(x, axis):
    x = d(x)
    a = axis if axis >= 0 else axis + x.ndim
    n = int(np.prod(x.shape[:a], dtype=np.int64))
    m = x.reshape(n, -1)
    e = np.exp(m - m.max(axis=1, keepdims=True))
    return (e / e.sum(axis=1, keepdims=True)).reshape(x.shape)


def softmax_grad(y, dy, axis):
    y, dy = d(y), d(dy)
    a = axis if axis >= 0 else axis + y.ndim
    n = int(np.prod(y.shape[:a], dtype=np.int64))
    ym, gm = y.reshape(n, -1), dy.reshape(n, -1)
    return (ym * (gm - (ym * gm).sum(axis=1, keepdims=True))).reshape(y.shape)


x = f32((3, 5))
x[1] += 1000  # stability: a row of large logits
case("softmax_2d_default_axis", "Softmax", [("X", x)], [("Y", softmax(x, 1))])
x4 = f32((2, 3, 2, 2))
case("softmax_4d_axis1", "Softmax", [("X", x4)], [("Y", softmax(x4, 1))])
case("softmax_4d_axis2", "Softmax", [("X", x4)], [("Y", softmax(x4, 2))], args=[("axis", 2)])
case("softmax_4d_axis_minus1", "Softmax", [("X", x4)], [("Y", softmax(x4, -1))], args=[("axis", -1)])
case("softmax_axis0", "Softmax", [("X", x)], [("Y", softmax(x, 0))], args=[("axis", 0)])
y4 = softmax(x4, 2).astype(np.float32)
dy4 = f32((2, 3, 2, 2))
case("softmax_gradient_4d_axis2", "SoftmaxGradient", [("Y", y4), ("dY", dy4)], [("dX", softmax_grad(y4, dy4, 2))],
     args=[("axis", 2)])
y4 = softmax(x4, 1).astype(np.float32)
case("softmax_gradient_4d_axis1", "SoftmaxGradient", [("Y", y4), ("dY", dy4)], [("dX", softmax_grad(y4, dy4, 1))])

os.makedirs(os.path.dirname(OUT), exist_ok=True)
with open(OUT, "w") as f:
    f.write('{"generator": "Scripts/testdata/activations.py", "numpy": "%s", "cases": [\n' % np.__version__)
    f.write(",\n".join(json.dumps(c) for c in cases))
    f.write("\n]}\n")
print(f"wrote {len(cases)} cases to {OUT}")

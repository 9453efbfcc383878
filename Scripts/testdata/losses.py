#!/usr/bin/env python3
"""Golden values for the loss and metric operators and their gradients.

    Scripts/testdata/losses.py      # rewrite Tests/Caffe2Tests/Data/losses/goldens.json

Covers SoftmaxWithLoss (labels, weights, scale, average_by_batch_size,
probability labels, [N, 1] labels, per-pixel labels through `axis`, 4-D logits
at axis 1) and its gradient, LabelCrossEntropy, CrossEntropy, AveragedLoss,
SquaredL2Distance, DotProduct (each with its gradient) and Accuracy with
top_k and ties, computed with numpy in float64 from float32 inputs following
../shared/reference/operators.md §6. The Swift tests (LossGoldenTests) run the
operators on the same inputs and compare. The tests never run Python.
"""

import json
import os

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "Tests", "Caffe2Tests", "Data", "losses", "goldens.json")
rng = np.random.default_rng(7919)


def f32(shape, scale=1.0):
    return (rng.standard_normal(shape) * scale).astype(np.float32)


def labels(n, d, shape=None):
    return rng.integers(0, d, size=n).astype(np.int32).reshape(shape if shape else (n,))


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


def coerce(x, axis):
    a = axis if axis >= 0 else axis + x.ndim
    n = int(np.prod(x.shape[:a], dtype=np.int64))
    return d(x).reshape(n, -1)


def log_softmax(m):
    z = m - m.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def swl_forward(x, t, w=None, axis=1, label_prob=False, scale=1.0, by_batch=False):
    m = coerce(x, axis)
    n, dd = m.shape
    logp = log_softmax(m)
    p = np.exp(logp)
    wv = d(w) if w is not None else np.ones(n)
    if label_prob:
        tm = d(t).reshape(n, dd)
        per = -(np.log(np.maximum(p, 1e-20)) * tm).sum(axis=1) * wv
    else:
        lab = np.asarray(t).reshape(-1)
        per = -logp[np.arange(n), lab] * wv
    wsum = wv.sum()
    loss = 0.0 if wsum == 0 else scale * per.sum() / (n if by_batch else wsum)
    return p.reshape(x.shape), np.array(loss)


def swl_backward(x, t, p, dl, w=None, axis=1, label_prob=False, scale=1.0, by_batch=False):
    pm = coerce(p, axis)
    n, dd = pm.shape
    wv = d(w) if w is not None else np.ones(n)
    if label_prob:
        g = (pm - d(t).reshape(n, dd)) * wv[:, None]
    else:
        onehot = np.zeros_like(pm)
        onehot[np.arange(n), np.asarray(t).reshape(-1)] = 1
        g = (pm - onehot) * wv[:, None]
    total = wv.sum() if w is not None else n
    if total > 0:
        g = g * (scale * float(dl) / (n if by_batch else total))
    return g.reshape(x.shape)


def swl_cases(name, x, t, w=None, axis=None, label_prob=False, scale=None, by_batch=False):
    args = []
    if axis is not None:
        args.append(("axis", axis))
    if label_prob:
        args.append(("label_prob", 1))
    if scale is not None:
        args.append(("scale", scale))
    if by_batch:
        args.append(("average_by_batch_size", 1))
    kw = dict(w=w, axis=1 if axis is None else axis, label_prob=label_prob, scale=1.0 if scale is None else scale,
              by_batch=by_batch)
    p, loss = swl_forward(x, t, **kw)
    ins = [("X", x), ("T", t)] + ([("W", w)] if w is not None else [])
    case("softmax_with_loss_" + name, "SoftmaxWithLoss", ins, [("P", p), ("loss", loss)], args=args, atol=1e-5)
    p32 = p.astype(np.float32)
    dl = np.array(1.7, dtype=np.float32)
    g = swl_backward(x, t, p32, dl, **kw)
    gins = [("X", x), ("T", t)] + ([("W", w)] if w is not None else []) + [("P", p32), ("dL", dl)]
    case("softmax_with_loss_gradient_" + name, "SoftmaxWithLossGradient", gins, [("dX", g)], args=args, atol=1e-5)


x = f32((4, 5), scale=2.0)
t = labels(4, 5)
w = np.array([0.5, 2.0, 1.0, 0.0], dtype=np.float32)
swl_cases("plain", x, t)
swl_cases("weighted", x, t, w=w)
swl_cases("scaled", x, t, scale=2.5)
swl_cases("weighted_by_batch", x, t, w=w, by_batch=True)
swl_cases("labels_n_by_1", x, t.reshape(4, 1))
swl_cases("all_zero_weights", x, t, w=np.zeros(4, dtype=np.float32))
probs = rng.random((4, 5))
probs = (probs / probs.sum(axis=1, keepdims=True)).astype(np.float32)
probs[:, -1] = 1 - probs[:, :-1].astype(np.float64).sum(axis=1)
swl_cases("label_prob", x, probs, label_prob=True)
swl_cases("label_prob_weighted", x, probs, w=w, label_prob=True)
# Per-pixel (spatial) classification: X [B, H, W, C], classes on the last axis, labels [B, H, W].
xs = f32((2, 2, 3, 4), scale=2.0)
ts = labels(12, 4, (2, 2, 3))
swl_cases("spatial_axis3", xs, ts, axis=3)
# 4-D logits at the default axis: one row of C*H*W classes per image.
x4 = f32((2, 3, 2, 2), scale=2.0)
t4 = labels(2, 12)
swl_cases("nchw_axis1", x4, t4)

# LabelCrossEntropy
probs_x = rng.random((3, 4)).astype(np.float32)
probs_x[2, 1] = 0  # exercises the 1e-20 clamp
lab = np.array([1, 3, 1], dtype=np.int32)
y = -np.log(np.maximum(d(probs_x)[np.arange(3), lab], 1e-20))
case("label_cross_entropy", "LabelCrossEntropy", [("X", probs_x), ("label", lab)], [("Y", y)])
case("label_cross_entropy_n_by_1", "LabelCrossEntropy", [("X", probs_x), ("label", lab.reshape(3, 1))], [("Y", y)])
dy = f32((3,))
g = np.zeros((3, 4))
g[np.arange(3), lab] = -d(dy) / np.maximum(d(probs_x)[np.arange(3), lab], 1e-20)
case("label_cross_entropy_gradient", "LabelCrossEntropyGradient", [("X", probs_x), ("label", lab), ("dY", dy)],
     [("dX", g)], rtol=1e-5, atol=1e-6)

# CrossEntropy (soft labels)
soft = rng.random((3, 4))
soft = (soft / soft.sum(axis=1, keepdims=True)).astype(np.float32)
xc = (rng.random((3, 4)) * 0.9 + 0.05).astype(np.float32)
case("cross_entropy", "CrossEntropy", [("X", xc), ("label", soft)],
     [("Y", -(d(soft) * np.log(np.maximum(d(xc), 1e-20))).sum(axis=1))])
case("cross_entropy_gradient", "CrossEntropyGradient", [("X", xc), ("label", soft), ("dY", dy)],
     [("dX", -d(dy)[:, None] * d(soft) / np.maximum(d(xc), 1e-20))])

# AveragedLoss
xa = f32((3, 4))
case("averaged_loss", "AveragedLoss", [("X", xa)], [("loss", np.array(d(xa).mean()))])
dl = np.array(0.6, dtype=np.float32)
case("averaged_loss_gradient", "AveragedLossGradient", [("X", xa), ("dL", dl)],
     [("dX", np.full((3, 4), float(dl) / 12))])

# SquaredL2Distance and DotProduct (rows along dim 0; 3-D inputs flatten the rest)
xl, yl = f32((3, 2, 2)), f32((3, 2, 2))
case("squared_l2_distance", "SquaredL2Distance", [("X", xl), ("Y", yl)],
     [("Z", 0.5 * ((d(xl) - d(yl)) ** 2).reshape(3, -1).sum(axis=1))])
dz = f32((3,))
gx = (d(xl) - d(yl)) * d(dz)[:, None, None]
case("squared_l2_distance_gradient", "SquaredL2DistanceGradient", [("X", xl), ("Y", yl), ("dZ", dz)],
     [("dX", gx), ("dY", -gx)])
case("dot_product", "DotProduct", [("X", xl), ("Y", yl)], [("Z", (d(xl) * d(yl)).reshape(3, -1).sum(axis=1))])
case("dot_product_gradient", "DotProductGradient", [("X", xl), ("Y", yl), ("dZ", dz)],
     [("dX", d(yl) * d(dz)[:, None, None]), ("dY", d(xl) * d(dz)[:, None, None])])
x1, y1 = f32((5,)), f32((5,))
case("dot_product_1d", "DotProduct", [("X", x1), ("Y", y1)], [("Z", d(x1) * d(y1))])


# Accuracy: a label counts when fewer than top_k classes rank above it (ties: lower index first).
def accuracy(x, lab, k):
    correct = 0
    for i in range(x.shape[0]):
        s = x[i, lab[i]]
        ahead = sum(1 for j in range(x.shape[1]) if x[i, j] > s or (x[i, j] == s and j < lab[i]))
        correct += ahead < k
    return np.array(correct / x.shape[0])


xacc = np.array([[0.1, 0.5, 0.4, 0.0],
                 [0.3, 0.3, 0.2, 0.2],   # tie between 0 and 1
                 [0.2, 0.2, 0.2, 0.4],   # three-way tie behind class 3
                 [0.9, 0.05, 0.03, 0.02],
                 [0.25, 0.25, 0.25, 0.25]], dtype=np.float32)
lacc = np.array([1, 1, 2, 3, 3], dtype=np.int32)
for k in (1, 2, 3, 4):
    args = [("top_k", k)] if k != 1 else []
    case(f"accuracy_top{k}", "Accuracy", [("predictions", xacc), ("labels", lacc)],
         [("accuracy", accuracy(xacc, lacc, k))], args=args)

os.makedirs(os.path.dirname(OUT), exist_ok=True)
with open(OUT, "w") as f:
    f.write('{"generator": "Scripts/testdata/losses.py", "numpy": "%s", "cases": [\n' % np.__version__)
    f.write(",\n".join(json.dumps(c) for c in cases))
    f.write("\n]}\n")
print(f"wrote {len(cases)} cases to {OUT}")

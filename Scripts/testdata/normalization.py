#!/usr/bin/env python3
"""Golden values for LRN, LRNGradient, SpatialBN and SpatialBNGradient.

    Scripts/testdata/normalization.py   # rewrite Tests/Caffe2Tests/Data/normalization/goldens.json

Computed in float64 from float32 inputs with the formulas of
../shared/reference/operators.md §8: LRN sums squares over the channel window
[c − (size−1)/2, c − (size−1)/2 + size) by direct slicing; its gradient is
the exact derivative of that definition (which Caffe's formula equals);
SpatialBN normalises with the biased batch variance and updates the running
variance with the unbiased one. The Swift tests (NormalizationGoldenTests)
run each case.
"""

import json
import os

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "Tests", "Caffe2Tests", "Data", "normalization", "goldens.json")
rng = np.random.default_rng(20240613)


def f32(shape, lo=-1.0, hi=1.0):
    return rng.uniform(lo, hi, size=shape).astype(np.float32)


def tensor(name, a):
    a = np.asarray(a, dtype=np.float64)
    return {"name": name, "dims": list(a.shape), "values": [float(v) for v in a.ravel()]}


def arg(name, value):
    if isinstance(value, str):
        return {"name": name, "s": value}
    if isinstance(value, float):
        return {"name": name, "f": value}
    return {"name": name, "i": int(value)}


cases = []


def case(name, op, inputs, outputs, args, atol=2e-5, rtol=2e-4):
    cases.append({
        "name": name, "op": op, "args": [arg(k, v) for k, v in args],
        "inputs": [tensor(n, a) for n, a in inputs],
        "outputs": [tensor(n, a) for n, a in outputs],
        "atol": atol, "rtol": rtol,
    })


def nhwc(a):
    return np.moveaxis(a, 1, -1)


def f(v):
    """The float32 value of a Python float, as the Swift side reads `f` arguments."""
    return float(np.float32(v))


def lrn_ref(x, size, alpha, beta, bias):
    x = x.astype(np.float64)
    c = x.shape[1]
    pre = (size - 1) // 2
    scale = np.empty_like(x)
    for ch in range(c):
        lo, hi = max(ch - pre, 0), min(ch - pre + size, c)
        scale[:, ch] = bias + alpha / size * (x[:, lo:hi] ** 2).sum(axis=1)
    return x * scale ** (-beta), scale


def lrn_grad_ref(x, dy, size, alpha, beta, bias):
    """Exact derivative of lrn_ref with respect to x."""
    x = x.astype(np.float64)
    dy = dy.astype(np.float64)
    y, scale = lrn_ref(x, size, alpha, beta, bias)
    c = x.shape[1]
    pre = (size - 1) // 2
    dx = dy * scale ** (-beta)
    ratio = dy * y / scale
    for ch in range(c):
        # Channels c2 whose window contains ch: c2 - pre <= ch < c2 - pre + size.
        lo, hi = max(ch + pre - size + 1, 0), min(ch + pre + 1, c)
        dx[:, ch] -= 2 * alpha * beta / size * x[:, ch] * ratio[:, lo:hi].sum(axis=1)
    return dx


def lrn_case(name, shape, size, alpha, beta, bias, order="NCHW", with_scale=False):
    alpha, beta, bias = f(alpha), f(beta), f(bias)
    x = f32(shape, -2, 2)
    y, scale = lrn_ref(x, size, alpha, beta, bias)
    dy = f32(shape)
    dx = lrn_grad_ref(x, dy, size, alpha, beta, bias)
    args = [("size", size), ("alpha", alpha), ("beta", beta), ("bias", bias)]
    xin, yout, sout, dyin, dxout = x, y, scale, dy, dx
    if order == "NHWC":
        args.append(("order", "NHWC"))
        xin, yout, sout, dyin, dxout = nhwc(x), nhwc(y), nhwc(scale), nhwc(dy), nhwc(dx)
    outs = [("Y", yout)] + ([("scale", sout)] if with_scale else [])
    case(name, "LRN", [("X", xin)], outs, args)
    case(name + "_grad", "LRNGradient", [("X", xin), ("Y", np.asarray(yout, np.float32)), ("dY", dyin)],
         [("dX", dxout)], args)


lrn_case("lrn_alexnet", (2, 7, 3, 4), 5, 1e-4 * 1000, 0.75, 1.0)
lrn_case("lrn_size3_scale", (1, 5, 2, 3), 3, 0.5, 0.75, 2.0, with_scale=True)
lrn_case("lrn_size1", (1, 3, 2, 2), 1, 0.3, 0.5, 1.0)
lrn_case("lrn_size4_even", (1, 6, 2, 2), 4, 0.8, 0.6, 1.5)
lrn_case("lrn_wide_window", (1, 3, 2, 3), 7, 0.9, 0.75, 1.0)
lrn_case("lrn_nhwc", (2, 6, 3, 3), 3, 0.7, 0.75, 1.0, order="NHWC", with_scale=True)


def bn_axes(x):
    return tuple([0] + list(range(2, x.ndim)))


def bcast(v, x):
    return v.reshape((1, -1) + (1,) * (x.ndim - 2))


def bn_case(name, shape, eps=1e-5, momentum=0.9, order="NCHW"):
    eps, momentum = f(eps), f(momentum)
    c = shape[1]
    x = f32(shape, -2, 3)
    scale, bias = f32((c,), 0.5, 1.5), f32((c,))
    rmean, rvar = f32((c,)), f32((c,), 0.5, 2)
    d = lambda a: a.astype(np.float64)
    args = [("epsilon", eps)] + ([("order", "NHWC")] if order == "NHWC" else [])
    lay = (lambda a: nhwc(a)) if order == "NHWC" else (lambda a: a)

    # Test mode.
    y = d(bcast(scale, x)) * (d(x) - d(bcast(rmean, x))) / np.sqrt(d(bcast(rvar, x)) + eps) + d(bcast(bias, x))
    case(name + "_test", "SpatialBN",
         [("X", lay(x)), ("scale", scale), ("bias", bias), ("mean", rmean), ("var", rvar)],
         [("Y", lay(y))], args + [("is_test", 1)])

    # Training mode.
    axes = bn_axes(x)
    mean = d(x).mean(axis=axes)
    var = d(x).var(axis=axes)
    r = x.size // c
    rstd = 1 / np.sqrt(var + eps)
    y = d(bcast(scale, x)) * (d(x) - bcast(mean, x)) * bcast(rstd, x) + d(bcast(bias, x))
    new_mean = momentum * d(rmean) + (1 - momentum) * mean
    new_var = momentum * d(rvar) + (1 - momentum) * var * r / (r - 1)
    targs = args + [("momentum", momentum)]
    case(name + "_train", "SpatialBN",
         [("X", lay(x)), ("scale", scale), ("bias", bias), ("mean", rmean), ("var", rvar)],
         [("Y", lay(y)), ("mean", new_mean), ("var", new_var), ("saved_mean", mean), ("saved_inv_std", rstd)],
         targs)

    # Gradient (training formula) from the saved statistics.
    dy = f32(shape)
    m = r
    xhat = (d(x) - bcast(mean, x)) * bcast(rstd, x)
    dbias = d(dy).sum(axis=axes)
    dscale = (d(dy) * xhat).sum(axis=axes)
    dx = d(bcast(scale, x)) * bcast(rstd, x) * (d(dy) - bcast(dbias, x) / m - xhat * bcast(dscale, x) / m)
    case(name + "_grad", "SpatialBNGradient",
         [("X", lay(x)), ("scale", scale), ("dY", lay(dy)), ("saved_mean", mean.astype(np.float32)),
          ("saved_inv_std", rstd.astype(np.float32))],
         [("dX", lay(dx)), ("dscale", dscale), ("dbias", dbias)], targs)


bn_case("bn_nchw", (3, 4, 2, 3))
bn_case("bn_nhwc", (2, 3, 3, 2), order="NHWC")
bn_case("bn_2d", (5, 3), eps=1e-3, momentum=0.5)
bn_case("bn_3d_spatial", (2, 2, 2, 3, 2))

# num_batches > 1: statistics from the accumulated sums.
c, shape, nb = 3, (2, 3, 2, 2), 3
x = f32(shape, -1, 2)
scale, bias = f32((c,), 0.5, 1.5), f32((c,))
rmean, rvar = f32((c,)), f32((c,), 0.5, 2)
sums, sumsq = f32((c,), 0, 10), f32((c,), 20, 40)
r = nb * x.size // c
mean = sums.astype(np.float64) / r
var = sumsq.astype(np.float64) / r - mean ** 2
eps, mo = f(1e-5), f(0.9)
rstd = 1 / np.sqrt(var + eps)
y = bcast(scale, x) * (x - bcast(mean, x)) * bcast(rstd, x) + bcast(bias, x)
case("bn_num_batches_train", "SpatialBN",
     [("X", x), ("scale", scale), ("bias", bias), ("mean", rmean), ("var", rvar), ("sums", sums), ("sumsq", sumsq)],
     [("Y", y), ("mean", mo * rmean + (1 - mo) * mean), ("var", mo * rvar + (1 - mo) * var * r / (r - 1)),
      ("saved_mean", mean), ("saved_inv_std", rstd)],
     [("num_batches", nb), ("epsilon", eps), ("momentum", mo)], rtol=1e-3)

dy = f32(shape)
ds_sum, db_sum = f32((c,), -3, 3), f32((c,), -3, 3)
dscale, dbias = ds_sum / nb, db_sum / nb
inv_m = 1 / (x.size // c)
mean32, rstd32 = mean.astype(np.float32), rstd.astype(np.float32)
alpha = scale * rstd32
beta = -alpha * dscale * rstd32 * inv_m
gamma = alpha * (mean32 * dscale * rstd32 - dbias) * inv_m
dx = bcast(alpha, x) * dy + bcast(beta, x) * x + bcast(gamma, x)
case("bn_num_batches_grad", "SpatialBNGradient",
     [("X", x), ("scale", scale), ("dY", dy), ("saved_mean", mean32), ("saved_inv_std", rstd32),
      ("dscale_sum", ds_sum), ("dbias_sum", db_sum)],
     [("dX", dx), ("dscale", dscale), ("dbias", dbias)], [("num_batches", nb)], rtol=1e-3)

os.makedirs(os.path.dirname(OUT), exist_ok=True)
with open(OUT, "w") as fh:
    fh.write('{"generator": "Scripts/testdata/normalization.py", "numpy": "%s", "cases": [\n' % np.__version__)
    fh.write(",\n".join(json.dumps(c) for c in cases))
    fh.write("\n]}\n")
print(f"wrote {len(cases)} cases to {OUT}")

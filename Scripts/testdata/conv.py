#!/usr/bin/env python3
"""Golden values for Conv, ConvGradient, ConvTranspose and ConvTransposeGradient.

    Scripts/testdata/conv.py      # rewrite Tests/Caffe2Tests/Data/conv/goldens.json

Every output is computed in float64 from float32 inputs by direct definitions
(a sum over kernel taps of shifted input slices; scatter for the transposed
convolution), written independently of the Swift im2col + GEMM kernels and
following ../shared/reference/operators.md §1.3 and §8. NHWC cases transpose
the NCHW data and results. The Swift tests (ConvGoldenTests) run each case.
"""

import json
import os

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "Tests", "Caffe2Tests", "Data", "conv", "goldens.json")
rng = np.random.default_rng(20240611)


def f32(shape):
    return rng.uniform(-1, 1, size=shape).astype(np.float32)


def tensor(name, a):
    a = np.asarray(a, dtype=np.float64)
    return {"name": name, "dims": list(a.shape), "values": [float(v) for v in a.ravel()]}


def arg(name, value):
    if isinstance(value, str):
        return {"name": name, "s": value}
    if isinstance(value, float):
        return {"name": name, "f": value}
    if isinstance(value, (list, tuple)):
        return {"name": name, "ints": [int(v) for v in value]}
    return {"name": name, "i": int(value)}


cases = []


def case(name, op, inputs, outputs, args, atol=2e-5, rtol=1e-4):
    cases.append({
        "name": name, "op": op, "args": [arg(k, v) for k, v in args],
        "inputs": [tensor(n, a) for n, a in inputs],
        "outputs": [tensor(n, a) for n, a in outputs],
        "atol": atol, "rtol": rtol,
    })


def out_size(size, k, s, d, ph, pt):
    return (size + ph + pt - (d * (k - 1) + 1)) // s + 1


def conv_ref(x, w, b, stride, pads, dil, group):
    """Direct NCHW convolution, any number of spatial dims, float64."""
    x = x.astype(np.float64)
    w = w.astype(np.float64)
    n, c = x.shape[:2]
    sp = x.shape[2:]
    r = len(sp)
    m, cg = w.shape[:2]
    k = w.shape[2:]
    heads, tails = pads[:r], pads[r:]
    outs = [out_size(sp[i], k[i], stride[i], dil[i], heads[i], tails[i]) for i in range(r)]
    xp = np.pad(x, [(0, 0), (0, 0)] + [(heads[i], max(tails[i], 0)) for i in range(r)])
    y = np.zeros((n, m) + tuple(outs))
    mg = m // group
    for g in range(group):
        xs = xp[:, g * cg:(g + 1) * cg]
        ws = w[g * mg:(g + 1) * mg]
        for tap in np.ndindex(*k):
            sl = tuple(slice(tap[i] * dil[i], tap[i] * dil[i] + stride[i] * (outs[i] - 1) + 1, stride[i])
                       for i in range(r))
            patch = xs[(slice(None), slice(None)) + sl]          # n, cg, out...
            wt = ws[(slice(None), slice(None)) + tap]             # mg, cg
            y[:, g * mg:(g + 1) * mg] += np.einsum("nc...,mc->nm...", patch, wt)
    if b is not None:
        y += b.astype(np.float64).reshape((1, m) + (1,) * r)
    return y


def conv_grad_ref(x, w, dy, stride, pads, dil, group):
    """(dW, db, dX) of the direct convolution above."""
    x = x.astype(np.float64)
    w = w.astype(np.float64)
    dy = dy.astype(np.float64)
    n, c = x.shape[:2]
    sp = x.shape[2:]
    r = len(sp)
    m, cg = w.shape[:2]
    k = w.shape[2:]
    heads, tails = pads[:r], pads[r:]
    outs = dy.shape[2:]
    xp = np.pad(x, [(0, 0), (0, 0)] + [(heads[i], max(tails[i], 0)) for i in range(r)])
    dxp = np.zeros_like(xp)
    dw = np.zeros_like(w)
    mg = m // group
    for g in range(group):
        for tap in np.ndindex(*k):
            sl = tuple(slice(tap[i] * dil[i], tap[i] * dil[i] + stride[i] * (outs[i] - 1) + 1, stride[i])
                       for i in range(r))
            idx = (slice(None), slice(g * cg, (g + 1) * cg)) + sl
            patch = xp[idx]
            dyg = dy[:, g * mg:(g + 1) * mg]
            dw[(slice(g * mg, (g + 1) * mg), slice(None)) + tap] += np.einsum("ncp,nmp->mc", patch.reshape(n, cg, -1),
                                                                            dyg.reshape(n, mg, -1))
            dxp[idx] += np.einsum("nm...,mc->nc...", dyg, w[(slice(g * mg, (g + 1) * mg), slice(None)) + tap])
    crop = (slice(None), slice(None)) + tuple(slice(heads[i], heads[i] + sp[i]) for i in range(r))
    db = dy.sum(axis=tuple([0] + list(range(2, 2 + r))))
    return dw, db, dxp[crop]


def conv_transpose_ref(x, w, b, stride, pads, adj, group):
    """Direct scatter definition of the 2-D transposed convolution, NCHW."""
    x = x.astype(np.float64)
    w = w.astype(np.float64)
    n, m, h, wd = x.shape
    _, cg, kh, kw = w.shape
    c = cg * group
    full_h = (h - 1) * stride[0] + kh + adj[0]
    full_w = (wd - 1) * stride[1] + kw + adj[1]
    full = np.zeros((n, c, full_h, full_w))
    mg = m // group
    for g in range(group):
        for i in range(kh):
            for j in range(kw):
                contrib = np.einsum("nmhw,mc->nchw", x[:, g * mg:(g + 1) * mg], w[g * mg:(g + 1) * mg, :, i, j])
                full[:, g * cg:(g + 1) * cg, i:i + stride[0] * (h - 1) + 1:stride[0],
                     j:j + stride[1] * (wd - 1) + 1:stride[1]] += contrib
    y = full[:, :, pads[0]:full_h - pads[2], pads[1]:full_w - pads[3]]
    if b is not None:
        y = y + b.astype(np.float64).reshape(1, c, 1, 1)
    return y


def conv_transpose_grad_ref(x, w, dy, stride, pads, adj, group):
    """(dW, db, dX) of the transposed convolution, by its adjoint relations."""
    x = x.astype(np.float64)
    w = w.astype(np.float64)
    dy = dy.astype(np.float64)
    n, m, h, wd = x.shape
    _, cg, kh, kw = w.shape
    full_h = (h - 1) * stride[0] + kh + adj[0]
    full_w = (wd - 1) * stride[1] + kw + adj[1]
    dfull = np.zeros((n, cg * group, full_h, full_w))
    dfull[:, :, pads[0]:full_h - pads[2], pads[1]:full_w - pads[3]] = dy
    dx = np.zeros_like(x)
    dw = np.zeros_like(w)
    mg = m // group
    for g in range(group):
        for i in range(kh):
            for j in range(kw):
                patch = dfull[:, g * cg:(g + 1) * cg, i:i + stride[0] * (h - 1) + 1:stride[0],
                              j:j + stride[1] * (wd - 1) + 1:stride[1]]
                dx[:, g * mg:(g + 1) * mg] += np.einsum("nchw,mc->nmhw", patch, w[g * mg:(g + 1) * mg, :, i, j])
                dw[g * mg:(g + 1) * mg, :, i, j] += np.einsum("nchw,nmhw->mc", patch, x[:, g * mg:(g + 1) * mg])
    db = dy.sum(axis=(0, 2, 3))
    return dw, db, dx


def nhwc(a):
    return np.moveaxis(a, 1, -1)


def conv_case(name, xshape, m, k, stride=None, pads=None, dil=None, group=1, bias=True, order="NCHW",
              spelling=None, op="Conv"):
    r = len(xshape) - 2
    stride = stride or [1] * r
    pads = pads or [0] * (2 * r)
    dil = dil or [1] * r
    c = xshape[1]
    x = f32(xshape)
    w = f32((m, c // group) + tuple(k))
    b = f32((m,)) if bias else None
    y = conv_ref(x, w, b, stride, pads, dil, group)
    args = spelling if spelling is not None else [("kernels", list(k)), ("strides", stride), ("pads", pads),
                                                   ("dilations", dil)]
    args = list(args) + ([("group", group)] if group != 1 else [])
    xin, win, yout = x, w, y
    if order == "NHWC":
        args.append(("order", "NHWC"))
        xin, win, yout = nhwc(x), nhwc(w), nhwc(y)
    inputs = [("X", xin), ("W", win)] + ([("b", b)] if bias else [])
    case(name, op, inputs, [("Y", yout)], args)

    # The gradient op on the same configuration.
    dy = f32(y.shape)
    dw, db, dx = conv_grad_ref(x, w, dy, stride, pads, dil, group)
    dyin, dwout, dxout = dy, dw, dx
    if order == "NHWC":
        dyin, dwout, dxout = nhwc(dy), nhwc(dw), nhwc(dx)
    gargs = list(args)
    if bias:
        outs = [("dW", dwout), ("db", db), ("dX", dxout)]
    else:
        gargs.append(("no_bias", 1))
        outs = [("dW", dwout), ("dX", dxout)]
    case(name + "_grad", op + "Gradient", [("X", xin), ("W", win), ("dY", dyin)], outs, gargs)


def conv_transpose_case(name, xshape, cg, k, stride, pads, adj, group=1, bias=True, order="NCHW", spelling=None):
    m = xshape[1]
    x = f32(xshape)
    w = f32((m, cg) + tuple(k))
    b = f32((cg * group,)) if bias else None
    y = conv_transpose_ref(x, w, b, stride, pads, adj, group)
    args = spelling if spelling is not None else [("kernels", list(k)), ("strides", stride), ("pads", pads),
                                                   ("adjs", adj)]
    args = list(args) + ([("group", group)] if group != 1 else [])
    xin, win, yout = x, w, y
    if order == "NHWC":
        args.append(("order", "NHWC"))
        xin, win, yout = nhwc(x), nhwc(w), nhwc(y)
    inputs = [("X", xin), ("W", win)] + ([("b", b)] if bias else [])
    case(name, "ConvTranspose", inputs, [("Y", yout)], args)

    dy = f32(y.shape)
    dw, db, dx = conv_transpose_grad_ref(x, w, dy, stride, pads, adj, group)
    dyin, dwout, dxout = dy, dw, dx
    if order == "NHWC":
        dyin, dwout, dxout = nhwc(dy), nhwc(dw), nhwc(dx)
    gargs = list(args)
    if bias:
        outs = [("dW", dwout), ("db", db), ("dX", dxout)]
    else:
        gargs.append(("no_bias", 1))
        outs = [("dW", dwout), ("dX", dxout)]
    case(name + "_grad", "ConvTransposeGradient", [("X", xin), ("W", win), ("dY", dyin)], outs, gargs)


# Conv: every spelling, groups, dilation, strides, asymmetric pads, NHWC, 1-D, 3-D, 1x1 fast path.
conv_case("conv_basic_3x3", (2, 3, 6, 5), 4, (3, 3), spelling=[("kernel", 3)])
conv_case("conv_pad_scalar", (1, 2, 5, 5), 3, (3, 3), pads=[1, 1, 1, 1], spelling=[("kernel", 3), ("pad", 1)])
conv_case("conv_stride_hw", (1, 2, 7, 8), 3, (3, 2), stride=[2, 3],
          spelling=[("kernel_h", 3), ("kernel_w", 2), ("stride_h", 2), ("stride_w", 3)])
conv_case("conv_pad_tlbr", (2, 2, 5, 6), 2, (3, 3), pads=[0, 1, 2, 1],
          spelling=[("kernel", 3), ("pad_t", 0), ("pad_l", 1), ("pad_b", 2), ("pad_r", 1)])
conv_case("conv_asym_pads_list", (1, 3, 6, 6), 2, (2, 3), stride=[2, 1], pads=[1, 0, 0, 2])
conv_case("conv_dilation", (1, 2, 7, 7), 3, (3, 3), pads=[2, 2, 2, 2], dil=[2, 2],
          spelling=[("kernel", 3), ("pad", 2), ("dilation", 2)])
conv_case("conv_dilation_hw", (1, 1, 8, 9), 2, (2, 3), dil=[3, 2],
          spelling=[("kernel_h", 2), ("kernel_w", 3), ("dilation_h", 3), ("dilation_w", 2)])
conv_case("conv_group2", (2, 4, 5, 5), 6, (3, 3), pads=[1, 1, 1, 1], group=2)
conv_case("conv_depthwise", (1, 3, 5, 4), 3, (3, 3), stride=[2, 2], pads=[1, 1, 1, 1], group=3)
conv_case("conv_group_dilation", (1, 4, 7, 7), 4, (3, 3), dil=[2, 2], group=2)
conv_case("conv_no_bias", (2, 3, 5, 5), 2, (3, 3), stride=[2, 2], pads=[1, 1, 1, 1], bias=False)
conv_case("conv_1x1", (2, 5, 4, 3), 3, (1, 1))
conv_case("conv_1x1_group", (1, 4, 3, 3), 6, (1, 1), group=2, bias=False)
conv_case("conv_1x1_stride", (1, 3, 5, 5), 2, (1, 1), stride=[2, 2])
conv_case("conv_nhwc", (2, 3, 5, 4), 4, (3, 2), stride=[1, 2], pads=[1, 0, 1, 1], order="NHWC")
conv_case("conv_nhwc_group", (1, 4, 5, 5), 4, (3, 3), pads=[1, 1, 1, 1], group=2, order="NHWC")
conv_case("conv_nhwc_1x1", (2, 3, 3, 3), 2, (1, 1), order="NHWC", bias=False)
conv_case("conv_1d", (2, 3, 9), 2, (3,), stride=[2], pads=[1, 2], dil=[1])
conv_case("conv_3d", (1, 2, 4, 5, 4), 3, (2, 3, 2), stride=[1, 2, 1], pads=[1, 0, 1, 0, 1, 1], dil=[1, 1, 2])
conv_case("conv2d_alias", (1, 2, 4, 4), 2, (2, 2), spelling=[("kernel", 2)], op="Conv2D")
conv_case("conv_legacy_valid", (1, 2, 6, 7), 2, (3, 3), stride=[2, 2],
          spelling=[("kernel", 3), ("stride", 2), ("legacy_pad", 1)])

# legacy_pad SAME computes its pads from the input: in 7, stride 2, kernel 3 -> pads 1/1; in 6 -> 0/1.
x = f32((1, 2, 7, 6))
w = f32((3, 2, 3, 3))
b = f32((3,))
y = conv_ref(x, w, b, [2, 2], [1, 0, 1, 1], [1, 1], 1)
case("conv_legacy_same", "Conv", [("X", x), ("W", w), ("b", b)], [("Y", y)],
     [("kernel", 3), ("stride", 2), ("legacy_pad", 2)])

# ConvTranspose: strides, pads, adj, groups, no bias, NHWC.
conv_transpose_case("convt_basic", (2, 3, 3, 4), 2, (3, 3), [1, 1], [0, 0, 0, 0], [0, 0], spelling=[("kernel", 3)])
conv_transpose_case("convt_stride_pad", (1, 2, 3, 3), 3, (3, 3), [2, 2], [1, 1, 1, 1], [0, 0],
                    spelling=[("kernel", 3), ("stride", 2), ("pad", 1)])
conv_transpose_case("convt_adj", (1, 2, 3, 4), 2, (3, 2), [2, 3], [1, 0, 0, 1], [1, 2])
conv_transpose_case("convt_group", (2, 4, 3, 3), 2, (2, 2), [2, 2], [0, 0, 0, 0], [0, 0], group=2)
conv_transpose_case("convt_no_bias_hw", (1, 3, 4, 3), 2, (2, 3), [1, 2], [0, 1, 1, 0], [0, 1], bias=False,
                    spelling=[("kernel_h", 2), ("kernel_w", 3), ("stride_h", 1), ("stride_w", 2), ("pad_t", 0),
                              ("pad_l", 1), ("pad_b", 1), ("pad_r", 0), ("adj_h", 0), ("adj_w", 1)])
conv_transpose_case("convt_1x1", (1, 3, 3, 3), 2, (1, 1), [1, 1], [0, 0, 0, 0], [0, 0])
conv_transpose_case("convt_nhwc", (1, 2, 3, 3), 2, (3, 3), [2, 2], [1, 1, 0, 0], [1, 0], order="NHWC")

os.makedirs(os.path.dirname(OUT), exist_ok=True)
with open(OUT, "w") as f:
    f.write('{"generator": "Scripts/testdata/conv.py", "numpy": "%s", "cases": [\n' % np.__version__)
    f.write(",\n".join(json.dumps(c) for c in cases))
    f.write("\n]}\n")
print(f"wrote {len(cases)} cases to {OUT}")

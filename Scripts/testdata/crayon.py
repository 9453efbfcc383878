#!/usr/bin/env python3
"""Reference outputs of the model zoo's "crayon" style-transfer net.

    Scripts/testdata/crayon.py      # rewrite Tests/Caffe2Tests/Data/crayon/*.npy

Reads ../shared/models/style-transfer-crayon/crayon_{init,predict}.pb with the
protobuf classes that protoc generates from Protos/caffe2.proto (protoc and the
`protobuf` Python package are needed; nothing else of the project is used) and
interprets the predict net op by op in float64 numpy, written from the Caffe2
operator semantics (stylizer_ops.cc, pad_op.cc, conv/pool/PRelu definitions):

* PackedInt8BGRANHWCToNCHWCStylizerPreprocess: B, G, R planes of the packed
  BGRA image minus `mean`, plus the noise values used cyclically in
  (pixel, channel) order, restarting for each image;
* AveragePool (no padding here), PadImage reflect (numpy's "reflect"), Conv
  (a sum over kernel taps of shifted slices), PRelu (one slope per channel),
  ConvTranspose (a scatter over kernel taps);
* BRGNCHWCToPackedInt8BGRAStylizerDeprocess: X + mean clamped to [0, 255],
  truncated, alpha 255.

Two settings, both on the same deterministic 1x64x64x4 image
(B = (3h + 5w) mod 256, G = (h*w + 17) mod 256, R = (255 - 2h - w) mod 256,
A = 255): no noise (the noise blob fed with zeros), and a fixed noise vector
noise[k] = 5 sin(0.7 k), k < 491, fed the same way. Written files:

    input.npy            uint8 [1, 64, 64, 4]
    noise.npy            float32 [491]
    b0_clean.npy         float32 [1, 3, 64, 64]  the deprocess input, no noise
    styled_clean.npy     uint8 [1, 64, 64, 4]
    b0_noise.npy         float32 [1, 3, 64, 64]  with noise.npy
    styled_noise.npy     uint8 [1, 64, 64, 4]
"""

import os
import subprocess
import sys
import tempfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODELS = os.path.join(os.path.dirname(ROOT), "shared", "models", "style-transfer-crayon")
OUT = os.path.join(ROOT, "Tests", "Caffe2Tests", "Data", "crayon")


def load_proto_module():
    tmp = tempfile.mkdtemp()
    subprocess.check_call(
        ["protoc", "--python_out=" + tmp, "-I" + os.path.join(ROOT, "Protos"),
         os.path.join(ROOT, "Protos", "caffe2.proto")])
    sys.path.insert(0, tmp)
    import caffe2_pb2  # noqa: E402
    return caffe2_pb2


pb = load_proto_module()


def read_net(path):
    net = pb.NetDef()
    with open(path, "rb") as f:
        net.ParseFromString(f.read())
    return net


def args_of(op):
    out = {}
    for a in op.arg:
        if a.HasField("f"):
            out[a.name] = a.f
        elif a.HasField("i"):
            out[a.name] = a.i
        elif a.HasField("s"):
            out[a.name] = a.s.decode()
        elif len(a.ints):
            out[a.name] = list(a.ints)
        elif len(a.floats):
            out[a.name] = list(a.floats)
    return out


def run_init(net):
    blobs = {}
    for op in net.op:
        a = args_of(op)
        shape = a.get("shape", [])
        if op.type == "GivenTensorFill":
            blobs[op.output[0]] = np.array(a["values"], dtype=np.float32).reshape(shape)
        elif op.type == "ConstantFill":
            blobs[op.output[0]] = np.full(shape, a.get("value", 0.0), dtype=np.float32)
        else:
            raise SystemExit("unexpected init op " + op.type)
    return blobs


def pair(a, name, default):
    """kernel/stride/pad from the `x`, `x_h`/`x_w` spellings."""
    if name in a:
        return a[name], a[name]
    return a.get(name + "_h", default), a.get(name + "_w", default)


def pads(a):
    if "pad" in a:
        p = a["pad"]
        return p, p, p, p
    return a.get("pad_t", 0), a.get("pad_l", 0), a.get("pad_b", 0), a.get("pad_r", 0)


def preprocess(x, mean, noise):
    n, h, w, _ = x.shape
    y = np.empty((n, 3, h, w))
    cyc = np.resize(noise.astype(np.float64), h * w * 3).reshape(h * w, 3)  # (pixel, channel) order
    for i in range(n):
        px = x[i].reshape(h * w, 4)[:, :3].astype(np.float64)
        y[i] = (px - mean.astype(np.float64)[None, :] + cyc).T.reshape(3, h, w)
    return y


def average_pool(x, a):
    kh, kw = pair(a, "kernel", 0)
    sh, sw = pair(a, "stride", 1)
    assert pads(a) == (0, 0, 0, 0)
    n, c, h, w = x.shape
    ho, wo = (h - kh) // sh + 1, (w - kw) // sw + 1
    y = np.zeros((n, c, ho, wo))
    for i in range(kh):
        for j in range(kw):
            y += x[:, :, i:i + sh * (ho - 1) + 1:sh, j:j + sw * (wo - 1) + 1:sw]
    return y / (kh * kw)


def pad_image(x, a):
    t, l, b, r = pads(a)
    assert a.get("mode") == "reflect"
    return np.pad(x, ((0, 0), (0, 0), (t, b), (l, r)), mode="reflect")


def conv(x, wt, bias, a):
    kh, kw = pair(a, "kernel", 0)
    sh, sw = pair(a, "stride", 1)
    assert pads(a) == (0, 0, 0, 0) and (sh, sw) == (1, 1)
    n, c, h, w = x.shape
    ho, wo = h - kh + 1, w - kw + 1
    wt = wt.astype(np.float64)
    y = np.zeros((n, wt.shape[0], ho, wo))
    for i in range(kh):
        for j in range(kw):
            y += np.einsum("oc,nchw->nohw", wt[:, :, i, j], x[:, :, i:i + ho, j:j + wo])
    return y + bias.astype(np.float64)[None, :, None, None]


def conv_transpose(x, wt, bias, a):
    kh, kw = pair(a, "kernel", 0)
    sh, sw = pair(a, "stride", 1)
    assert pads(a) == (0, 0, 0, 0) and a.get("adj", 0) == 0
    n, c, h, w = x.shape
    ho, wo = (h - 1) * sh + kh, (w - 1) * sw + kw
    wt = wt.astype(np.float64)
    y = np.zeros((n, wt.shape[1], ho, wo))
    for i in range(kh):
        for j in range(kw):
            y[:, :, i:i + sh * (h - 1) + 1:sh, j:j + sw * (w - 1) + 1:sw] += np.einsum(
                "co,nchw->nohw", wt[:, :, i, j], x)
    return y + bias.astype(np.float64)[None, :, None, None]


def prelu(x, slope):
    s = slope.astype(np.float64)[None, :, None, None]
    return np.where(x > 0, x, s * x)


def deprocess(x, mean):
    v = x + mean.astype(np.float64)[None, :, None, None]
    v = np.where(v >= 255, 255, np.where(v <= 0, 0, np.trunc(v)))
    n, _, h, w = x.shape
    y = np.full((n, h, w, 4), 255, dtype=np.uint8)
    y[..., :3] = v.transpose(0, 2, 3, 1).astype(np.uint8)
    return y


def run_predict(net, params, image, noise):
    blobs = dict(params)
    blobs["data_int8_bgra"] = image
    last_float = None
    for op in net.op:
        a = args_of(op)
        ins = [blobs[i] for i in op.input]
        t = op.type
        if t == "PackedInt8BGRANHWCToNCHWCStylizerPreprocess":
            out = preprocess(ins[0], ins[1], noise)
        elif t == "AveragePool":
            out = average_pool(ins[0], a)
        elif t == "PadImage":
            out = pad_image(ins[0], a)
        elif t == "Conv":
            out = conv(ins[0], ins[1], ins[2], a)
        elif t == "ConvTranspose":
            out = conv_transpose(ins[0], ins[1], ins[2], a)
        elif t == "PRelu":
            out = prelu(ins[0], ins[1])
        elif t == "BRGNCHWCToPackedInt8BGRAStylizerDeprocess":
            last_float = ins[0]
            out = deprocess(ins[0], ins[1])
        else:
            raise SystemExit("unexpected predict op " + t)
        blobs[op.output[0]] = out
    return last_float, blobs[net.external_output[0]]


def main():
    init = read_net(os.path.join(MODELS, "crayon_init.pb"))
    predict = read_net(os.path.join(MODELS, "crayon_predict.pb"))
    params = run_init(init)

    h, w = np.meshgrid(np.arange(64), np.arange(64), indexing="ij")
    image = np.empty((1, 64, 64, 4), dtype=np.uint8)
    image[0, :, :, 0] = (3 * h + 5 * w) % 256
    image[0, :, :, 1] = (h * w + 17) % 256
    image[0, :, :, 2] = (255 - 2 * h - w) % 256
    image[0, :, :, 3] = 255
    noise = (5 * np.sin(0.7 * np.arange(491))).astype(np.float32)

    os.makedirs(OUT, exist_ok=True)
    np.save(os.path.join(OUT, "input.npy"), image)
    np.save(os.path.join(OUT, "noise.npy"), noise)
    for tag, nz in (("clean", np.zeros(491, dtype=np.float32)), ("noise", noise)):
        b0, styled = run_predict(predict, params, image, nz)
        np.save(os.path.join(OUT, "b0_%s.npy" % tag), b0.astype(np.float32))
        np.save(os.path.join(OUT, "styled_%s.npy" % tag), styled)
        near = np.abs((b0 + params["mean"][None, :, None, None]) - np.round(b0 + params["mean"][None, :, None, None]))
        print("%s: b0 range [%.3f, %.3f], styled mean %.3f, %d values within 1e-3 of an integer"
              % (tag, b0.min(), b0.max(), styled.mean(), int((near < 1e-3).sum())))


if __name__ == "__main__":
    main()

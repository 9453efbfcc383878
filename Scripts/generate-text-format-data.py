#!/usr/bin/env python3
"""Writes protobuf test data with Google's Python implementation.

    Scripts/generate-text-format-data.py            # rewrite Tests/Caffe2Tests/Data/google
    Scripts/generate-text-format-data.py OUT_DIR    # write somewhere else

For each message it writes NAME.pb (deterministic binary) and text files in
the styles Google's printer offers: NAME.pbtxt (default; string fields in
raw UTF-8, bytes fields octal-escaped), NAME.oneline.pbtxt (one line) and
NAME.pointy.pbtxt (`< >` braces). manifest.txt lists `NAME MESSAGE_TYPE` per line. The Swift
tests check that our reader gives the same message for every file and that
our binary encoding is byte-identical to Google's.

Only needed to regenerate the data: the tests read the committed files and
never run Python. Needs protoc and the `protobuf` Python package.
"""

import math
import os
import random
import subprocess
import sys
import tempfile

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory, text_format

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "Tests", "Caffe2Tests", "Data", "google")


def load_classes():
    """Message classes built from caffe2.proto at run time (no generated _pb2 module)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "caffe2.desc")
        subprocess.check_call(
            ["protoc", "--include_imports", "--descriptor_set_out=" + out, "-I", os.path.join(ROOT, "Protos"),
             os.path.join(ROOT, "Protos", "caffe2.proto")])
        with open(out, "rb") as f:
            fds = descriptor_pb2.FileDescriptorSet.FromString(f.read())
    pool = descriptor_pool.DescriptorPool()
    for fd in fds.file:
        pool.Add(fd)
    return {name: message_factory.GetMessageClass(pool.FindMessageTypeByName("caffe2." + name))
            for name in ["NetDef", "TensorProto", "QTensorProto", "PlanDef", "BlobProto", "TensorShapes", "Argument"]}


C = load_classes()
NetDef, TensorProto, QTensorProto = C["NetDef"], C["TensorProto"], C["QTensorProto"]
PlanDef, BlobProto, TensorShapes, Argument = C["PlanDef"], C["BlobProto"], C["TensorShapes"], C["Argument"]

STRINGS = ["relu", "gpu_0/conv1_w", "", " ", "\"", "'", "\\", "\n", "\t", "\r", "\u00e9", "\u4e2d\u6587",
           "\U0001F600", "\x7f", "\x01", "a b", "#x", "{", "}", "<", ">", ":"]
FLOATS = [0.0, -0.0, 1.0, -1.0, 0.1, 1e-5, math.inf, -math.inf, 3.4028234663852886e38, 1.401298464324817e-45,
          1.1754943508222875e-38, 16777216.0, 1e20, 123456.7890625]
DOUBLES = [0.0, -0.0, 0.1, 1e300, -math.inf, math.inf, 1.7976931348623157e308, 5e-324, 1 / 3]
INT64S = [0, 1, -1, 2**63 - 1, -2**63, 127, 128, -129, 2**32, -2**31]
DATA_TYPES = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 13, 14, 15]


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def chance(self, p=0.5):
        return self.r.random() < p

    def n(self, k):
        return self.r.randint(0, k)

    def string(self):
        return "".join(self.r.choice(STRINGS) for _ in range(self.n(3)))

    def bytes(self):
        return bytes(self.r.randint(0, 255) for _ in range(self.n(10)))

    def float32(self):
        if self.chance(0.3):
            return self.r.choice(FLOATS)
        while True:
            import struct
            v = struct.unpack("<f", struct.pack("<I", self.r.getrandbits(32)))[0]
            if not math.isnan(v):
                return v

    def double(self):
        if self.chance(0.3):
            return self.r.choice(DOUBLES)
        while True:
            import struct
            v = struct.unpack("<d", struct.pack("<Q", self.r.getrandbits(64)))[0]
            if not math.isnan(v):
                return v

    def int64(self):
        if self.chance(0.4):
            return self.r.choice(INT64S)
        return self.r.randint(-2**63, 2**63 - 1) >> self.r.randint(0, 63)

    def int32(self):
        return self.r.choice([0, -1, 2**31 - 1, -2**31]) if self.chance(0.3) else self.r.randint(-2**31, 2**31 - 1)

    def device(self, d):
        if self.chance(): d.device_type = self.r.choice([0, 1, self.int32()])
        if self.chance(): d.device_id = self.int32()
        if self.chance(): d.random_seed = self.r.randint(0, 2**32 - 1)
        if self.chance(): d.node_name = self.string()
        if self.chance(): d.numa_node_id = self.int32()
        d.extra_info.extend(self.string() for _ in range(self.n(2)))

    def tensor(self, t):
        t.dims.extend(self.int64() for _ in range(self.n(4)))
        if self.chance(): t.data_type = self.r.choice(DATA_TYPES)
        if self.chance(0.3): t.data_format = self.r.randint(0, 2**32 - 1)
        t.float_data.extend(self.float32() for _ in range(self.n(5)))
        t.int32_data.extend(self.int32() for _ in range(self.n(3)))
        if self.chance(0.3): t.byte_data = self.bytes()
        t.string_data.extend(self.bytes() for _ in range(self.n(2)))
        t.double_data.extend(self.double() for _ in range(self.n(3)))
        t.int64_data.extend(self.int64() for _ in range(self.n(3)))
        if self.chance(0.3): t.raw_data = self.bytes()
        if self.chance(): t.name = self.string()
        if self.chance(0.3): self.device(t.device_detail)
        if self.chance(0.3):
            t.segment.begin = self.int64()
            t.segment.end = self.int64()

    def qtensor(self, q):
        q.dims.extend(self.int64() for _ in range(self.n(3)))
        q.precision = self.int32()
        q.scale = self.double()
        q.bias = self.double()
        q.is_signed = self.chance()
        q.data.extend(self.int32() for _ in range(self.n(4)))
        if self.chance(): q.name = self.string()
        if self.chance(): q.data_type = self.r.choice(DATA_TYPES)
        q.scales.extend(self.double() for _ in range(self.n(2)))
        q.biases.extend(self.double() for _ in range(self.n(2)))
        if self.chance(): q.axis = self.int32()
        if self.chance(): q.is_multiparam = self.chance()

    def argument(self, a, depth):
        if self.chance(0.9): a.name = self.string()
        if self.chance(0.3): a.f = self.float32()
        if self.chance(0.3): a.i = self.int64()
        if self.chance(0.3): a.s = self.bytes()
        if self.chance(0.15): self.tensor(a.t)
        if depth > 0 and self.chance(0.2): self.net(a.n, depth - 1)
        a.floats.extend(self.float32() for _ in range(self.n(4)))
        a.ints.extend(self.int64() for _ in range(self.n(4)))
        a.strings.extend(self.bytes() for _ in range(self.n(2)))
        if self.chance(0.2):
            for _ in range(self.n(2)): self.tensor(a.tensors.add())
        if depth > 0 and self.chance(0.15):
            for _ in range(self.n(2)): self.net(a.nets.add(), depth - 1)
        if self.chance(0.15):
            for _ in range(self.n(2)): self.qtensor(a.qtensors.add())

    def op(self, o, depth):
        o.input.extend(self.string() for _ in range(self.n(3)))
        o.output.extend(self.string() for _ in range(self.n(3)))
        if self.chance(): o.name = self.string()
        if self.chance(0.9): o.type = self.string()
        for _ in range(self.n(3)): self.argument(o.arg.add(), depth)
        if self.chance(0.3): self.device(o.device_option)
        if self.chance(0.3): o.engine = self.string()
        if self.chance(0.2): o.control_input.extend(self.string() for _ in range(self.n(2)))
        if self.chance(0.3): o.is_gradient_op = self.chance()
        if self.chance(0.3): o.debug_info = self.string()
        if self.chance(0.2): o.domain = self.string()
        if self.chance(0.2): o.op_version = self.int64()

    def net(self, n, depth=2):
        if self.chance(0.8): n.name = self.string()
        for _ in range(self.n(4)): self.op(n.op.add(), depth)
        if self.chance(0.3): n.type = self.r.choice(["dag", "async_scheduling", self.string()])
        if self.chance(0.3): n.num_workers = self.int32()
        if self.chance(0.3): self.device(n.device_option)
        for _ in range(self.n(2)): self.argument(n.arg.add(), depth)
        n.external_input.extend(self.string() for _ in range(self.n(3)))
        n.external_output.extend(self.string() for _ in range(self.n(3)))
        if self.chance(0.2):
            for _ in range(self.n(2)):
                p = n.partition_info.add()
                p.name = self.string()
                p.device_id.extend(self.int32() for _ in range(self.n(3)))
                if self.chance(): p.extra_info = self.string()
                for _ in range(self.n(2)):
                    b = p.backend_options.add()
                    b.backend_name = self.string()
                    for _ in range(self.n(2)):
                        e = b.option.add()
                        e.key = self.string()
                        e.val = self.string()

    def step(self, s, depth):
        if self.chance(): s.name = self.string()
        if depth > 0:
            for _ in range(self.n(2)): self.step(s.substep.add(), depth - 1)
        s.network.extend(self.string() for _ in range(self.n(2)))
        if self.chance(): s.num_iter = self.int64()
        if self.chance(0.2): s.report_net = self.string()
        if self.chance(0.2): s.report_interval = self.int32()
        if self.chance(0.2): s.run_every_ms = self.int64()
        if self.chance(0.2): s.concurrent_substeps = self.chance()
        if self.chance(0.2): s.should_stop_blob = self.string()
        if self.chance(0.2): s.only_once = self.chance()
        if self.chance(0.2): s.create_workspace = self.chance()
        if self.chance(0.2): s.num_concurrent_instances = self.int32()


def everything():
    """One NetDef with every field of every message set, edge values included."""
    n = NetDef()
    n.name = "every \"field\" \\ \u00e9\n"
    n.type = "dag"
    n.num_workers = -2**31
    n.device_option.device_type = 1
    n.device_option.device_id = 2**31 - 1
    n.device_option.random_seed = 2**32 - 1
    n.device_option.node_name = ""
    n.device_option.numa_node_id = -1
    n.device_option.extra_info.extend(["a", "\x01\x7f"])  # no NUL: protobuf-c strings are C strings
    n.external_input.extend(["X", "gpu_0/data", ""])
    n.external_output.append("Y")
    op = n.op.add()
    op.input.extend(["X", "W"])
    op.output.append("Y")
    op.name = ""
    op.type = "Conv"
    op.engine = "CUDNN,MKLDNN"
    op.control_input.append("ctl")
    op.is_gradient_op = True
    op.debug_info = "line 1\nline 2\t'quoted'"
    op.domain = "caffe2"
    op.op_version = 2**63 - 1
    op.device_option.SetInParent()  # present but empty, as Caffe2's Python writes it
    a = op.arg.add(); a.name = "f"; a.f = 1e-5
    a = op.arg.add(); a.name = "i"; a.i = -2**63
    a = op.arg.add(); a.name = "s"; a.s = bytes(range(256))
    a = op.arg.add(); a.name = "floats"; a.floats.extend(FLOATS)
    a = op.arg.add(); a.name = "ints"; a.ints.extend(INT64S)
    a = op.arg.add(); a.name = "strings"; a.strings.extend([b"", b"\x00", "\u00e9".encode(), b"\xff\xfe"])
    a = op.arg.add(); a.name = "t"
    t = a.t
    t.dims.extend([2, 3]); t.data_type = 13; t.data_format = 1
    t.float_data.extend([1.5, -0.0]); t.int32_data.extend([-1, 2**31 - 1]); t.byte_data = b"\x00\x01\xff"
    t.string_data.extend([b"abc", b""]); t.double_data.extend(DOUBLES); t.int64_data.extend(INT64S)
    t.raw_data = b"\x7f\x80"; t.name = "tensor"; t.device_detail.device_type = 0
    t.segment.begin = 0; t.segment.end = 6
    a = op.arg.add(); a.name = "n"
    a.n.name = "then"
    sub = a.n.op.add(); sub.type = "Relu"; sub.input.append("X"); sub.output.append("X")
    inner = sub.arg.add(); inner.name = "deeper"; inner.n.name = "else"; inner.n.external_input.append("Z")
    a = op.arg.add(); a.name = "nets"; a.nets.add().name = "a"; a.nets.add()
    a = op.arg.add(); a.name = "tensors"; a.tensors.add().dims.append(1); a.tensors.add()
    a = op.arg.add(); a.name = "qtensors"
    q = a.qtensors.add()
    q.dims.extend([4]); q.precision = 8; q.scale = 0.5; q.bias = -1.25; q.is_signed = False
    q.data.extend([0, 255, -128]); q.name = "q"; q.data_type = 6; q.scales.extend([0.1]); q.biases.extend([2.0])
    q.axis = 1; q.is_multiparam = True
    empty_arg = op.arg.add()  # an argument with nothing set
    del empty_arg
    p = n.partition_info.add()
    p.name = "p0"; p.device_id.extend([0, 1]); p.extra_info = "x"
    b = p.backend_options.add(); b.backend_name = "glow"
    e = b.option.add(); e.key = "k"; e.val = "v"
    return n


def nan_values():
    a = Argument()
    a.name = "nan"
    a.f = math.nan
    a.floats.extend([math.nan, -math.nan, 1.0])
    return a


def write(name, message, variants=("default", "oneline", "pointy")):
    with open(os.path.join(OUT, name + ".pb"), "wb") as f:
        f.write(message.SerializeToString(deterministic=True))
    styles = {
        "default": ("pbtxt", dict()),
        "oneline": ("oneline.pbtxt", dict(as_one_line=True)),
        "pointy": ("pointy.pbtxt", dict(pointy_brackets=True)),
    }
    for v in variants:
        ext, kw = styles[v]
        with open(os.path.join(OUT, name + "." + ext), "w", encoding="utf-8") as f:
            f.write(text_format.MessageToString(message, **kw))
    MANIFEST.append("%s %s" % (name, message.DESCRIPTOR.full_name))


MANIFEST = []


def main():
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        os.remove(os.path.join(OUT, f))
    write("everything", everything())
    write("nan_values", nan_values())
    for seed in range(8):
        g = Gen(seed)
        n = NetDef()
        g.net(n)
        write("random_net_%d" % seed, n, ("default", "oneline"))
    g = Gen(100)
    t = TensorProto(); g.tensor(t); write("random_tensor", t, ("default",))
    q = QTensorProto(); g.qtensor(q); write("random_qtensor", q, ("default",))
    plan = PlanDef(); plan.name = "plan"
    g.net(plan.network.add(), 1)
    g.step(plan.execution_step.add(), 2)
    write("random_plan", plan, ("default", "pointy"))
    blob = BlobProto(); blob.name = "w"; blob.type = "Tensor"; g.tensor(blob.tensor); blob.content_num_chunks = 1
    g.qtensor(blob.qtensor)
    write("random_blob", blob, ("default",))
    shapes = TensorShapes()
    for _ in range(3):
        s = shapes.shapes.add()
        s.dims.extend([g.int64() for _ in range(3)])
        s.data_type = g.r.choice(DATA_TYPES)
        s.unknown_dims.append(1)
        s.unknown_shape = g.chance()
        s.name = g.string()
    write("random_shapes", shapes, ("default",))
    with open(os.path.join(OUT, "manifest.txt"), "w") as f:
        f.write("\n".join(MANIFEST) + "\n")


if __name__ == "__main__":
    main()

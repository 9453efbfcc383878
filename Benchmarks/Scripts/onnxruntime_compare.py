#!/usr/bin/env python3
"""ONNX Runtime timings of the workloads `caffe2-bench models` dumps.

    python3 Benchmarks/Scripts/onnxruntime_compare.py DIR            # time every workload, print one JSON object
    python3 Benchmarks/Scripts/onnxruntime_compare.py DIR --serve    # command loop for interleaved timing

DIR holds `manifest.json` and `.npy` files written by the Swift benchmark:

    {"workloads": [{"name": "...", "ops": [{"type", "input", "output", "args"}, ...],
                    "input": "data", "input_file": "w0_input.npy", "output": "prob",
                    "expected_file": "w0_expected.npy",          # swift-caffe2's output for that input
                    "blobs": {"conv1_w": "w0_b3.npy", ...},      # every other net input (weights)
                    "shapes": {"blob": [dims], ...},             # every blob's dims after one run
                    "checks": {"blob": "w0_c0.npy", ...}}]}      # more of our blobs to compare (optional)

Each workload's Caffe2 ops are translated into an ONNX graph (opset 13) over the SAME weights, run once
and compared with swift-caffe2's output (max abs difference), then timed with `intra_op_num_threads`
threads (2 unless ORT_THREADS says otherwise).

With --serve, the script prints one JSON line when the sessions are ready
({"ready": true, "versions": ..., "checks": {name: {...}}, "errors": {name: message}}) and then answers
one JSON line per command read from stdin:

    time NAME REPS      -> {"name": NAME, "ms": [REPS per-run milliseconds]}
    quit                -> exits (so does end of input)

If a Python module is missing, the only output is {"error": "..."} (exit status 2).
"""
import json
import os
import sys
import time

try:
    import numpy as np
    import onnx
    import onnxruntime as ort
    from onnx import TensorProto, helper, numpy_helper
except ImportError as e:  # pragma: no cover - depends on the machine
    print(json.dumps({"error": f"missing Python module: {e.name} (pip install numpy onnx onnxruntime)"}), flush=True)
    sys.exit(2)

THREADS = int(os.environ.get("ORT_THREADS", "2"))
OPSET = 13


class Unsupported(Exception):
    pass


def pair(args, single, plural, h, w, default, count=2):
    """Caffe2's spellings of a per-spatial-dim argument: `kernel`, `kernels`, `kernel_h`/`kernel_w`."""
    if plural in args:
        return list(args[plural])
    if single in args:
        return [args[single]] * count
    if h in args or w in args:
        return [args.get(h, default), args.get(w, default)]
    return [default] * count


def pads_of(args):
    """ONNX pads [t, l, b, r] from Caffe2's `pad`, `pads` ([t, l, b, r]) or `pad_t`/`pad_l`/`pad_b`/`pad_r`."""
    if "pads" in args:
        return list(args["pads"])
    if "pad" in args:
        return [args["pad"]] * 4
    return [args.get("pad_t", 0), args.get("pad_l", 0), args.get("pad_b", 0), args.get("pad_r", 0)]


class Builder:
    """Translates a Caffe2 op list into ONNX nodes. Caffe2 nets write blobs in place; ONNX needs SSA names."""

    def __init__(self, workload, directory):
        self.w = workload
        self.dir = directory
        self.nodes = []
        self.inits = {}
        self.version = {}
        self.counter = 0

    def src(self, name):
        v = self.version.get(name)
        return name if v is None else f"{name}__v{v}"

    def dst(self, name):
        self.counter += 1
        self.version[name] = self.counter
        return self.src(name)

    def const(self, base, array):
        self.counter += 1
        name = f"{base}__c{self.counter}"
        self.inits[name] = numpy_helper.from_array(np.asarray(array), name)
        return name

    def rank(self, blob):
        return len(self.w["shapes"][blob])

    def node(self, op_type, inputs, outputs, **attrs):
        self.nodes.append(helper.make_node(op_type, inputs, outputs, **attrs))

    def translate(self, op):
        t, a = op["type"], op.get("args", {})
        ins = [self.src(i) for i in op["input"]]
        out = op["output"][0]
        if a.get("order", "NCHW") != "NCHW":
            raise Unsupported(f"{t} with order {a['order']}")
        if t == "Conv":
            kernel = pair(a, "kernel", "kernels", "kernel_h", "kernel_w", 0)
            stride = pair(a, "stride", "strides", "stride_h", "stride_w", 1)
            dilation = pair(a, "dilation", "dilations", "dilation_h", "dilation_w", 1)
            if a.get("legacy_pad", 0) not in (0,):
                raise Unsupported("Conv with legacy_pad")
            self.node("Conv", ins, [self.dst(out)], kernel_shape=kernel, strides=stride, dilations=dilation,
                      pads=pads_of(a), group=a.get("group", 1))
        elif t in ("MaxPool", "AveragePool"):
            if a.get("global_pooling", 0):
                self.node("Global" + t, ins, [self.dst(out)])
                return
            kernel = pair(a, "kernel", "kernels", "kernel_h", "kernel_w", 0)
            stride = pair(a, "stride", "strides", "stride_h", "stride_w", 1)
            legacy = a.get("legacy_pad", 0)
            pads = pads_of(a)
            if legacy == 3 and any(pads):
                raise Unsupported("legacy_pad=3 pooling with padding")
            if legacy not in (0, 3):
                raise Unsupported(f"pooling with legacy_pad={legacy}")
            attrs = dict(kernel_shape=kernel, strides=stride, pads=pads, ceil_mode=1 if legacy == 3 else 0)
            if t == "AveragePool":
                attrs["count_include_pad"] = int(a.get("count_include_pad", 0))
            self.node(t, ins, [self.dst(out)], **attrs)
        elif t == "Relu":
            self.node("Relu", ins, [self.dst(out)])
        elif t in ("Add", "Sub", "Mul", "Div"):
            b = ins[1]
            if a.get("broadcast", 0):
                # Legacy broadcast: B's dims line up with A's starting at `axis`.
                ra, rb = self.rank(op["input"][0]), self.rank(op["input"][1])
                axis = a.get("axis", -1)
                axis = ra - rb if axis == -1 else axis
                trailing = ra - axis - rb
                if trailing > 0:
                    shape = list(self.w["shapes"][op["input"][1]]) + [1] * trailing
                    b = self.counter_name("bshape")
                    self.node("Reshape", [ins[1], self.const("shape", np.array(shape, dtype=np.int64))], [b])
            self.node(t, [ins[0], b], [self.dst(out)])
        elif t == "Reshape":
            shape = np.array(a["shape"], dtype=np.int64)
            self.node("Reshape", [ins[0], self.const("shape", shape)], [self.dst(out)])
        elif t in ("FC", "FCTransposed"):
            if a.get("axis", 1) != 1 or a.get("axis_w", 1) != 1:
                raise Unsupported("FC with axis != 1")
            x = ins[0]
            if self.rank(op["input"][0]) != 2:
                x = self.counter_name("flat")
                self.node("Flatten", [ins[0]], [x], axis=1)
            self.node("Gemm", [x, ins[1], ins[2]], [self.dst(out)], transB=0 if t == "FCTransposed" else 1)
        elif t in ("Concat", "DepthConcat"):
            if a.get("add_axis", 0):
                raise Unsupported("Concat with add_axis")
            axis = a.get("axis", 1)
            self.node("Concat", ins, [self.dst(out)], axis=axis)
        elif t == "Dropout":
            if not a.get("is_test", 0):
                raise Unsupported("Dropout in training mode")
            self.node("Identity", ins[:1], [self.dst(out)])
        elif t == "Softmax":
            # Caffe2 coerces X to 2-D at `axis` and normalises each row; ONNX 13 works on one axis.
            axis = a.get("axis", 1)
            flat = self.counter_name("flat")
            soft = self.counter_name("soft")
            shape = self.counter_name("shape")
            self.node("Flatten", [ins[0]], [flat], axis=axis)
            self.node("Softmax", [flat], [soft], axis=1)
            self.node("Shape", [ins[0]], [shape])
            self.node("Reshape", [soft, shape], [self.dst(out)])
        else:
            raise Unsupported(f"operator {t}")

    def counter_name(self, base):
        self.counter += 1
        return f"{base}__t{self.counter}"

    def build(self):
        w = self.w
        for name, file in w["blobs"].items():
            self.inits[name] = numpy_helper.from_array(np.load(os.path.join(self.dir, file)), name)
        for op in w["ops"]:
            self.translate(op)
        x = np.load(os.path.join(self.dir, w["input_file"]))
        outputs = [w["output"]] + [b for b in w.get("checks", {}) if b != w["output"]]
        graph = helper.make_graph(
            self.nodes, w["name"], [helper.make_tensor_value_info(w["input"], TensorProto.FLOAT, list(x.shape))],
            [helper.make_tensor_value_info(self.src(b), TensorProto.FLOAT, list(w["shapes"][b])) for b in outputs],
            list(self.inits.values()))
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
        model.ir_version = min(model.ir_version, 8)
        onnx.checker.check_model(model)
        return model, x, [self.src(b) for b in outputs], outputs


def session(model):
    so = ort.SessionOptions()
    so.intra_op_num_threads = THREADS
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(model.SerializeToString(), so, providers=["CPUExecutionProvider"])


class Workload:
    def __init__(self, w, directory):
        self.name = w["name"]
        model, x, self.onnx_outputs, blobs = Builder(w, directory).build()
        self.sess = session(model)
        self.feeds = {w["input"]: x}
        files = dict(w.get("checks", {}))
        if w.get("expected_file"):
            files[w["output"]] = w["expected_file"]
        self.expected = [(b, np.load(os.path.join(directory, files[b]))) for b in blobs if b in files]
        self.blobs = blobs

    def check(self):
        """The largest |ORT - ours| over the compared blobs, and the largest |ours| for scale."""
        ys = dict(zip(self.blobs, self.sess.run(self.onnx_outputs, self.feeds)))
        r = {"shape": list(ys[self.blobs[0]].shape), "blobs": [b for b, _ in self.expected]}
        diff, scale = 0.0, 0.0
        for b, ref in self.expected:
            y = ys[b]
            if tuple(y.shape) != tuple(ref.shape):
                r["error"] = f"{b}: shape {list(y.shape)} vs swift-caffe2 {list(ref.shape)}"
                return r
            diff = max(diff, float(np.max(np.abs(y.astype(np.float64) - ref))))
            scale = max(scale, float(np.max(np.abs(ref))))
        if self.expected:
            r["max_abs_diff"], r["max_abs_value"] = diff, scale
        return r

    def time(self, reps):
        run, feeds = self.sess.run, self.feeds
        names = self.onnx_outputs[:1]
        out = []
        for _ in range(reps):
            t0 = time.perf_counter()
            run(names, feeds)
            out.append((time.perf_counter() - t0) * 1e3)
        return out


def load(directory):
    manifest = json.load(open(os.path.join(directory, "manifest.json")))
    workloads, errors = {}, {}
    for w in manifest["workloads"]:
        try:
            workloads[w["name"]] = Workload(w, directory)
        except Exception as e:  # a workload ORT cannot run is reported, the others still run
            errors[w["name"]] = f"{type(e).__name__}: {e}"
    return workloads, errors


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        sys.exit(1)
    directory = sys.argv[1]
    serve = "--serve" in sys.argv[2:]
    workloads, errors = load(directory)
    checks = {}
    for name, w in workloads.items():
        try:
            checks[name] = w.check()
            w.time(3)  # warm-up
        except Exception as e:
            errors[name] = f"{type(e).__name__}: {e}"
    for name in errors:
        workloads.pop(name, None)
    header = {"ready": True, "versions": {"onnxruntime": ort.__version__, "onnx": onnx.__version__,
                                          "numpy": np.__version__}, "threads": THREADS,
              "checks": checks, "errors": errors}
    if not serve:
        header["median_ms"] = {}
        for name, w in workloads.items():
            ts = sorted(w.time(int(os.environ.get("ORT_REPS", "50"))))
            header["median_ms"][name] = ts[len(ts) // 2]
        print(json.dumps(header), flush=True)
        return
    print(json.dumps(header), flush=True)
    for line in sys.stdin:
        parts = line.split()
        if not parts or parts[0] == "quit":
            break
        if parts[0] == "time" and len(parts) == 3 and parts[1] in workloads:
            print(json.dumps({"name": parts[1], "ms": workloads[parts[1]].time(int(parts[2]))}), flush=True)
        else:
            print(json.dumps({"error": f"bad command: {line.strip()}"}), flush=True)


if __name__ == "__main__":
    main()

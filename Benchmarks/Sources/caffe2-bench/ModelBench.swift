import Caffe2
import Foundation

// `caffe2-bench models`: whole-model inference (LeNet at batch 64, SqueezeNet v1.0 at batch 1) and the
// single operators that dominate them, against ONNX Runtime running the SAME weights in the same run.
//
// The workloads are dumped to a temporary directory (ops as JSON, weights, input and our output as .npy);
// Benchmarks/Scripts/onnxruntime_compare.py builds ONNX models from them, checks that ORT's output matches
// ours and then serves timing requests on stdin. Our timings and ORT's are interleaved in rounds
// (ours N reps, pause, ORT N reps, pause, next workload, ...) so that load from other tenants of the
// machine hits both sides alike; the figure is the median over every rep of every round.
//
// Options: `--models DIR` (or CAFFE2_MODELS) where lenet-mnist-onnx/ and squeezenet-v1.0-trafficlight/
// live (default: ../shared/models next to the repository), `--rounds N` (default 5), `--keep` to keep
// the dump directory. PYTHON names the interpreter (default python3). Without python3/onnx/onnxruntime
// only our timings are printed.

/// One workload: a net over a workspace that already holds its weights and input.
private struct ModelWorkload {
    var name: String
    var label: String
    var workspace: Workspace
    var net: Net
    var ops: [OperatorDef]
    var input: String
    var output: String
    var reps: Int
    var goal: Double?
    /// More blobs whose values ORT's must match (the output alone can hide differences, e.g. after a softmax).
    var checks: [String] = []
}

/// Uniform values in [lo, hi) from a fixed-seed generator (SplitMix64), so every run times the same data.
private func randomValues(_ count: Int, seed: UInt64, _ lo: Float = -1, _ hi: Float = 1) -> [Float] {
    var state = seed &+ 0x9E37_79B9_7F4A_7C15
    return (0..<count).map { _ in
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return lo + (hi - lo) * Float(z >> 40) / Float(1 << 24)
    }
}

/// The directory holding the shared models: `--models DIR`, CAFFE2_MODELS, or ../shared/models beside the
/// repository (found from this source file's path, then from the working directory).
private func modelsDirectory() -> String? {
    let args = CommandLine.arguments
    if let i = args.firstIndex(of: "--models"), i + 1 < args.count { return args[i + 1] }
    if let env = ProcessInfo.processInfo.environment["CAFFE2_MODELS"], !env.isEmpty { return env }
    let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    let cwd = FileManager.default.currentDirectoryPath
    let candidates = [
        repo.deletingLastPathComponent().appendingPathComponent("shared/models").path,
        cwd + "/../shared/models", cwd + "/../../shared/models", cwd + "/shared/models",
    ]
    return candidates.first { FileManager.default.fileExists(atPath: $0 + "/squeezenet-v1.0-trafficlight") }
}

/// The comparison script, next to this package's sources.
private func compareScript() -> String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Scripts/onnxruntime_compare.py").path
}

private func intOption(_ name: String, default value: Int) -> Int {
    let args = CommandLine.arguments
    if let i = args.firstIndex(of: name), i + 1 < args.count, let v = Int(args[i + 1]), v > 0 { return v }
    return value
}

/// A model from `dir/predict_net.pb` + `dir/init_net.pb`, fed a random input of `dims`.
private func modelWorkload(
    name: String, label: String, dir: String, input: String, dims: [Int], reps: Int, goal: Double
) throws -> ModelWorkload {
    let initDef = try NetDef(contentsOfFile: dir + "/init_net.pb")
    var predict = try NetDef(contentsOfFile: dir + "/predict_net.pb")
    if predict.name.isEmpty { predict.name = name }
    let ws = Workspace()
    try ws.runNetOnce(initDef)
    let count = dims.reduce(1, *)
    ws.feedBlob(input, try Tensor(dims: dims, values: randomValues(count, seed: 7, 0, 1)))
    let net = try ws.createNet(predict)
    guard let output = predict.externalOutput.last ?? predict.op.last?.output.first else {
        throw Caffe2Error(.net, "\(name): the predict net has no output")
    }
    return ModelWorkload(
        name: name, label: label, workspace: ws, net: net, ops: predict.op, input: input, output: output, reps: reps,
        goal: goal)
}

/// One operator `type(X, weights...) -> Y` over random tensors.
private func opWorkload(
    name: String, label: String, type: String, x: [Int], weights: [(String, [Int])], args: [Argument], reps: Int
) throws -> ModelWorkload {
    let ws = Workspace()
    ws.feedBlob("X", try Tensor(dims: x, values: randomValues(x.reduce(1, *), seed: 1)))
    for (i, (blob, dims)) in weights.enumerated() {
        ws.feedBlob(blob, try Tensor(dims: dims, values: randomValues(dims.reduce(1, *), seed: UInt64(2 + i))))
    }
    let op = OperatorDef(type: type, input: ["X"] + weights.map(\.0), output: ["Y"], arg: args)
    let def = NetDef(name: name, op: [op], externalInput: ["X"] + weights.map(\.0), externalOutput: ["Y"])
    let net = try ws.createNet(def)
    return ModelWorkload(
        name: name, label: label, workspace: ws, net: net, ops: [op], input: "X", output: "Y", reps: reps, goal: nil)
}

/// An argument as a JSON value.
private func jsonValue(_ a: Argument) -> Any {
    if let i = a.i { return Int(i) }
    if let f = a.f { return Double(f) }
    if let s = a.stringValue { return s }
    if !a.floats.isEmpty { return a.floats.map(Double.init) }
    if !a.strings.isEmpty { return a.stringValues }
    return a.ints.map { Int($0) }
}

/// Writes the workload (ops, weights, input, our output, blob dims) into `dir` and returns its manifest entry.
private func dump(_ w: ModelWorkload, index: Int, to dir: String) throws -> [String: Any] {
    try w.net.run()
    var produced = Set<String>()
    var blobs: [String: String] = [:]
    var shapes: [String: [Int]] = [:]
    var ops: [[String: Any]] = []
    for op in w.ops {
        for i in op.input where !produced.contains(i) && i != w.input && blobs[i] == nil {
            let file = "w\(index)_b\(blobs.count).npy"
            try w.workspace.fetchBlob(i).writeNpy(toFile: dir + "/" + file)
            blobs[i] = file
        }
        produced.formUnion(op.output)
        for b in op.input + op.output {
            if let t = w.workspace.blob(named: b)?.tensor { shapes[b] = t.shape }
        }
        var args: [String: Any] = [:]
        for a in op.arg { args[a.name] = jsonValue(a) }
        ops.append(["type": op.type, "input": op.input, "output": op.output, "args": args])
    }
    try w.workspace.fetchBlob(w.input).writeNpy(toFile: dir + "/w\(index)_input.npy")
    try w.workspace.fetchBlob(w.output).writeNpy(toFile: dir + "/w\(index)_expected.npy")
    var checks: [String: String] = [:]
    for (j, b) in w.checks.enumerated() {
        checks[b] = "w\(index)_c\(j).npy"
        try w.workspace.fetchBlob(b).writeNpy(toFile: dir + "/w\(index)_c\(j).npy")
    }
    return [
        "checks": checks,
        "name": w.name, "ops": ops, "input": w.input, "input_file": "w\(index)_input.npy", "output": w.output,
        "expected_file": "w\(index)_expected.npy", "blobs": blobs, "shapes": shapes,
    ]
}

/// The long-lived ONNX Runtime process: one JSON line per command.
private final class ORTServer {
    let process = Process()
    let toChild = Pipe()
    let fromChild = Pipe()
    private var pending = Data()

    init(script: String, dir: String) throws {
        let python = ProcessInfo.processInfo.environment["PYTHON"] ?? "python3"
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [python, script, dir, "--serve"]
        process.standardInput = toChild
        process.standardOutput = fromChild
        process.standardError = FileHandle.standardError
        try process.run()
    }

    /// The next JSON object the script prints, or nil at end of output.
    func readObject() -> [String: Any]? {
        while true {
            if let nl = pending.firstIndex(of: UInt8(ascii: "\n")) {
                let line = pending[pending.startIndex..<nl]
                pending = Data(pending[(nl + 1)...])
                if let obj = try? JSONSerialization.jsonObject(with: line) as? [String: Any] { return obj }
                continue
            }
            let chunk = fromChild.fileHandleForReading.availableData
            if chunk.isEmpty { return nil }
            pending.append(chunk)
        }
    }

    func send(_ line: String) {
        toChild.fileHandleForWriting.write((line + "\n").data(using: .utf8)!)
    }

    /// ORT's per-run times (ms) for `reps` runs of workload `name`.
    func time(_ name: String, reps: Int) -> [Double]? {
        send("time \(name) \(reps)")
        return readObject()?["ms"] as? [Double]
    }

    func close() {
        send("quit")
        try? toChild.fileHandleForWriting.close()
        process.waitUntilExit()
    }
}

private func medianOf(_ v: [Double]) -> Double {
    let s = v.sorted()
    return s.isEmpty ? .nan : s[s.count / 2]
}

/// Our per-run times (ms) for `reps` runs.
private func timeOurs(_ net: Net, reps: Int) throws -> [Double] {
    let clock = ContinuousClock()
    var out: [Double] = []
    out.reserveCapacity(reps)
    for _ in 0..<reps {
        let t0 = clock.now
        try net.run()
        let d = clock.now - t0
        out.append(Double(d.components.seconds) * 1e3 + Double(d.components.attoseconds) * 1e-15)
    }
    return out
}

func benchModels() throws {
    guard let models = modelsDirectory() else {
        print("models: cannot find shared/models (pass --models DIR or set CAFFE2_MODELS)")
        return
    }
    let rounds = intOption("--rounds", default: 5)
    let conv = { (n: String, v: Int) in Argument(name: n, int: v) }
    var workloads: [ModelWorkload] = [
        try modelWorkload(
            name: "lenet", label: "LeNet [64,1,28,28]", dir: models + "/lenet-mnist-onnx", input: "1",
            dims: [64, 1, 28, 28], reps: 20, goal: 1.0),
        try modelWorkload(
            name: "squeezenet", label: "SqueezeNet v1.0 [1,3,227,227]", dir: models + "/squeezenet-v1.0-trafficlight",
            input: "data", dims: [1, 3, 227, 227], reps: 10, goal: 1.5),
        try opWorkload(
            name: "conv3x3", label: "Conv 3x3 pad 1 [1,64,55,55] 64->64", type: "Conv", x: [1, 64, 55, 55],
            weights: [("W", [64, 64, 3, 3]), ("b", [64])], args: [conv("kernel", 3), conv("pad", 1)], reps: 20),
        try opWorkload(
            name: "conv7x7s2", label: "Conv 7x7/2 [1,3,227,227] 3->96", type: "Conv", x: [1, 3, 227, 227],
            weights: [("W", [96, 3, 7, 7]), ("b", [96])], args: [conv("kernel", 7), conv("stride", 2)], reps: 20),
        try opWorkload(
            name: "conv5x5b64", label: "Conv 5x5 [64,20,12,12] 20->50", type: "Conv", x: [64, 20, 12, 12],
            weights: [("W", [50, 20, 5, 5]), ("b", [50])], args: [conv("kernel", 5)], reps: 20),
        try opWorkload(
            name: "maxpool3x3s2", label: "MaxPool 3x3/2 ceil [1,96,111,111]", type: "MaxPool", x: [1, 96, 111, 111],
            weights: [], args: [conv("kernel", 3), conv("stride", 2), conv("legacy_pad", 3)], reps: 20),
        try opWorkload(
            name: "fc", label: "FC [64,800]x[500,800]^T", type: "FC", x: [64, 800],
            weights: [("W", [500, 800]), ("b", [500])], args: [], reps: 40),
    ]
    workloads[1].checks = ["conv1", "fire5/concat", "fire9/concat", "pool10"]
    for w in workloads { _ = try timeOurs(w.net, reps: 3) }

    // Dump and start ONNX Runtime.
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("caffe2-bench-models-\(getpid())").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { if !CommandLine.arguments.contains("--keep") { try? FileManager.default.removeItem(atPath: dir) } }
    var manifest: [[String: Any]] = []
    for (i, w) in workloads.enumerated() { manifest.append(try dump(w, index: i, to: dir)) }
    let data = try JSONSerialization.data(withJSONObject: ["workloads": manifest], options: [.prettyPrinted])
    try data.write(to: URL(fileURLWithPath: dir + "/manifest.json"))

    var server: ORTServer? = nil
    var header: [String: Any] = [:]
    do {
        let s = try ORTServer(script: compareScript(), dir: dir)
        if let h = s.readObject(), h["ready"] as? Bool == true {
            server = s
            header = h
        } else {
            s.process.waitUntilExit()
            print("\nONNX Runtime comparison unavailable: python3 with numpy, onnx and onnxruntime is needed "
                + "(pip install numpy onnx onnxruntime); timing swift-caffe2 only.")
        }
    } catch {
        print("\nONNX Runtime comparison unavailable (cannot start python3: \(error)); timing swift-caffe2 only.")
    }
    let checks = header["checks"] as? [String: [String: Any]] ?? [:]
    let errors = header["errors"] as? [String: String] ?? [:]
    if let v = header["versions"] as? [String: String] {
        print("\nONNX Runtime \(v["onnxruntime"] ?? "?") (onnx \(v["onnx"] ?? "?")), \(header["threads"] ?? 2) intra-op threads, "
            + "graph optimisation ALL; swift-caffe2 with \(Parallel.threadCount) threads, OpenBLAS core \(GEMM.blasCoreName)")
    }
    for (name, e) in errors.sorted(by: { $0.key < $1.key }) { print("ORT cannot run \(name): \(e)") }

    // Interleaved rounds.
    var ours = [[Double]](repeating: [], count: workloads.count)
    var theirs = [[Double]](repeating: [], count: workloads.count)
    var roundRatios = [[Double]](repeating: [], count: workloads.count)
    for _ in 0..<rounds {
        for (i, w) in workloads.enumerated() {
            usleep(20_000)
            let a = try timeOurs(w.net, reps: w.reps)
            ours[i] += a
            if let server, errors[w.name] == nil {
                usleep(20_000)
                if let b = server.time(w.name, reps: w.reps) {
                    theirs[i] += b
                    roundRatios[i].append(medianOf(a) / medianOf(b))
                }
            }
        }
    }
    server?.close()

    var table = Table(
        title: "Inference vs ONNX Runtime, same weights (median ms over \(rounds) interleaved rounds)",
        header: ["workload", "swift-caffe2", "ONNX Runtime", "ours/ORT", "round ratios", "goal", "max |diff|"])
    for (i, w) in workloads.enumerated() {
        let o = medianOf(ours[i])
        let t = theirs[i].isEmpty ? Double.nan : medianOf(theirs[i])
        let rr = roundRatios[i].sorted()
        let spread = rr.isEmpty ? "-" : "\(fmt(rr.first!)) to \(fmt(rr.last!))"
        var diff = "-"
        if let c = checks[w.name] {
            if let d = c["max_abs_diff"] as? Double, let m = c["max_abs_value"] as? Double {
                diff = String(format: "%.1e (of %.2g)", d, m)
            } else if let e = c["error"] as? String {
                diff = e
            }
        }
        let goal = w.goal.map { "<= \(fmt($0, 1))" + (t.isNaN ? "" : (o / t <= $0 ? " met" : " MISSED")) } ?? ""
        table.add([w.label, fmt(o, 3), t.isNaN ? "-" : fmt(t, 3), t.isNaN ? "-" : fmt(o / t), spread, goal, diff])
    }
    table.print()
}

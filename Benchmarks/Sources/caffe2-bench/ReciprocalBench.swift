import CBaseline
import Caffe2
import Foundation

/// Reciprocal and ReciprocalGradient over 1e7 floats against the C loop, 1 and all threads.
func benchReciprocal() throws {
    let n = 10_000_000
    let x = buffer(n) { Float($0 % 1000 + 1) }
    let y = buffer(n) { _ in 0 }
    let dy = buffer(n) { Float($0 % 7) - 3 }
    let dx = buffer(n) { _ in 0 }
    defer { [x, y, dy, dx].forEach { $0.deallocate() } }
    let cores = Parallel.availableCores
    let xs = SendablePointer(p: x), ys = SendablePointer(p: y), dys = SendablePointer(p: dy), dxs = SendablePointer(p: dx)

    var table = Table(
        title: "Reciprocal over 1e7 float32 (median of 31, G elements/s)",
        header: ["kernel", "threads", "swift-caffe2", "C -O3 -march=native", "ratio"])
    for threads in Set([1, cores]).sorted() {
        Parallel.setThreadLimit(threads)
        // Out of place.
        let tc = median { split(n, threads: threads) { lo, hi in c_reciprocal(xs.p + lo, ys.p + lo, hi - lo) } }
        let ts = median { reciprocal(x, y, count: n) }
        table.add(["Y = 1/X", "\(threads)", fmt(Double(n) / ts / 1e9), fmt(Double(n) / tc / 1e9), fmt(tc / ts)])
        // In place (X is rewritten every run; 1/(1/x) keeps values bounded).
        let tci = median { split(n, threads: threads) { lo, hi in c_reciprocal_inplace(ys.p + lo, hi - lo) } }
        let tsi = median { reciprocal(y, y, count: n) }
        table.add(["X = 1/X (in place)", "\(threads)", fmt(Double(n) / tsi / 1e9), fmt(Double(n) / tci / 1e9), fmt(tci / tsi)])
        // Gradient, fused.
        let tcg = median {
            split(n, threads: threads) { lo, hi in c_reciprocal_gradient(xs.p + lo, dys.p + lo, dxs.p + lo, hi - lo) }
        }
        let tsg = median { reciprocalGradient(x, dy, dx, count: n) }
        table.add(["dX = -dY*Y*Y", "\(threads)", fmt(Double(n) / tsg / 1e9), fmt(Double(n) / tcg / 1e9), fmt(tcg / tsg)])
        let tcgi = median {
            split(n, threads: threads) { lo, hi in c_reciprocal_gradient_inplace(xs.p + lo, dys.p + lo, hi - lo) }
        }
        let tsgi = median { reciprocalGradient(x, dy, dy, count: n) }
        table.add(["dY = -dY*Y*Y (in place)", "\(threads)", fmt(Double(n) / tsgi / 1e9), fmt(Double(n) / tcgi / 1e9), fmt(tcgi / tsgi)])
    }
    Parallel.setThreadLimit(nil)
    table.print()
    try benchReciprocalOperators(n: n)
    try benchSmall()
}

/// The same work through the operator (Workspace + Net), in place and out of place.
func benchReciprocalOperators(n: Int) throws {
    var table = Table(
        title: "Reciprocal operators over 1e7 float32 through a Net (all cores, median of 31)",
        header: ["net", "ms/run", "G elements/s", "C loop G el/s", "ratio"])
    let values = (0..<n).map { Float($0 % 1000 + 1) }
    let x = buffer(n) { values[$0] }
    let dy = buffer(n) { values[$0] }
    let y = buffer(n) { _ in 0 }
    let xs = SendablePointer(p: x), dys = SendablePointer(p: dy), ys = SendablePointer(p: y)
    defer { x.deallocate(); dy.deallocate(); y.deallocate() }
    let cores = Parallel.availableCores
    let tc = median { split(n, threads: cores) { lo, hi in c_reciprocal(xs.p + lo, ys.p + lo, hi - lo) } }
    // Two input arrays and one output, like the operator (Y and dY are different blobs).
    let tcg = median { split(n, threads: cores) { lo, hi in c_reciprocal_gradient(xs.p + lo, dys.p + lo, ys.p + lo, hi - lo) } }

    for (label, def, baseline) in [
        ("Reciprocal(X) -> Y", NetDef(name: "f", op: [OperatorDef(type: "Reciprocal", input: ["X"], output: ["Y"])]), tc),
        ("Reciprocal(X) -> X", NetDef(name: "fi", op: [OperatorDef(type: "Reciprocal", input: ["X"], output: ["X"])]), tc),
        ("ReciprocalGradient(Y, dY) -> dX",
         NetDef(name: "g", op: [OperatorDef(type: "ReciprocalGradient", input: ["X", "dY"], output: ["dX"])]), tcg),
        ("ReciprocalGradient(Y, dY) -> dY",
         NetDef(name: "gi", op: [OperatorDef(type: "ReciprocalGradient", input: ["X", "dY"], output: ["dY"])]), tcg),
    ] {
        let ws = Workspace()
        ws.feedBlob("X", try Tensor(dims: [n], values: values))
        ws.feedBlob("dY", try Tensor(dims: [n], values: values))
        let net = try ws.createNet(def)
        let t = try median { try net.run() }
        table.add([label, fmt(t * 1e3, 3), fmt(Double(n) / t / 1e9), fmt(Double(n) / baseline / 1e9), fmt(baseline / t)])
    }
    table.print()
}

/// 1e3 elements: no thread is started, one call against one C call.
func benchSmall() throws {
    let n = 1000
    let x = buffer(n) { Float($0 + 1) }
    let y = buffer(n) { _ in 0 }
    defer { x.deallocate(); y.deallocate() }
    let inner = 20_000
    let tc = medianPerCall(inner: inner) { c_reciprocal(x, y, n) }
    let ts = medianPerCall(inner: inner) { reciprocal(x, y, count: n) }
    let ws = Workspace()
    ws.feedBlob("X", try Tensor(dims: [n], values: (0..<n).map { Float($0 + 1) }))
    let net = try ws.createNet(NetDef(name: "s", op: [OperatorDef(type: "Reciprocal", input: ["X"], output: ["Y"])]))
    let to = try medianPerCall(inner: inner) { try net.run() }
    var table = Table(
        title: "Reciprocal over 1e3 float32, one call (median of 31 × 20,000 calls)",
        header: ["what", "ns/call", "C loop ns/call", "C / this"])
    table.add(["kernel reciprocal(x, y, count:)", fmt(ts * 1e9, 1), fmt(tc * 1e9, 1), fmt(tc / ts)])
    table.add(["1-op net run", fmt(to * 1e9, 1), fmt(tc * 1e9, 1), fmt(tc / to)])
    table.print()
}

/// A net of 100 chained Reciprocal ops on 16 floats: cost per operator beyond the arithmetic.
func benchExecutorOverhead() throws {
    let n = 16, chain = 100
    var ops: [OperatorDef] = []
    for i in 0..<chain {
        ops.append(OperatorDef(type: "Reciprocal", input: [i == 0 ? "X" : "b\(i - 1)"], output: ["b\(i)"]))
    }
    let ws = Workspace()
    ws.feedBlob("X", try Tensor(dims: [n], values: (0..<n).map { Float($0 + 1) }))
    let net = try ws.createNet(NetDef(name: "chain", op: ops))
    let inner = 2000
    let tnet = try medianPerCall(inner: inner) { try net.run() }
    let x = buffer(n) { Float($0 + 1) }
    let y = buffer(n) { _ in 0 }
    defer { x.deallocate(); y.deallocate() }
    let tc = medianPerCall(inner: inner) {
        for _ in 0..<chain { c_reciprocal(x, y, n) }
    }
    let perOp = (tnet - tc) / Double(chain)
    var table = Table(
        title: "Executor overhead: 100 chained Reciprocal ops on 16 floats (median of 31 × 2,000 runs)",
        header: ["what", "ns"])
    table.add(["net run (100 ops)", fmt(tnet * 1e9, 0)])
    table.add(["100 C loops over 16 floats (arithmetic)", fmt(tc * 1e9, 0)])
    table.add(["overhead per operator", fmt(perOp * 1e9, 1)])
    table.print()
}

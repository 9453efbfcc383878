import Caffe2
import Foundation

/// Building backward nets for 10,000-op forward nets: a chain and a heavy fan-out, against the
/// cost of merely copying the forward ops (the smallest thing a builder must do), to show linearity.
func benchBackward() throws {
    func chain(_ n: Int) -> [OperatorDef] {
        (0..<n).map { i in
            OperatorDef(type: "Reciprocal", input: [i == 0 ? "x" : "b\(i - 1)"], output: [i == n - 1 ? "loss" : "b\(i)"])
        }
    }
    /// One blob read by n-1 Reciprocal ops whose outputs are summed into the loss.
    func fanOut(_ n: Int) -> [OperatorDef] {
        var ops = (0..<(n - 1)).map { i in OperatorDef(type: "Reciprocal", input: ["x"], output: ["r\(i)"]) }
        ops.append(OperatorDef(type: "Sum", input: (0..<(n - 1)).map { "r\($0)" }, output: ["loss"]))
        return ops
    }
    /// Residual blocks: y = Sum(x, Reciprocal(Reciprocal(x))): every blob read twice, Sum pass-through.
    func residual(_ n: Int) -> [OperatorDef] {
        var ops: [OperatorDef] = []
        var x = "x"
        var i = 0
        while ops.count + 3 <= n {
            ops.append(OperatorDef(type: "Reciprocal", input: [x], output: ["a\(i)"]))
            ops.append(OperatorDef(type: "Reciprocal", input: ["a\(i)"], output: ["c\(i)"]))
            ops.append(OperatorDef(type: "Sum", input: [x, "c\(i)"], output: ["y\(i)"]))
            x = "y\(i)"
            i += 1
        }
        ops.append(OperatorDef(type: "Reciprocal", input: [x], output: ["loss"]))
        return ops
    }
    var table = Table(
        title: "Building backward nets (median of 11, release build)",
        header: ["forward net", "ops", "grad ops", "ms", "µs/op", "1,000 ops: ms", "ratio 10k/1k"])
    for (name, make) in [("chain", chain), ("fan-out (1 blob, 9,999 readers)", fanOut), ("residual blocks", residual)]
        as [(String, (Int) -> [OperatorDef])]
    {
        let big = make(10_000), small = make(1_000)
        var pass = try backwardPass(for: big, losses: ["loss"])
        let t = try median(reps: 11, warmup: 2) { pass = try backwardPass(for: big, losses: ["loss"]) }
        let t1 = try median(reps: 11, warmup: 2) { _ = try backwardPass(for: small, losses: ["loss"]) }
        table.add([
            name, "\(big.count)", "\(pass.ops.count)", fmt(t * 1e3), fmt(t * 1e6 / Double(big.count)), fmt(t1 * 1e3),
            fmt(t / t1, 1),
        ])
    }
    table.print()
}

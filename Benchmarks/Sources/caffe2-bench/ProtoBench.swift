import Caffe2
import Foundation

/// Decoding a 10,000-operator NetDef (2 inputs, 1 output, 2 arguments per op) from bytes.
func benchProtoDecode() throws {
    let count = 10_000
    var net = NetDef(name: "big")
    for i in 0..<count {
        net.op.append(
            OperatorDef(
                type: "Conv", input: ["blob_\(i)", "weight_\(i)"], output: ["blob_\(i + 1)"], name: "op_\(i)",
                arg: [Argument(name: "kernel", int: 3), Argument(name: "order", string: "NCHW")]))
    }
    net.externalInput = ["blob_0"]
    net.externalOutput = ["blob_\(count)"]
    let bytes = net.serializedBytes()
    guard try NetDef(serializedBytes: bytes) == net else { fatalError("round trip failed") }
    let tRaw = median(reps: 21) { _ = _BenchmarkHooks.protobufCUnpackNetDef(bytes) }
    let tSwift = try median(reps: 21) { _ = try NetDef(serializedBytes: bytes) }
    let tEncode = median(reps: 21) { _ = net.serializedBytes() }
    var table = Table(
        title: "Decoding a 10,000-op NetDef (\(bytes.count) bytes; median of 21)",
        header: ["what", "ms", "M ops/s", "vs raw unpack"])
    table.add(["protobuf-c unpack + free (baseline)", fmt(tRaw * 1e3), fmt(Double(count) / tRaw / 1e6), "1.00"])
    table.add(["NetDef(serializedBytes:) (scan + unpack + Swift values)", fmt(tSwift * 1e3), fmt(Double(count) / tSwift / 1e6), fmt(tSwift / tRaw)])
    table.add(["net.serializedBytes() (encode)", fmt(tEncode * 1e3), fmt(Double(count) / tEncode / 1e6), fmt(tEncode / tRaw)])
    table.print()
    var stages = Table(title: "Where NetDef(serializedBytes:) spends its time (median of 15)", header: ["stage", "ms"])
    for (name, t) in _BenchmarkHooks.netDefDecodeStages(bytes) { stages.add([name, fmt(t * 1e3)]) }
    stages.print()
}

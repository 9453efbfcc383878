import Foundation
import Testing

@testable import Caffe2

/// Shared helpers for the test suite.
enum TestSupport {
    /// `../shared/models`, where the real model files live (tests run from the package root).
    static let modelsDirectory: String = {
        let candidates = ["../shared/models", "../../shared/models"]
        for c in candidates where FileManager.default.fileExists(atPath: c) { return c }
        return "../shared/models"
    }()

    static var haveModels: Bool { FileManager.default.fileExists(atPath: modelsDirectory) }

    /// Path of a model file under `../shared/models`.
    static func model(_ relative: String) -> String { modelsDirectory + "/" + relative }

    /// Whether an executable is on PATH.
    static func haveTool(_ name: String) -> Bool {
        (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").contains {
            FileManager.default.isExecutableFile(atPath: "\($0)/\(name)")
        }
    }

    /// Runs one operator in a fresh workspace: inputs are fed under `op.input`
    /// names in order; returns every output tensor.
    static func run(
        _ op: OperatorDef, _ inputs: [Tensor], registry: OperatorRegistry = .standard
    ) throws -> [Tensor] {
        let ws = Workspace(registry: registry)
        for (name, t) in zip(op.input, inputs) { ws.feedBlob(name, t) }
        try ws.runOperatorOnce(op)
        return try op.output.map { try ws.fetchBlob($0) }
    }

    /// Runs `type` with inputs named X0, X1, ... and outputs Y0, Y1, ...
    static func run(
        _ type: String, _ inputs: [Tensor], outputs: Int = 1, args: [Argument] = [],
        registry: OperatorRegistry = .standard
    ) throws -> [Tensor] {
        let op = OperatorDef(
            type: type, input: inputs.indices.map { "X\($0)" }, output: (0..<outputs).map { "Y\($0)" }, arg: args)
        return try run(op, inputs, registry: registry)
    }
}

/// The `Caffe2Error` that `body` throws (any other error wrapped as a `.runtime` one), or nil when it
/// throws nothing.
func caffe2Error(_ body: () throws -> Void) -> Caffe2Error? {
    do {
        try body()
        return nil
    } catch let e as Caffe2Error {
        return e
    } catch {
        return Caffe2Error(.runtime, "\(error)")
    }
}

/// Element-wise closeness: `|a - b| <= atol + rtol * |b|`, NaNs equal, infinities exact.
func allClose(_ a: [Double], _ b: [Double], atol: Double = 1e-5, rtol: Double = 1e-5) -> Bool {
    guard a.count == b.count else { return false }
    for (x, y) in zip(a, b) {
        if x.isNaN || y.isNaN {
            if !(x.isNaN && y.isNaN) { return false }
            continue
        }
        if x.isInfinite || y.isInfinite {
            if x != y { return false }
            continue
        }
        if abs(x - y) > atol + rtol * abs(y) { return false }
    }
    return true
}

func allClose(_ t: Tensor, _ b: [Double], atol: Double = 1e-5, rtol: Double = 1e-5) -> Bool {
    allClose(t.doubleValues(), b, atol: atol, rtol: rtol)
}

/// A seeded generator (SplitMix64) so random tests are reproducible.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A float tensor of uniform random values in `range`.
func randomTensor(_ dims: [Int], in range: ClosedRange<Float> = -1...1, seed: UInt64 = 1) -> Tensor {
    var g = SeededGenerator(seed: seed)
    let n = dims.reduce(1, *)
    return try! Tensor(dims: dims, values: (0..<n).map { _ in Float.random(in: range, using: &g) })
}

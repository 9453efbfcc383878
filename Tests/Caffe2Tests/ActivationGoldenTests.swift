import Foundation
import Testing

@testable import Caffe2

/// One operator run with inputs and expected outputs computed by numpy
/// (Scripts/testdata/activations.py and losses.py write these files).
struct OperatorGolden: Decodable, Sendable, CustomTestStringConvertible {
    struct Arg: Decodable, Sendable {
        let name: String
        let i: Int64?
        let f: Double?
        let s: String?

        var argument: Argument {
            if let i { return Argument(name: name, int: i) }
            if let f { return Argument(name: name, float: Float(f)) }
            return Argument(name: name, string: s ?? "")
        }
    }

    struct TensorData: Decodable, Sendable {
        let name: String
        let dims: [Int]
        let type: String
        let values: [Double]

        func tensor() throws -> Tensor {
            switch type {
            case "int32": return try Tensor(dims: dims, values: values.map { Int32($0) })
            default: return try Tensor(dims: dims, values: values.map { Float($0) })
            }
        }
    }

    let name: String
    let op: String
    let args: [Arg]
    let inputs: [TensorData]
    let outputs: [TensorData]
    let atol: Double
    let rtol: Double

    var testDescription: String { name }

    var operatorDef: OperatorDef {
        OperatorDef(type: op, input: inputs.map(\.name), output: outputs.map(\.name), arg: args.map(\.argument))
    }

    /// Runs the operator and checks every output's dims and values.
    func check() throws {
        let results = try TestSupport.run(operatorDef, try inputs.map { try $0.tensor() })
        for (got, want) in zip(results, outputs) {
            #expect(got.shape == want.dims, "\(name): output \(want.name) dims")
            #expect(got.dataType == .float, "\(name): output \(want.name) type")
            #expect(
                allClose(got, want.values, atol: atol, rtol: rtol),
                "\(name): output \(want.name)\n got \(got.doubleValues())\nwant \(want.values)")
        }
    }

    /// The package root, found from this file's path.
    static let packageRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    private struct File: Decodable {
        let cases: [OperatorGolden]
    }

    /// The cases of `Tests/Caffe2Tests/Data/<relative>`.
    static func load(_ relative: String) throws -> [OperatorGolden] {
        let data = try Data(contentsOf: URL(fileURLWithPath: packageRoot + "/Tests/Caffe2Tests/Data/" + relative))
        return try JSONDecoder().decode(File.self, from: data).cases
    }

    /// The cases, or none if the file cannot be read (a separate test checks that it can).
    static func cases(_ relative: String) -> [OperatorGolden] {
        (try? load(relative)) ?? []
    }
}

@Suite struct ActivationGoldenTests {
    static let file = "activations/goldens.json"

    @Test func goldenFileCoversEveryActivation() throws {
        let cases = try OperatorGolden.load(Self.file)
        let ops = Set(cases.map(\.op))
        for op in [
            "Relu", "ReluGradient", "LeakyRelu", "LeakyReluGradient", "PRelu", "PReluGradient", "Sigmoid",
            "SigmoidGradient", "Tanh", "TanhGradient", "Softplus", "SoftplusGradient", "Elu", "EluGradient",
            "Softmax", "SoftmaxGradient",
        ] {
            #expect(ops.contains(op), "no golden case for \(op)")
        }
    }

    @Test(arguments: OperatorGolden.cases(file))
    func matchesNumpy(_ golden: OperatorGolden) throws {
        try golden.check()
    }
}

import Foundation
import Testing

@testable import Caffe2

/// One operator run with float inputs and the outputs numpy computed for it
/// (written by Scripts/testdata/conv.py, pool.py, normalization.py and dense.py).
/// Arguments may be lists (`ints`, `floats`), unlike the activation goldens.
struct LayerGolden: Decodable, Sendable, CustomTestStringConvertible {
    struct Arg: Decodable, Sendable {
        let name: String
        let i: Int64?
        let f: Double?
        let s: String?
        let ints: [Int64]?
        let floats: [Double]?

        var argument: Argument {
            if let i { return Argument(name: name, int: i) }
            if let f { return Argument(name: name, float: Float(f)) }
            if let s { return Argument(name: name, string: s) }
            if let floats { return Argument(name: name, floats: floats.map { Float($0) }) }
            return Argument(name: name, ints: ints ?? [])
        }
    }

    struct TensorData: Decodable, Sendable {
        let name: String
        let dims: [Int]
        let values: [Double]

        func tensor() throws -> Tensor { try Tensor(dims: dims, values: values.map { Float($0) }) }
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

    /// Runs the operator; checks every output's dims and values, and that
    /// shape inference predicts the dims it produced.
    func check() throws {
        let results = try TestSupport.run(operatorDef, try inputs.map { try $0.tensor() })
        for (got, want) in zip(results, outputs) {
            #expect(got.shape == want.dims, "\(name): output \(want.name) dims")
            #expect(
                allClose(got, want.values, atol: atol, rtol: rtol),
                "\(name): output \(want.name)\n got \(got.doubleValues().prefix(12))\nwant \(want.values.prefix(12))")
        }
        let schema = try #require(OperatorRegistry.standard.schema(op))
        let inferred = try schema.inferShapes(
            operatorDef, inputs.map { TensorShape(dims: $0.dims.map { Int64($0) }, dataType: .float) })
        #expect(inferred.map(\.dims) == outputs.map { $0.dims.map { Int64($0) } }, "\(name): inferred shapes")
    }

    static let packageRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    private struct File: Decodable {
        let cases: [LayerGolden]
    }

    /// The cases of `Tests/Caffe2Tests/Data/<relative>`.
    static func load(_ relative: String) throws -> [LayerGolden] {
        let data = try Data(contentsOf: URL(fileURLWithPath: packageRoot + "/Tests/Caffe2Tests/Data/" + relative))
        return try JSONDecoder().decode(File.self, from: data).cases
    }

    /// The cases, or none if the file cannot be read (each suite checks separately that it can).
    static func cases(_ relative: String) -> [LayerGolden] { (try? load(relative)) ?? [] }
}

@Suite struct ConvGoldenTests {
    static let file = "conv/goldens.json"

    @Test func goldenFileCoversEveryVariant() throws {
        let cases = try LayerGolden.load(Self.file)
        #expect(cases.count >= 50)
        for op in ["Conv", "ConvGradient", "Conv2D", "Conv2DGradient", "ConvTranspose", "ConvTransposeGradient"] {
            #expect(cases.contains { $0.op == op }, "no golden case for \(op)")
        }
        let argNames = Set(cases.flatMap { $0.args.map(\.name) })
        for a in [
            "kernel", "kernels", "kernel_h", "stride", "strides", "stride_h", "pad", "pads", "pad_t", "dilation",
            "dilations", "dilation_h", "group", "order", "legacy_pad", "adj", "adjs", "adj_h", "no_bias",
        ] where a != "adj" {
            #expect(argNames.contains(a), "no golden case uses \(a)")
        }
    }

    @Test(arguments: LayerGolden.cases(file))
    func matchesNumpy(_ golden: LayerGolden) throws {
        try golden.check()
    }
}

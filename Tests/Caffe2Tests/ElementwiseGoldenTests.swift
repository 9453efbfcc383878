import Foundation
import Testing

@testable import Caffe2

/// One element-wise / reduction operator run whose outputs numpy computed
/// (Scripts/testdata/elementwise_goldens.py writes Data/elementwise_goldens.json).
struct ElementwiseGolden: Decodable, Sendable, CustomTestStringConvertible {
    struct Arg: Decodable, Sendable {
        let name: String
        let i: Int64?
        let f: Double?
        let s: String?
        let ints: [Int64]?

        var argument: Argument {
            if let i { return Argument(name: name, int: i) }
            if let f { return Argument(name: name, float: Float(f)) }
            if let ints { return Argument(name: name, ints: ints) }
            return Argument(name: name, string: s ?? "")
        }
    }

    struct TensorData: Decodable, Sendable {
        let dims: [Int]
        let dtype: String
        let values: [Double]

        var dataType: DataType { DataType(name: dtype) ?? .undefined }

        func tensor() throws -> Tensor {
            switch dtype {
            case "double": return try Tensor(dims: dims, values: values)
            case "int32": return try Tensor(dims: dims, values: values.map { Int32($0) })
            case "int64": return try Tensor(dims: dims, values: values.map { Int64($0) })
            case "bool": return try Tensor(dims: dims, values: values.map { $0 != 0 })
            default: return try Tensor(dims: dims, values: values.map { Float($0) })
            }
        }
    }

    let name: String
    let op: String
    let inputNames: [String]
    let outputNames: [String]
    let args: [Arg]
    let inputs: [TensorData]
    let outputs: [TensorData]
    let atol: Double
    let rtol: Double

    var testDescription: String { name }

    static let all: [ElementwiseGolden] = {
        struct File: Decodable { let cases: [ElementwiseGolden] }
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Data/elementwise_goldens.json")
        do {
            return try JSONDecoder().decode(File.self, from: Data(contentsOf: url)).cases
        } catch {
            Issue.record("cannot read \(url.path): \(error)")
            return []
        }
    }()

    /// Runs the operator (inputs fed in order; a repeated name is fed once) and
    /// checks every output's dims, type and values.
    func check() throws {
        let ws = Workspace()
        for (name, t) in zip(inputNames, inputs) { ws.feedBlob(name, try t.tensor()) }
        let def = OperatorDef(type: op, input: inputNames, output: outputNames, arg: args.map(\.argument))
        try ws.runOperatorOnce(def)
        for (name, want) in zip(outputNames, outputs) {
            let got = try ws.fetchBlob(name)
            #expect(got.shape == want.dims, "\(self.name): output \(name) dims")
            #expect(got.dataType == want.dataType, "\(self.name): output \(name) type")
            #expect(
                allClose(got, want.values, atol: atol, rtol: rtol),
                "\(self.name): output \(name)\n got \(got.doubleValues())\nwant \(want.values)")
        }
    }
}

@Suite struct ElementwiseGoldenTests {
    @Test func goldenFileIsPresent() {
        #expect(ElementwiseGolden.all.count > 600)
    }

    @Test(arguments: ElementwiseGolden.all)
    func matchesNumpy(_ golden: ElementwiseGolden) throws {
        try golden.check()
    }
}

import Foundation
import Testing

@testable import Caffe2

/// Helpers shared by the shape, fill, training and utility suites.
enum OpTesting {
    /// Runs `type` with inputs X0, X1, ... and `outputs` outputs Y0, Y1, ...
    static func run(
        _ type: String, _ inputs: [Tensor], outputs: Int = 1, args: [Argument] = []
    ) throws -> [Tensor] {
        try TestSupport.run(type, inputs, outputs: outputs, args: args)
    }

    /// The error thrown by `body`, which must be a ``Caffe2Error`` whose message contains `text`.
    @discardableResult
    static func expectError(
        _ text: String, kind: Caffe2Error.Kind? = nil, sourceLocation: SourceLocation = #_sourceLocation,
        _ body: () throws -> Void
    ) -> Caffe2Error? {
        do {
            try body()
            Issue.record("expected an error containing \"\(text)\"", sourceLocation: sourceLocation)
            return nil
        } catch let e as Caffe2Error {
            #expect(e.message.contains(text), "message: \(e.message)", sourceLocation: sourceLocation)
            if let kind { #expect(e.kind == kind, "kind of \(e)", sourceLocation: sourceLocation) }
            return e
        } catch {
            Issue.record("expected a Caffe2Error, got \(error)", sourceLocation: sourceLocation)
            return nil
        }
    }

    /// Shape inference of one operator on input shapes.
    static func infer(_ op: OperatorDef, _ shapes: [TensorShape]) throws -> [TensorShape] {
        guard let schema = OperatorRegistry.standard.schema(op.type) else {
            throw Caffe2Error(.unknownOperator, op.type)
        }
        return try schema.inferShapes(op, shapes)
    }

    /// Float tensor `0, 1, 2, ...` of the given dims.
    static func iota(_ dims: [Int]) -> Tensor {
        let n = dims.reduce(1, *)
        return try! Tensor(dims: dims, values: (0..<n).map { Float($0) })
    }

    /// Checks the gradient of every listed input of `op` by finite differences.
    static func checkGradients(
        _ op: OperatorDef, _ inputs: [Tensor], inputsToCheck: [Int], outputsWithGradient: [Int] = [0],
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let checker = GradientChecker(stepSize: 1e-3, threshold: 1e-3)
        for i in inputsToCheck {
            let r = try checker.checkOperator(op, inputs: inputs, inputIndex: i, outputsWithGradient: outputsWithGradient)
            #expect(r.passed, "\(op.type) input \(i): \(r)", sourceLocation: sourceLocation)
            #expect(r.analytic.contains { $0 != 0 }, "\(op.type) input \(i): gradient is all zero", sourceLocation: sourceLocation)
        }
    }
}

/// One operator run with inputs and outputs computed by numpy (Scripts/testdata/shape.py).
struct ShapeGolden: Decodable, Sendable, CustomTestStringConvertible {
    struct Arg: Decodable, Sendable {
        let name: String
        let i: Int64?
        let f: Double?
        let s: String?
        let ints: [Int64]?

        var argument: Argument {
            if let ints { return Argument(name: name, ints: ints) }
            if let f { return Argument(name: name, float: Float(f)) }
            if let i { return Argument(name: name, int: i) }
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
            case "float": return try Tensor(dims: dims, values: values.map { Float($0) })
            case "double": return try Tensor(dims: dims, values: values)
            case "int32": return try Tensor(dims: dims, values: values.map { Int32($0) })
            case "int64": return try Tensor(dims: dims, values: values.map { Int64($0) })
            case "int16": return try Tensor(dims: dims, values: values.map { Int16($0) })
            case "uint8": return try Tensor(dims: dims, values: values.map { UInt8($0) })
            case "bool": return try Tensor(dims: dims, values: values.map { $0 != 0 })
            default: throw Caffe2Error(.invalidInput, "golden type \(type)")
            }
        }
    }

    struct Net: Decodable, Sendable {
        let name: String
        let input: TensorData
        let output: TensorData
        let shape1: [Int64]
        let axes: [Int64]
        let shape2: [Int64]
    }

    let name: String
    let op: String
    let args: [Arg]
    let inputs: [TensorData]
    let outputs: [TensorData]

    var testDescription: String { name }

    private struct File: Decodable {
        let cases: [ShapeGolden]
        let nets: [Net]?
    }

    static let packageRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    private static func file(_ relative: String) throws -> File {
        let url = URL(fileURLWithPath: packageRoot + "/Tests/Caffe2Tests/Data/" + relative)
        return try JSONDecoder().decode(File.self, from: try Data(contentsOf: url))
    }

    /// The cases of `Tests/Caffe2Tests/Data/<relative>`.
    static func load(_ relative: String = "shape/goldens.json") throws -> [ShapeGolden] { try file(relative).cases }
    static func nets() throws -> [Net] { try file("shape/goldens.json").nets ?? [] }
    static var cases: [ShapeGolden] { (try? load()) ?? [] }
    /// The op run with the case's arguments, input and output names.
    var operatorDef: OperatorDef {
        OperatorDef(type: op, input: inputs.map(\.name), output: outputs.map(\.name), arg: args.map(\.argument))
    }
}

@Suite struct ShapeGoldenTests {
    @Test func goldenFileCoversTheDataMovementOps() throws {
        let ops = Set(try ShapeGolden.load().map(\.op))
        #expect(ops == ["Transpose", "NCHW2NHWC", "NHWC2NCHW", "Concat", "Split"])
    }

    @Test(arguments: ShapeGolden.cases)
    func matchesNumpy(_ g: ShapeGolden) throws {
        let op = OperatorDef(
            type: g.op, input: g.inputs.map(\.name), output: g.outputs.map(\.name), arg: g.args.map(\.argument))
        let inputs = try g.inputs.map { try $0.tensor() }
        let got = try TestSupport.run(op, inputs)
        for (t, want) in zip(got, g.outputs) {
            #expect(t == (try want.tensor()), "\(g.name): \(want.name) = \(t)")
        }
        // Shape inference agrees with the run.
        let inferred = try OpTesting.infer(op, inputs.map { TensorShape(dims: $0.dims, dataType: $0.dataType) })
        for (s, t) in zip(inferred, got) where !s.unknownShape {
            #expect(s.dims == t.dims && s.dataType == t.dataType, "\(g.name): inferred \(s.dims) \(s.dataType)")
        }
    }

    @Test func pixelShuffleChainMatchesNumpy() throws {
        let net = try #require(try ShapeGolden.nets().first)
        var def = NetDef(name: "shuffle")
        def.op = [
            OperatorDef(type: "Reshape", input: ["X"], output: ["A", "A_old"], arg: [Argument(name: "shape", ints: net.shape1)]),
            OperatorDef(type: "Transpose", input: ["A"], output: ["B"], arg: [Argument(name: "axes", ints: net.axes)]),
            OperatorDef(type: "Reshape", input: ["B"], output: ["Y", "B_old"], arg: [Argument(name: "shape", ints: net.shape2)]),
        ]
        let ws = Workspace()
        ws.feedBlob("X", try net.input.tensor())
        try ws.runNetOnce(def)
        #expect(try ws.fetchBlob("Y") == (try net.output.tensor()))
        #expect(try ws.fetchBlob("A_old").values(as: Int64.self) == net.input.dims.map(Int64.init))
    }
}

@Suite struct ShapeReshapeTests {
    @Test func zeroAndMinusOneRules() throws {
        let x = OpTesting.iota([2, 3, 4])
        for (shape, want) in [
            ([0, -1] as [Int64], [2, 12] as [Int64]), ([-1, 4], [6, 4]), ([0, 0, 2, 2], [2, 3, 2, 2]),
            ([24], [24]), ([4, 0, -1], [4, 3, 2]), ([1, 1, -1, 1], [1, 1, 24, 1]),
        ] {
            let out = try OpTesting.run("Reshape", [x], outputs: 2, args: [Argument(name: "shape", ints: shape)])
            #expect(out[0].dims == want, "shape \(shape)")
            #expect(try out[0].values(as: Float.self) == (try x.values(as: Float.self)))
            #expect(out[1].dataType == .int64)
            #expect(try out[1].values(as: Int64.self) == [2, 3, 4])
        }
    }

    @Test func emptyTensors() throws {
        let x = try Tensor(dims: [0, 3], dataType: .float)
        // A -1 becomes 0; a 0 is not replaced for an empty input.
        var out = try OpTesting.run("Reshape", [x], outputs: 2, args: [Argument(name: "shape", ints: [3, -1])])
        #expect(out[0].dims == [3, 0])
        out = try OpTesting.run("Reshape", [x], outputs: 2, args: [Argument(name: "shape", ints: [0, 5])])
        #expect(out[0].dims == [0, 5])
    }

    @Test func shapeFromInputTensor() throws {
        let x = OpTesting.iota([2, 6])
        let op = OperatorDef(type: "Reshape", input: ["X", "S"], output: ["Y", "old"])
        var out = try TestSupport.run(op, [x, Tensor([3, -1] as [Int32])])
        #expect(out[0].dims == [3, 4])
        #expect(out[1].dataType == .int32)
        #expect(try out[1].values(as: Int32.self) == [2, 6])
        out = try TestSupport.run(op, [x, Tensor([4, 3] as [Int64])])
        #expect(out[0].dims == [4, 3])
        #expect(try out[1].values(as: Int64.self) == [2, 6])
        // Inference cannot know the dims from a tensor's values.
        let s = try OpTesting.infer(op, [TensorShape(dims: [2, 6]), TensorShape(dims: [2], dataType: .int64)])
        #expect(s[0].unknownShape)
        #expect(s[1].dims == [2] && s[1].dataType == .int64)
        OpTesting.expectError("Shape should be 1-D") {
            _ = try TestSupport.run(op, [x, try Tensor(dims: [1, 2], values: [3, 4] as [Int64])])
        }
        OpTesting.expectError("Unsupported type", kind: .dataType) {
            _ = try TestSupport.run(op, [x, Tensor([3, 4] as [Float])])
        }
    }

    @Test func errors() throws {
        let x = OpTesting.iota([2, 3])
        func reshape(_ shape: [Int64]) throws {
            _ = try OpTesting.run("Reshape", [x], outputs: 2, args: [Argument(name: "shape", ints: shape)])
        }
        OpTesting.expectError("Can not reshape a non-zero size (6) tensor to zero size", kind: .shape) {
            try reshape([0, 0, 0])
        }
        OpTesting.expectError("more than one missing dimension", kind: .argument) { try reshape([-1, -1]) }
        OpTesting.expectError("does not agree with the input data. (6 vs 4)") { try reshape([4, -1]) }
        OpTesting.expectError("does not agree with the input data. (6 != 8)") { try reshape([2, 4]) }
        OpTesting.expectError("invalid dimension -3") { try reshape([-3, 2]) }
        OpTesting.expectError("Argument `shape` is missing.") {
            _ = try OpTesting.run("Reshape", [x], outputs: 2)
        }
        OpTesting.expectError("do not pass in the argument `shape`") {
            _ = try TestSupport.run(
                OperatorDef(type: "Reshape", input: ["X", "S"], output: ["Y", "o"], arg: [Argument(name: "shape", ints: [6])]),
                [x, Tensor([6] as [Int64])])
        }
        // Two outputs are required.
        OpTesting.expectError("Output size 1 not in range", kind: .schema) {
            _ = try OpTesting.run("Reshape", [x], outputs: 1, args: [Argument(name: "shape", ints: [6])])
        }
    }

    @Test func sharesStorageAndRunsInPlace() throws {
        let ws = Workspace()
        let x = OpTesting.iota([4, 5])
        ws.feedBlob("X", x)
        try ws.runOperatorOnce(
            OperatorDef(type: "Reshape", input: ["X"], output: ["Y", "old"], arg: [Argument(name: "shape", ints: [20])]))
        let y = try ws.fetchBlob("Y")
        #expect(y.sharesStorage(with: x))
        #expect(y.dims == [20])
        try ws.runOperatorOnce(
            OperatorDef(type: "Reshape", input: ["X"], output: ["X", "old"], arg: [Argument(name: "shape", ints: [5, 4])]))
        #expect(try ws.fetchBlob("X").dims == [5, 4])
        #expect(x.dims == [4, 5], "the caller's tensor is untouched")
        // A later in-place write into Y leaves X alone (copy-on-write).
        try ws.runOperatorOnce(OperatorDef(type: "Reciprocal", input: ["Y"], output: ["Y"]))
        #expect(try ws.fetchBlob("X").values(as: Float.self)[2] == 2)
        #expect(try ws.fetchBlob("Y").values(as: Float.self)[2] == 0.5)
    }

    @Test func inference() throws {
        let op = OperatorDef(
            type: "Reshape", input: ["X"], output: ["Y", "old"], arg: [Argument(name: "shape", ints: [0, -1])])
        let s = try OpTesting.infer(op, [TensorShape(dims: [3, 4, 5], dataType: .int32)])
        #expect(s[0].dims == [3, 20] && s[0].dataType == .int32)
        #expect(s[1].dims == [3] && s[1].dataType == .int64)
        // An empty input keeps its 0s and turns -1 into 0.
        #expect(try OpTesting.infer(op, [TensorShape(dims: [0, 0, 4])])[0].dims == [0, 0])
        let bad = OperatorDef(
            type: "Reshape", input: ["X"], output: ["Y", "old"], arg: [Argument(name: "shape", ints: [7, -1])])
        #expect(throws: Caffe2Error.self) { _ = try OpTesting.infer(bad, [TensorShape(dims: [3, 4])]).count }
    }

    @Test func stringsAndOtherTypes() throws {
        let s = try Tensor(dims: [2, 2], strings: ["a", "b", "c", "d"])
        let out = try OpTesting.run("Reshape", [s], outputs: 2, args: [Argument(name: "shape", ints: [4])])
        #expect(out[0].strings == ["a", "b", "c", "d"] && out[0].dims == [4])
        let b = try OpTesting.run("Reshape", [Tensor([true, false] as [Bool])], outputs: 2, args: [Argument(name: "shape", ints: [1, 2])])
        #expect(try b[0].values(as: Bool.self) == [true, false])
    }

    @Test func gradientMakerAndCheck() throws {
        let op = OperatorDef(
            type: "Reshape", input: ["X"], output: ["Y", "old"], arg: [Argument(name: "shape", ints: [3, -1])])
        let meta = try OperatorRegistry.standard.gradient(for: op, gOutput: [.dense("Y_grad"), nil])
        #expect(meta.ops.count == 1)
        #expect(meta.ops[0].type == "Reshape")
        #expect(meta.ops[0].input == ["Y_grad", "old"])
        #expect(meta.ops[0].output == ["X_grad", "_X_grad_dims"])
        #expect(meta.ops[0].arg.isEmpty, "Reshape's gradient does not copy the arguments")
        try OpTesting.checkGradients(op, [randomTensor([2, 3, 2], seed: 3)], inputsToCheck: [0])
    }
}

@Suite struct ShapeFlattenTests {
    @Test func axes() throws {
        let x = OpTesting.iota([2, 3, 4])
        for (axis, want) in [(0, [1, 24] as [Int64]), (1, [2, 12]), (2, [6, 4]), (3, [24, 1])] {
            let y = try OpTesting.run("Flatten", [x], args: [Argument(name: "axis", int: axis)])[0]
            #expect(y.dims == want)
            #expect(y.sharesStorage(with: x))
            let s = try OpTesting.infer(
                OperatorDef(type: "Flatten", input: ["X"], output: ["Y"], arg: [Argument(name: "axis", int: axis)]),
                [TensorShape(dims: [2, 3, 4], dataType: .double)])
            #expect(s[0].dims == want && s[0].dataType == .double)
        }
        #expect(try OpTesting.run("Flatten", [x])[0].dims == [2, 12], "default axis 1")
        OpTesting.expectError("The rank of the tensor must be >= axis") {
            _ = try OpTesting.run("Flatten", [x], args: [Argument(name: "axis", int: 4)])
        }
    }

    @Test func gradientIsResizeLike() throws {
        let op = OperatorDef(type: "Flatten", input: ["X"], output: ["Y"], arg: [Argument(name: "axis", int: 2)])
        let meta = try OperatorRegistry.standard.gradient(for: op, gOutput: [.dense("Y_grad")])
        #expect(meta.ops.map(\.type) == ["ResizeLike"])
        #expect(meta.ops[0].input == ["Y_grad", "X"] && meta.ops[0].output == ["X_grad"])
        try OpTesting.checkGradients(op, [randomTensor([2, 2, 3], seed: 5)], inputsToCheck: [0])
    }

    @Test func resizeLike() throws {
        let out = try OpTesting.run("ResizeLike", [OpTesting.iota([6]), try Tensor(dims: [3, 2], dataType: .int32)])
        #expect(out[0].dims == [3, 2] && out[0].dataType == .float)
        #expect(try out[0].values(as: Float.self) == [0, 1, 2, 3, 4, 5])
        OpTesting.expectError("counts must be equal") {
            _ = try OpTesting.run("ResizeLike", [OpTesting.iota([6]), OpTesting.iota([5])])
        }
        let s = try OpTesting.infer(
            OperatorDef(type: "ResizeLike", input: ["A", "B"], output: ["C"]),
            [TensorShape(dims: [6], dataType: .double), TensorShape(dims: [2, 3], dataType: .int32)])
        #expect(s.count == 1 && s[0].dims == [2, 3] && s[0].dataType == .double)
    }
}

@Suite struct ShapeTransposeTests {
    @Test func handComputed() throws {
        // [[0 1 2] [3 4 5]] transposed.
        let y = try OpTesting.run("Transpose", [OpTesting.iota([2, 3])])[0]
        #expect(y.dims == [3, 2])
        #expect(try y.values(as: Float.self) == [0, 3, 1, 4, 2, 5])
        let s = try OpTesting.run("Transpose", [try Tensor(dims: [2, 2], strings: ["a", "b", "c", "d"])])[0]
        #expect(s.strings == ["a", "c", "b", "d"])
        let scalar = try OpTesting.run("Transpose", [Tensor(scalar: Float(7))])[0]
        #expect(try scalar.dims == [] && scalar.values(as: Float.self) == [7])
    }

    @Test func errors() throws {
        OpTesting.expectError("Axes should be a permutation of 0 to ndim") {
            _ = try OpTesting.run("Transpose", [OpTesting.iota([2, 3])], args: [Argument(name: "axes", ints: [0, 0])])
        }
        OpTesting.expectError("has 3 entries but input 'X0' has rank 2") {
            _ = try OpTesting.run("Transpose", [OpTesting.iota([2, 3])], args: [Argument(name: "axes", ints: [2, 0, 1])])
        }
    }

    @Test func gradientInvertsTheAxes() throws {
        let op = OperatorDef(type: "Transpose", input: ["X"], output: ["Y"], arg: [Argument(name: "axes", ints: [1, 2, 0])])
        let meta = try OperatorRegistry.standard.gradient(for: op, gOutput: [.dense("Y_grad")])
        #expect(meta.ops.count == 1 && meta.ops[0].type == "Transpose")
        #expect(meta.ops[0].argument(named: "axes")?.ints == [2, 0, 1])
        #expect(meta.ops[0].arg.count == 1)
        try OpTesting.checkGradients(op, [randomTensor([2, 3, 4], seed: 7)], inputsToCheck: [0])
        let reversed = OperatorDef(type: "Transpose", input: ["X"], output: ["Y"])
        try OpTesting.checkGradients(reversed, [randomTensor([3, 2], seed: 8)], inputsToCheck: [0])
    }

    @Test func orderSwitchGradientsAndErrors() throws {
        for type in ["NCHW2NHWC", "NHWC2NCHW"] {
            let op = OperatorDef(type: type, input: ["X"], output: ["Y"])
            let meta = try OperatorRegistry.standard.gradient(for: op, gOutput: [.dense("Y_grad")])
            #expect(meta.ops.map(\.type) == [type == "NCHW2NHWC" ? "NHWC2NCHW" : "NCHW2NHWC"])
            try OpTesting.checkGradients(op, [randomTensor([1, 2, 3, 2], seed: 9)], inputsToCheck: [0])
            OpTesting.expectError("must be >= 3 dimensional") { _ = try OpTesting.run(type, [OpTesting.iota([2, 3])]) }
        }
    }
}

@Suite struct ShapeConcatSplitTests {
    /// Copies big enough to be spread over the threads, by rows (batch 3) and
    /// within rows (batch 1), give every element in its place.
    @Test(arguments: [3, 1])
    func bigConcatPlacesEveryElement(_ batch: Int) throws {
        let a = OpTesting.iota([batch, 70, 1000]), b = OpTesting.iota([batch, 30, 1000])
        let out = try OpTesting.run("Concat", [a, b], outputs: 2, args: [Argument(name: "axis", int: 1)])
        #expect(out[0].dims == [Int64(batch), 100, 1000])
        let y = try out[0].values(as: Float.self), av = try a.values(as: Float.self), bv = try b.values(as: Float.self)
        var expected: [Float] = []
        for n in 0..<batch {
            expected += av[(n * 70_000)..<((n + 1) * 70_000)]
            expected += bv[(n * 30_000)..<((n + 1) * 30_000)]
        }
        #expect(y == expected)
        #expect(try out[1].values(as: Int32.self) == [70, 30])
    }

    @Test func concatErrors() throws {
        let a = OpTesting.iota([2, 3])
        OpTesting.expectError("Expect dimension = 2 got 3 at axis = 0 for input: 1", kind: .shape) {
            _ = try OpTesting.run("Concat", [a, OpTesting.iota([3, 3])], outputs: 2, args: [Argument(name: "axis", int: 1)])
        }
        OpTesting.expectError("All inputs must have the same type, expected: float but got: int32", kind: .dataType) {
            _ = try OpTesting.run(
                "Concat", [a, try Tensor(dims: [2, 3], dataType: .int32)], outputs: 2, args: [Argument(name: "axis", int: 1)])
        }
        OpTesting.expectError("has rank 1") {
            _ = try OpTesting.run("Concat", [a, OpTesting.iota([6])], outputs: 2, args: [Argument(name: "axis", int: 0)])
        }
        OpTesting.expectError("You shouldn't specify both the dim to concat") {
            _ = try OpTesting.run(
                "Concat", [a, a], outputs: 2,
                args: [Argument(name: "axis", int: 1), Argument(name: "order", string: "NCHW")])
        }
        OpTesting.expectError("Unsupported storage order: NCWH") {
            _ = try OpTesting.run("Concat", [a, a], outputs: 2, args: [Argument(name: "order", string: "NCWH")])
        }
        OpTesting.expectError("Axis not in input ndim range") {
            _ = try OpTesting.run("Concat", [a, a], outputs: 2, args: [Argument(name: "axis", int: 2)])
        }
        // With add_axis the axis may be one past the input rank.
        let stacked = try OpTesting.run(
            "Concat", [a, a], outputs: 2, args: [Argument(name: "axis", int: 2), Argument(name: "add_axis", int: 1)])
        #expect(stacked[0].dims == [2, 3, 2])
    }

    @Test func concatStrings() throws {
        let a = try Tensor(dims: [2, 1], strings: ["a", "b"])
        let b = try Tensor(dims: [2, 2], strings: ["c", "d", "e", "f"])
        let out = try OpTesting.run("Concat", [a, b], outputs: 2, args: [Argument(name: "axis", int: 1)])
        #expect(out[0].dims == [2, 3])
        #expect(out[0].strings == ["a", "c", "d", "b", "e", "f"])
        let back = try TestSupport.run(
            OperatorDef(type: "Split", input: ["X", "S"], output: ["P", "Q"], arg: [Argument(name: "axis", int: 1)]),
            [out[0], out[1]])
        #expect(back[0] == a && back[1] == b)
    }

    @Test func splitErrors() throws {
        let x = OpTesting.iota([2, 5])
        OpTesting.expectError("Sum of split dimensions do not match: should be 5") {
            _ = try OpTesting.run(
                "Split", [x], outputs: 2, args: [Argument(name: "axis", int: 1), Argument(name: "split", ints: [2, 2])])
        }
        OpTesting.expectError("should be divisible by the output size") {
            _ = try OpTesting.run("Split", [x], outputs: 2, args: [Argument(name: "axis", int: 1)])
        }
        OpTesting.expectError("should be equal to the number of outputs") {
            _ = try OpTesting.run(
                "Split", [x], outputs: 2, args: [Argument(name: "axis", int: 1), Argument(name: "split", ints: [5])])
        }
        OpTesting.expectError("do not pass in split in the argument") {
            _ = try TestSupport.run(
                OperatorDef(
                    type: "Split", input: ["X", "S"], output: ["A", "B"],
                    arg: [Argument(name: "axis", int: 1), Argument(name: "split", ints: [2, 3])]),
                [x, Tensor([2, 3] as [Int32])])
        }
        OpTesting.expectError("expected 2 (one per output)") {
            _ = try TestSupport.run(
                OperatorDef(type: "Split", input: ["X", "S"], output: ["A", "B"], arg: [Argument(name: "axis", int: 1)]),
                [x, Tensor([5] as [Int32])])
        }
    }

    @Test func inference() throws {
        let concat = OperatorDef(
            type: "Concat", input: ["A", "B"], output: ["C", "info"], arg: [Argument(name: "axis", int: 1)])
        var s = try OpTesting.infer(concat, [TensorShape(dims: [2, 3]), TensorShape(dims: [2, 4])])
        #expect(s[0].dims == [2, 7] && s[1].dims == [2] && s[1].dataType == .int32)
        #expect(throws: Caffe2Error.self) {
            _ = try OpTesting.infer(concat, [TensorShape(dims: [2, 3]), TensorShape(dims: [3, 4])])
        }
        let split = OperatorDef(
            type: "Split", input: ["X"], output: ["A", "B"],
            arg: [Argument(name: "axis", int: 0), Argument(name: "split", ints: [1, 3])])
        s = try OpTesting.infer(split, [TensorShape(dims: [4, 2], dataType: .int64)])
        #expect(s.map(\.dims) == [[1, 2], [3, 2]] && s[0].dataType == .int64)
        let fromTensor = OperatorDef(type: "Split", input: ["X", "S"], output: ["A", "B"])
        s = try OpTesting.infer(fromTensor, [TensorShape(dims: [4, 2]), TensorShape(dims: [2], dataType: .int32)])
        #expect(s.count == 2 && s.allSatisfy(\.unknownShape))
    }

    @Test func concatGradient() throws {
        let op = OperatorDef(
            type: "Concat", input: ["A", "B", "C"], output: ["Y", "info"], arg: [Argument(name: "axis", int: 1)])
        let meta = try OperatorRegistry.standard.gradient(for: op, gOutput: [.dense("Y_grad"), nil])
        #expect(meta.ops.count == 1)
        #expect(meta.ops[0].type == "Split")
        #expect(meta.ops[0].input == ["Y_grad", "info"])
        #expect(meta.ops[0].output == ["A_grad", "B_grad", "C_grad"])
        #expect(meta.ops[0].argument(named: "axis")?.i == 1, "arguments are copied")
        #expect(try OperatorRegistry.standard.gradient(for: op, gOutput: [nil, nil]).ops.isEmpty)
        try OpTesting.checkGradients(
            op, [randomTensor([2, 1, 2], seed: 1), randomTensor([2, 2, 2], seed: 2), randomTensor([2, 3, 2], seed: 3)],
            inputsToCheck: [0, 1, 2])
        let stack = OperatorDef(
            type: "Concat", input: ["A", "B"], output: ["Y", "info"],
            arg: [Argument(name: "axis", int: 1), Argument(name: "add_axis", int: 1)])
        try OpTesting.checkGradients(
            stack, [randomTensor([2, 3], seed: 4), randomTensor([2, 3], seed: 5)], inputsToCheck: [0, 1])
    }

    @Test func splitGradient() throws {
        let op = OperatorDef(
            type: "Split", input: ["X"], output: ["A", "B", "C"],
            arg: [Argument(name: "axis", int: 1), Argument(name: "split", ints: [1, 2, 1])])
        let meta = try OperatorRegistry.standard.gradient(
            for: op, gOutput: [.dense("A_grad"), .dense("B_grad"), .dense("C_grad")])
        #expect(meta.ops.map(\.type) == ["Concat"])
        #expect(meta.ops[0].input == ["A_grad", "B_grad", "C_grad"])
        #expect(meta.ops[0].output == ["X_grad", "_X_grad_dims"])
        try OpTesting.checkGradients(op, [randomTensor([2, 4], seed: 6)], inputsToCheck: [0], outputsWithGradient: [0, 1, 2])
        // Outputs without a gradient contribute zeros of their shape.
        let partial = try OperatorRegistry.standard.gradient(for: op, gOutput: [nil, .dense("B_grad"), nil])
        #expect(partial.ops.map(\.type) == ["ConstantFill", "ConstantFill", "Concat"])
        try OpTesting.checkGradients(op, [randomTensor([2, 4], seed: 6)], inputsToCheck: [0], outputsWithGradient: [1])
        let unstack = OperatorDef(
            type: "Split", input: ["X"], output: ["A", "B"],
            arg: [Argument(name: "axis", int: 0), Argument(name: "add_axis", int: 1)])
        try OpTesting.checkGradients(unstack, [randomTensor([2, 3], seed: 7)], inputsToCheck: [0], outputsWithGradient: [0, 1])
        #expect(try OperatorRegistry.standard.gradient(for: op, gOutput: [nil, nil, nil]).ops.isEmpty)
    }

    @Test func glowConcatNets() throws {
        guard TestSupport.haveModels else { return }
        let x0 = randomTensor([10, 7], in: -3...3, seed: 11)
        let x1 = randomTensor([10, 7], in: -3...3, seed: 12)
        let x2 = randomTensor([10, 7], in: -3...3, seed: 13)
        // concatx3add_axis: stacks to [10, 3, 7], result[r, i, c] = inputs_i[r, c].
        var ws = Workspace()
        for (i, t) in [x0, x1, x2].enumerated() { ws.feedBlob("inputs_\(i)", t) }
        try ws.runNetOnce(try NetDef(contentsOfFile: TestSupport.model("glow-caffe2-unit-nets/concat_add_axis_predict_net.pbtxt")))
        let stacked = try ws.fetchBlob("concat_result")
        #expect(stacked.dims == [10, 3, 7])
        let sv = try stacked.values(as: Float.self)
        let inputs = try [x0, x1, x2].map { try $0.values(as: Float.self) }
        var ok = true
        for r in 0..<10 { for i in 0..<3 { for c in 0..<7 where sv[(r * 3 + i) * 7 + c] != inputs[i][r * 7 + c] { ok = false } } }
        #expect(ok)
        // concatx3: [10,7] + [10,12] + [10,5] -> [10,24] along columns.
        let y1 = randomTensor([10, 12], seed: 14)
        let y2 = randomTensor([10, 5], seed: 15)
        ws = Workspace()
        for (i, t) in [x0, y1, y2].enumerated() { ws.feedBlob("inputs_\(i)", t) }
        try ws.runNetOnce(try NetDef(contentsOfFile: TestSupport.model("glow-caffe2-unit-nets/concat_predict_net.pbtxt")))
        let cat = try ws.fetchBlob("concat_result")
        #expect(cat.dims == [10, 24])
        #expect(try ws.fetchBlob("split_info").values(as: Int32.self) == [7, 12, 5])
        let cv = try cat.values(as: Float.self)
        let parts = try [x0, y1, y2].map { try $0.values(as: Float.self) }
        let widths = [7, 12, 5]
        ok = true
        for r in 0..<10 {
            var col = 0
            for (p, w) in zip(parts, widths) {
                for c in 0..<w where cv[r * 24 + col + c] != p[r * w + c] { ok = false }
                col += w
            }
        }
        #expect(ok)
    }

    @Test func glowNCHW2NHWCNet() throws {
        guard TestSupport.haveModels else { return }
        let ws = Workspace()
        let x = OpTesting.iota([1, 2, 3, 4])
        ws.feedBlob("inputs", x)
        try ws.runNetOnce(try NetDef(contentsOfFile: TestSupport.model("glow-caffe2-unit-nets/NCHW2NHWC_predict_net.pbtxt")))
        let y = try ws.fetchBlob("output")
        #expect(y.dims == [1, 3, 4, 2])
        // y[0, h, w, c] = x[0, c, h, w] = c*12 + h*4 + w.
        let v = try y.values(as: Float.self)
        #expect(v[0] == 0 && v[1] == 12 && v[2] == 1 && v[3] == 13 && v[23] == 23)
    }
}

@Suite struct ShapeSqueezeTests {
    @Test func squeezeAndExpand() throws {
        let x = OpTesting.iota([1, 3, 1, 2])
        var y = try OpTesting.run("Squeeze", [x], args: [Argument(name: "dims", ints: [2, 0, 2])])[0]
        #expect(y.dims == [3, 2])
        #expect(y.sharesStorage(with: x))
        y = try OpTesting.run("ExpandDims", [y], args: [Argument(name: "dims", ints: [0, 3, 0])])[0]
        #expect(y.dims == [1, 3, 2, 1])
        y = try OpTesting.run("ExpandDims", [OpTesting.iota([2])], args: [Argument(name: "dims", ints: [0, 2])])[0]
        #expect(y.dims == [1, 2, 1])
    }

    @Test func errors() throws {
        let x = OpTesting.iota([1, 3])
        OpTesting.expectError("Dimension 1 of input must be 1 instead of 3") {
            _ = try OpTesting.run("Squeeze", [x], args: [Argument(name: "dims", ints: [1])])
        }
        OpTesting.expectError("Input needs at least 3 dimensions") {
            _ = try OpTesting.run("Squeeze", [x], args: [Argument(name: "dims", ints: [2])])
        }
        OpTesting.expectError("Parameter `dims` must be provided.") { _ = try OpTesting.run("Squeeze", [x]) }
        OpTesting.expectError("Dimension ids must be non-negative") {
            _ = try OpTesting.run("ExpandDims", [x], args: [Argument(name: "dims", ints: [-1])])
        }
        OpTesting.expectError("Input needs at least 4 dimensions given `dims`") {
            _ = try OpTesting.run("ExpandDims", [x], args: [Argument(name: "dims", ints: [4])])
        }
    }

    @Test func inferenceAndGradients() throws {
        let sq = OperatorDef(type: "Squeeze", input: ["X"], output: ["Y"], arg: [Argument(name: "dims", ints: [0, 2])])
        #expect(try OpTesting.infer(sq, [TensorShape(dims: [1, 4, 1], dataType: .int64)])[0].dims == [4])
        let ex = OperatorDef(type: "ExpandDims", input: ["X"], output: ["Y"], arg: [Argument(name: "dims", ints: [1])])
        #expect(try OpTesting.infer(ex, [TensorShape(dims: [4, 2])])[0].dims == [4, 1, 2])
        let m1 = try OperatorRegistry.standard.gradient(for: sq, gOutput: [.dense("Y_grad")])
        #expect(m1.ops.map(\.type) == ["ExpandDims"] && m1.ops[0].argument(named: "dims")?.ints == [0, 2])
        let m2 = try OperatorRegistry.standard.gradient(for: ex, gOutput: [.dense("Y_grad")])
        #expect(m2.ops.map(\.type) == ["Squeeze"] && m2.ops[0].argument(named: "dims")?.ints == [1])
        try OpTesting.checkGradients(sq, [randomTensor([1, 4, 1], seed: 21)], inputsToCheck: [0])
        try OpTesting.checkGradients(ex, [randomTensor([4, 2], seed: 22)], inputsToCheck: [0])
    }
}

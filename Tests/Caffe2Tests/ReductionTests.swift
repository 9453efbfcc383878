import Testing

@testable import Caffe2

/// Reductions: errors, gradient makers and finite-difference checks (values
/// are in the numpy goldens of ElementwiseGoldenTests).
@Suite struct ReductionTests {
    static let checker = GradientChecker(stepSize: 1e-3, threshold: 1e-2)

    static func check(_ type: String, _ inputs: [Tensor], args: [Argument] = []) throws {
        let op = OperatorDef(type: type, input: inputs.indices.map { "in\($0)" }, output: ["out"], arg: args)
        let r = try checker.checkOperator(op, inputs: inputs, inputIndex: 0)
        #expect(r.passed, "\(type) \(args.map(\.name)): \(r)")
    }

    @Test(arguments: [
        [Argument(name: "axes", ints: [1])],
        [Argument(name: "axes", ints: [0, 2]), Argument(name: "keepdims", int: 0)],
        [Argument(name: "axes", ints: [-1])],
        [Argument(name: "keepdims", int: 0)],
    ])
    func reduceSumAndMeanGradients(_ args: [Argument]) throws {
        let x = randomTensor([2, 3, 4], seed: 60)
        try Self.check("ReduceSum", [x], args: args)
        try Self.check("ReduceMean", [x], args: args)
    }

    @Test func reduceSumOfDoubles() throws {
        let x = try Tensor(dims: [2, 3], values: [0.5, -1, 2, 0.25, 3, -2] as [Double])
        try Self.check("ReduceSum", [x], args: [Argument(name: "axes", ints: [0])])
    }

    @Test(arguments: [0, 1, 2, 3])
    func frontBackGradients(_ k: Int) throws {
        let x = randomTensor([2, 3, 4], seed: 61)
        let args = [Argument(name: "num_reduce_dim", int: k)]
        for type in ["ReduceFrontSum", "ReduceBackSum", "ReduceFrontMean", "ReduceBackMean"] where k > 0 || type.hasSuffix("Sum") {
            try Self.check(type, [x], args: args)
        }
    }

    @Test func frontBackGradientsWithLengths() throws {
        let x = randomTensor([3, 4], seed: 62)
        try Self.check("ReduceBackSum", [x, Tensor([2, 4, 1] as [Int32])])
        try Self.check("ReduceBackMean", [x, Tensor([2, 4, 1] as [Int32])])
        try Self.check("ReduceFrontSum", [x, Tensor([1, 3, 0, 2] as [Int32])])
        try Self.check("ReduceFrontMean", [x, Tensor([1, 3, 2, 2] as [Int32])])
    }

    @Test func makers() throws {
        func ops(_ def: OperatorDef) throws -> [String] {
            try OperatorRegistry.standard.gradient(for: def, gOutput: [.dense("Y_grad")]).ops.map {
                "\($0.type)(\($0.input.joined(separator: ","))) -> \($0.output.joined(separator: ","))"
            }
        }
        #expect(try ops(OperatorDef(type: "ReduceSum", input: ["X"], output: ["Y"])) == ["ReduceSumGradient(Y_grad,X,Y) -> X_grad"])
        #expect(try ops(OperatorDef(type: "ReduceMean", input: ["X"], output: ["Y"])) == ["ReduceMeanGradient(Y_grad,X,Y) -> X_grad"])
        #expect(try ops(OperatorDef(type: "ReduceBackSum", input: ["X"], output: ["Y"])) == ["ReduceBackSumGradient(Y_grad,X) -> X_grad"])
        #expect(
            try ops(OperatorDef(type: "ReduceFrontMean", input: ["X", "L"], output: ["Y"]))
                == ["ReduceFrontMeanGradient(Y_grad,X,L) -> X_grad"])
        // Forward arguments reach the gradient op.
        let args = [Argument(name: "axes", ints: [1]), Argument(name: "keepdims", int: 0)]
        let meta = try OperatorRegistry.standard.gradient(
            for: OperatorDef(type: "ReduceSum", input: ["X"], output: ["Y"], arg: args), gOutput: [.dense("Y_grad")])
        #expect(meta.ops[0].arg == args)
    }

    @Test func errors() {
        let negative = caffe2Error {
            _ = try TestSupport.run("ReduceSum", [randomTensor([2, 3])], args: [Argument(name: "axes", ints: [-3])])
        }
        #expect(negative?.message.hasPrefix("Axes ids must be non-negative.") == true)
        let large = caffe2Error {
            _ = try TestSupport.run("ReduceMean", [randomTensor([2, 3])], args: [Argument(name: "axes", ints: [2])])
        }
        #expect(large?.message.hasPrefix("Axes ids must be smaller than the dimensions of input.") == true)
        let repeated = caffe2Error {
            _ = try TestSupport.run("ReduceSum", [randomTensor([2, 3])], args: [Argument(name: "axes", ints: [1, -1])])
        }
        #expect(repeated?.kind == .argument)
        let k = caffe2Error {
            _ = try TestSupport.run("ReduceBackSum", [randomTensor([2, 3])], args: [Argument(name: "num_reduce_dim", int: 3)])
        }
        #expect(k?.message.hasPrefix("For N-dim input tensor, support num_reduce_dims in range [0, N].") == true)
        let lengthsK = caffe2Error {
            _ = try TestSupport.run(
                "ReduceBackSum", [randomTensor([2, 3, 4]), Tensor([1, 1] as [Int32])], args: [Argument(name: "num_reduce_dim", int: 2)])
        }
        #expect(lengthsK?.message == "Given lengths input, the number of reduce dimensions should be one.")
        let lengthsCount = caffe2Error {
            _ = try TestSupport.run("ReduceFrontSum", [randomTensor([2, 3]), Tensor([1, 1] as [Int32])])
        }
        #expect(lengthsCount?.message.hasPrefix("The size of lengths vector doesn't match the batch size.") == true)
        let lengthsRange = caffe2Error {
            _ = try TestSupport.run("ReduceBackSum", [randomTensor([2, 3]), Tensor([1, 4] as [Int32])])
        }
        #expect(lengthsRange?.kind == .argument && lengthsRange?.blob == "X1")
        let lengthsType = caffe2Error {
            _ = try TestSupport.run("ReduceBackSum", [randomTensor([2, 3]), Tensor([1, 2] as [Int64])])
        }
        #expect(lengthsType?.kind == .dataType)
        let intMean = caffe2Error {
            _ = try TestSupport.run("ReduceBackMean", [try Tensor(dims: [1, 3], values: [1, 2, 3] as [Int32]), Tensor([0] as [Int32])])
        }
        #expect(intMean?.kind == .runtime)
        let gradCount = caffe2Error {
            _ = try TestSupport.run("ReduceSumGradient", [randomTensor([4]), randomTensor([2, 3]), randomTensor([1])])
        }
        #expect(gradCount?.kind == .shape && gradCount?.blob == "X0")
        let strings = caffe2Error { _ = try TestSupport.run("ReduceSum", [try Tensor(dims: [1], strings: ["a"])]) }
        #expect(strings?.kind == .dataType)
    }

    @Test func floatLengthOfZeroGivesZeroSumAndNaNMean() throws {
        let x = try Tensor(dims: [2, 2], values: [1, 2, 3, 4] as [Float])
        let s = try TestSupport.run("ReduceBackSum", [x, Tensor([0, 2] as [Int32])])[0]
        #expect(try s.values(as: Float.self) == [0, 7])
        let m = try TestSupport.run("ReduceBackMean", [x, Tensor([0, 2] as [Int32])])[0].values(as: Float.self)
        #expect(m[0].isNaN && m[1] == 3.5)
    }
}

import Foundation
import Testing

@testable import Caffe2

/// Hand-computed values, schemas, shape inference, in-place runs, gradient
/// makers and bad input of the activation, Softmax and Dropout operators.
@Suite struct ActivationTests {
    // MARK: Values

    @Test func reluFamilyByHand() throws {
        let x = Tensor([-2, -0.5, 0, 0.5, 3] as [Float])
        #expect(try TestSupport.run("Relu", [x])[0].values(as: Float.self) == [0, 0, 0, 0.5, 3])
        #expect(
            try TestSupport.run("LeakyRelu", [x])[0].values(as: Float.self) == [-0.02, -0.005, 0, 0.5, 3])
        #expect(
            try TestSupport.run("LeakyRelu", [x], args: [Argument(name: "alpha", float: 0.5)])[0]
                .values(as: Float.self) == [-1, -0.25, 0, 0.5, 3])
        // Elu: alpha·(e^x − 1) below 0.
        let e = try TestSupport.run("Elu", [x], args: [Argument(name: "alpha", float: 2)])[0]
        #expect(allClose(e, [2 * (exp(-2.0) - 1), 2 * (exp(-0.5) - 1), 0, 0.5, 3], atol: 1e-6))
    }

    @Test func softplusIsComputedWithoutShiftLikeCaffe2() throws {
        let y = try TestSupport.run("Softplus", [Tensor([-100, 0, 10, 100] as [Float])])[0]
        let v = try y.values(as: Float.self)
        #expect(v[0] >= 0 && v[0] < 1e-30)
        #expect(abs(v[1] - Float(log(2.0))) < 1e-6)
        #expect(abs(Double(v[2]) - log1p(exp(10.0))) < 1e-5)
        // exp(100) overflows float, so Caffe2's ln(exp(x) + 1) is +inf.
        #expect(v[3] == .infinity)
    }

    @Test func sigmoidAndTanhSaturate() throws {
        let x = Tensor([-200, 0, 200] as [Float])
        #expect(try TestSupport.run("Sigmoid", [x])[0].values(as: Float.self) == [0, 0.5, 1])
        #expect(try TestSupport.run("Tanh", [x])[0].values(as: Float.self) == [-1, 0, 1])
    }

    @Test func preluByHandPerChannelAndShared() throws {
        // NCHW [1, 2, 1, 2]: channel 0 slope 0.5, channel 1 slope -1.
        let x = try Tensor(dims: [1, 2, 1, 2], values: [-2, 4, -3, 5] as [Float])
        let y = try TestSupport.run("PRelu", [x, Tensor([0.5, -1] as [Float])])[0]
        #expect(try y.values(as: Float.self) == [-1, 4, 3, 5])
        let shared = try TestSupport.run("PRelu", [x, Tensor([0.25] as [Float])])[0]
        #expect(try shared.values(as: Float.self) == [-0.5, 4, -0.75, 5])
        // NHWC [1, 1, 2, 2]: the last dim is the channel.
        let nhwc = try TestSupport.run(
            "PRelu", [x, Tensor([0.5, -1] as [Float])], args: [Argument(name: "order", string: "NHWC")])[0]
        #expect(try nhwc.values(as: Float.self) == [-1, 4, -1.5, 5])
    }

    @Test func softmaxRowsSumToOneAndAreStable() throws {
        let x = try Tensor(dims: [2, 3], values: [1000, 1001, 1002, -1000, -1000, -1000] as [Float])
        let y = try TestSupport.run("Softmax", [x])[0]
        let e: [Double] = [exp(-2.0), exp(-1.0), 1.0]
        let s = e.reduce(0, +)
        let third = 1.0 / 3
        let want: [Double] = e.map { $0 / s } + [third, third, third]
        #expect(allClose(y, want, atol: 1e-6))
    }

    @Test func softmaxRowWithInfinityOrNaNBecomesNaN() throws {
        let x = try Tensor(dims: [3, 2], values: [.infinity, 0, .nan, 1, 0, 0] as [Float])
        let y = try TestSupport.run("Softmax", [x])[0].values(as: Float.self)
        #expect(y[0].isNaN && y[1].isNaN && y[2].isNaN && y[3].isNaN)
        #expect(y[4] == 0.5 && y[5] == 0.5)
    }

    @Test func softmaxOfEmptyInputIsEmpty() throws {
        let y = try TestSupport.run("Softmax", [Tensor(dims: [0, 5])])[0]
        #expect(y.shape == [0, 5])
        let z = try TestSupport.run("Softmax", [Tensor(dims: [4, 0])])[0]
        #expect(z.shape == [4, 0])
    }

    @Test func softmaxLargeInputThreadedMatchesRowByRow() throws {
        // Big enough to be split over threads; every row must still sum to 1 and match a serial reference.
        let rows = 300
        let cols = 257
        let x = randomTensor([rows, cols], in: -5...5, seed: 3)
        let y = try TestSupport.run("Softmax", [x])[0].values(as: Float.self)
        let xv = try x.values(as: Float.self)
        for r in stride(from: 0, to: rows, by: 37) {
            let row = xv[(r * cols)..<((r + 1) * cols)].map(Double.init)
            let m = row.max()!
            let s = row.map { exp($0 - m) }.reduce(0, +)
            let want = row.map { exp($0 - m) / s }
            #expect(allClose(y[(r * cols)..<((r + 1) * cols)].map(Double.init), want, atol: 1e-7, rtol: 1e-5))
        }
    }

    // MARK: In place

    @Test(arguments: ["Relu", "LeakyRelu", "Sigmoid", "Tanh", "Softplus", "Elu"])
    func unaryActivationsRunInPlace(_ type: String) throws {
        let x = randomTensor([3, 4], in: -3...3, seed: 11)
        let expected = try TestSupport.run(type, [x])[0]
        let ws = Workspace()
        ws.feedBlob("X", x)
        try ws.runOperatorOnce(OperatorDef(type: type, input: ["X"], output: ["X"]))
        #expect(try ws.fetchBlob("X") == expected)
        // The caller's tensor is never written.
        #expect(try x.values(as: Float.self) == randomTensor([3, 4], in: -3...3, seed: 11).values(as: Float.self))
    }

    @Test func preluRunsInPlaceInTheSameStorage() throws {
        let ws = Workspace()
        ws.feedBlob("X", try Tensor(dims: [1, 2, 1, 2], values: [-2, 4, -3, 5] as [Float]))
        ws.feedBlob("S", Tensor([0.5, -1] as [Float]))
        let op = OperatorDef(type: "PRelu", input: ["X", "S"], output: ["X"])
        try ws.runOperatorOnce(op)
        let first = try ws.fetchBlob("X")
        #expect(try first.values(as: Float.self) == [-1, 4, 3, 5])
        let address = first.storageAddress
        _ = consume first
        try ws.runOperatorOnce(op)
        let second = try ws.fetchBlob("X")
        #expect(second.storageAddress == address)
        #expect(try second.values(as: Float.self) == [-0.5, 4, 3, 5])
    }

    @Test(arguments: ["ReluGradient", "LeakyReluGradient", "SigmoidGradient", "TanhGradient", "SoftplusGradient", "EluGradient"])
    func gradientOpsRunInPlaceOnDY(_ type: String) throws {
        let y = randomTensor([2, 5], in: -0.9...0.9, seed: 5)
        let dy = randomTensor([2, 5], seed: 6)
        let expected = try TestSupport.run(type, [y, dy])[0]
        let ws = Workspace()
        ws.feedBlob("Y", y)
        ws.feedBlob("dY", dy)
        try ws.runOperatorOnce(OperatorDef(type: type, input: ["Y", "dY"], output: ["dY"]))
        #expect(try ws.fetchBlob("dY") == expected)
    }

    @Test func softmaxRefusesInPlace() throws {
        let ws = Workspace()
        ws.feedBlob("X", Tensor([1, 2] as [Float]))
        #expect(throws: Caffe2Error.self) {
            try ws.runOperatorOnce(OperatorDef(type: "Softmax", input: ["X"], output: ["X"]))
        }
    }

    // MARK: Shape inference

    func infer(_ type: String, _ shapes: [TensorShape], outputs: Int = 1, args: [Argument] = []) throws
        -> [TensorShape]
    {
        let schema = try #require(OperatorRegistry.standard.schema(type))
        let def = OperatorDef(
            type: type, input: shapes.indices.map { "I\($0)" }, output: (0..<outputs).map { "O\($0)" }, arg: args)
        try schema.verify(def)
        return try schema.inferShapes(def, shapes)
    }

    @Test func shapeInference() throws {
        let x = TensorShape(dims: [2, 3, 4, 5])
        for type in ["Relu", "LeakyRelu", "Sigmoid", "Tanh", "Softplus", "Elu", "Softmax"] {
            #expect(try infer(type, [x]) == [x], "\(type)")
        }
        #expect(try infer("PRelu", [x, TensorShape(dims: [3])]) == [x])
        for type in ["ReluGradient", "LeakyReluGradient", "SigmoidGradient", "TanhGradient"] {
            #expect(try infer(type, [x, x]) == [x], "\(type)")
        }
        let slope = TensorShape(dims: [3])
        #expect(try infer("PReluGradient", [x, x, x, slope], outputs: 2) == [x, slope])
        #expect(try infer("Dropout", [x], args: [Argument(name: "is_test", int: 1)]) == [x])
        #expect(
            try infer("Dropout", [x], outputs: 2, args: [Argument(name: "is_test", int: 0)])
                == [x, TensorShape(dims: [2, 3, 4, 5], dataType: .bool)])
        // No inference for these (as in Caffe2).
        for type in ["SoftplusGradient", "EluGradient", "SoftmaxGradient"] {
            #expect(try infer(type, [x, x])[0].unknownShape, "\(type)")
        }
    }

    // MARK: Gradient makers

    func gradient(_ op: OperatorDef, _ gOutput: [Gradient?]) throws -> GradientOpsMeta {
        try OperatorRegistry.standard.gradient(for: op, gOutput: gOutput)
    }

    @Test(arguments: [
        ("Relu", "ReluGradient"), ("LeakyRelu", "LeakyReluGradient"), ("Sigmoid", "SigmoidGradient"),
        ("Tanh", "TanhGradient"), ("Softplus", "SoftplusGradient"), ("Elu", "EluGradient"),
        ("Softmax", "SoftmaxGradient"),
    ])
    func unaryGradientMakersReadTheOutput(_ forward: String, _ backward: String) throws {
        let args = [Argument(name: "alpha", float: 0.3)]
        let m = try gradient(OperatorDef(type: forward, input: ["x"], output: ["y"], arg: args), [.dense("y_grad")])
        #expect(m.ops.count == 1)
        let g = m.ops[0]
        #expect(g.type == backward)
        #expect(g.input == ["y", "y_grad"])
        #expect(g.output == ["x_grad"])
        #expect(g.isGradientOp)
        #expect(g.arg == args)
        #expect(m.gInput == [.dense("x_grad")])
    }

    @Test func preluGradientMaker() throws {
        let m = try gradient(OperatorDef(type: "PRelu", input: ["x", "s"], output: ["y"]), [.dense("y_grad")])
        #expect(m.ops.map(\.type) == ["PReluGradient"])
        #expect(m.ops[0].input == ["y", "y_grad", "x", "s"])
        #expect(m.ops[0].output == ["x_grad", "s_grad"])
        #expect(m.gInput == [.dense("x_grad"), .dense("s_grad")])
    }

    @Test func dropoutGradientMakerDependsOnIsTest() throws {
        let test = try gradient(
            OperatorDef(type: "Dropout", input: ["x"], output: ["y"], arg: [Argument(name: "is_test", int: 1)]),
            [.dense("y_grad")])
        #expect(test.ops.map(\.type) == ["DropoutGrad"])
        #expect(test.ops[0].input == ["y_grad"])
        #expect(test.ops[0].output == ["x_grad"])
        let train = try gradient(
            OperatorDef(
                type: "Dropout", input: ["x"], output: ["y", "mask"],
                arg: [Argument(name: "is_test", int: 0), Argument(name: "ratio", float: 0.2)]),
            [.dense("y_grad"), nil])
        #expect(train.ops[0].input == ["y_grad", "mask"])
        #expect(train.ops[0].output == ["x_grad"])
        #expect(train.ops[0].arg == [Argument(name: "is_test", int: 0), Argument(name: "ratio", float: 0.2)])
    }

    @Test func gradientOpsHaveNoGradientMaker() throws {
        for type in ["ReluGradient", "PReluGradient", "SoftmaxGradient", "DropoutGrad"] {
            let op = OperatorDef(type: type, input: ["a", "b"], output: ["c"])
            #expect(throws: Caffe2Error.self, "\(type)") { try gradient(op, [.dense("c_grad")]) }
        }
    }

    // MARK: Dropout

    func dropoutOp(ratio: Float, isTest: Bool, seed: UInt32?, output: String = "Y") -> OperatorDef {
        OperatorDef(
            type: "Dropout", input: ["X"], output: [output, "mask"],
            arg: [Argument(name: "ratio", float: ratio), Argument(name: "is_test", int: isTest ? 1 : 0)],
            deviceOption: seed.map { DeviceOption(randomSeed: $0) })
    }

    @Test func dropoutTestModeIsIdentityWithATrueMask() throws {
        let x = randomTensor([3, 5], seed: 2)
        let out = try TestSupport.run(dropoutOp(ratio: 0.5, isTest: true, seed: nil), [x])
        #expect(out[0] == x)
        #expect(out[1].dataType == .bool)
        #expect(out[1].shape == [3, 5])
        #expect(try out[1].values(as: Bool.self).allSatisfy { $0 })
        // In place, with one output, as SqueezeNet and AlexNet use it.
        let ws = Workspace()
        ws.feedBlob("X", x)
        try ws.runOperatorOnce(
            OperatorDef(type: "Dropout", input: ["X"], output: ["X"], arg: [Argument(name: "is_test", int: 1)]))
        #expect(try ws.fetchBlob("X") == x)
    }

    @Test func dropoutTrainingMaskIsSeededAndScaled() throws {
        let x = randomTensor([100, 100], in: 0.5...1.5, seed: 4)
        let op = dropoutOp(ratio: 0.3, isTest: false, seed: 1234)
        let a = try TestSupport.run(op, [x])
        let b = try TestSupport.run(op, [x])
        let mask = try a[1].values(as: Bool.self)
        #expect(a[1].dataType == .bool && a[1].shape == [100, 100])
        #expect(try mask == b[1].values(as: Bool.self), "same random_seed, same mask")
        let kept = Double(mask.filter { $0 }.count) / Double(mask.count)
        #expect(abs(kept - 0.7) < 0.03, "kept fraction \(kept)")
        let xv = try x.values(as: Float.self)
        let yv = try a[0].values(as: Float.self)
        for i in 0..<xv.count {
            #expect(yv[i] == (mask[i] ? xv[i] * (1 / 0.7) : 0))
        }
        let other = try TestSupport.run(dropoutOp(ratio: 0.3, isTest: false, seed: 99), [x])
        #expect(try other[1].values(as: Bool.self) != mask, "another seed, another mask")
    }

    @Test func dropoutDrawsAFreshMaskOnEveryRunOfANet() throws {
        let ws = Workspace()
        ws.feedBlob("X", Tensor([Float](repeating: 1, count: 64)))
        let net = try ws.createNet(NetDef(name: "drop", op: [dropoutOp(ratio: 0.5, isTest: false, seed: 7)]))
        try net.run()
        let first = try ws.fetchBlob("mask").values(as: Bool.self)
        try net.run()
        let second = try ws.fetchBlob("mask").values(as: Bool.self)
        #expect(first != second)
        // A new operator with the same seed starts the same stream again.
        try ws.runOperatorOnce(dropoutOp(ratio: 0.5, isTest: false, seed: 7))
        #expect(try ws.fetchBlob("mask").values(as: Bool.self) == first)
    }

    @Test func dropoutWithoutIsTestFollowsItsOutputs() throws {
        // Glow's dropout.pbtxt: one output, no is_test: an inference-time identity.
        let x = randomTensor([2, 6], seed: 10)
        let y = try TestSupport.run(OperatorDef(type: "Dropout", input: ["X"], output: ["Y"]), [x])[0]
        #expect(y == x)
        // With a mask output and no is_test, training mode (Caffe2's default is_test=0).
        let op = OperatorDef(
            type: "Dropout", input: ["X"], output: ["Y", "mask"], deviceOption: DeviceOption(randomSeed: 1))
        let out = try TestSupport.run(op, [randomTensor([20, 20], in: 1...2, seed: 12)])
        let mask = try out[1].values(as: Bool.self)
        #expect(mask.contains(true) && mask.contains(false))
        // The gradient maker follows the same rule.
        let g = try OperatorRegistry.standard.gradient(
            for: OperatorDef(type: "Dropout", input: ["X"], output: ["Y"]), gOutput: [.dense("Y_grad")])
        #expect(g.ops[0].input == ["Y_grad"])
        let gt = try OperatorRegistry.standard.gradient(for: op, gOutput: [.dense("Y_grad"), nil])
        #expect(gt.ops[0].input == ["Y_grad", "mask"])
    }

    @Test(.enabled(if: TestSupport.haveModels))
    func glowDropoutNetRunsAsIdentity() throws {
        let net = try NetDef(contentsOfFile: TestSupport.model("glow-caffe2-unit-nets/dropout.pbtxt"))
        let ws = Workspace()
        let x = randomTensor([2, 3], seed: 13)
        ws.feedBlob("input", x)
        try ws.runNetOnce(net)
        #expect(try ws.fetchBlob("output") == x)
    }

    @Test func dropoutWithRatioZeroKeepsEverything() throws {
        let x = randomTensor([4, 4], seed: 8)
        let out = try TestSupport.run(dropoutOp(ratio: 0, isTest: false, seed: 3), [x])
        #expect(out[0] == x)
        #expect(try out[1].values(as: Bool.self).allSatisfy { $0 })
    }

    @Test func dropoutTrainingInPlace() throws {
        let ws = Workspace()
        let x = randomTensor([8, 8], seed: 9)
        ws.feedBlob("X", x)
        try ws.runOperatorOnce(dropoutOp(ratio: 0.5, isTest: false, seed: 5, output: "X"))
        let mask = try ws.fetchBlob("mask").values(as: Bool.self)
        let y = try ws.fetchBlob("X").values(as: Float.self)
        let xv = try x.values(as: Float.self)
        for i in 0..<xv.count { #expect(y[i] == (mask[i] ? xv[i] * 2 : 0)) }
    }

    @Test func dropoutGradAppliesTheMask() throws {
        let dy = try Tensor(dims: [2, 2], values: [1, 2, 3, 4] as [Float])
        let mask = try Tensor(dims: [2, 2], values: [true, false, false, true])
        let args = [Argument(name: "ratio", float: 0.75), Argument(name: "is_test", int: 0)]
        let dx = try TestSupport.run("DropoutGrad", [dy, mask], args: args)[0]
        #expect(try dx.values(as: Float.self) == [4, 0, 0, 16])
        let identity = try TestSupport.run("DropoutGrad", [dy], args: [Argument(name: "is_test", int: 1)])[0]
        #expect(identity == dy)
    }

    // MARK: Bad input

    func expectError(
        _ kind: Caffe2Error.Kind, _ fragment: String, sourceLocation: SourceLocation = #_sourceLocation,
        _ body: () throws -> Void
    ) {
        do {
            try body()
            Issue.record("expected an error containing \"\(fragment)\"", sourceLocation: sourceLocation)
        } catch let e as Caffe2Error {
            #expect(e.kind == kind, "\(e)", sourceLocation: sourceLocation)
            #expect(e.description.contains(fragment), "\(e)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func badInput() throws {
        let x = randomTensor([2, 3, 2, 2], seed: 1)
        expectError(.dataType, "input 'X0'") {
            _ = try TestSupport.run("Relu", [Tensor([1, 2] as [Double])])
        }
        expectError(.shape, "slope 'X1'") {
            _ = try TestSupport.run("PRelu", [x, Tensor([0.1, 0.2] as [Float])])
        }
        expectError(.argument, "Unknown storage order: NCWH") {
            _ = try TestSupport.run(
                "PRelu", [x, Tensor([0.1] as [Float])], args: [Argument(name: "order", string: "NCWH")])
        }
        expectError(.shape, "at least 2 dims") {
            _ = try TestSupport.run("PRelu", [Tensor([1, -1] as [Float]), Tensor([0.1] as [Float])])
        }
        expectError(.argument, "axis=4") {
            _ = try TestSupport.run("Softmax", [x], args: [Argument(name: "axis", int: 4)])
        }
        expectError(.argument, "axis=-5") {
            _ = try TestSupport.run("Softmax", [x], args: [Argument(name: "axis", int: -5)])
        }
        expectError(.shape, "must have the same dims") {
            _ = try TestSupport.run("ReluGradient", [Tensor([1, 2] as [Float]), Tensor([1, 2, 3] as [Float])])
        }
        expectError(.shape, "must have the same dims") {
            _ = try TestSupport.run("SoftmaxGradient", [x, randomTensor([2, 12])])
        }
        expectError(.argument, "ratio=1.0") {
            _ = try TestSupport.run(
                "Dropout", [x], outputs: 2, args: [Argument(name: "ratio", float: 1), Argument(name: "is_test", int: 0)]
            )
        }
        expectError(.schema, "needs the mask output") {
            _ = try TestSupport.run("Dropout", [x], args: [Argument(name: "is_test", int: 0)])
        }
        expectError(.dataType, "input 'X1'") {
            _ = try TestSupport.run(
                "DropoutGrad", [x, x], args: [Argument(name: "is_test", int: 0)])
        }
        expectError(.schema, "needs the mask") {
            _ = try TestSupport.run("DropoutGrad", [x], args: [Argument(name: "is_test", int: 0)])
        }
        // An in-place PRelu cannot be differentiated: Y and X are the same blob.
        let ws = Workspace()
        ws.feedBlob("X", x)
        ws.feedBlob("dY", x)
        ws.feedBlob("S", Tensor([0.1] as [Float]))
        expectError(.runtime, "Cannot backpropagate through an in-place PReLU") {
            try ws.runOperatorOnce(
                OperatorDef(type: "PReluGradient", input: ["X", "dY", "X", "S"], output: ["dX", "dS"]))
        }
    }
}

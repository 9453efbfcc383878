import Foundation
import Testing

@testable import Caffe2

/// Hand-computed values, schemas, shape inference, gradient makers and bad
/// input of the loss and metric operators.
@Suite struct LossTests {
    // MARK: Values

    @Test func softmaxWithLossByHand() throws {
        // Two rows of two classes: logits (0, ln 3) give P = (1/4, 3/4).
        let x = try Tensor(dims: [2, 2], values: [0, Float(log(3.0)), 0, Float(log(3.0))])
        let t = Tensor([1, 0] as [Int32])
        let out = try TestSupport.run("SoftmaxWithLoss", [x, t], outputs: 2)
        #expect(allClose(out[0], [0.25, 0.75, 0.25, 0.75], atol: 1e-6))
        #expect(out[1].shape == [])
        #expect(allClose(out[1], [(-log(0.75) - log(0.25)) / 2], atol: 1e-6))
        // Weights (1, 3): (−ln .75 − 3 ln .25) / 4, scaled by 2.
        let w = Tensor([1, 3] as [Float])
        let weighted = try TestSupport.run(
            "SoftmaxWithLoss", [x, t, w], outputs: 2, args: [Argument(name: "scale", float: 2)])
        #expect(allClose(weighted[1], [2 * (-log(0.75) - 3 * log(0.25)) / 4], atol: 1e-6))
        // A third output is accepted (PyTorch era), is not written on CPU, and the first two are the same.
        let ws = Workspace()
        ws.feedBlob("X", x)
        ws.feedBlob("T", t)
        try ws.runOperatorOnce(OperatorDef(type: "SoftmaxWithLoss", input: ["X", "T"], output: ["P", "L", "unused"]))
        #expect(try ws.fetchBlob("P") == out[0])
        #expect(try ws.fetchBlob("L") == out[1])
    }

    @Test func softmaxWithLossGradientByHand() throws {
        let x = try Tensor(dims: [2, 2], values: [0, Float(log(3.0)), 0, Float(log(3.0))])
        let t = Tensor([1, 0] as [Int32])
        let p = try Tensor(dims: [2, 2], values: [0.25, 0.75, 0.25, 0.75] as [Float])
        let dl = Tensor(scalar: Float(2))
        let dx = try TestSupport.run("SoftmaxWithLossGradient", [x, t, p, dl])[0]
        // (P − onehot) · dL / N
        #expect(allClose(dx, [0.25, -0.25, -0.75, 0.75], atol: 1e-6))
    }

    @Test func labelCrossEntropyClampsAtTinyProbabilities() throws {
        let x = try Tensor(dims: [2, 3], values: [0.2, 0.5, 0.3, 0, 1, 0] as [Float])
        let y = try TestSupport.run("LabelCrossEntropy", [x, Tensor([1, 2] as [Int32])])[0]
        #expect(allClose(y, [-log(0.5), -log(Double(Float(1e-20)))], rtol: 1e-6))
        // A 1-D X is one row.
        let one = try TestSupport.run("LabelCrossEntropy", [Tensor([0.25, 0.75] as [Float]), Tensor([1] as [Int32])])
        #expect(one[0].shape == [1])
        #expect(allClose(one[0], [-log(0.75)], atol: 1e-6))
    }

    @Test func averagedLossOfEmptyInputIsZero() throws {
        let l = try TestSupport.run("AveragedLoss", [Tensor(dims: [0, 3])])[0]
        #expect(l.shape == [])
        #expect(try l.values(as: Float.self) == [0])
    }

    @Test func squaredL2DistanceIsNeverNegative() throws {
        // Caffe2's three dot products can round below zero for equal rows; ½‖x − y‖² cannot.
        let x = Tensor([0.1, 0.2, 0.3] as [Float])
        let z = try TestSupport.run("SquaredL2Distance", [x, x])[0]
        #expect(try z.values(as: Float.self) == [0, 0, 0])
        let scalar = try TestSupport.run("SquaredL2Distance", [Tensor(scalar: Float(3)), Tensor(scalar: Float(1))])[0]
        #expect(scalar.shape == [1])
        #expect(try scalar.values(as: Float.self) == [2])
    }

    @Test func dotProductOfEmptyInputHasNoRows() throws {
        let z = try TestSupport.run("DotProduct", [Tensor(dims: [3, 0]), Tensor(dims: [3, 0])])[0]
        #expect(z.shape == [0])
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
        let t = TensorShape(dims: [2], dataType: .int32)
        let scalar = TensorShape(dims: [], dataType: .float)
        #expect(try infer("SoftmaxWithLoss", [x, t], outputs: 2) == [TensorShape(dims: [2, 60]), scalar])
        #expect(
            try infer("SoftmaxWithLoss", [x, t], outputs: 2, args: [Argument(name: "axis", int: -1)])
                == [TensorShape(dims: [24, 5]), scalar])
        let three = try infer("SoftmaxWithLoss", [x, t, TensorShape(dims: [2])], outputs: 3)
        #expect(three.count == 3 && three[2].unknownShape)
        let probs = TensorShape(dims: [6, 10])
        let labels = TensorShape(dims: [6], dataType: .int32)
        #expect(try infer("LabelCrossEntropy", [probs, labels]) == [TensorShape(dims: [6])])
        #expect(try infer("CrossEntropy", [probs, probs]) == [TensorShape(dims: [6])])
        #expect(try infer("AveragedLoss", [probs]) == [scalar])
        #expect(try infer("Accuracy", [probs, labels]) == [scalar])
        #expect(try infer("SquaredL2Distance", [probs, probs]) == [TensorShape(dims: [6])])
        #expect(try infer("DotProduct", [probs, probs]) == [TensorShape(dims: [6])])
        #expect(try infer("DotProduct", [TensorShape(dims: []), TensorShape(dims: [])]) == [TensorShape(dims: [1])])
    }

    @Test func schemaCounts() throws {
        let r = OperatorRegistry.standard
        let swl = try #require(r.schema("SoftmaxWithLoss"))
        #expect(throws: Caffe2Error.self) {
            try swl.verify(OperatorDef(type: "SoftmaxWithLoss", input: ["X", "T"], output: ["P"]))
        }
        #expect(throws: Caffe2Error.self) {
            try swl.verify(OperatorDef(type: "SoftmaxWithLoss", input: ["X", "T"], output: ["P", "L", "a", "b"]))
        }
        #expect(throws: Caffe2Error.self) {
            try swl.verify(OperatorDef(type: "SoftmaxWithLoss", input: ["X"], output: ["P", "L"]))
        }
        #expect(throws: Caffe2Error.self) {
            try swl.verify(OperatorDef(type: "SoftmaxWithLoss", input: ["X", "T"], output: ["X", "L"]))
        }
    }

    // MARK: Gradient makers

    func gradient(_ op: OperatorDef, _ gOutput: [Gradient?]) throws -> GradientOpsMeta {
        try OperatorRegistry.standard.gradient(for: op, gOutput: gOutput)
    }

    @Test func softmaxWithLossGradientMakerInsertsTheWeights() throws {
        let args = [Argument(name: "scale", float: 0.5)]
        let plain = try gradient(
            OperatorDef(type: "SoftmaxWithLoss", input: ["x", "t"], output: ["p", "loss"], arg: args),
            [nil, .dense("loss_grad")])
        #expect(plain.ops.count == 1)
        #expect(plain.ops[0].type == "SoftmaxWithLossGradient")
        #expect(plain.ops[0].input == ["x", "t", "p", "loss_grad"])
        #expect(plain.ops[0].output == ["x_grad"])
        #expect(plain.ops[0].arg == args)
        #expect(plain.gInput == [.dense("x_grad"), nil])
        let weighted = try gradient(
            OperatorDef(type: "SoftmaxWithLoss", input: ["x", "t", "w"], output: ["p", "loss"]),
            [nil, .dense("loss_grad")])
        #expect(weighted.ops[0].input == ["x", "t", "w", "p", "loss_grad"])
        #expect(weighted.gInput == [.dense("x_grad"), nil, nil])
    }

    @Test(arguments: [
        ("LabelCrossEntropy", "LabelCrossEntropyGradient"), ("CrossEntropy", "CrossEntropyGradient"),
    ])
    func crossEntropyMakers(_ forward: String, _ backward: String) throws {
        let m = try gradient(OperatorDef(type: forward, input: ["x", "l"], output: ["y"]), [.dense("y_grad")])
        #expect(m.ops.map(\.type) == [backward])
        #expect(m.ops[0].input == ["x", "l", "y_grad"])
        #expect(m.ops[0].output == ["x_grad"])
        #expect(m.gInput == [.dense("x_grad"), nil])
    }

    @Test(arguments: [("SquaredL2Distance", "SquaredL2DistanceGradient"), ("DotProduct", "DotProductGradient")])
    func pairedMakers(_ forward: String, _ backward: String) throws {
        let m = try gradient(OperatorDef(type: forward, input: ["a", "b"], output: ["z"]), [.dense("z_grad")])
        #expect(m.ops.map(\.type) == [backward])
        #expect(m.ops[0].input == ["a", "b", "z_grad"])
        #expect(m.ops[0].output == ["a_grad", "b_grad"])
    }

    @Test func averagedLossMakerAndAccuracyRefusal() throws {
        let m = try gradient(OperatorDef(type: "AveragedLoss", input: ["x"], output: ["l"]), [.dense("l_grad")])
        #expect(m.ops.map(\.type) == ["AveragedLossGradient"])
        #expect(m.ops[0].input == ["x", "l_grad"])
        #expect(m.ops[0].output == ["x_grad"])
        do {
            _ = try gradient(OperatorDef(type: "Accuracy", input: ["x", "l"], output: ["a"]), [.dense("a_grad")])
            Issue.record("Accuracy must refuse a gradient")
        } catch let e as Caffe2Error {
            #expect(e.message.contains("One should not call gradient for operator Accuracy."))
        }
    }

    // MARK: Bad input

    func expectError(
        _ kind: Caffe2Error.Kind, _ fragments: [String], sourceLocation: SourceLocation = #_sourceLocation,
        _ body: () throws -> Void
    ) {
        do {
            try body()
            Issue.record("expected an error containing \(fragments)", sourceLocation: sourceLocation)
        } catch let e as Caffe2Error {
            #expect(e.kind == kind, "\(e)", sourceLocation: sourceLocation)
            for f in fragments { #expect(e.description.contains(f), "\(e)", sourceLocation: sourceLocation) }
        } catch {
            Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
        }
    }

    static let x = randomTensor([3, 4], in: 0.1...0.9, seed: 41)

    @Test func labelsOutOfRange() throws {
        expectError(
            .runtime,
            ["Label seems incorrect: label value larger than number of classes: 4 vs 4", "'labels'", "(SoftmaxWithLoss)"]
        ) {
            let ws = Workspace()
            ws.feedBlob("logits", Self.x)
            ws.feedBlob("labels", Tensor([0, 4, 1] as [Int32]))
            try ws.runNetOnce(
                NetDef(op: [OperatorDef(type: "SoftmaxWithLoss", input: ["logits", "labels"], output: ["P", "L"])]))
        }
        expectError(.runtime, ["-1 vs 4"]) {
            _ = try TestSupport.run("SoftmaxWithLoss", [Self.x, Tensor([0, -1, 1] as [Int32])], outputs: 2)
        }
        expectError(
            .runtime, ["Label seems to be outside of supported range. Supported labels are in range [0,4)", "'X1'"]
        ) {
            _ = try TestSupport.run("LabelCrossEntropy", [Self.x, Tensor([0, 7, 1] as [Int32])])
        }
        expectError(.runtime, ["Supported labels are in range [0,4)"]) {
            _ = try TestSupport.run(
                "LabelCrossEntropyGradient", [Self.x, Tensor([0, 1, 9] as [Int32]), Tensor([1, 1, 1] as [Float])])
        }
        expectError(.runtime, ["Supported labels are in range [0,4)"]) {
            _ = try TestSupport.run("Accuracy", [Self.x, Tensor([0, 4, 1] as [Int32])])
        }
        expectError(.runtime, ["label value larger than number of classes"]) {
            let p = try TestSupport.run("Softmax", [Self.x])[0]
            _ = try TestSupport.run(
                "SoftmaxWithLossGradient", [Self.x, Tensor([5, 0, 0] as [Int32]), p, Tensor(scalar: Float(1))])
        }
    }

    @Test func wrongLabelTypes() throws {
        expectError(.dataType, ["labels 'X1' must be int32", "float"]) {
            _ = try TestSupport.run("SoftmaxWithLoss", [Self.x, Tensor([0, 1, 2] as [Float])], outputs: 2)
        }
        expectError(.dataType, ["labels 'X1' must be int32", "int64"]) {
            _ = try TestSupport.run("LabelCrossEntropy", [Self.x, Tensor([0, 1, 2] as [Int64])])
        }
        expectError(.dataType, ["'X1'"]) {
            _ = try TestSupport.run("Accuracy", [Self.x, Tensor([0, 1, 2] as [Int64])])
        }
        expectError(.dataType, ["'X1'"]) {
            _ = try TestSupport.run("CrossEntropy", [Self.x, Tensor([0, 1, 2] as [Int32])])
        }
        expectError(.dataType, ["'X1'"]) {
            _ = try TestSupport.run(
                "SoftmaxWithLoss", [Self.x, Tensor([0, 1, 2] as [Int32])], outputs: 2,
                args: [Argument(name: "label_prob", int: 1)])
        }
        expectError(.dataType, ["'X0'"]) {
            _ = try TestSupport.run("AveragedLoss", [Tensor([1, 2] as [Double])])
        }
    }

    @Test func mismatchedShapes() throws {
        expectError(.shape, ["labels 'X1' [2]", "one label per row"]) {
            _ = try TestSupport.run("SoftmaxWithLoss", [Self.x, Tensor([0, 1] as [Int32])], outputs: 2)
        }
        expectError(.shape, ["labels 'X1' [3, 2]"]) {
            _ = try TestSupport.run(
                "SoftmaxWithLoss", [Self.x, Tensor(dims: [3, 2], dataType: .int32)], outputs: 2)
        }
        expectError(.shape, ["weights 'X2'"]) {
            _ = try TestSupport.run(
                "SoftmaxWithLoss", [Self.x, Tensor([0, 1, 2] as [Int32]), Tensor([1, 1] as [Float])], outputs: 2)
        }
        expectError(.shape, ["labels 'X1' [3, 2]", "[3] or [3, 1]"]) {
            _ = try TestSupport.run("LabelCrossEntropy", [Self.x, Tensor(dims: [3, 2], dataType: .int32)])
        }
        expectError(.shape, ["soft labels 'X1' [3, 3]"]) {
            _ = try TestSupport.run("CrossEntropy", [Self.x, Tensor(dims: [3, 3])])
        }
        expectError(.shape, ["'X0' [3, 4] and 'X1' [4, 3]"]) {
            _ = try TestSupport.run("SquaredL2Distance", [Self.x, Tensor(dims: [4, 3])])
        }
        expectError(.shape, ["'X0' [3, 4] and 'X1' [3, 4, 1]"]) {
            _ = try TestSupport.run("DotProduct", [Self.x, Tensor(dims: [3, 4, 1])])
        }
        expectError(.shape, ["gradient 'X2' [2]"]) {
            _ = try TestSupport.run(
                "SquaredL2DistanceGradient", [Self.x, Self.x, Tensor([1, 1] as [Float])], outputs: 2)
        }
        expectError(.shape, ["must be 2-D"]) {
            _ = try TestSupport.run("Accuracy", [Tensor(dims: [3, 4, 1]), Tensor([0, 1, 2] as [Int32])])
        }
        expectError(.shape, ["exactly one element"]) {
            _ = try TestSupport.run("AveragedLossGradient", [Self.x, Tensor([1, 2] as [Float])])
        }
    }

    @Test func badArgumentsAndProbabilities() throws {
        expectError(.argument, ["Only NCHW order is supported"]) {
            _ = try TestSupport.run(
                "SoftmaxWithLoss", [Self.x, Tensor([0, 1, 2] as [Int32])], outputs: 2,
                args: [Argument(name: "order", string: "NHWC")])
        }
        expectError(.argument, ["axis=2"]) {
            _ = try TestSupport.run(
                "SoftmaxWithLoss", [Self.x, Tensor([0, 1, 2] as [Int32])], outputs: 2,
                args: [Argument(name: "axis", int: 2)])
        }
        let probs = [Argument(name: "label_prob", int: 1)]
        expectError(.runtime, ["do not sum to 1.0"]) {
            _ = try TestSupport.run("SoftmaxWithLoss", [Self.x, Tensor(dims: [3, 4])], outputs: 2, args: probs)
        }
        expectError(.runtime, ["must be nonnegative"]) {
            let t = try Tensor(dims: [3, 4], values: [-0.5, 1.5, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0] as [Float])
            _ = try TestSupport.run("SoftmaxWithLoss", [Self.x, t], outputs: 2, args: probs)
        }
        expectError(.runtime, ["Soft label seems incorrect"]) {
            _ = try TestSupport.run("CrossEntropy", [Self.x, randomTensor([3, 4], in: 1.5...2, seed: 1)])
        }
        expectError(.schema, ["needs inputs (X, T, [W,] P, dL)"]) {
            _ = try TestSupport.run("SoftmaxWithLossGradient", [Self.x, Tensor([0, 1, 2] as [Int32]), Self.x])
        }
    }
}

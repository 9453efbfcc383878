import Foundation
import Testing

@testable import Caffe2

/// The net-level gradient checker (Caffe2's `NetGradientChecker.Check`).
@Suite struct GradientCheckerTests {
    /// `Twice`: Y = 2·X, with a correct maker (dX = Twice(dY)) or a wrong one (dX = dY).
    static func registry(correct: Bool) -> OperatorRegistry {
        var r = OperatorRegistry.standard
        let kernel = OperatorKernel { _, _ in
            { ctx in
                let x = try ctx.input(0)
                guard x.dataType == .float else { throw x.unsupportedType([.float]) }
                let xs = try x.floats
                let y = try ctx.output(0, like: x)
                let ys = y.floats
                for i in 0..<x.count { ys[i] = 2 * xs[i] }
            }
        }
        let maker: GradientMaker =
            correct
            ? .make { g in g.singleGradientDef("Twice", inputs: [try g.GO(0)], outputs: [try g.GI(0)]) }
            : .make { g in
                try g.SetDense(0, g.GO(0))
                return []
            }
        r.replace(
            OperatorDefinition(
                schema: OperatorSchema("Twice").numInputs(1).numOutputs(1).allowInplace([(0, 0)]), kernels: [kernel],
                gradient: maker))
        return r
    }

    @Test func reciprocalNetWithInPlaceOp() throws {
        // A = 2·X, then A = 1/A in place: loss = Σ 1/(2x), gradient −1/(2x²).
        let net = NetDef(
            name: "inv",
            op: [
                OperatorDef(type: "Twice", input: ["X"], output: ["A"]),
                OperatorDef(type: "Reciprocal", input: ["A"], output: ["A"]),
            ])
        let checker = GradientChecker(stepSize: 1e-3, threshold: 1e-2, registry: Self.registry(correct: true))
        let x = Tensor([0.5, 1, 2, -3] as [Float])
        let r = try checker.checkNet(net, losses: ["A"], inputs: ["X": x], checking: ["X"])
        #expect(r.count == 1)
        #expect(r[0].passed, "\(r[0])")
        #expect(allClose(r[0].analytic, [-2, -0.5, -0.125, -1.0 / 18], atol: 1e-5))

        // Single Reciprocal: d(Σ 1/x)/dx = −1/x².
        let single = NetDef(name: "inv1", op: [OperatorDef(type: "Reciprocal", input: ["X"], output: ["A"])])
        let s = try checker.checkNet(single, losses: ["A"], inputs: ["X": x], checking: ["X"])
        #expect(s[0].passed, "\(s[0])")
        #expect(allClose(s[0].analytic, [-4, -1, -0.25, -1.0 / 9], atol: 1e-5))
    }

    @Test func overwritingAReciprocalsOutputIsRefused() throws {
        // ReciprocalGradient needs Y; an in-place op after it destroys that version.
        let net = NetDef(
            name: "inv",
            op: [
                OperatorDef(type: "Reciprocal", input: ["X"], output: ["A"]),
                OperatorDef(type: "Reciprocal", input: ["A"], output: ["A"]),
            ])
        let e = try #require(
            caffe2Error {
                _ = try GradientChecker().checkNet(net, losses: ["A"], inputs: ["X": Tensor([1] as [Float])], checking: ["X"])
            })
        #expect(e.message.hasPrefix("Gradient operator needs output \"A\" at version 0, but currently we have version 1."))
        #expect(e.opIndex == 0)
    }

    @Test func correctCustomMakerPasses() throws {
        let net = NetDef(name: "t", op: [OperatorDef(type: "Twice", input: ["X"], output: ["Y"])])
        let r = try GradientChecker(stepSize: 1e-3, threshold: 1e-3, registry: Self.registry(correct: true))
            .checkNet(net, losses: ["Y"], inputs: ["X": Tensor([1, -2, 3] as [Float])], checking: ["X"])
        #expect(r[0].passed, "\(r[0])")
        #expect(allClose(r[0].analytic, [2, 2, 2]))
    }

    @Test func wrongMakerIsCaughtWithItsWorstElement() throws {
        let net = NetDef(name: "t", op: [OperatorDef(type: "Twice", input: ["X"], output: ["Y"])])
        let r = try GradientChecker(stepSize: 1e-3, threshold: 1e-2, registry: Self.registry(correct: false))
            .checkNet(net, losses: ["Y"], inputs: ["X": Tensor([1, -2, 3] as [Float])], checking: ["X"])
        #expect(!r[0].passed)
        #expect(allClose(r[0].analytic, [1, 1, 1]))
        #expect(allClose(r[0].numeric, [2, 2, 2], atol: 1e-2))
        #expect(abs(r[0].worstError - 1) < 1e-2)
        #expect(r[0].description.contains("MISMATCH"))
    }

    @Test func lossIsTheSumOfSeveralBlobs() throws {
        // loss = Σ 2X + Σ 1/X → gradient 2 − 1/x².
        let net = NetDef(
            name: "two",
            op: [
                OperatorDef(type: "Twice", input: ["X"], output: ["Y"]),
                OperatorDef(type: "Reciprocal", input: ["X"], output: ["Z"]),
            ])
        let x = Tensor([1, 2, 4] as [Float])
        let r = try GradientChecker(stepSize: 1e-3, threshold: 1e-2, registry: Self.registry(correct: true))
            .checkNet(net, losses: ["Y", "Z"], inputs: ["X": x], checking: ["X"])
        #expect(r[0].passed, "\(r[0])")
        #expect(allClose(r[0].analytic, [1, 1.75, 1.9375], atol: 1e-5))
    }

    /// The custom-operator example of docs/gradients.md, verbatim.
    @Test func docsExampleCustomOperator() throws {
        // Y = X², and its gradient operator dX = 2·X·dY.
        let square = OperatorDefinition(
            schema: OperatorSchema("MySquare").numInputs(1).numOutputs(1).identicalTypeAndShape()
                .doc("Y = X * X, element-wise."),
            kernels: [
                OperatorKernel { _, _ in
                    { ctx in
                        let x = try ctx.input(0)
                        guard x.dataType == .float else { throw x.unsupportedType([.float]) }
                        let xs = try x.floats
                        let ys = try ctx.output(0, like: x).floats
                        for i in 0..<x.count { ys[i] = xs[i] * xs[i] }
                    }
                }
            ],
            gradient: .make { g in
                // I(0) is X, GO(0) the gradient flowing into Y, GI(0) names and records X's gradient.
                try g.singleGradientDef("MySquareGradient", inputs: [g.I(0), g.GO(0)], outputs: [g.GI(0)])
            })
        let squareGradient = OperatorDefinition(
            schema: OperatorSchema("MySquareGradient").numInputs(2).numOutputs(1),
            kernels: [
                OperatorKernel { _, _ in
                    { ctx in
                        let x = try ctx.input(0)
                        let dy = try ctx.input(1)
                        guard x.dataType == .float, dy.dataType == .float else { throw x.unsupportedType([.float]) }
                        guard x.dims == dy.dims else {
                            throw ctx.error(.shape, "dY has shape \(dy.dims), X has \(x.dims)", blob: ctx.inputName(1))
                        }
                        let xs = try x.floats
                        let dys = try dy.floats
                        let dxs = try ctx.output(0, like: x).floats
                        for i in 0..<x.count { dxs[i] = 2 * xs[i] * dys[i] }
                    }
                }
            ])
        var registry = OperatorRegistry.standard
        try registry.register(square)
        try registry.register(squareGradient)

        let forward = NetDef(
            name: "demo",
            op: [
                OperatorDef(type: "MySquare", input: ["X"], output: ["Y"]),
                OperatorDef(type: "AveragedLoss", input: ["Y"], output: ["loss"]),
            ])
        var train = forward
        let grads = try train.addGradientOperators(losses: ["loss"], registry: registry)
        #expect(grads["X"] == .dense("X_grad"))
        #expect(train.op.map(\.type) == ["MySquare", "AveragedLoss", "ConstantFill", "AveragedLossGradient", "MySquareGradient"])

        let checker = GradientChecker(stepSize: 1e-3, threshold: 1e-2, registry: registry)
        let x = Tensor([0.5, -1, 2] as [Float])
        // One operator: loss ½ Σ Y², dX = 2·X·Y = 2x³.
        let op = try checker.checkOperator(forward.op[0], inputs: [x], inputIndex: 0)
        #expect(op.passed, "\(op)")
        #expect(allClose(op.analytic, [0.25, -2, 16], atol: 1e-5))
        // The whole net: loss = mean(X²), dX = 2x/3.
        let net = try checker.checkNet(forward, losses: ["loss"], inputs: ["X": x], checking: ["X"])
        #expect(net[0].passed, "\(net[0])")
        #expect(allClose(net[0].analytic, [1.0 / 3, -2.0 / 3, 4.0 / 3], atol: 1e-5))
    }

    @Test func sparseGradientsAreScatteredAndAdded() throws {
        let ws = Workspace()
        ws.feedBlob("idx", Tensor([2, 0, 2] as [Int64]))
        ws.feedBlob("val", try Tensor(dims: [3, 2], values: [1, 1, 2, 2, 3, 3] as [Float]))
        let x = try Tensor(dims: [3, 2], dataType: .float)
        let d = try GradientChecker.denseGradient(.sparse(indices: "idx", values: "val"), like: x, in: ws, blob: "x")
        #expect(d == [2, 2, 0, 0, 4, 4])

        ws.feedBlob("bad", Tensor([3] as [Int64]))
        ws.feedBlob("one", try Tensor(dims: [1, 2], values: [1, 1] as [Float]))
        #expect(throws: Caffe2Error.self) {
            _ = try GradientChecker.denseGradient(.sparse(indices: "bad", values: "one"), like: x, in: ws, blob: "x")
        }
    }

    @Test func badRequestsThrow() throws {
        let net = NetDef(name: "inv", op: [OperatorDef(type: "Reciprocal", input: ["X"], output: ["A"])])
        let checker = GradientChecker()
        let x = Tensor([1, 2] as [Float])
        // Not fed.
        #expect(throws: Caffe2Error.self) { _ = try checker.checkNet(net, losses: ["A"], inputs: ["X": x], checking: ["Q"]) }
        // No loss.
        #expect(throws: Caffe2Error.self) { _ = try checker.checkNet(net, losses: [], inputs: ["X": x], checking: ["X"]) }
        // A blob off the gradient path.
        #expect(throws: Caffe2Error.self) {
            _ = try checker.checkNet(net, losses: ["A"], inputs: ["X": x, "U": x], checking: ["U"])
        }
        // Integer input.
        #expect(throws: Caffe2Error.self) {
            _ = try checker.checkNet(net, losses: ["A"], inputs: ["X": x, "I": Tensor([1] as [Int32])], checking: ["I"])
        }
    }
}

import Foundation
import Testing

@testable import Caffe2

/// Item 6 of issue 4: Examples/backward_example.pbtxt (Reciprocal, also in place; a blob
/// read by two ops; a StopGradient; a scalar loss) → addGradientOperators → run →
/// every input gradient matches central finite differences.
@Suite struct BackwardEndToEndTests {
    static var examplePath: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Examples/backward_example.pbtxt").path
    }

    static func loadExample() throws -> NetDef {
        try NetDef(textFormat: String(contentsOfFile: examplePath, encoding: .utf8))
    }

    static func inputs() -> [String: Tensor] {
        // X and W away from zero so the reciprocals stay well conditioned.
        [
            "X": randomTensor([2, 3], in: 0.5...2, seed: 11),
            "W": randomTensor([2, 3], in: 0.5...2, seed: 12),
            "T": randomTensor([2, 3], in: -1...1, seed: 13),
        ]
    }

    @Test func backwardNetIsCaffe2s() throws {
        var net = try Self.loadExample()
        let forwardCount = net.op.count
        #expect(forwardCount == 7)
        let grads = try net.addGradientOperators(losses: ["loss"])
        let g = { (type: String, i: [String], o: [String]) in BackwardTestSupport.op(type, i, o, grad: true) }
        BackwardTestSupport.expectOps(
            Array(net.op.dropFirst(forwardCount)),
            [
                BackwardTestSupport.seed("loss"),
                g("AveragedLossGradient", ["dist", "loss_autogen_grad"], ["dist_grad"]),
                g("SquaredL2DistanceGradient", ["C", "T", "dist_grad"], ["C_grad", "T_grad"]),
                g("AddGradient", ["C_grad", "B", "A"], ["B_grad", "A_grad"]),
                g("ReciprocalGradient", ["B", "B_grad"], ["B_grad"]),
                g("MulGradient", ["B_grad", "A", "W"], ["_A_grad_autosplit_0", "W_grad"]),
                BackwardTestSupport.op("Sum", ["A_grad", "_A_grad_autosplit_0"], ["A_grad"]),
                g("ReciprocalGradient", ["A", "A_grad"], ["X_grad"]),
            ])
        #expect(grads["X"] == .dense("X_grad"))
        #expect(grads["W"] == .dense("W_grad"))
        #expect(grads["A"] == .dense("A_grad"))
        #expect(grads["T"] == nil, "StopGradient(T -> T) removes T's gradient")
    }

    @Test func gradientsMatchFiniteDifferences() throws {
        let net = try Self.loadExample()
        let results = try GradientChecker(stepSize: 1e-3, threshold: 1e-2)
            .checkNet(net, losses: ["loss"], inputs: Self.inputs(), checking: ["X", "W"])
        #expect(results.count == 2)
        for r in results {
            #expect(r.passed, "\(r)")
            #expect(r.analytic.contains { abs($0) > 1e-3 }, "a gradient of all zeros would prove nothing")
        }
    }

    @Test func backwardNetRunsAndAgreesWithAHandDerivation() throws {
        // loss = mean_n ½‖C_n − T_n‖², C = X/W + 1/X, so
        // dL/dX = (C − T)/N · (1/W − 1/X²), dL/dW = (C − T)/N · (−X/W²).
        var net = try Self.loadExample()
        let grads = try net.addGradientOperators(losses: ["loss"])
        let ws = Workspace()
        let inputs = Self.inputs()
        for (name, t) in inputs { ws.feedBlob(name, t) }
        try ws.runNetOnce(net)
        let x = inputs["X"]!.doubleValues()
        let w = inputs["W"]!.doubleValues()
        let t = inputs["T"]!.doubleValues()
        let n = 2.0
        var dx: [Double] = []
        var dw: [Double] = []
        for k in x.indices {
            let c = x[k] / w[k] + 1 / x[k]
            dx.append((c - t[k]) / n * (1 / w[k] - 1 / (x[k] * x[k])))
            dw.append((c - t[k]) / n * (-x[k] / (w[k] * w[k])))
        }
        #expect(allClose(try ws.fetchBlob(try #require(grads["X"]?.dense)), dx, atol: 1e-5, rtol: 1e-4))
        #expect(allClose(try ws.fetchBlob(try #require(grads["W"]?.dense)), dw, atol: 1e-5, rtol: 1e-4))
    }
}

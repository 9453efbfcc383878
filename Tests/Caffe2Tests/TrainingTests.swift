import Foundation
import Testing

@testable import Caffe2

@Suite struct TrainingIterTests {
    @Test func createsAndIncrementsTheCounter() throws {
        let ws = Workspace()
        let net = try ws.createNet(NetDef(name: "it", op: [OperatorDef(type: "Iter", output: ["iter"])]))
        try net.run()
        var t = try ws.fetchBlob("iter")
        #expect(try t.dims == [1] && t.values(as: Int64.self) == [1])
        try ws.runNet(named: "it", iterations: 4)
        t = try ws.fetchBlob("iter")
        #expect(try t.values(as: Int64.self) == [5])
    }

    @Test func inPlaceFormWithAnExistingCounter() throws {
        let ws = Workspace()
        try ws.runOperatorOnce(
            OperatorDef(
                type: "ConstantFill", output: ["it"],
                arg: [Argument(name: "shape", ints: [1]), Argument(name: "value", int: 41), Argument(name: "dtype", int: 10)]))
        let held = try ws.fetchBlob("it")
        try ws.runOperatorOnce(OperatorDef(type: "Iter", input: ["it"], output: ["it"]))
        #expect(try ws.fetchBlob("it").values(as: Int64.self) == [42])
        #expect(try held.values(as: Int64.self) == [41], "a fetched counter never changes under its holder")
    }

    @Test func errors() throws {
        OpTesting.expectError("are not in-place but should be", kind: .schema) {
            _ = try TestSupport.run(OperatorDef(type: "Iter", input: ["a"], output: ["b"]), [Tensor([0] as [Int64])])
        }
        let ws = Workspace()
        ws.feedBlob("it", Tensor([1, 2] as [Int64]))
        OpTesting.expectError("The output of IterOp exists, but not of the right size") {
            try ws.runOperatorOnce(OperatorDef(type: "Iter", input: ["it"], output: ["it"]))
        }
        ws.feedBlob("it", Tensor([-1] as [Int64]))
        OpTesting.expectError("Previous iteration number is negative") {
            try ws.runOperatorOnce(OperatorDef(type: "Iter", input: ["it"], output: ["it"]))
        }
        ws.feedBlob("it", Tensor([Int64.max] as [Int64]))
        OpTesting.expectError("Overflow will happen!") {
            try ws.runOperatorOnce(OperatorDef(type: "Iter", output: ["it"]))
        }
        ws.feedBlob("it", Tensor([1] as [Int32]))
        OpTesting.expectError("expected int64", kind: .dataType) {
            try ws.runOperatorOnce(OperatorDef(type: "Iter", output: ["it"]))
        }
        let meta = try OperatorRegistry.standard.gradient(
            for: OperatorDef(type: "Iter", input: ["it"], output: ["it"]), gOutput: [.dense("g")])
        #expect(meta.ops.isEmpty)
    }
}

@Suite struct TrainingLearningRateTests {
    /// The learning rate at `iter` for `args`.
    func lr(_ iter: Int64, _ args: [Argument]) throws -> Float {
        let out = try TestSupport.run(
            OperatorDef(type: "LearningRate", input: ["it"], output: ["lr"], arg: args), [Tensor([iter] as [Int64])])[0]
        #expect(out.dims == [] && out.dataType == .float)
        return try out.values(as: Float.self)[0]
    }

    func args(_ policy: String, _ rest: [Argument] = []) -> [Argument] {
        [Argument(name: "base_lr", float: -0.1), Argument(name: "policy", string: policy)] + rest
    }

    @Test func documentedPolicies() throws {
        #expect(try lr(123, args("fixed")) == -0.1)
        // step: -0.1 · 0.5^⌊iter/10⌋
        let step = args("step", [Argument(name: "stepsize", int: 10), Argument(name: "gamma", float: 0.5)])
        #expect(try lr(9, step) == -0.1)
        #expect(try lr(10, step) == -0.05)
        #expect(try lr(25, step) == -0.025)
        // exp: -0.1 · 0.9^3 = -0.0729
        #expect(try abs(lr(3, args("exp", [Argument(name: "gamma", float: 0.9)])) + 0.0729) < 1e-7)
        // inv: -0.1 · (1 + 0.1·10)^-0.5 = -0.1/√2
        let inv = args("inv", [Argument(name: "gamma", float: 0.1), Argument(name: "power", float: 0.5)])
        #expect(try abs(Double(lr(10, inv)) + 0.1 / 2.0.squareRoot()) < 1e-7)
        // poly: -0.1 · (1 - 25/100)^2 = -0.05625
        let poly = args("poly", [Argument(name: "max_iter", int: 100), Argument(name: "power", float: 2)])
        #expect(try abs(lr(25, poly) + 0.05625) < 1e-7)
        // linearWarmup: start 0.2, 10 iterations: at 5 ⇒ 0.2 + 0.8·0.5 = 0.6
        let warm = args("linearWarmup", [Argument(name: "start_multiplier", float: 0.2), Argument(name: "num_iter", int: 10)])
        #expect(try abs(lr(5, warm) + 0.06) < 1e-7)
        #expect(try lr(10, warm) == -0.1)
        let constant = args("constantWarmup", [Argument(name: "multiplier", float: 0.1), Argument(name: "num_iter", int: 3)])
        #expect(try abs(lr(2, constant) + 0.01) < 1e-8)
        #expect(try lr(3, constant) == -0.1)
        let gate = args("gate", [Argument(name: "multiplier_1", float: 2), Argument(name: "multiplier_2", float: 0.5), Argument(name: "num_iter", int: 4)])
        #expect(try lr(3, gate) == -0.2)
        #expect(try lr(4, gate) == -0.05)
    }

    @Test func morePolicies() throws {
        let piece = args("pieceWarmup", [
            Argument(name: "m1", float: 0.1), Argument(name: "n1", int: 2), Argument(name: "m2", float: 0.5),
            Argument(name: "n2", int: 4), Argument(name: "m3", float: 1),
        ])
        #expect(try [1, 3, 5].map { try lr($0, piece) } == [-0.1 * 0.1, -0.1 * 0.5, -0.1])
        let alter = args("alter", [Argument(name: "active_period", int: 2), Argument(name: "inactive_period", int: 1)])
        #expect(try [0, 1, 2, 3].map { try lr($0, alter) } == [-0.1, -0.1, 0, -0.1])
        // composite: iterations 1–2 fixed (scale 1), 3+ step with scale 0.5.
        let composite = args("composite", [
            Argument(name: "sub_policy_num_iters", ints: [2, 10]),
            Argument(name: "sub_policy_0_policy", string: "fixed"),
            Argument(name: "sub_policy_1_policy", string: "step"), Argument(name: "sub_policy_1_stepsize", int: 100),
            Argument(name: "sub_policy_1_gamma", float: 0.5), Argument(name: "sub_policy_1_lr_scale", float: 0.5),
        ])
        #expect(try lr(2, composite) == -0.1)
        #expect(try lr(3, composite) == -0.05)
        // cosine with a fixed period: at half a period the rate is midway between min and max.
        let cosine = args("cosine", [
            Argument(name: "min_lr", float: 0.1), Argument(name: "max_lr", float: 0.5), Argument(name: "period", int: 10),
            Argument(name: "lr_shrink", float: 1),
        ])
        #expect(try abs(lr(5, cosine) + 0.1 * 0.3) < 1e-7)
        #expect(try abs(lr(0, cosine) + 0.1 * 0.5) < 1e-7)
    }

    @Test func errors() throws {
        OpTesting.expectError("Base learning rate must be set.") {
            _ = try lr(0, [Argument(name: "policy", string: "fixed")])
        }
        OpTesting.expectError("Must specify a learning rate policy.") {
            _ = try lr(0, [Argument(name: "base_lr", float: 0.1)])
        }
        OpTesting.expectError("Unknown learning rate policy: sometimes") { _ = try lr(0, args("sometimes")) }
        OpTesting.expectError("'stepsize' must be > 0") { _ = try lr(0, args("step", [Argument(name: "gamma", float: 0.5)])) }
        OpTesting.expectError("expected int64", kind: .dataType) {
            _ = try TestSupport.run(
                OperatorDef(type: "LearningRate", input: ["it"], output: ["lr"], arg: args("fixed")), [Tensor([1] as [Int32])])
        }
    }

    @Test func inferenceAndTrainingStep() throws {
        let op = OperatorDef(type: "LearningRate", input: ["it"], output: ["lr"], arg: args("fixed"))
        let s = try OpTesting.infer(op, [TensorShape(dims: [1], dataType: .int64)])
        #expect(s[0].dims == [] && s[0].dataType == .float)
        #expect(try OperatorRegistry.standard.gradient(for: op, gOutput: [.dense("g")]).ops.isEmpty)
        // Iter then LearningRate over a few steps, as a train net does.
        var net = NetDef(name: "sched")
        net.op = [
            OperatorDef(type: "Iter", output: ["iter"]),
            OperatorDef(
                type: "LearningRate", input: ["iter"], output: ["lr"],
                arg: args("step", [Argument(name: "stepsize", int: 2), Argument(name: "gamma", float: 0.1)])),
        ]
        let ws = Workspace()
        let n = try ws.createNet(net)
        var seen: [Float] = []
        for _ in 0..<4 {
            try n.run()
            seen.append(try ws.fetchBlob("lr").values(as: Float.self)[0])
        }
        // iter = 1, 2, 3, 4 ⇒ 0.1^0, 0.1^1, 0.1^1, 0.1^2.
        #expect(allClose(seen.map(Double.init), [-0.1, -0.01, -0.01, -0.001], atol: 1e-8, rtol: 1e-6))
    }
}

import Foundation
import Testing

@testable import Caffe2

@Suite struct NormalizationGradientCheckTests {
    @Test(arguments: [
        ([Argument(name: "size", int: 3), Argument(name: "alpha", float: 0.5), Argument(name: "beta", float: 0.75)], [2, 4, 2, 2]),
        ([Argument(name: "size", int: 5), Argument(name: "alpha", float: 0.9), Argument(name: "beta", float: 0.6), Argument(name: "bias", float: 2)], [1, 6, 2, 1]),
        ([Argument(name: "size", int: 4), Argument(name: "alpha", float: 0.7), Argument(name: "beta", float: 0.75)], [1, 5, 1, 2]),
        ([Argument(name: "size", int: 3), Argument(name: "alpha", float: 0.8), Argument(name: "beta", float: 0.75), Argument(name: "order", string: "NHWC")], [1, 2, 2, 5]),
    ] as [([Argument], [Int])])
    func lrn(_ args: [Argument], _ dims: [Int]) throws {
        let op = OperatorDef(type: "LRN", input: ["X"], output: ["Y"], arg: args)
        try expectGradients(op, [randomTensor(dims, in: -2...2, seed: 51)], inputs: [0], step: 1e-3)
    }

    /// Training-mode SpatialBN: gradients of X, scale and bias through the
    /// saved statistics (the loss reads Y only).
    @Test(arguments: ["NCHW", "NHWC"])
    func spatialBN(_ order: String) throws {
        let dims = order == "NCHW" ? [3, 2, 2, 2] : [3, 2, 2, 2]
        let c = order == "NCHW" ? dims[1] : dims[3]
        let op = OperatorDef(
            type: "SpatialBN", input: ["X", "scale", "bias", "rm", "rv"],
            output: ["Y", "rm", "rv", "saved_mean", "saved_inv_std"],
            arg: [Argument(name: "order", string: order), Argument(name: "epsilon", float: 1e-3)])
        let inputs = [
            randomTensor(dims, in: -2...2, seed: 52), randomTensor([c], in: 0.5...1.5, seed: 53),
            randomTensor([c], seed: 54), randomTensor([c], seed: 55), randomTensor([c], in: 0.5...1.5, seed: 56),
        ]
        try expectGradients(op, inputs, inputs: [0, 1, 2], step: 1e-3, threshold: 2e-2)
    }
}

@Suite struct NormalizationBehaviourTests {
    let registry = OperatorRegistry.standard

    @Test func lrnGradientMaker() throws {
        let op = OperatorDef(type: "LRN", input: ["x"], output: ["y", "s"], arg: [Argument(name: "size", int: 5)])
        let g = try registry.gradient(for: op, gOutput: [.dense("y_grad"), nil]).ops
        #expect(g.count == 1)
        #expect(g[0].type == "LRNGradient")
        #expect(g[0].input == ["x", "y", "y_grad"])
        #expect(g[0].output == ["x_grad"])
        #expect(g[0].arg == [Argument(name: "size", int: 5)])
    }

    @Test func spatialBNGradientMakers() throws {
        let train = OperatorDef(
            type: "SpatialBN", input: ["x", "s", "b", "m", "v"], output: ["y", "m", "v", "sm", "siv"],
            arg: [Argument(name: "epsilon", float: 1e-3)])
        let t = try registry.gradient(for: train, gOutput: [.dense("y_grad"), nil, nil, nil, nil]).ops
        #expect(t.map(\.type) == ["SpatialBNGradient"])
        #expect(t[0].input == ["x", "s", "y_grad", "sm", "siv"])
        #expect(t[0].output == ["x_grad", "s_grad", "b_grad"])
        #expect(t[0].arg == [Argument(name: "epsilon", float: 1e-3)])

        // Test mode passes the running mean and variance (Caffe2's quirk: the op treats var as inv_std).
        let test = OperatorDef(
            type: "SpatialBN", input: ["x", "s", "b", "m", "v"], output: ["y"], arg: [Argument(name: "is_test", int: 1)])
        let e = try registry.gradient(for: test, gOutput: [.dense("y_grad")]).ops
        #expect(e[0].input == ["x", "s", "y_grad", "m", "v"])

        let multi = OperatorDef(
            type: "SpatialBN", input: ["x", "s", "b", "m", "v", "sums", "sumsq"], output: ["y", "m", "v", "sm", "siv"],
            arg: [Argument(name: "num_batches", int: 2)])
        let mb = try registry.gradient(for: multi, gOutput: [.dense("y_grad"), nil, nil, nil, nil]).ops
        #expect(mb[0].input == ["x", "s", "y_grad", "sm", "siv", "s_grad", "b_grad"])
        #expect(mb[0].output == ["x_grad", "s_grad", "b_grad"])

        let bad = OperatorDef(
            type: "SpatialBN", input: ["x", "s", "b", "m", "v", "sums", "sumsq"], output: ["y"], arg: [Argument(name: "is_test", int: 1)])
        #expect(throws: Caffe2Error.self) { try registry.gradient(for: bad, gOutput: [.dense("g")]) }
    }

    /// Training updates the running statistics in place; a second run keeps averaging.
    @Test func runningStatisticsUpdateInPlace() throws {
        let ws = Workspace()
        let x = try Tensor(dims: [2, 1, 1, 2], values: [1, 3, 5, 7] as [Float])
        ws.feedBlob("x", x)
        ws.feedBlob("s", Tensor([1] as [Float]))
        ws.feedBlob("b", Tensor([0] as [Float]))
        ws.feedBlob("m", Tensor([0] as [Float]))
        ws.feedBlob("v", Tensor([1] as [Float]))
        let op = OperatorDef(
            type: "SpatialBN", input: ["x", "s", "b", "m", "v"], output: ["y", "m", "v", "sm", "siv"],
            arg: [Argument(name: "momentum", float: 0.5), Argument(name: "epsilon", float: 1e-5)])
        let net = try ws.createNet(NetDef(name: "bn", op: [op]))
        try net.run()
        // Batch mean 4, biased variance 5, unbiased 20/3.
        #expect(allClose(try ws.fetchBlob("m"), [2]))
        #expect(allClose(try ws.fetchBlob("v"), [0.5 + 0.5 * 20.0 / 3.0]))
        #expect(allClose(try ws.fetchBlob("sm"), [4]))
        #expect(allClose(try ws.fetchBlob("siv"), [1 / (5.0 + 1e-5).squareRoot()]))
        try net.run()
        #expect(allClose(try ws.fetchBlob("m"), [3]))
        #expect(allClose(try ws.fetchBlob("v"), [0.5 * (0.5 + 0.5 * 20.0 / 3.0) + 0.5 * 20.0 / 3.0], rtol: 1e-5))
        let y = try ws.fetchBlob("y").doubleValues()
        #expect(allClose(y, [1, 3, 5, 7].map { ($0 - 4) / (5.0 + 1e-5).squareRoot() }, rtol: 1e-5))
    }

    @Test func testModeInPlace() throws {
        let ws = Workspace()
        ws.feedBlob("x", try Tensor(dims: [1, 2, 2], values: [1, 2, 3, 4] as [Float]))
        ws.feedBlob("s", Tensor([2, 1] as [Float]))
        ws.feedBlob("b", Tensor([1, -1] as [Float]))
        ws.feedBlob("m", Tensor([1, 3] as [Float]))
        ws.feedBlob("v", Tensor([4, 1] as [Float]))
        try ws.runOperatorOnce(OperatorDef(
            type: "SpatialBN", input: ["x", "s", "b", "m", "v"], output: ["x"],
            arg: [Argument(name: "is_test", int: 1), Argument(name: "epsilon", float: 1e-5)]))
        let s4 = (4 + 1e-5).squareRoot(), s1 = (1 + 1e-5).squareRoot()
        #expect(allClose(try ws.fetchBlob("x"), [1, 2 * 1 / s4 + 1, -1, 1 / s1 - 1], rtol: 1e-5))
    }

    @Test func errors() throws {
        func fails(_ op: OperatorDef, _ inputs: [Tensor], _ phrase: String) {
            do {
                _ = try TestSupport.run(op, inputs)
                Issue.record("expected '\(phrase)'")
            } catch let e as Caffe2Error {
                #expect(e.message.contains(phrase), "\(e)")
            } catch { Issue.record("\(error)") }
        }
        let lrn = OperatorDef(type: "LRN", input: ["x"], output: ["y"], arg: [Argument(name: "size", int: 3)])
        fails(lrn, [randomTensor([2, 3, 4])], "must be 4-D")
        fails(OperatorDef(type: "LRN", input: ["x"], output: ["y"]), [randomTensor([1, 3, 2, 2])], "'size' must be positive")
        let c3 = randomTensor([3])
        let bnTest = OperatorDef(
            type: "SpatialBN", input: ["x", "s", "b", "m", "v"], output: ["y", "m", "v", "a", "c"],
            arg: [Argument(name: "is_test", int: 1)])
        fails(bnTest, [randomTensor([2, 3, 2]), c3, c3, c3, c3], "must have 1 output")
        let bnTrain = OperatorDef(type: "SpatialBN", input: ["x", "s", "b", "m", "v"], output: ["y"])
        fails(bnTrain, [randomTensor([2, 3, 2]), c3, c3, c3, c3], "must have 5 output")
        let bn = OperatorDef(
            type: "SpatialBN", input: ["x", "s", "b", "m", "v"], output: ["y"], arg: [Argument(name: "is_test", int: 1)])
        fails(bn, [randomTensor([2, 4, 2]), c3, c3, c3, c3], "one per channel")
        fails(bn, [randomTensor([6]), c3, c3, c3, c3], "at least 2 dims")
        let eps = OperatorDef(
            type: "SpatialBN", input: ["x", "s", "b", "m", "v"], output: ["y"],
            arg: [Argument(name: "is_test", int: 1), Argument(name: "epsilon", float: 0)])
        fails(eps, [randomTensor([2, 3, 2]), c3, c3, c3, c3], "epsilon must be positive")
        // The running statistics must be updated in place (EnforceInplace {3,1}, {4,2}).
        let notInPlace = OperatorDef(type: "SpatialBN", input: ["x", "s", "b", "m", "v"], output: ["y", "m2", "v", "a", "c"])
        fails(notInPlace, [randomTensor([2, 3, 2]), c3, c3, c3, c3], "should be as required")
    }
}

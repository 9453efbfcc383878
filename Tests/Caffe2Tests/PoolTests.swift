import Foundation
import Testing

@testable import Caffe2

@Suite struct PoolGradientCheckTests {
    @Test(arguments: [
        ("MaxPool", [Argument(name: "kernel", int: 2), Argument(name: "stride", int: 2)], [1, 2, 4, 4]),
        ("MaxPool", [Argument(name: "kernel", int: 3), Argument(name: "stride", int: 2), Argument(name: "pad", int: 1), Argument(name: "legacy_pad", int: 3)], [1, 2, 6, 5]),
        ("MaxPool", [Argument(name: "kernel", int: 2), Argument(name: "order", string: "NHWC")], [1, 3, 3, 2]),
        ("MaxPool", [Argument(name: "global_pooling", int: 1)], [2, 2, 3, 3]),
        ("MaxPool1D", [Argument(name: "kernels", ints: [3]), Argument(name: "strides", ints: [2])], [1, 2, 7]),
        ("MaxPool3D", [Argument(name: "kernels", ints: [2, 2, 2])], [1, 1, 3, 3, 3]),
        ("AveragePool", [Argument(name: "kernel", int: 3), Argument(name: "pad", int: 1)], [1, 2, 4, 4]),
        ("AveragePool", [Argument(name: "kernel", int: 3), Argument(name: "pad", int: 1), Argument(name: "count_include_pad", int: 1), Argument(name: "stride", int: 2)], [1, 2, 5, 4]),
        ("AveragePool", [Argument(name: "kernel", int: 3), Argument(name: "stride", int: 2), Argument(name: "legacy_pad", int: 3)], [1, 1, 6, 6]),
        ("AveragePool", [Argument(name: "global_pooling", int: 1), Argument(name: "order", string: "NHWC")], [2, 3, 2, 3]),
        ("AveragePool2D", [Argument(name: "kernel_h", int: 2), Argument(name: "kernel_w", int: 3)], [1, 2, 3, 4]),
        ("AveragePool3D", [Argument(name: "kernels", ints: [2, 1, 2]), Argument(name: "strides", ints: [1, 1, 2])], [1, 1, 3, 2, 4]),
    ] as [(String, [Argument], [Int])])
    func pool(_ type: String, _ args: [Argument], _ dims: [Int]) throws {
        // Distinct values keep every window's maximum away from ties.
        let op = OperatorDef(type: type, input: ["X"], output: ["Y"], arg: args)
        try expectGradients(op, [distinctTensor(dims, seed: 21)], inputs: [0], step: 1e-3)
    }
}

@Suite struct PoolBehaviourTests {
    @Test func gradientMaker() throws {
        let op = OperatorDef(type: "MaxPool2D", input: ["x"], output: ["y"], arg: [Argument(name: "kernel", int: 2)])
        let meta = try OperatorRegistry.standard.gradient(for: op, gOutput: [.dense("y_grad")])
        #expect(meta.ops.count == 1)
        #expect(meta.ops[0].type == "MaxPool2DGradient")
        #expect(meta.ops[0].input == ["x", "y", "y_grad"])
        #expect(meta.ops[0].output == ["x_grad"])
        #expect(meta.ops[0].arg == [Argument(name: "kernel", int: 2)])
        let avg = OperatorDef(type: "AveragePool", input: ["x"], output: ["y"], arg: [Argument(name: "kernel", int: 2)])
        #expect(try OperatorRegistry.standard.gradient(for: avg, gOutput: [.dense("g")]).ops[0].type == "AveragePoolGradient")
    }

    /// Glow's maxpool / avgpool / legacy-padding nets on the input 0..8 [1,1,3,3]
    /// (kernel 2, stride 1, pad 1: windows clipped to the input).
    @Test(arguments: [
        ("maxpool_predict_net.pbtxt", [Float](arrayLiteral: 0, 1, 2, 2, 3, 4, 5, 5, 6, 7, 8, 8, 6, 7, 8, 8)),
        ("maxpool_legacy_padding_predict_net.pbtxt", [0, 1, 2, 2, 3, 4, 5, 5, 6, 7, 8, 8, 6, 7, 8, 8]),
        ("avgpool_predict_net.pbtxt", [0, 0.5, 1.5, 2, 1.5, 2, 3, 3.5, 4.5, 5, 6, 6.5, 6, 6.5, 7.5, 8]),
    ])
    func glowPoolNets(_ file: String, _ expected: [Float]) throws {
        guard TestSupport.haveModels else { return }
        let net = try NetDef(contentsOfFile: TestSupport.model("glow-caffe2-unit-nets/" + file))
        let ws = Workspace()
        ws.feedBlob("inputs", try Tensor(dims: [1, 1, 3, 3], values: (0..<9).map { Float($0) }))
        try ws.runNetOnce(net)
        let y = try ws.fetchBlob("output")
        #expect(y.shape == [1, 1, 4, 4])
        #expect(try y.values(as: Float.self) == expected)
    }

    @Test func errors() throws {
        func fails(_ type: String, _ args: [Argument], _ dims: [Int], _ phrase: String) {
            do {
                _ = try TestSupport.run(type, [randomTensor(dims)], args: args)
                Issue.record("expected '\(phrase)'")
            } catch let e as Caffe2Error {
                #expect(e.message.contains(phrase), "\(e)")
                #expect(e.opType == type)
            } catch { Issue.record("\(error)") }
        }
        fails("MaxPool", [Argument(name: "kernel", int: 2), Argument(name: "pad", int: 2)], [1, 1, 5, 5], "Pad should be smaller than kernel")
        fails("MaxPool", [Argument(name: "kernel", int: 2), Argument(name: "dilation", int: 2)], [1, 1, 5, 5], "does not support dilation")
        fails("AveragePool", [Argument(name: "kernel", int: 4)], [1, 1, 3, 5], "larger than the padded input")
        fails("AveragePool", [Argument(name: "kernel", int: 2), Argument(name: "order", string: "HWCN")], [1, 1, 5, 5], "Unknown storage order")
        fails("MaxPool", [Argument(name: "kernel", int: 2), Argument(name: "stride", int: -2)], [1, 1, 5, 5], "stride must be positive")
        fails("MaxPool", [Argument(name: "kernels", ints: [2, 2, 2, 2])], [1, 1, 3, 3, 3, 3], "Unsupported pooling dim")
        fails("MaxPool", [Argument(name: "kernel", int: 2)], [1, 1, 5], "spatial dims")
        fails("MaxPool", [], [1, 1, 5, 5], "kernel size")
        fails("MaxPool", [Argument(name: "global_pooling", int: 1), Argument(name: "pad", int: 1)], [1, 1, 5, 5], "global_pooling")
    }

    @Test func gradientRejectsMismatchedY() throws {
        let args = [Argument(name: "kernel", int: 2)]
        #expect(throws: Caffe2Error.self) {
            _ = try TestSupport.run(
                "MaxPoolGradient", [randomTensor([1, 1, 4, 4]), randomTensor([1, 1, 2, 2]), randomTensor([1, 1, 2, 2])],
                args: args)
        }
    }

    /// Caffe's ceil mode: a 3x3 stride-2 window over 10 gives 5 positions (the floor rule gives 4).
    @Test func shapeInference() throws {
        let schema = try #require(OperatorRegistry.standard.schema("MaxPool"))
        let op = OperatorDef(
            type: "MaxPool", input: ["x"], output: ["y"],
            arg: [Argument(name: "kernel", int: 3), Argument(name: "stride", int: 2), Argument(name: "legacy_pad", int: 3)])
        #expect(try schema.inferShapes(op, [TensorShape(dims: [1, 10, 10, 10])])[0].dims == [1, 10, 5, 5])
        let nhwc = OperatorDef(
            type: "MaxPool", input: ["x"], output: ["y"],
            arg: [Argument(name: "kernel", int: 2), Argument(name: "stride", int: 2), Argument(name: "order", string: "NHWC")])
        #expect(try schema.inferShapes(nhwc, [TensorShape(dims: [2, 8, 6, 3])])[0].dims == [2, 4, 3, 3])
        let global = OperatorDef(type: "AveragePool", input: ["x"], output: ["y"], arg: [Argument(name: "global_pooling", int: 1)])
        #expect(try schema.inferShapes(global, [TensorShape(dims: [1, 3, 15, 15])])[0].dims == [1, 3, 1, 1])
    }

    /// A large pooling run splits across threads; the result equals the per-image runs.
    @Test func parallelPathMatchesSerial() throws {
        let args = [Argument(name: "kernel", int: 3), Argument(name: "stride", int: 2), Argument(name: "legacy_pad", int: 3)]
        let x = randomTensor([2, 32, 55, 55], seed: 31)
        for type in ["MaxPool", "AveragePool"] {
            let all = try TestSupport.run(type, [x], args: args)[0].values(as: Float.self)
            let xs = try x.values(as: Float.self)
            var single: [Float] = []
            let per = 32 * 55 * 55
            for n in 0..<2 {
                let xn = try Tensor(dims: [1, 32, 55, 55], values: Array(xs[(n * per)..<((n + 1) * per)]))
                single += try TestSupport.run(type, [xn], args: args)[0].values(as: Float.self)
            }
            #expect(all == single)
            #expect(all.count == 2 * 32 * 27 * 27)
        }
    }
}

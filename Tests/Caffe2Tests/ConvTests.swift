import Foundation
import Testing

@testable import Caffe2

/// Checks the gradient of every listed input of `op` by finite differences.
func expectGradients(
    _ op: OperatorDef, _ inputs: [Tensor], inputs indices: [Int], outputs: [Int] = [0], step: Double = 1e-2,
    threshold: Double = 1e-2, sourceLocation: SourceLocation = #_sourceLocation
) throws {
    let checker = GradientChecker(stepSize: step, threshold: threshold)
    for i in indices {
        let r = try checker.checkOperator(op, inputs: inputs, inputIndex: i, outputsWithGradient: outputs)
        #expect(r.passed, "\(op.type) input \(i): \(r)", sourceLocation: sourceLocation)
    }
}

/// A float tensor of the values `0..<n` shuffled and scaled to `[-1, 1)`: distinct, at least 2/n apart.
func distinctTensor(_ dims: [Int], seed: UInt64) -> Tensor {
    var g = SeededGenerator(seed: seed)
    let n = dims.reduce(1, *)
    let values = (0..<n).shuffled(using: &g).map { Float($0) / Float(n) * 2 - 1 }
    return try! Tensor(dims: dims, values: values)
}

@Suite struct ConvGradientCheckTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var op: OperatorDef
        var inputs: [Tensor]
        var testDescription: String { name }
    }

    static func conv(
        _ name: String, type: String = "Conv", x: [Int], w: [Int], bias: Bool = true, args: [Argument]
    ) -> Case {
        let names = bias ? ["X", "W", "b"] : ["X", "W"]
        var inputs = [randomTensor(x, seed: 1), randomTensor(w, seed: 2)]
        if bias { inputs.append(randomTensor([w[0]], seed: 3)) }
        return Case(name: name, op: OperatorDef(type: type, input: names, output: ["Y"], arg: args), inputs: inputs)
    }

    static let cases: [Case] = [
        conv("3x3_pad_bias", x: [2, 2, 4, 4], w: [3, 2, 3, 3], args: [Argument(name: "kernel", int: 3), Argument(name: "pad", int: 1)]),
        conv("stride_dilation_no_bias", x: [1, 2, 6, 5], w: [2, 2, 2, 2], bias: false,
            args: [Argument(name: "kernel", int: 2), Argument(name: "stride", int: 2), Argument(name: "dilation", int: 2),
                Argument(name: "pads", ints: [0, 1, 1, 0])]),
        conv("group", x: [1, 4, 4, 4], w: [4, 2, 3, 3],
            args: [Argument(name: "kernel", int: 3), Argument(name: "group", int: 2), Argument(name: "pad", int: 1)]),
        conv("1x1", x: [2, 3, 3, 3], w: [2, 3, 1, 1], args: [Argument(name: "kernel", int: 1)]),
        conv("nhwc", x: [1, 4, 3, 2], w: [3, 2, 2, 2],
            args: [Argument(name: "kernel", int: 2), Argument(name: "pad", int: 1), Argument(name: "order", string: "NHWC")]),
        conv("nhwc_glow_filter_layout", x: [1, 3, 3, 1], w: [2, 1, 2, 2],
            args: [Argument(name: "kernel", int: 2), Argument(name: "order", string: "NHWC")]),
        conv("conv1d", type: "Conv1D", x: [2, 2, 7], w: [3, 2, 3],
            args: [Argument(name: "kernels", ints: [3]), Argument(name: "strides", ints: [2]), Argument(name: "pads", ints: [1, 1])]),
        conv("conv3d", type: "Conv3D", x: [1, 2, 3, 3, 3], w: [2, 2, 2, 2, 2],
            args: [Argument(name: "kernels", ints: [2, 2, 2]), Argument(name: "pads", ints: [1, 0, 0, 0, 1, 0])]),
        conv("conv2d", type: "Conv2D", x: [1, 1, 4, 4], w: [2, 1, 3, 3], args: [Argument(name: "kernel", int: 3)]),
    ]

    @Test(arguments: cases)
    func conv(_ c: Case) throws {
        try expectGradients(c.op, c.inputs, inputs: Array(c.inputs.indices))
    }

    @Test(arguments: [
        ("basic", [Argument(name: "kernel", int: 3), Argument(name: "stride", int: 2), Argument(name: "pad", int: 1)], true, [1, 2, 3, 3], [2, 3, 3, 3]),
        ("adj_group_nobias", [Argument(name: "kernel", int: 2), Argument(name: "stride", int: 2), Argument(name: "adj", int: 1), Argument(name: "group", int: 2)], false, [1, 4, 2, 2], [4, 1, 2, 2]),
        ("nhwc", [Argument(name: "kernel", int: 2), Argument(name: "order", string: "NHWC")], true, [1, 3, 3, 2], [2, 2, 2, 3]),
    ] as [(String, [Argument], Bool, [Int], [Int])])
    func convTranspose(_ name: String, _ args: [Argument], _ bias: Bool, _ x: [Int], _ w: [Int]) throws {
        let order = args.first { $0.name == "order" }?.stringValue ?? "NCHW"
        let groups = Int(args.first { $0.name == "group" }?.i ?? 1)
        let c = (order == "NCHW" ? w[1] : w[3]) * groups
        var inputs = [randomTensor(x, seed: 4), randomTensor(w, seed: 5)]
        if bias { inputs.append(randomTensor([c], seed: 6)) }
        let op = OperatorDef(
            type: "ConvTranspose", input: bias ? ["X", "W", "b"] : ["X", "W"], output: ["Y"], arg: args)
        try expectGradients(op, inputs, inputs: Array(inputs.indices))
    }
}

@Suite struct ConvGradientMakerTests {
    let registry = OperatorRegistry.standard

    @Test func withBias() throws {
        let conv = OperatorDef(
            type: "Conv", input: ["x", "w", "b"], output: ["y"], arg: [Argument(name: "kernel", int: 3)])
        let meta = try registry.gradient(for: conv, gOutput: [.dense("y_grad")])
        #expect(meta.ops.count == 1)
        let g = meta.ops[0]
        #expect(g.type == "ConvGradient")
        #expect(g.input == ["x", "w", "y_grad"])
        #expect(g.output == ["w_grad", "b_grad", "x_grad"])
        #expect(g.arg == [Argument(name: "kernel", int: 3)])
        #expect(g.isGradientOp)
        #expect(meta.gInput == [.dense("x_grad"), .dense("w_grad"), .dense("b_grad")])
    }

    @Test func withoutBiasAddsNoBiasFirst() throws {
        let conv = OperatorDef(
            type: "Conv2D", input: ["x", "w"], output: ["y"], arg: [Argument(name: "kernel", int: 3)])
        let g = try #require(try registry.gradient(for: conv, gOutput: [.dense("y_grad")]).ops.first)
        #expect(g.type == "Conv2DGradient")
        #expect(g.output == ["w_grad", "x_grad"])
        #expect(g.arg == [Argument(name: "no_bias", int: 1), Argument(name: "kernel", int: 3)])
    }

    @Test func noGradientToInput() throws {
        let args = [Argument(name: "kernel", int: 3), Argument(name: "no_gradient_to_input", int: 1)]
        let withBias = OperatorDef(type: "Conv", input: ["x", "w", "b"], output: ["y"], arg: args)
        let m1 = try registry.gradient(for: withBias, gOutput: [.dense("y_grad")])
        #expect(m1.ops[0].output == ["w_grad", "b_grad"])
        #expect(m1.gInput[0] == nil)
        let noBias = OperatorDef(type: "Conv", input: ["x", "w"], output: ["y"], arg: args)
        #expect(try registry.gradient(for: noBias, gOutput: [.dense("y_grad")]).ops[0].output == ["w_grad"])
    }

    @Test func convTranspose() throws {
        let op = OperatorDef(type: "ConvTranspose", input: ["x", "w"], output: ["y"], arg: [Argument(name: "kernel", int: 2)])
        let g = try #require(try registry.gradient(for: op, gOutput: [.dense("y_grad")]).ops.first)
        #expect(g.type == "ConvTransposeGradient")
        #expect(g.input == ["x", "w", "y_grad"])
        #expect(g.output == ["w_grad", "x_grad"])
        #expect(g.arg.first == Argument(name: "no_bias", int: 1))
    }

    /// The gradient op with `no_bias` rejects a third output (Caffe2's message).
    @Test func noBiasWithThreeOutputsIsAnError() throws {
        let op = OperatorDef(
            type: "ConvGradient", input: ["x", "w", "dy"], output: ["dw", "db", "dx"],
            arg: [Argument(name: "kernel", int: 1), Argument(name: "no_bias", int: 1)])
        let e = try #require(throws: Caffe2Error.self) {
            try TestSupport.run(op, [randomTensor([1, 1, 2, 2]), randomTensor([1, 1, 1, 1]), randomTensor([1, 1, 2, 2])])
        }
        #expect(e.message.contains("should not have 3 grad output"))
    }
}

@Suite struct ConvErrorTests {
    func run(_ type: String = "Conv", x: [Int], w: [Int], b: [Int]? = nil, args: [Argument]) throws -> [Tensor] {
        var inputs = [randomTensor(x), randomTensor(w)]
        if let b { inputs.append(randomTensor(b)) }
        return try TestSupport.run(type, inputs, args: args)
    }

    func expectError(_ phrase: String, kind: Caffe2Error.Kind = .shape, _ body: () throws -> Void) {
        do {
            try body()
            Issue.record("expected an error containing '\(phrase)'")
        } catch let e as Caffe2Error {
            #expect(e.message.contains(phrase), "\(e)")
            #expect(e.kind == kind, "\(e)")
            #expect(e.opType != nil, "\(e)")
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    let k3 = [Argument(name: "kernel", int: 3)]

    @Test func channelMismatch() {
        expectError("input channels does not match") { _ = try run(x: [1, 3, 5, 5], w: [2, 2, 3, 3], args: k3) }
    }

    @Test func outputChannelsNotDivisibleByGroup() {
        expectError("not divisible by group") {
            _ = try run(x: [1, 4, 5, 5], w: [3, 2, 3, 3], args: k3 + [Argument(name: "group", int: 2)])
        }
    }

    @Test func filterSpatialDimsMustMatchKernel() {
        expectError("kernel is [3, 3]") { _ = try run(x: [1, 2, 5, 5], w: [2, 2, 2, 2], args: k3) }
    }

    @Test func filterRankMustMatch() {
        expectError("same number of dims") { _ = try run(x: [1, 2, 5, 5], w: [2, 2, 9], args: k3) }
    }

    @Test func biasShape() {
        expectError("bias 'X2'") { _ = try run(x: [1, 2, 5, 5], w: [2, 2, 3, 3], b: [3], args: k3) }
        expectError("bias 'X2'") { _ = try run(x: [1, 2, 5, 5], w: [2, 2, 3, 3], b: [2, 1], args: k3) }
    }

    @Test func kernelLargerThanPaddedInput() {
        expectError("larger than the padded input") { _ = try run(x: [1, 1, 2, 2], w: [1, 1, 3, 3], args: k3) }
    }

    @Test func unknownOrderNegativeStrideAndMissingKernel() {
        expectError("Unknown storage order", kind: .argument) {
            _ = try run(x: [1, 1, 4, 4], w: [1, 1, 3, 3], args: k3 + [Argument(name: "order", string: "NCWH")])
        }
        expectError("stride must be positive", kind: .argument) {
            _ = try run(x: [1, 1, 4, 4], w: [1, 1, 3, 3], args: k3 + [Argument(name: "stride", int: -1)])
        }
        expectError("kernel size", kind: .argument) { _ = try run(x: [1, 1, 4, 4], w: [1, 1, 3, 3], args: []) }
    }

    @Test func wrongTypeAndRank() throws {
        expectError("Unsupported type", kind: .dataType) {
            _ = try TestSupport.run(
                "Conv", [Tensor([1, 2, 3, 4] as [Int32]).reshaped(to: [1, 1, 2, 2]), randomTensor([1, 1, 1, 1])],
                args: [Argument(name: "kernel", int: 1)])
        }
        expectError("spatial", kind: .shape) { _ = try run(x: [4, 4], w: [1, 1], args: k3) }
    }

    @Test func convTransposeErrors() {
        expectError("no longer supported", kind: .argument) {
            _ = try run("ConvTranspose", x: [1, 1, 3, 3], w: [1, 1, 2, 2], args: [
                Argument(name: "kernel", int: 2), Argument(name: "legacy_pad", int: 3),
            ])
        }
        expectError("adj must be in [0, stride]", kind: .argument) {
            _ = try run("ConvTranspose", x: [1, 1, 3, 3], w: [1, 1, 2, 2], args: [
                Argument(name: "kernel", int: 2), Argument(name: "adj", int: 2),
            ])
        }
        expectError("filter height/width must be equal to kernel") {
            _ = try run("ConvTranspose", x: [1, 1, 3, 3], w: [1, 1, 3, 3], args: [Argument(name: "kernel", int: 2)])
        }
        expectError("bias dimension must be equal to output channel number") {
            _ = try run("ConvTranspose", x: [1, 2, 3, 3], w: [2, 3, 2, 2], b: [2], args: [Argument(name: "kernel", int: 2)])
        }
    }
}

@Suite struct ConvBehaviourTests {
    /// Glow's importConv: input 0..8 [1,1,3,3], kernel 2, pad 1, dilations 2, weights 1, bias 2.
    @Test func glowImportConv() throws {
        let x = try Tensor(dims: [1, 1, 3, 3], values: (0..<9).map { Float($0) })
        let y = try TestSupport.run(
            "Conv", [x, try Tensor(dims: [1, 1, 2, 2], values: [Float](repeating: 1, count: 4)), Tensor([2] as [Float])],
            args: [
                Argument(name: "kernel", int: 2), Argument(name: "stride", int: 1), Argument(name: "group", int: 1),
                Argument(name: "pad", int: 1), Argument(name: "dilations", ints: [2, 2]),
            ])[0]
        #expect(y.shape == [1, 1, 3, 3])
        #expect(try y.values(as: Float.self) == [6, 10, 6, 10, 18, 10, 6, 10, 6])
    }

    /// Several images spread over threads agree with one image at a time (forward and gradient).
    @Test func batchParallelPathMatchesPerImage() throws {
        let args = [Argument(name: "kernel", int: 3), Argument(name: "pad", int: 1)]
        let x = randomTensor([4, 8, 24, 24], seed: 11)
        let w = randomTensor([16, 8, 3, 3], seed: 12), b = randomTensor([16], seed: 13)
        let all = try TestSupport.run("Conv", [x, w, b], args: args)[0].values(as: Float.self)
        let xs = try x.values(as: Float.self)
        let per = 8 * 24 * 24
        var single: [Float] = []
        for n in 0..<4 {
            let xn = try Tensor(dims: [1, 8, 24, 24], values: Array(xs[(n * per)..<((n + 1) * per)]))
            single += try TestSupport.run("Conv", [xn, w, b], args: args)[0].values(as: Float.self)
        }
        #expect(allClose(all.map(Double.init), single.map(Double.init), atol: 1e-5, rtol: 1e-5))

        // The gradient's parallel path (private partial dW per thread) against the per-image sum.
        let dy = randomTensor([4, 16, 24, 24], seed: 14)
        let grads = try TestSupport.run("ConvGradient", [x, w, dy], outputs: 3, args: args)
        var dwSum = [Double](repeating: 0, count: w.count)
        let dys = try dy.values(as: Float.self)
        let outPer = 16 * 24 * 24
        for n in 0..<4 {
            let xn = try Tensor(dims: [1, 8, 24, 24], values: Array(xs[(n * per)..<((n + 1) * per)]))
            let dyn = try Tensor(dims: [1, 16, 24, 24], values: Array(dys[(n * outPer)..<((n + 1) * outPer)]))
            let g = try TestSupport.run("ConvGradient", [xn, w, dyn], outputs: 3, args: args)
            for (i, v) in g[0].doubleValues().enumerated() { dwSum[i] += v }
        }
        #expect(allClose(grads[0].doubleValues(), dwSum, atol: 1e-3, rtol: 1e-4))
    }

    /// Large images are unfolded and multiplied in blocks of output rows, spread
    /// over threads; the result equals a direct float64 sum over the kernel.
    @Test(arguments: [
        ([1, 16, 40, 37], [8, 16, 3, 3], 1, 1, 1), ([1, 3, 61, 61], [16, 3, 7, 7], 2, 0, 1),
        ([1, 64, 50, 50], [32, 64, 1, 1], 1, 0, 1), ([2, 8, 45, 45], [12, 4, 3, 3], 1, 1, 2),
    ] as [([Int], [Int], Int, Int, Int)])
    func blockedConvolutionMatchesDirectSum(_ xd: [Int], _ wd: [Int], _ stride: Int, _ pad: Int, _ group: Int) throws {
        let x = randomTensor(xd, seed: 61), w = randomTensor(wd, seed: 62), b = randomTensor([wd[0]], seed: 63)
        let y = try TestSupport.run(
            "Conv", [x, w, b],
            args: [
                Argument(name: "kernel", int: wd[2]), Argument(name: "stride", int: stride), Argument(name: "pad", int: pad),
                Argument(name: "group", int: group),
            ])[0]
        let (n, c, h, wi) = (xd[0], xd[1], xd[2], xd[3])
        let (m, cg, k) = (wd[0], wd[1], wd[2])
        let oh = (h + 2 * pad - k) / stride + 1, ow = (wi + 2 * pad - k) / stride + 1
        #expect(y.shape == [n, m, oh, ow])
        let xs = x.doubleValues(), ws = w.doubleValues(), bs = b.doubleValues(), ys = y.doubleValues()
        var worst = 0.0
        for i in 0..<n {
            for o in 0..<m {
                let g = o / (m / group)
                for r in 0..<oh {
                    for q in 0..<ow {
                        var sum = bs[o]
                        for j in 0..<cg {
                            for u in 0..<k {
                                for v in 0..<k {
                                    let ih = r * stride - pad + u, iw = q * stride - pad + v
                                    if ih < 0 || ih >= h || iw < 0 || iw >= wi { continue }
                                    sum += ws[((o * cg + j) * k + u) * k + v] * xs[((i * c + g * cg + j) * h + ih) * wi + iw]
                                }
                            }
                        }
                        worst = max(worst, abs(sum - ys[((i * m + o) * oh + r) * ow + q]))
                    }
                }
            }
        }
        #expect(worst < 1e-4, "largest difference \(worst)")
    }

    /// Shape inference follows the run-time rule, dilation included (Caffe2's
    /// own inference ignores dilation; ours does not).
    @Test func shapeInferenceUsesDilation() throws {
        let op = OperatorDef(
            type: "Conv", input: ["x", "w"], output: ["y"],
            arg: [Argument(name: "kernel", int: 3), Argument(name: "dilation", int: 2), Argument(name: "stride", int: 2)])
        let schema = try #require(OperatorRegistry.standard.schema("Conv"))
        let out = try schema.inferShapes(op, [TensorShape(dims: [2, 3, 11, 12]), TensorShape(dims: [5, 3, 3, 3])])
        #expect(out[0].dims == [2, 5, 4, 4])
        let nhwc = OperatorDef(
            type: "Conv", input: ["x", "w"], output: ["y"],
            arg: [Argument(name: "kernel", int: 2), Argument(name: "order", string: "NHWC")])
        #expect(try schema.inferShapes(nhwc, [TensorShape(dims: [1, 5, 6, 3]), TensorShape(dims: [4, 2, 2, 3])])[0].dims == [1, 4, 5, 4])
    }

    @Test func emptyBatchGivesEmptyOutput() throws {
        let y = try TestSupport.run(
            "Conv", [try Tensor(dims: [0, 2, 4, 4], dataType: .float), randomTensor([3, 2, 3, 3])],
            args: [Argument(name: "kernel", int: 3)])[0]
        #expect(y.shape == [0, 3, 2, 2])
    }

    /// Repeated runs reuse the output storage (no per-run allocation of Y).
    @Test func repeatedRunsReuseOutput() throws {
        let ws = Workspace()
        ws.feedBlob("x", randomTensor([2, 3, 8, 8]))
        ws.feedBlob("w", randomTensor([4, 3, 3, 3]))
        let op = OperatorDef(type: "Conv", input: ["x", "w"], output: ["y"], arg: [Argument(name: "kernel", int: 3)])
        let net = try ws.createNet(NetDef(name: "n", op: [op]))
        try net.run()
        let a = try ws.fetchBlob("y")
        let address = a.storageAddress
        let first = try a.values(as: Float.self)
        _ = consume a
        try net.run()
        let b = try ws.fetchBlob("y")
        #expect(b.storageAddress == address)
        #expect(try b.values(as: Float.self) == first)
    }

    /// Glow's conv_nhwc net: input 0..8 as [1,3,3,1], kernel 2, pad 1, weights 1, bias 2.
    @Test func glowConvNHWCNet() throws {
        guard TestSupport.haveModels else { return }
        let net = try NetDef(contentsOfFile: TestSupport.model("glow-caffe2-unit-nets/conv_nhwc_predict_net.pbtxt"))
        let ws = Workspace()
        try feedGivenTensorFills(
            try NetDef(contentsOfFile: TestSupport.model("glow-caffe2-unit-nets/conv_nhwc_init_net.pbtxt")), into: ws)
        ws.feedBlob("inputs", try Tensor(dims: [1, 3, 3, 1], values: (0..<9).map { Float($0) }))
        try ws.runNetOnce(net)
        let y = try ws.fetchBlob("conv_out")
        #expect(y.shape == [1, 4, 4, 1])
        #expect(try y.values(as: Float.self) == [2, 3, 5, 4, 5, 10, 14, 9, 11, 22, 26, 15, 8, 15, 17, 10])
    }

    @Test func glowConvNet() throws {
        guard TestSupport.haveModels else { return }
        let net = try NetDef(contentsOfFile: TestSupport.model("glow-caffe2-unit-nets/predict_net.pbtxt"))
        let ws = Workspace()
        try feedGivenTensorFills(
            try NetDef(contentsOfFile: TestSupport.model("glow-caffe2-unit-nets/init_net.pbtxt")), into: ws)
        ws.feedBlob("gpu_0/data_0", try Tensor(dims: [1, 1, 3, 3], values: (0..<9).map { Float($0) }))
        try ws.runNetOnce(net)
        #expect(try ws.fetchBlob("conv_out").values(as: Float.self) == [6, 10, 6, 10, 18, 10, 6, 10, 6])
    }
}

/// Feeds the tensors an init net's GivenTensorFill ops describe (shape + float values),
/// without running the fill operators themselves.
func feedGivenTensorFills(_ initNet: NetDef, into ws: Workspace) throws {
    for op in initNet.op where op.type == "GivenTensorFill" {
        let args = try Arguments(op)
        let shape: [Int] = try args.repeated("shape")
        let values: [Float] = try args.repeated("values")
        ws.feedBlob(op.output[0], try Tensor(dims: shape, values: values))
    }
}

import Foundation
import Testing

@testable import Caffe2

@Suite struct DenseGradientCheckTests {
    @Test(arguments: [("FC", [3, 4], [2, 4], [Argument]()), ("FC", [2, 3, 2], [5, 6], []),
        ("FC", [2, 2, 3], [2, 3], [Argument(name: "axis", int: 2)]), ("FCTransposed", [3, 4], [4, 2], []),
        ("FCTransposed", [2, 6], [3, 2, 2], [Argument(name: "axis_w", int: 2)])] as [(String, [Int], [Int], [Argument])])
    func fc(_ type: String, _ x: [Int], _ w: [Int], _ args: [Argument]) throws {
        let n = type == "FC" ? w[0] : w.reduce(1, *) / x.suffix(x.count - (args.first { $0.name == "axis" }.map { Int($0.i!) } ?? 1)).reduce(1, *)
        let op = OperatorDef(type: type, input: ["X", "W", "b"], output: ["Y"], arg: args)
        try expectGradients(op, [randomTensor(x, seed: 1), randomTensor(w, seed: 2), randomTensor([n], seed: 3)], inputs: [0, 1, 2])
    }

    @Test(arguments: [(0, 0), (0, 1), (1, 0), (1, 1)])
    func matMul(_ ta: Int, _ tb: Int) throws {
        let a = ta == 0 ? [3, 4] : [4, 3], b = tb == 0 ? [4, 2] : [2, 4]
        let op = OperatorDef(
            type: "MatMul", input: ["A", "B"], output: ["Y"],
            arg: [Argument(name: "trans_a", int: ta), Argument(name: "trans_b", int: tb)])
        try expectGradients(op, [randomTensor(a, seed: 4), randomTensor(b, seed: 5)], inputs: [0, 1])
    }

    @Test func matMulWithAxes() throws {
        let op = OperatorDef(
            type: "MatMul", input: ["A", "B"], output: ["Y"],
            arg: [Argument(name: "axis_a", int: 2), Argument(name: "axis_b", int: 1)])
        try expectGradients(op, [randomTensor([2, 3, 4], seed: 6), randomTensor([4, 2, 1], seed: 7)], inputs: [0, 1])
    }

    @Test(arguments: [(0, 0), (0, 1), (1, 0), (1, 1)])
    func batchMatMul(_ ta: Int, _ tb: Int) throws {
        let a = ta == 0 ? [2, 3, 4] : [2, 4, 3], b = tb == 0 ? [2, 4, 2] : [2, 2, 4]
        let op = OperatorDef(
            type: "BatchMatMul", input: ["A", "B"], output: ["Y"],
            arg: [Argument(name: "trans_a", int: ta), Argument(name: "trans_b", int: tb)])
        try expectGradients(op, [randomTensor(a, seed: 8), randomTensor(b, seed: 9)], inputs: [0, 1])
    }
}

@Suite struct DenseBehaviourTests {
    let registry = OperatorRegistry.standard

    /// Batches of 24 rows and more take the packed-kernel path (`Yᵀ = W·Xᵀ`);
    /// both paths against a product in doubles, with 3-D X coerced at axis 1.
    @Test(arguments: [[40, 300, 37], [23, 50, 9], [64, 800, 500], [24, 1, 3], [100, 20, 1]])
    func fcMatchesAPlainProduct(_ shape: [Int]) throws {
        let (m, k, n) = (shape[0], shape[1], shape[2])
        let x = randomTensor([m, k], seed: 21), w = randomTensor([n, k], seed: 22), b = randomTensor([n], seed: 23)
        let ws = Workspace()
        ws.feedBlob("X", x)
        ws.feedBlob("W", w)
        ws.feedBlob("b", b)
        try ws.runOperatorOnce(OperatorDef(type: "FC", input: ["X", "W", "b"], output: ["Y"]))
        let y = try ws.fetchBlob("Y")
        #expect(y.dims == [Int64(m), Int64(n)])
        let xv = try x.values(as: Float.self), wv = try w.values(as: Float.self), bv = try b.values(as: Float.self)
        let yv = try y.values(as: Float.self)
        var worst = 0.0
        for i in 0..<m {
            for j in 0..<n {
                var s = Double(bv[j])
                for l in 0..<k { s += Double(xv[i * k + l]) * Double(wv[j * k + l]) }
                worst = max(worst, abs(Double(yv[i * n + j]) - s))
            }
        }
        #expect(worst <= 1e-5 * Double(k), "\(shape): off by \(worst)")
    }

    @Test func fcGradientMaker() throws {
        let op = OperatorDef(type: "FC", input: ["x", "w", "b"], output: ["y"], arg: [Argument(name: "axis", int: 1)])
        let meta = try registry.gradient(for: op, gOutput: [.dense("y_grad")])
        #expect(meta.ops.map(\.type) == ["FCGradient"])
        #expect(meta.ops[0].input == ["x", "w", "y_grad"])
        #expect(meta.ops[0].output == ["w_grad", "b_grad", "x_grad"])
        #expect(meta.ops[0].arg == [Argument(name: "axis", int: 1)])
        let t = OperatorDef(type: "FCTransposed", input: ["x", "w", "b"], output: ["y"])
        #expect(try registry.gradient(for: t, gOutput: [.dense("g")]).ops[0].type == "FCTransposedGradient")
    }

    /// MatMul's maker: two MatMul ops with the forward inputs as shape references, no copied args.
    @Test func matMulGradientMaker() throws {
        let op = OperatorDef(
            type: "MatMul", input: ["a", "b"], output: ["y"],
            arg: [Argument(name: "trans_b", int: 1), Argument(name: "axis_a", int: 2)])
        let ops = try registry.gradient(for: op, gOutput: [.dense("y_grad")]).ops
        #expect(ops.count == 2)
        #expect(ops[0].type == "MatMul" && ops[1].type == "MatMul")
        #expect(ops[0].input == ["y_grad", "b", "a"] && ops[0].output == ["a_grad"])
        #expect(ops[0].arg == [Argument(name: "axis_b", int: 1)])
        #expect(ops[1].input == ["y_grad", "a", "b"] && ops[1].output == ["b_grad"])
        #expect(ops[1].arg == [Argument(name: "trans_a", int: 1), Argument(name: "axis_b", int: 2)])
    }

    @Test func batchMatMulGradientMaker() throws {
        let op = OperatorDef(type: "BatchMatMul", input: ["a", "b"], output: ["y"], arg: [Argument(name: "trans_a", int: 1)])
        let ops = try registry.gradient(for: op, gOutput: [.dense("g")]).ops
        #expect(ops.map(\.input) == [["b", "g"], ["a", "g"]])
        #expect(ops[0].arg == [Argument(name: "trans_b", int: 1)])
        #expect(ops[1].arg == [])
        let broadcast = OperatorDef(type: "BatchMatMul", input: ["a", "b"], output: ["y"], arg: [Argument(name: "broadcast", int: 1)])
        let e = try #require(throws: Caffe2Error.self) { try registry.gradient(for: broadcast, gOutput: [.dense("g")]) }
        #expect(e.message.contains("not supported with broadcast=1"))
    }

    /// Glow's fc / fcTransposed nets: X = [[1,2,3],[4,5,6]], W = 1..12 (as [4,3], or transposed [3,4]).
    @Test(arguments: ["fc", "fcTransposed"])
    func glowFCNets(_ name: String) throws {
        guard TestSupport.haveModels else { return }
        let ws = Workspace()
        try feedGivenTensorFills(
            try NetDef(contentsOfFile: TestSupport.model("glow-caffe2-unit-nets/\(name)_init_net.pbtxt")), into: ws)
        ws.feedBlob("inputs", try Tensor(dims: [2, 3], values: [1, 2, 3, 4, 5, 6] as [Float]))
        try ws.runNetOnce(try NetDef(contentsOfFile: TestSupport.model("glow-caffe2-unit-nets/\(name)_predict_net.pbtxt")))
        let y = try ws.fetchBlob("fc_result")
        #expect(y.shape == [2, 4])
        #expect(allClose(y, [14.1, 32.2, 50.3, 68.4, 32.1, 77.2, 122.3, 167.4], atol: 1e-4))
    }

    /// Glow's fc_4d net: FC with axis 3 over [1,1,1,2048] and W [9190, 2048] gives [1,1,1,9190].
    @Test func glowFC4DNet() throws {
        guard TestSupport.haveModels else { return }
        let net = try NetDef(contentsOfFile: TestSupport.model("glow-caffe2-unit-nets/fc_4d_predict_net.pbtxt"))
        let r = inferShapes(of: net, inputs: [
            "inputs": TensorShape(dims: [1, 1, 1, 2048]), "weights": TensorShape(dims: [9190, 2048]),
            "bias": TensorShape(dims: [9190]),
        ])
        #expect(r.shapes["fc_result"]?.dims == [1, 1, 1, 9190])
        let ws = Workspace()
        ws.feedBlob("inputs", try Tensor(dims: [1, 1, 1, 2048], values: [Float](repeating: 0.5, count: 2048)))
        var w = [Float](repeating: 0, count: 9190 * 2048)
        for i in 0..<9190 { w[i * 2048 + i % 2048] = 2 }
        ws.feedBlob("weights", try Tensor(dims: [9190, 2048], values: w))
        ws.feedBlob("bias", try Tensor(dims: [9190], values: (0..<9190).map { Float($0) }))
        try ws.runNetOnce(net)
        let y = try ws.fetchBlob("fc_result")
        #expect(y.shape == [1, 1, 1, 9190])
        #expect(allClose(y, (0..<9190).map { Double($0) + 1 }))
    }

    /// Glow's batched_matmul net: [3,2,2]·[3,2,2] per batch.
    @Test func glowBatchedMatMulNet() throws {
        guard TestSupport.haveModels else { return }
        let ws = Workspace()
        ws.feedBlob("lhs", try Tensor(dims: [2, 2, 3], values: (1...12).map { Float($0) }))
        ws.feedBlob("rhs", try Tensor(dims: [2, 3, 1], values: [1, 0, 1, 2, 1, 0] as [Float]))
        try ws.runNetOnce(try NetDef(contentsOfFile: TestSupport.model("glow-caffe2-unit-nets/batched_matmul.pbtxt")))
        let y = try ws.fetchBlob("result")
        #expect(y.shape == [2, 2, 1])
        // [1 2 3;4 5 6]·[1 0 1]ᵀ = [4, 10]; [7 8 9;10 11 12]·[2 1 0]ᵀ = [22, 31].
        #expect(try y.values(as: Float.self) == [4, 10, 22, 31])
    }

    @Test func errors() throws {
        func fails(_ type: String, _ inputs: [Tensor], _ args: [Argument] = [], phrase: String) {
            do {
                _ = try TestSupport.run(type, inputs, args: args)
                Issue.record("expected '\(phrase)'")
            } catch let e as Caffe2Error {
                #expect(e.message.contains(phrase), "\(e)")
                #expect(e.opType == type)
            } catch { Issue.record("\(error)") }
        }
        fails("FC", [randomTensor([2, 3]), randomTensor([4, 2]), randomTensor([4])], phrase: "Dimension mismatch")
        fails("FC", [randomTensor([2, 3]), randomTensor([4, 3]), randomTensor([5])], phrase: "Dimension mismatch")
        fails("FC", [randomTensor([2, 3]), randomTensor([4, 3]), randomTensor([2, 2])], phrase: "must be 1-D")
        fails("FC", [randomTensor([2, 3]), randomTensor([4, 3]), randomTensor([4])], [Argument(name: "axis", int: 2)], phrase: "out of range")
        fails("FC", [Tensor([1, 2] as [Double]), randomTensor([1, 2]), randomTensor([1])], phrase: "Unsupported type")
        fails("MatMul", [randomTensor([2, 3]), randomTensor([4, 2])], phrase: "Dimension mismatch: A: 2 3, B: 4 2")
        fails("MatMul", [randomTensor([2, 3]), randomTensor([3, 3])], [Argument(name: "trans_a", int: 1), Argument(name: "trans_b", int: 1)], phrase: "trans(A): 3 2, trans(B): 3 3")
        fails("BatchMatMul", [randomTensor([2, 2, 3]), randomTensor([2, 4, 2])], phrase: "Expected dimension")
        fails("BatchMatMul", [randomTensor([2, 2, 3]), randomTensor([3, 3, 2])], phrase: "cannot be broadcast")
        fails("BatchMatMul", [randomTensor([2, 2, 3]), randomTensor([1, 3, 2])], phrase: "Did you forget to set the broadcast flag?")
        fails("BatchMatMul", [randomTensor([3]), randomTensor([4])], phrase: "Vector-vector product")
    }

    @Test func matMulShapeLikeInput() throws {
        let y = try TestSupport.run(
            "MatMul", [randomTensor([2, 3]), randomTensor([3, 4]), randomTensor([4, 2])])[0]
        #expect(y.shape == [4, 2])
        #expect(throws: Caffe2Error.self) {
            _ = try TestSupport.run("MatMul", [randomTensor([2, 3]), randomTensor([3, 4]), randomTensor([3])])
        }
    }

    @Test func shapeInference() throws {
        let fc = try #require(registry.schema("FC"))
        let op = OperatorDef(type: "FC", input: ["x", "w", "b"], output: ["y"], arg: [Argument(name: "axis", int: 2)])
        #expect(try fc.inferShapes(op, [TensorShape(dims: [2, 3, 4, 5]), TensorShape(dims: [7, 20]), TensorShape(dims: [7])])[0].dims == [2, 3, 7])
        let bmm = try #require(registry.schema("BatchMatMul"))
        let b = OperatorDef(type: "BatchMatMul", input: ["a", "b"], output: ["y"], arg: [Argument(name: "broadcast", int: 1), Argument(name: "trans_b", int: 1)])
        #expect(try bmm.inferShapes(b, [TensorShape(dims: [5, 1, 2, 3]), TensorShape(dims: [4, 6, 3])])[0].dims == [5, 4, 2, 6])
        let mm = try #require(registry.schema("MatMul"))
        let m = OperatorDef(type: "MatMul", input: ["a", "b"], output: ["y"], arg: [Argument(name: "trans_a", int: 1)])
        #expect(try mm.inferShapes(m, [TensorShape(dims: [4, 3]), TensorShape(dims: [4, 6])])[0].dims == [3, 6])
    }

    /// GEMM split by column blocks (wide C) and by row blocks (tall, narrow C), every transpose combination.
    @Test(arguments: [(1500, 8, 120), (40, 900, 60)], [false, true])
    func gemmSplitsMatchReference(_ shape: (Int, Int, Int), _ transA: Bool) throws {
        let (m, n, k) = shape
        for transB in [false, true] {
            let a = randomTensor([m * k], seed: 71).doubleValues().map { Float($0) }
            let b = randomTensor([k * n], seed: 72).doubleValues().map { Float($0) }
            var c = [Float](repeating: 1, count: m * n)
            a.withUnsafeBufferPointer { ap in
                b.withUnsafeBufferPointer { bp in
                    c.withUnsafeMutableBufferPointer { cp in
                        GEMM.multiply(
                            transA: transA, transB: transB, m: m, n: n, k: k, alpha: 2, a: ap.baseAddress!,
                            lda: transA ? m : k, b: bp.baseAddress!, ldb: transB ? k : n, beta: 0.5,
                            c: cp.baseAddress!, ldc: n)
                    }
                }
            }
            var worst = 0.0
            for i in 0..<m {
                for j in 0..<n {
                    var sum = 0.0
                    for l in 0..<k {
                        let av = Double(transA ? a[l * m + i] : a[i * k + l])
                        let bv = Double(transB ? b[j * k + l] : b[l * n + j])
                        sum += av * bv
                    }
                    worst = max(worst, abs(2 * sum + 0.5 - Double(c[i * n + j])))
                }
            }
            #expect(worst < 1e-3, "m \(m) n \(n) k \(k) transA \(transA) transB \(transB): \(worst)")
        }
    }

    /// On a CPU with AVX2 (and unless the user chose a core), OpenBLAS runs
    /// its AVX2/AVX-512 kernels, not the SSE3 fallback it picks for unknown models.
    @Test func blasUsesVectorKernels() throws {
        guard ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] == nil,
            let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
            let flags = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") }),
            flags.split(separator: " ").contains("avx2")
        else { return }
        #expect(!GEMM.fallbackCores.contains(GEMM.blasCoreName.lowercased()), "\(GEMM.blasCoreName)")
    }

    /// Large products split across threads; the result matches a float64 reference.
    @Test func largeProductMatchesReference() throws {
        let x = randomTensor([64, 300], seed: 41), w = randomTensor([200, 300], seed: 42), b = randomTensor([200], seed: 43)
        let y = try TestSupport.run("FC", [x, w, b])[0].values(as: Float.self)
        let xs = x.doubleValues(), ws = w.doubleValues(), bs = b.doubleValues()
        var worst = 0.0
        for i in 0..<64 {
            for j in 0..<200 {
                var s = bs[j]
                for k in 0..<300 { s += xs[i * 300 + k] * ws[j * 300 + k] }
                worst = max(worst, abs(s - Double(y[i * 200 + j])))
            }
        }
        #expect(worst < 1e-4)
    }
}

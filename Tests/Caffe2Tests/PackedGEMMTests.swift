import CKernels
import Foundation
import Testing

@testable import Caffe2

/// The register-blocked kernels of `gemm.c` against a plain double-precision
/// product, over shapes that hit every edge: partial row tiles (m not a
/// multiple of 8), partial panels (n not a multiple of 32), several K blocks
/// (k > 256), several column blocks (n > 512), every B source and start.
@Suite struct PackedGEMMTests {
    enum Source { case rowMajor, transposed }

    /// Runs the kernels over `C` (`m × n`, starting as `c0`) with A (`m × k`) and
    /// the B source `b`, the columns split in `parts`; `configure` sets the rest
    /// of the descriptor (B's kind and layout, start, bias, Relu).
    static func run(
        m: Int, n: Int, k: Int, a: [Float], b: [Float], bias: [Float] = [0], c0: [Float], parts: Int,
        _ configure: (inout c2_gemm_desc) -> Void
    ) -> [Float] {
        var c = c0
        var scratch = [Float](repeating: 0, count: PackedGEMM.scratchFloats)
        a.withUnsafeBufferPointer { ap in
            b.withUnsafeBufferPointer { bp in
                bias.withUnsafeBufferPointer { biasp in
                    c.withUnsafeMutableBufferPointer { cp in
                        scratch.withUnsafeMutableBufferPointer { sp in
                            var d = PackedGEMM.descriptor(
                                m: m, n: n, k: k, a: ap.baseAddress!, lda: k, c: cp.baseAddress!, ldc: n)
                            d.b = bp.baseAddress
                            d.bias = biasp.baseAddress
                            configure(&d)
                            for part in 0..<parts {
                                PackedGEMM.columns(
                                    &d, PackedGEMM.columnRange(part, of: parts, n: n), scratch: sp.baseAddress!)
                            }
                        }
                    }
                }
            }
        }
        return c
    }

    /// `C = start + A·B` (then Relu) with B a matrix, row-major or transposed.
    static func packed(
        m: Int, n: Int, k: Int, a: [Float], b: [Float], source: Source, start: Int32, bias: [Float], c0: [Float],
        relu: Bool, parts: Int
    ) -> [Float] {
        run(m: m, n: n, k: k, a: a, b: b, bias: bias, c0: c0, parts: parts) { d in
            d.b_kind = Int32(source == .rowMajor ? C2_B_ROW_MAJOR : C2_B_TRANSPOSED)
            d.ldb = source == .rowMajor ? n : k
            d.start = start
            d.relu = relu ? 1 : 0
        }
    }

    @Test(arguments: [
        (1, 1, 1), (8, 32, 16), (7, 33, 5), (9, 31, 300), (50, 64, 500), (3, 600, 20), (17, 97, 0), (16, 530, 257),
    ])
    func matchesAPlainProduct(_ shape: (Int, Int, Int)) {
        let (m, n, k) = shape
        var g = SeededGenerator(seed: UInt64(m * 10_007 + n * 101 + k))
        let a = (0..<m * k).map { _ in Float.random(in: -1..<1, using: &g) }
        let b = (0..<k * n).map { _ in Float.random(in: -1..<1, using: &g) }
        let rowBias = (0..<m).map { _ in Float.random(in: -1..<1, using: &g) }
        let columnBias = (0..<n).map { _ in Float.random(in: -1..<1, using: &g) }
        let c0 = (0..<m * n).map { _ in Float.random(in: -1..<1, using: &g) }
        // B transposed: bt[j][l] = b[l][j].
        var bt = [Float](repeating: 0, count: k * n)
        for l in 0..<k { for j in 0..<n { bt[j * k + l] = b[l * n + j] } }
        let starts: [(Int32, (Int, Int) -> Double)] = [
            (Int32(C2_INIT_ZERO), { _, _ in 0 }),
            (Int32(C2_INIT_ROW_BIAS), { i, _ in Double(rowBias[i]) }),
            (Int32(C2_INIT_COLUMN_BIAS), { _, j in Double(columnBias[j]) }),
            (Int32(C2_INIT_ACCUMULATE), { i, j in Double(c0[i * n + j]) }),
        ]
        for (start, initial) in starts {
            for relu in [false, true] {
                for source in [Source.rowMajor, .transposed] {
                    let bias = start == Int32(C2_INIT_COLUMN_BIAS) ? columnBias : rowBias
                    let got = Self.packed(
                        m: m, n: n, k: k, a: a, b: source == .rowMajor ? b : bt, source: source, start: start,
                        bias: bias, c0: c0, relu: relu, parts: 1)
                    var worst = 0.0
                    for i in 0..<m {
                        for j in 0..<n {
                            var s = initial(i, j)
                            for l in 0..<k { s += Double(a[i * k + l]) * Double(b[l * n + j]) }
                            if relu { s = max(s, 0) }
                            worst = max(worst, abs(Double(got[i * n + j]) - s))
                        }
                    }
                    #expect(worst <= 1e-4 * Double(max(k, 1)), "m=\(m) n=\(n) k=\(k) start=\(start) relu=\(relu) \(source)")
                }
            }
        }
    }

    /// The image source (implicit im2col) against a direct convolution in
    /// doubles: strides 1, 2 and 3, padding on every side, dilation, rows
    /// wider than a panel and images smaller than one.
    @Test(arguments: [
        // channels, height, width, kernel h, kernel w, stride h, stride w, pad h, pad w, dilation
        [3, 40, 45, 7, 7, 2, 2, 0, 0, 1], [4, 9, 70, 3, 3, 1, 1, 1, 1, 1], [2, 12, 12, 5, 5, 1, 1, 0, 0, 1],
        [3, 11, 37, 3, 5, 2, 2, 2, 1, 1], [2, 20, 50, 3, 3, 3, 3, 1, 1, 1], [2, 15, 33, 3, 3, 1, 1, 2, 2, 2],
        [1, 6, 5, 3, 3, 1, 2, 1, 1, 1],
    ])
    func imageSourceMatchesADirectConvolution(_ g: [Int]) {
        let (ch, h, w, kh, kw, sh, sw, ph, pw, dil) = (g[0], g[1], g[2], g[3], g[4], g[5], g[6], g[7], g[8], g[9])
        let oh = (h + 2 * ph - dil * (kh - 1) - 1) / sh + 1, ow = (w + 2 * pw - dil * (kw - 1) - 1) / sw + 1
        let m = 9, n = oh * ow, k = ch * kh * kw
        var rng = SeededGenerator(seed: UInt64(h * 131 + w))
        let x = (0..<ch * h * w).map { _ in Float.random(in: -1..<1, using: &rng) }
        let a = (0..<m * k).map { _ in Float.random(in: -1..<1, using: &rng) }
        let c = Self.run(m: m, n: n, k: k, a: a, b: x, c0: [Float](repeating: .nan, count: m * n), parts: 3) { d in
            d.b_kind = Int32(C2_B_IMAGE)
            (d.channels, d.in_h, d.in_w, d.out_w) = (Int32(ch), Int32(h), Int32(w), Int32(ow))
            (d.kernel_h, d.kernel_w, d.stride_h, d.stride_w) = (Int32(kh), Int32(kw), Int32(sh), Int32(sw))
            (d.pad_h, d.pad_w, d.dilation_h, d.dilation_w) = (Int32(ph), Int32(pw), Int32(dil), Int32(dil))
        }
        var worst = 0.0
        for i in 0..<m {
            for y in 0..<oh {
                for xo in 0..<ow {
                    var s = 0.0
                    for cc in 0..<ch {
                        for u in 0..<kh {
                            for v in 0..<kw {
                                let iy = y * sh - ph + u * dil, ix = xo * sw - pw + v * dil
                                guard iy >= 0, iy < h, ix >= 0, ix < w else { continue }
                                s += Double(a[i * k + (cc * kh + u) * kw + v]) * Double(x[(cc * h + iy) * w + ix])
                            }
                        }
                    }
                    worst = max(worst, abs(Double(c[i * n + y * ow + xo]) - s))
                }
            }
        }
        #expect(worst <= 1e-4, "\(g): off by \(worst)")
    }

    /// Each element is summed in the same order whatever the column split, so
    /// threads never change the bits.
    @Test func columnSplitsGiveIdenticalBits() {
        let m = 20, n = 1100, k = 700
        var g = SeededGenerator(seed: 7)
        let a = (0..<m * k).map { _ in Float.random(in: -1..<1, using: &g) }
        let b = (0..<k * n).map { _ in Float.random(in: -1..<1, using: &g) }
        let bias = (0..<m).map { _ in Float.random(in: -1..<1, using: &g) }
        let c0 = [Float](repeating: .nan, count: m * n)
        let whole = Self.packed(
            m: m, n: n, k: k, a: a, b: b, source: .rowMajor, start: Int32(C2_INIT_ROW_BIAS), bias: bias, c0: c0,
            relu: true, parts: 1)
        for parts in [2, 3, 7] {
            let split = Self.packed(
                m: m, n: n, k: k, a: a, b: b, source: .rowMajor, start: Int32(C2_INIT_ROW_BIAS), bias: bias, c0: c0,
                relu: true, parts: parts)
            #expect(split.map(\.bitPattern) == whole.map(\.bitPattern), "\(parts) parts")
        }
    }

    /// The fused Relu keeps NaN and -0 exactly as the Relu operator does.
    @Test func fusedReluKeepsNaNAndNegativeZero() {
        // C = [-0, -0, -0, -0] + [1] · [NaN, -0, -2, 3] = [NaN, -0, -2, 3] (-0 + -0 stays -0).
        let got = Self.packed(
            m: 1, n: 4, k: 1, a: [1], b: [.nan, -0.0, -2, 3], source: .rowMajor, start: Int32(C2_INIT_ACCUMULATE),
            bias: [0], c0: [-0.0, -0.0, -0.0, -0.0], relu: true, parts: 1)
        #expect(got[0].isNaN)
        #expect(got[1] == 0 && got[1].sign == .minus)
        #expect(got[2] == 0 && got[2].sign == .plus)
        #expect(got[3] == 3)
    }
}

/// Conv followed by an in-place Relu: the net folds the Relu into the
/// convolution, with the same bits as running them one after the other.
@Suite struct ConvReluFusionTests {
    static func net(reluInPlace: Bool, extraReader: Bool = false) -> NetDef {
        var ops = [
            OperatorDef(
                type: "Conv", input: ["X", "W", "b"], output: ["Y"],
                arg: [Argument(name: "kernel", int: 3), Argument(name: "pad", int: 1)]),
            OperatorDef(type: "Relu", input: ["Y"], output: [reluInPlace ? "Y" : "Z"]),
        ]
        if extraReader { ops.insert(OperatorDef(type: "Copy", input: ["Y"], output: ["Y_copy"]), at: 1) }
        return NetDef(name: "conv_relu", op: ops, externalInput: ["X", "W", "b"])
    }

    static func run(_ def: NetDef, fuse: Bool) throws -> (Net, [String: Tensor]) {
        let ws = Workspace()
        var g = SeededGenerator(seed: 11)
        for (name, dims) in [("X", [2, 5, 9, 9]), ("W", [12, 5, 3, 3]), ("b", [12])] {
            let count = dims.reduce(1, *)
            ws.feedBlob(
                name, try Tensor(dims: dims, values: (0..<count).map { _ in Float.random(in: -1..<1, using: &g) }))
        }
        let net = try Net(def, workspace: ws, fuse: fuse)
        try net.run()
        var out: [String: Tensor] = [:]
        for name in ws.blobNames { out[name] = try ws.fetchBlob(name) }
        return (net, out)
    }

    @Test func inPlaceReluIsFusedWithIdenticalBits() throws {
        let (fused, a) = try Self.run(Self.net(reluInPlace: true), fuse: true)
        let (plain, b) = try Self.run(Self.net(reluInPlace: true), fuse: false)
        #expect(fused.fusedOperators == [1])
        #expect(plain.fusedOperators.isEmpty)
        let y = try #require(a["Y"]), yPlain = try #require(b["Y"])
        #expect(y.dims == [2, 12, 9, 9])
        let values = try y.values(as: Float.self)
        #expect(values.map(\.bitPattern) == (try yPlain.values(as: Float.self)).map(\.bitPattern))
        #expect(values.allSatisfy { $0 >= 0 })
        #expect(values.contains { $0 > 0 })
    }

    @Test func notFusedWhenTheConvOutputIsReadBeforeTheRelu() throws {
        let (out, _) = try Self.run(Self.net(reluInPlace: false), fuse: true)
        #expect(out.fusedOperators.isEmpty)
        let (withReader, blobs) = try Self.run(Self.net(reluInPlace: true, extraReader: true), fuse: true)
        #expect(withReader.fusedOperators.isEmpty)
        // The copy saw the convolution's output before the Relu: it has negative values.
        #expect(try #require(blobs["Y_copy"]).values(as: Float.self).contains { $0 < 0 })
    }
}

/// Conv followed by the bias `Add(Y, b, broadcast=1, axis=1)` that ONNX-exported nets carry: the
/// convolution writes the Add's output too, with the same bits, and leaves it to the Add whenever
/// `b` is not a 1-D float tensor of the output channels.
@Suite struct ConvBiasAddFusionTests {
    static func net(kernel: Int, pad: Int, addArgs: [Argument]? = nil, addOutput: String = "Z") -> NetDef {
        NetDef(
            name: "conv_add",
            op: [
                OperatorDef(
                    type: "Conv", input: ["X", "W"], output: ["Y"],
                    arg: [Argument(name: "kernel", int: Int64(kernel)), Argument(name: "pad", int: Int64(pad))]),
                OperatorDef(
                    type: "Add", input: ["Y", "b"], output: [addOutput],
                    arg: addArgs ?? [Argument(name: "broadcast", int: 1), Argument(name: "axis", int: 1)]),
            ], externalInput: ["X", "W", "b"])
    }

    /// Runs `def` on fresh random X [3, c, 10, 10], W [m, c, k, k] and then each of `biases` in turn;
    /// returns the net and Y, Z after every run.
    static func run(_ def: NetDef, c: Int, m: Int, kernel: Int, biases: [Tensor], fuse: Bool) throws
        -> (Net, [(y: [Float], z: [Float])])
    {
        let ws = Workspace()
        var g = SeededGenerator(seed: 5)
        func random(_ dims: [Int]) throws -> Tensor {
            try Tensor(dims: dims, values: (0..<dims.reduce(1, *)).map { _ in Float.random(in: -1..<1, using: &g) })
        }
        ws.feedBlob("X", try random([3, c, 10, 10]))
        ws.feedBlob("W", try random([m, c, kernel, kernel]))
        ws.feedBlob("b", biases[0])
        let net = try Net(def, workspace: ws, fuse: fuse)
        var out: [(y: [Float], z: [Float])] = []
        for b in biases {
            ws.feedBlob("b", b)
            try net.run()
            out.append(
                (try ws.fetchBlob("Y").values(as: Float.self), try ws.fetchBlob(def.op[1].output[0]).values(as: Float.self)))
        }
        return (net, out)
    }

    @Test(arguments: [(4, 6, 5, 0), (8, 16, 3, 1), (2, 5, 1, 0)])
    func writesTheAddsOutputWithIdenticalBits(_ shape: (Int, Int, Int, Int)) throws {
        let (c, m, k, pad) = shape
        let b1 = try Tensor(dims: [m], values: (0..<m).map { Float($0) * 0.25 - 1 })
        let b2 = try Tensor(dims: [m], values: (0..<m).map { Float($0) * -0.5 })
        // B with trailing 1s is valid for the Add but not taken by the convolution: the Add runs.
        let b3 = try Tensor(dims: [m, 1, 1], values: (0..<m).map { Float($0) + 0.5 })
        let def = Self.net(kernel: k, pad: pad)
        let (fused, a) = try Self.run(def, c: c, m: m, kernel: k, biases: [b1, b2, b3, b1], fuse: true)
        let (plain, b) = try Self.run(def, c: c, m: m, kernel: k, biases: [b1, b2, b3, b1], fuse: false)
        #expect(fused.fusedOperators == [1])
        #expect(plain.fusedOperators.isEmpty)
        let bias = [b1, b2, b3, b1].map { try! $0.values(as: Float.self) }
        let plane = 3 * m > 0 ? a[0].y.count / (3 * m) : 0
        for run in 0..<4 {
            #expect(a[run].y.map(\.bitPattern) == b[run].y.map(\.bitPattern), "run \(run): Y")
            #expect(a[run].z.map(\.bitPattern) == b[run].z.map(\.bitPattern), "run \(run): Z")
            // Z = Y + b[channel], one float addition.
            let want = a[run].y.enumerated().map { i, v in v + bias[run][(i / plane) % m] }
            #expect(a[run].z.map(\.bitPattern) == want.map(\.bitPattern), "run \(run): Z = Y + b")
        }
    }

    @Test func onlyTheLegacyAxis1FormOnANewBlobIsFused() {
        let conv = Self.net(kernel: 3, pad: 1).op[0]
        func follows(_ def: NetDef) -> Bool { Net.biasAddFollows(conv, def.op[1]) }
        #expect(follows(Self.net(kernel: 3, pad: 1)))
        // In place on Y, or over the convolution's own input: not fused.
        #expect(!follows(Self.net(kernel: 3, pad: 1, addOutput: "Y")))
        #expect(!follows(Self.net(kernel: 3, pad: 1, addOutput: "X")))
        // Numpy broadcasting, another axis, or extra arguments: not fused.
        #expect(!follows(Self.net(kernel: 3, pad: 1, addArgs: [])))
        #expect(!follows(Self.net(kernel: 3, pad: 1, addArgs: [Argument(name: "broadcast", int: 1), Argument(name: "axis", int: 2)])))
        #expect(
            !follows(
                Self.net(
                    kernel: 3, pad: 1,
                    addArgs: [
                        Argument(name: "broadcast", int: 1), Argument(name: "axis", int: 1),
                        Argument(name: "order", string: "NHWC"),
                    ])))
    }
}

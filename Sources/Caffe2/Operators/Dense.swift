import CKernels

/// Dense linear algebra: FC, FCTransposed, MatMul, BatchMatMul and their
/// gradient operators. Products go through ``GEMM`` (OpenBLAS), except the
/// float FC forward over a batch of 24 rows or more, which runs through
/// ``PackedGEMM`` with the bias applied in registers.
enum DenseOperators {
    static let definitions: [OperatorDefinition] = [
        fc(transposed: false), fcGradient(transposed: false),
        fc(transposed: true), fcGradient(transposed: true),
        matMul, batchMatMul,
    ]

    // MARK: Shared checks

    /// Caffe2's `canonical_axis_index_`: `a < 0 ⇒ a + rank`, and `0 ≤ axis < rank`.
    static func canonicalAxis(_ a: Int, rank: Int, argument: String, blob: String, opType: String) throws -> Int {
        guard a >= -rank && a < rank else {
            throw Caffe2Error(
                .argument,
                "\(opType): argument '\(argument)' = \(a) is out of range for input '\(blob)' of rank \(rank) (expected \(-rank) <= \(argument) < \(rank))",
                opType: opType, blob: blob)
        }
        return a < 0 ? a + rank : a
    }

    /// Throws unless `v` holds float elements (the only type these CPU kernels take, as in Caffe2).
    @inline(__always)
    static func requireFloat(_ v: TensorView) throws {
        guard v.dataType == .float else { throw v.unsupportedType([.float]) }
    }

    static func sizeToDim(_ dims: [Int64], _ axis: Int) -> Int { dims[0..<axis].reduce(1) { $0 * Int($1) } }
    static func sizeFromDim(_ dims: [Int64], _ axis: Int) -> Int { dims[axis...].reduce(1) { $0 * Int($1) } }

    // MARK: FC / FCTransposed

    /// `FC` (W is `N × K`, `Y = X·Wᵀ + b`) or `FCTransposed` (W is `K × N`, `Y = X·W + b`).
    static func fc(transposed: Bool) -> OperatorDefinition {
        let type = transposed ? "FCTransposed" : "FC"
        let weightDoc =
            transposed
            ? "Weights `W`, coerced to `K × N` at `axis_w` (already transposed)."
            : "Weights `W`, coerced to `N × K` at `axis_w` (`N = size_to_dim(axis_w)`)."
        return OperatorDefinition(
            schema: OperatorSchema(type)
                .numInputs(3).numOutputs(1)
                .tensorInference("FCShapeInference") { def, inputs in
                    try [fcInferShape(def, inputs, transposed: transposed)]
                }
                .types([.float])
                .doc(
                    transposed
                        ? "Fully connected layer with pre-transposed weights: `Y = X·W + b`, where X is coerced to 2-D `M × K` at `axis` and W is `K × N`. Same as FC otherwise."
                        : "Fully connected layer (Caffe's InnerProduct): `Y = X·Wᵀ + b`. X is coerced to 2-D `M × K` with `M = size_to_dim(axis)` and `K = size_from_dim(axis)`; W is coerced to `N × K` at `axis_w`; b has N elements. Y has dims `X.dims[0..<axis] + [N]`."
                )
                .arg("axis", "(int, default 1) Where X is split into the `M × K` matrix; negative counts from the end.")
                .arg("axis_w", "(int, default 1) Where W is split into its two matrix dims.")
                .arg("float16_compute", "(bool, default false) No effect on CPU float.")
                .input(0, "X", "Input, coerced to `M × K` at `axis`.")
                .input(1, "W", weightDoc)
                .input(2, "b", "1-D bias of N elements.")
                .output(0, "Y", "Output `X.dims[0..<axis] + [N]`."),
            kernels: [
                OperatorKernel { def, args in
                    let axis = try args.single("axis", default: 1)
                    let axisW = try args.single("axis_w", default: 1)
                    let scratch = ScratchPool()
                    return { ctx in
                        try runFC(ctx, axis: axis, axisW: axisW, transposed: transposed, opType: def.type, scratch)
                    }
                }
            ],
            gradient: .make { g in
                guard g.def.input.count == 3 else {
                    throw Caffe2Error(.gradient, "\(g.def.type) gradient needs 3 inputs (X, W, b)", opType: g.def.type)
                }
                return try g.singleGradientDef(
                    g.def.type + "Gradient", inputs: [g.I(0), g.I(1), g.GO(0)],
                    outputs: [g.GI(1), g.GI(2), g.GI(0)])
            })
    }

    static func fcInferShape(_ def: OperatorDef, _ inputs: [TensorShape], transposed: Bool) throws -> TensorShape {
        guard inputs.count >= 2 else { throw inferenceInputError(def, 1) }
        if inputs[0].unknownShape || inputs[1].unknownShape { return TensorShape.unknown() }
        let args = try Arguments(def)
        let x = inputs[0].dims, w = inputs[1].dims
        let ax = try canonicalAxis(
            try args.single("axis", default: 1), rank: x.count, argument: "axis", blob: def.input[0], opType: def.type)
        let axw = try canonicalAxis(
            try args.single("axis_w", default: 1), rank: w.count, argument: "axis_w", blob: def.input[1],
            opType: def.type)
        let n = transposed ? sizeFromDim(w, axw) : sizeToDim(w, axw)
        return TensorShape(dims: Array(x[0..<ax]) + [Int64(n)], dataType: inputs[0].dataType)
    }

    static func runFC(
        _ ctx: OperatorContext, axis: Int, axisW: Int, transposed: Bool, opType: String, _ scratch: ScratchPool
    ) throws {
        let x = try ctx.input(0), w = try ctx.input(1), b = try ctx.input(2)
        try requireFloat(x)
        try requireFloat(w)
        try requireFloat(b)
        guard b.rank == 1 else {
            throw Caffe2Error(.shape, "\(opType): bias '\(b.name)' must be 1-D, got dims \(b.dims)", blob: b.name)
        }
        let ax = try canonicalAxis(axis, rank: x.rank, argument: "axis", blob: x.name, opType: opType)
        let axw = try canonicalAxis(axisW, rank: w.rank, argument: "axis_w", blob: w.name, opType: opType)
        let m = x.sizeToDim(ax), k = x.sizeFromDim(ax)
        let n = transposed ? w.sizeFromDim(axw) : w.sizeToDim(axw)
        guard k * n == w.count, n == b.dim(0) else {
            throw Caffe2Error(
                .shape,
                "\(opType): Dimension mismatch: X: \(x.dims), W: \(w.dims), b: \(b.dims), axis: \(axis), M: \(m), N: \(n), K: \(k)",
                blob: w.name)
        }
        let y = try ctx.output(0, dims: Array(x.dims[0..<ax]) + [Int64(n)], type: .float)
        if m == 0 || n == 0 { return }
        let yp = y.pointer(Float.self), bp = b.pointer(Float.self)
        if !transposed && m >= 24 && k > 0 && m * n * k >= 1 << 16 {
            fcBatched(x.pointer(Float.self), w.pointer(Float.self), bp, yp, m: m, n: n, k: k, scratch)
            return
        }
        for i in 0..<m { (yp + i * n).update(from: bp, count: n) }
        if k == 0 { return }
        GEMM.multiply(
            transA: false, transB: !transposed, m: m, n: n, k: k, a: x.pointer(Float.self), lda: k,
            b: w.pointer(Float.self), ldb: transposed ? n : k, beta: 1, c: yp, ldc: n)
    }

    /// `Y = X·Wᵀ + b` for a batch of `m ≥ 24` rows through ``PackedGEMM``, as
    /// `Yᵀ = W·Xᵀ`: W (`n × k`) is the left operand read in place, the batch is
    /// the columns (X read transposed into the panels), the bias starts each
    /// row, and `Yᵀ` is transposed into Y. The output units are split over the
    /// threads; each element's sum runs in the same order whatever the split.
    static func fcBatched(
        _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
        _ y: UnsafeMutablePointer<Float>, m: Int, n: Int, k: Int, _ scratch: ScratchPool
    ) {
        let yt = scratch.shared(0).pointer(Float.self, count: n * m)
        let parts = m * n * k >= GEMM.minParallelWork ? min(Parallel.threadCount, max(1, n / 8)) : 1
        Parallel.forItems(parts, threads: parts, scratch: scratch, floats: PackedGEMM.scratchFloats) { part, buffer in
            // Output units [lo, hi), on multiples of the kernels' 8-row tiles.
            let lo = part == 0 ? 0 : (n * part / parts) & ~7
            let hi = part == parts - 1 ? n : (n * (part + 1) / parts) & ~7
            if lo >= hi { return }
            var d = PackedGEMM.descriptor(
                m: hi - lo, n: m, k: k, a: w + lo * k, lda: k, c: yt + lo * m, ldc: m)
            d.b_kind = Int32(C2_B_TRANSPOSED)
            d.b = x
            d.ldb = k
            d.start = Int32(C2_INIT_ROW_BIAS)
            d.bias = b + lo
            PackedGEMM.columns(&d, 0..<m, scratch: buffer)
            // Yᵀ → Y sixteen output units at a time, so each store run fills a cache line of Y.
            var j0 = lo
            while j0 < hi {
                let j1 = min(j0 + 16, hi)
                for i in 0..<m {
                    let out = y + i * n
                    for j in j0..<j1 { out[j] = yt[j * m + i] }
                }
                j0 = j1
            }
        }
    }

    /// `FCGradient` / `FCTransposedGradient`: `(X, W, dY) → (dW, db[, dX])`.
    static func fcGradient(transposed: Bool) -> OperatorDefinition {
        let type = transposed ? "FCTransposedGradient" : "FCGradient"
        return OperatorDefinition(
            schema: OperatorSchema(type)
                .numInputs(3).numOutputs(2, 3)
                .tensorInference("FCGradientShapeInference") { def, inputs in
                    guard inputs.count == 3 else { throw inferenceInputError(def, 2) }
                    let args = try Arguments(def)
                    let w = inputs[1].dims
                    let axw = try canonicalAxis(
                        try args.single("axis_w", default: 1), rank: w.count, argument: "axis_w", blob: def.input[1],
                        opType: def.type)
                    let n = transposed ? sizeFromDim(w, axw) : sizeToDim(w, axw)
                    var out = [inputs[1], TensorShape(dims: [Int64(n)], dataType: inputs[1].dataType)]
                    if def.output.count == 3 { out.append(inputs[0]) }
                    return out
                }
                .types([.float])
                .doc(
                    transposed
                        ? "Gradient of FCTransposed: `dW = Xᵀ·dY` (K × N), `db = Σ_rows dY`, and, with a third output, `dX = dY·Wᵀ`."
                        : "Gradient of FC: `dW = dYᵀ·X` (N × K), `db = Σ_rows dY`, and, with a third output, `dX = dY·W`."
                )
                .arg("axis", "(int, default 1) As in the forward op.")
                .arg("axis_w", "(int, default 1) As in the forward op.")
                .input(0, "X", "Forward input.")
                .input(1, "W", "Forward weights.")
                .input(2, "dY", "Gradient of the forward output.")
                .output(0, "dW", "Gradient of W (W's dims).")
                .output(1, "db", "Gradient of b, `[N]`.")
                .output(2, "dX", "Gradient of X (X's dims), optional."),
            kernels: [
                OperatorKernel { def, args in
                    let axis = try args.single("axis", default: 1)
                    let axisW = try args.single("axis_w", default: 1)
                    return { ctx in
                        try runFCGradient(ctx, axis: axis, axisW: axisW, transposed: transposed, opType: def.type)
                    }
                }
            ])
    }

    static func runFCGradient(_ ctx: OperatorContext, axis: Int, axisW: Int, transposed: Bool, opType: String) throws {
        let x = try ctx.input(0), w = try ctx.input(1), dy = try ctx.input(2)
        try requireFloat(x)
        try requireFloat(w)
        try requireFloat(dy)
        let ax = try canonicalAxis(axis, rank: x.rank, argument: "axis", blob: x.name, opType: opType)
        let axw = try canonicalAxis(axisW, rank: w.rank, argument: "axis_w", blob: w.name, opType: opType)
        let m = x.sizeToDim(ax), k = x.sizeFromDim(ax)
        let n = transposed ? w.sizeFromDim(axw) : w.sizeToDim(axw)
        guard k * n == w.count, dy.count == m * n else {
            throw Caffe2Error(
                .shape,
                "\(opType): Dimension mismatch: X: \(x.dims), W: \(w.dims), dY: \(dy.dims), axis: \(axis), M: \(m), N: \(n), K: \(k)",
                blob: dy.name)
        }
        let dw = try ctx.output(0, like: w)
        let db = try ctx.output(1, dims: [Int64(n)], type: .float)
        let dx = ctx.outputCount == 3 ? try ctx.output(2, like: x) : nil
        let xp = x.pointer(Float.self), wp = w.pointer(Float.self), dyp = dy.pointer(Float.self)
        dw.zero()
        db.zero()
        if x.count == 0 || dy.count == 0 {
            dx?.zero()
            return
        }
        if transposed {
            // dW[K, N] = Xᵀ[K, M] · dY[M, N]
            GEMM.multiply(
                transA: true, transB: false, m: k, n: n, k: m, a: xp, lda: k, b: dyp, ldb: n, beta: 0,
                c: dw.pointer(Float.self), ldc: n)
        } else {
            // dW[N, K] = dYᵀ[N, M] · X[M, K]
            GEMM.multiply(
                transA: true, transB: false, m: n, n: k, k: m, a: dyp, lda: n, b: xp, ldb: k, beta: 0,
                c: dw.pointer(Float.self), ldc: k)
        }
        columnSums(dyp, rows: m, columns: n, into: db.pointer(Float.self))
        if let dx {
            // dX[M, K] = dY[M, N] · W[N, K]   (or · W[K, N]ᵀ when transposed)
            GEMM.multiply(
                transA: false, transB: transposed, m: m, n: k, k: n, a: dyp, lda: n, b: wp, ldb: transposed ? n : k,
                beta: 0, c: dx.pointer(Float.self), ldc: k)
        }
    }

    /// `out[j] = Σ_i a[i·columns + j]` (out is overwritten).
    static func columnSums(_ a: UnsafePointer<Float>, rows: Int, columns: Int, into out: UnsafeMutablePointer<Float>) {
        out.update(repeating: 0, count: columns)
        for i in 0..<rows {
            let r = a + i * columns
            for j in 0..<columns { out[j] += r[j] }
        }
    }

    // MARK: MatMul

    static let matMul = OperatorDefinition(
        schema: OperatorSchema("MatMul")
            .numInputs(2, 3).numOutputs(1)
            .tensorInference { def, inputs in
                guard inputs.count >= 2 else { throw inferenceInputError(def, 1) }
                if def.input.count == 3, inputs.count == 3 {
                    return [TensorShape(dims: inputs[2].dims, dataType: inputs[0].dataType)]
                }
                let a = try MatMulArgs(try Arguments(def))
                let p = try a.coerce(
                    inputs[0].dims, inputs[1].dims, names: (def.input[0], def.input[1]), opType: def.type)
                return [TensorShape(dims: [Int64(p.m), Int64(p.n)], dataType: inputs[0].dataType)]
            }
            .types([.float])
            .doc(
                "Matrix product `Y = op(A)·op(B)`. A is coerced to 2-D `[size_to_dim(axis_a), size_from_dim(axis_a)]`, B likewise at `axis_b`; `trans_a`/`trans_b` transpose them after that. Y is 2-D `[M, N]`, or takes the dims of the optional third input (which must have M·N elements; the gradient uses this). The gradient is two MatMul ops with the forward inputs as shape references; they carry the forward `axis_a`/`axis_b` values (Caffe2's maker truncated them to 0/1)."
            )
            .arg("axis_a", "(int, default 1) Where A is split into its two matrix dims.")
            .arg("axis_b", "(int, default 1) Where B is split into its two matrix dims.")
            .arg("trans_a", "(int, default 0) Transpose A after coercion.")
            .arg("trans_b", "(int, default 0) Transpose B after coercion.")
            .input(0, "A", "Left matrix (any rank, coerced at `axis_a`).")
            .input(1, "B", "Right matrix (any rank, coerced at `axis_b`).")
            .input(2, "shape_like", "Optional: Y is reshaped to this tensor's dims.")
            .output(0, "Y", "`[M, N]`, or the dims of `shape_like`."),
        kernels: [
            OperatorKernel { def, args in
                let a = try MatMulArgs(args)
                return { ctx in try runMatMul(ctx, a, opType: def.type) }
            }
        ],
        gradient: .make(copyArguments: false) { g in
            guard g.def.input.count == 2 || g.def.input.count == 3 else {
                throw Caffe2Error(.gradient, "MatMul gradient needs 2 or 3 inputs", opType: g.def.type)
            }
            let a = try MatMulArgs(try Arguments(g.def))
            func arg(_ n: String, _ v: Int) -> Argument { Argument(name: n, int: Int64(v)) }
            let (A, B, G) = (try g.I(0), try g.I(1), try g.GO(0))
            let dA = try g.GI(0), dB = try g.GI(1)
            switch (a.transA, a.transB) {
            case (false, false):  // dA = G·Bᵀ, dB = Aᵀ·G
                return [
                    g.gradientDef("MatMul", inputs: [G, B, A], outputs: [dA], args: [arg("trans_b", 1), arg("axis_b", a.axisB)]),
                    g.gradientDef("MatMul", inputs: [A, G, B], outputs: [dB], args: [arg("trans_a", 1), arg("axis_a", a.axisA)]),
                ]
            case (false, true):  // dA = G·B, dB = Gᵀ·A
                return [
                    g.gradientDef("MatMul", inputs: [G, B, A], outputs: [dA], args: [arg("axis_b", a.axisB)]),
                    g.gradientDef("MatMul", inputs: [G, A, B], outputs: [dB], args: [arg("trans_a", 1), arg("axis_b", a.axisA)]),
                ]
            case (true, false):  // dA = B·Gᵀ, dB = A·G
                return [
                    g.gradientDef("MatMul", inputs: [B, G, A], outputs: [dA], args: [arg("trans_b", 1), arg("axis_a", a.axisB)]),
                    g.gradientDef("MatMul", inputs: [A, G, B], outputs: [dB], args: [arg("axis_a", a.axisA)]),
                ]
            case (true, true):  // dA = Bᵀ·Gᵀ, dB = Gᵀ·Aᵀ
                return [
                    g.gradientDef(
                        "MatMul", inputs: [B, G, A], outputs: [dA],
                        args: [arg("trans_a", 1), arg("trans_b", 1), arg("axis_a", a.axisB)]),
                    g.gradientDef(
                        "MatMul", inputs: [G, A, B], outputs: [dB],
                        args: [arg("trans_a", 1), arg("trans_b", 1), arg("axis_b", a.axisA)]),
                ]
            }
        })

    /// MatMul's arguments, read once.
    struct MatMulArgs: Sendable {
        var axisA: Int
        var axisB: Int
        var transA: Bool
        var transB: Bool

        init(_ args: Arguments) throws {
            axisA = try args.single("axis_a", default: 1)
            axisB = try args.single("axis_b", default: 1)
            transA = try args.single("trans_a", default: 0) != 0
            transB = try args.single("trans_b", default: 0) != 0
        }

        /// `(M, K, N, A's stored columns, B's stored columns)` for A and B of these dims; throws on a mismatch.
        func coerce(_ a: [Int64], _ b: [Int64], names: (String, String), opType: String) throws -> (
            m: Int, k: Int, n: Int, lda: Int, ldb: Int
        ) {
            let ca = try canonicalAxis(axisA, rank: a.count, argument: "axis_a", blob: names.0, opType: opType)
            let cb = try canonicalAxis(axisB, rank: b.count, argument: "axis_b", blob: names.1, opType: opType)
            let a0 = sizeToDim(a, ca), a1 = sizeFromDim(a, ca)
            let b0 = sizeToDim(b, cb), b1 = sizeFromDim(b, cb)
            let (m, k) = transA ? (a1, a0) : (a0, a1)
            let (kb, n) = transB ? (b1, b0) : (b0, b1)
            guard k == kb else {
                throw Caffe2Error(
                    .shape,
                    "\(opType): Dimension mismatch: \(transA ? "trans(A)" : "A"): \(m) \(k), \(transB ? "trans(B)" : "B"): \(kb) \(n)",
                    opType: opType, blob: names.1)
            }
            return (m, k, n, a1, b1)
        }
    }

    static func runMatMul(_ ctx: OperatorContext, _ a: MatMulArgs, opType: String) throws {
        let A = try ctx.input(0), B = try ctx.input(1)
        try requireFloat(A)
        try requireFloat(B)
        let (m, k, n, lda, ldb) = try a.coerce(A.dims, B.dims, names: (A.name, B.name), opType: opType)
        var dims: [Int64] = [Int64(m), Int64(n)]
        if ctx.inputCount == 3 {
            let like = try ctx.input(2)
            guard like.count == m * n else {
                throw Caffe2Error(
                    .shape,
                    "\(opType): the product is \(m) x \(n) (\(m * n) elements) but shape input '\(like.name)' has dims \(like.dims)",
                    blob: like.name)
            }
            dims = like.dims
        }
        let y = try ctx.output(0, dims: dims, type: .float)
        if m == 0 || n == 0 { return }
        GEMM.multiply(
            transA: a.transA, transB: a.transB, m: m, n: n, k: k, a: A.pointer(Float.self), lda: max(lda, 1),
            b: B.pointer(Float.self), ldb: max(ldb, 1), beta: 0, c: y.pointer(Float.self), ldc: n)
    }

    // MARK: BatchMatMul

    static let batchMatMul = OperatorDefinition(
        schema: OperatorSchema("BatchMatMul")
            .numInputs(2).numOutputs(1)
            .tensorInference("TensorInferenceForBatchMatMul") { def, inputs in
                guard inputs.count == 2 else { throw inferenceInputError(def, 1) }
                let args = try Arguments(def)
                let plan = try BatchMatMulPlan(
                    inputs[0].dims, inputs[1].dims, transA: try args.single("trans_a", default: 0) != 0,
                    transB: try args.single("trans_b", default: 0) != 0,
                    broadcast: try args.single("broadcast", default: 0) != 0, names: (def.input[0], def.input[1]),
                    opType: def.type)
                return [TensorShape(dims: plan.outputDims, dataType: inputs[0].dataType)]
            }
            .types([.float])
            .doc(
                "Batched matrix product with numpy `matmul` semantics: `Y[b] = op(A[b])·op(B[b])` over the last two dims, `trans_a`/`trans_b` transposing them. A 1-D A is a row vector and a 1-D B a column vector (that dim is dropped from Y); two 1-D inputs give their dot product, `[1]`. Batch dims must be equal unless `broadcast` is set, which broadcasts them numpy-style."
            )
            .arg("trans_a", "(int, default 0) Transpose the last two dims of A.")
            .arg("trans_b", "(int, default 0) Transpose the last two dims of B.")
            .arg("broadcast", "(int, default 0) Broadcast the batch dims as numpy.matmul; no gradient then.")
            .input(0, "A", "`[batch..., M, K]` (or `[K]`).")
            .input(1, "B", "`[batch..., K, N]` (or `[K]`).")
            .output(0, "Y", "`[batch..., M, N]`."),
        kernels: [
            OperatorKernel { def, args in
                let transA = try args.single("trans_a", default: 0) != 0
                let transB = try args.single("trans_b", default: 0) != 0
                let broadcast = try args.single("broadcast", default: 0) != 0
                return { ctx in
                    try runBatchMatMul(ctx, transA: transA, transB: transB, broadcast: broadcast, opType: def.type)
                }
            }
        ],
        gradient: .make(copyArguments: false) { g in
            guard g.def.input.count == 2 else {
                throw Caffe2Error(.gradient, "BatchMatMul gradient needs 2 inputs", opType: g.def.type)
            }
            let args = try Arguments(g.def)
            if try args.single("broadcast", default: 0) != 0 {
                throw Caffe2Error(
                    .gradient, "Gradient is currently not supported with broadcast=1 for BatchMatMul.",
                    opType: g.def.type)
            }
            let transA = try args.single("trans_a", default: 0) != 0
            let transB = try args.single("trans_b", default: 0) != 0
            let (A, B, G) = (try g.I(0), try g.I(1), try g.GO(0))
            let dA = try g.GI(0), dB = try g.GI(1)
            let ta = Argument(name: "trans_a", int: 1), tb = Argument(name: "trans_b", int: 1)
            switch (transA, transB) {
            case (false, false):  // dA = G·Bᵀ, dB = Aᵀ·G
                return [
                    g.gradientDef("BatchMatMul", inputs: [G, B], outputs: [dA], args: [tb]),
                    g.gradientDef("BatchMatMul", inputs: [A, G], outputs: [dB], args: [ta]),
                ]
            case (false, true):  // dA = G·B, dB = Gᵀ·A
                return [
                    g.gradientDef("BatchMatMul", inputs: [G, B], outputs: [dA]),
                    g.gradientDef("BatchMatMul", inputs: [G, A], outputs: [dB], args: [ta]),
                ]
            case (true, false):  // dA = B·Gᵀ, dB = A·G
                return [
                    g.gradientDef("BatchMatMul", inputs: [B, G], outputs: [dA], args: [tb]),
                    g.gradientDef("BatchMatMul", inputs: [A, G], outputs: [dB]),
                ]
            case (true, true):  // dA = Bᵀ·Gᵀ, dB = Gᵀ·Aᵀ
                return [
                    g.gradientDef("BatchMatMul", inputs: [B, G], outputs: [dA], args: [ta, tb]),
                    g.gradientDef("BatchMatMul", inputs: [G, A], outputs: [dB], args: [ta, tb]),
                ]
            }
        })

    /// How BatchMatMul maps its inputs to a loop of matrix products.
    struct BatchMatMulPlan {
        var outputDims: [Int64]
        var m = 1, n = 1, k = 1
        var transA = false, transB = false
        /// Per output batch, the offsets (in elements) of its A and B matrices.
        var batchCount = 1
        var aBatchStrides: [Int] = []
        var bBatchStrides: [Int] = []
        var batchDims: [Int] = []
        var lda = 1, ldb = 1

        init(
            _ a: [Int64], _ b: [Int64], transA: Bool, transB: Bool, broadcast: Bool, names: (String, String),
            opType: String
        ) throws {
            func fail(_ msg: String) -> Caffe2Error { Caffe2Error(.shape, "\(opType): \(msg)", opType: opType) }
            let ad = a.map { Int($0) }, bd = b.map { Int($0) }
            guard !ad.isEmpty, !bd.isEmpty else {
                throw fail("inputs '\(names.0)' \(a) and '\(names.1)' \(b) must have at least one dim")
            }
            if ad.count == 1 && bd.count == 1 {
                guard ad[0] == bd[0] else {
                    throw fail("Vector-vector product requires each of the vectors to be the same size: A \(a), B \(b)")
                }
                outputDims = [1]
                k = ad[0]
                lda = max(k, 1)
                ldb = 1
                return
            }
            // Promote 1-D operands to matrices; their unit dim is dropped from Y.
            var am = ad, bm = bd
            let aVector = ad.count == 1, bVector = bd.count == 1
            if aVector { am = [1, ad[0]] }
            if bVector { bm = [bd[0], 1] }
            let tA = aVector ? false : transA
            let tB = bVector ? false : transB
            let ar = am.count, br = bm.count
            m = tA ? am[ar - 1] : am[ar - 2]
            k = tA ? am[ar - 2] : am[ar - 1]
            let kb = tB ? bm[br - 1] : bm[br - 2]
            n = tB ? bm[br - 2] : bm[br - 1]
            guard k == kb else {
                let kDimA = aVector ? 0 : (tA ? ar - 2 : ar - 1)
                let kDimB = bVector ? 0 : (tB ? br - 1 : br - 2)
                throw fail(
                    "Expected dimension \(kDimA) of tensor A with value \(k) to match dimension \(kDimB) of tensor B with value \(kb). trans_a = \(transA ? 1 : 0) trans_b = \(transB ? 1 : 0) (A \(a), B \(b))"
                )
            }
            self.transA = tA
            self.transB = tB
            lda = max(tA ? m : k, 1)
            ldb = max(tB ? k : n, 1)
            let aBatch = Array(am[0..<(ar - 2)]), bBatch = Array(bm[0..<(br - 2)])
            let rank = max(aBatch.count, bBatch.count)
            let aPad = Array(repeating: 1, count: rank - aBatch.count) + aBatch
            let bPad = Array(repeating: 1, count: rank - bBatch.count) + bBatch
            var yBatch = [Int](repeating: 0, count: rank)
            for i in 0..<rank {
                let x = aPad[i], y = bPad[i]
                if x == y {
                    yBatch[i] = x
                } else if x == 1 {
                    yBatch[i] = y
                } else if y == 1 {
                    yBatch[i] = x
                } else {
                    throw fail("batch dims of A \(a) and B \(b) cannot be broadcast together")
                }
            }
            if aPad != bPad && !aVector && !bVector && !broadcast {
                throw fail(
                    "Inputs with dimensions A = \(a) and B = \(b) is not supported with broadcast=0. Did you forget to set the broadcast flag?"
                )
            }
            // Element strides of each batch dim in A and B (0 where broadcast).
            var aStrides = [Int](repeating: 0, count: rank), bStrides = [Int](repeating: 0, count: rank)
            var sa = m * k, sb = k * n
            for i in stride(from: rank - 1, through: 0, by: -1) {
                aStrides[i] = aPad[i] == 1 ? 0 : sa
                bStrides[i] = bPad[i] == 1 ? 0 : sb
                sa *= aPad[i]
                sb *= bPad[i]
            }
            batchDims = yBatch
            aBatchStrides = aStrides
            bBatchStrides = bStrides
            batchCount = yBatch.reduce(1, *)
            var out = yBatch.map { Int64($0) }
            if !aVector { out.append(Int64(m)) }
            if !bVector { out.append(Int64(n)) }
            outputDims = out
        }

        /// Offsets of A's and B's matrices for output batch `index`.
        @inline(__always)
        func offsets(_ index: Int) -> (Int, Int) {
            var rem = index, oa = 0, ob = 0
            for i in stride(from: batchDims.count - 1, through: 0, by: -1) {
                let d = batchDims[i]
                let c = rem % d
                rem /= d
                oa += c * aBatchStrides[i]
                ob += c * bBatchStrides[i]
            }
            return (oa, ob)
        }
    }

    static func runBatchMatMul(
        _ ctx: OperatorContext, transA: Bool, transB: Bool, broadcast: Bool, opType: String
    ) throws {
        let A = try ctx.input(0), B = try ctx.input(1)
        try requireFloat(A)
        try requireFloat(B)
        let plan = try BatchMatMulPlan(
            A.dims, B.dims, transA: transA, transB: transB, broadcast: broadcast, names: (A.name, B.name),
            opType: opType)
        let y = try ctx.output(0, dims: plan.outputDims, type: .float)
        let (m, n, k) = (plan.m, plan.n, plan.k)
        if y.count == 0 { return }
        let ap = A.pointer(Float.self), bp = B.pointer(Float.self), yp = y.pointer(Float.self)
        let batches = plan.batchCount
        if batches == 1 {
            GEMM.multiply(
                transA: plan.transA, transB: plan.transB, m: m, n: n, k: k, a: ap, lda: plan.lda, b: bp,
                ldb: plan.ldb, beta: 0, c: yp, ldc: n)
            return
        }
        if batches * m * n * max(k, 1) >= GEMM.minParallelWork && batches >= Parallel.threadCount {
            Parallel.forRanges(batches) { _, range in
                for i in range {
                    let (oa, ob) = plan.offsets(i)
                    GEMM.serial(
                        transA: plan.transA, transB: plan.transB, m: m, n: n, k: k, a: ap + oa, lda: plan.lda,
                        b: bp + ob, ldb: plan.ldb, beta: 0, c: yp + i * m * n, ldc: n)
                }
            }
        } else {
            for i in 0..<batches {
                let (oa, ob) = plan.offsets(i)
                GEMM.multiply(
                    transA: plan.transA, transB: plan.transB, m: m, n: n, k: k, a: ap + oa, lda: plan.lda, b: bp + ob,
                    ldb: plan.ldb, beta: 0, c: yp + i * m * n, ldc: n)
            }
        }
    }
}

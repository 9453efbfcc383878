import Foundation

/// Normalisation: LRN (cross-channel local response normalisation) and
/// SpatialBN (batch normalisation over N and the spatial dims), with their
/// gradient operators.
enum NormalizationOperators {
    static let definitions: [OperatorDefinition] = [lrn, lrnGradient, spatialBN, spatialBNGradient]

    // MARK: LRN

    /// LRN's arguments, read once.
    struct LRNArgs: Sendable {
        var size: Int
        var alpha: Float
        var beta: Float
        var bias: Float
        var order: StorageOrder
        /// `(size − 1) / 2`: channels before `c` in its window.
        var prePad: Int { (size - 1) / 2 }

        init(_ args: Arguments, opType: String) throws {
            size = try args.single("size", default: 0)
            alpha = try args.single("alpha", default: Float(0))
            beta = try args.single("beta", default: Float(0))
            bias = try args.single("bias", default: Float(1))
            order = try StorageOrder(args, opType: opType)
            guard size > 0 else {
                throw Caffe2Error(.argument, "\(opType): argument 'size' must be positive, got \(size)", opType: opType)
            }
        }
    }

    static let lrn = OperatorDefinition(
        schema: OperatorSchema("LRN")
            .numInputs(1).numOutputs(1, 2)
            .tensorInference { def, inputs in
                guard let x = inputs.first else { throw inferenceInputError(def, 0) }
                return Array(repeating: x, count: def.output.count)
            }
            .types([.float])
            .doc(
                """
                Cross-channel local response normalisation (AlexNet's LRN) of a 4-D tensor: \
                `scale[n,c,h,w] = bias + (alpha/size)·Σ_{c' = c−(size−1)/2}^{c−(size−1)/2+size−1} X[n,c',h,w]²` (channels \
                outside `[0, C)` contribute 0) and `Y = X · scale^(−beta)`. The optional second output receives `scale`.
                """
            )
            .arg("size", "(int) Channels in each window; positive (odd in practice).")
            .arg("alpha", "(float, default 0) Scaling of the sum of squares (divided by size).")
            .arg("beta", "(float, default 0) Exponent.")
            .arg("bias", "(float, default 1) Added to the scaled sum of squares.")
            .arg("order", "(string, default \"NCHW\") \"NCHW\" or \"NHWC\".")
            .input(0, "X", "4-D input.")
            .output(0, "Y", "Normalised output, X's dims.")
            .output(1, "scale", "Optional: the scale tensor, X's dims."),
        kernels: [
            OperatorKernel { def, args in
                let a = try LRNArgs(args, opType: def.type)
                let scratch = ScratchPool()
                return { ctx in try runLRN(ctx, a, scratch, opType: def.type) }
            }
        ],
        gradient: .make { g in
            try g.singleGradientDef("LRNGradient", inputs: [g.I(0), g.O(0), g.GO(0)], outputs: [g.GI(0)])
        })

    static let lrnGradient = OperatorDefinition(
        schema: OperatorSchema("LRNGradient")
            .numInputs(3).numOutputs(1)
            .identicalTypeAndShapeOfInput(0)
            .types([.float])
            .doc(
                "Gradient of LRN: inputs `(X, Y, dY)`. Recomputes scale, then `dX = dY·scale^(−beta) − (2·alpha·beta/size)·X·Σ_window(dY·Y/scale)` (Caffe's formula; the window is mirrored)."
            )
            .arg("size", "As in LRN (with alpha, beta, bias, order).")
            .input(0, "X", "Forward input.")
            .input(1, "Y", "Forward output.")
            .input(2, "dY", "Gradient of Y.")
            .output(0, "dX", "Gradient of X."),
        kernels: [
            OperatorKernel { def, args in
                let a = try LRNArgs(args, opType: def.type)
                let scratch = ScratchPool()
                return { ctx in try runLRNGradient(ctx, a, scratch, opType: def.type) }
            }
        ])

    /// `(images, channels, pixels)` of a 4-D LRN input.
    static func lrnShape(_ x: TensorView, _ a: LRNArgs, opType: String) throws -> (Int, Int, Int) {
        try DenseOperators.requireFloat(x)
        guard x.rank == 4 else {
            throw Caffe2Error(.shape, "\(opType): input '\(x.name)' must be 4-D, got dims \(x.dims)", blob: x.name)
        }
        let c = a.order == .nchw ? x.dim(1) : x.dim(3)
        let n = x.dim(0)
        return (n, c, n * c == 0 ? 0 : x.count / (n * c))
    }

    /// For every channel `c` and pixel, `out = f(Σ_{c' ∈ [c − lead, c − lead + size) ∩ [0, C)} v[c'])`,
    /// where `v` is `value(channel, pixel)`. NCHW: a running sum per pixel of
    /// `pixels` (vectorised over pixels; `acc` holds one entry per pixel).
    @inline(__always)
    static func windowSumsNCHW(
        channels: Int, pixels: Range<Int>, plane: Int, size: Int, lead: Int, acc: UnsafeMutablePointer<Float>,
        value: (_ c: Int, _ p: Int) -> Float, emit: (_ c: Int, _ p: Int, _ sum: Float) -> Void
    ) {
        let lo = pixels.lowerBound, count = pixels.count
        acc.update(repeating: 0, count: count)
        let first = max(0, -lead), last = min(channels, size - 1 - lead)
        if first < last {
            for c in first..<last {
                for i in 0..<count { acc[i] += value(c, lo + i) }
            }
        }
        for c in 0..<channels {
            let head = c - lead + size - 1
            if head >= 0 && head < channels {
                for i in 0..<count { acc[i] += value(head, lo + i) }
            }
            for i in 0..<count { emit(c, lo + i, acc[i]) }
            let tail = c - lead
            if tail >= 0 && tail < channels {
                for i in 0..<count { acc[i] -= value(tail, lo + i) }
            }
        }
    }

    /// NHWC version of ``windowSumsNCHW``: one running sum along each pixel's channel row.
    @inline(__always)
    static func windowSumsNHWC(
        channels: Int, pixels: Range<Int>, size: Int, lead: Int,
        value: (_ c: Int, _ p: Int) -> Float, emit: (_ c: Int, _ p: Int, _ sum: Float) -> Void
    ) {
        for p in pixels {
            var acc: Float = 0
            let first = max(0, -lead), last = min(channels, size - 1 - lead)
            if first < last { for c in first..<last { acc += value(c, p) } }
            for c in 0..<channels {
                let head = c - lead + size - 1
                if head >= 0 && head < channels { acc += value(head, p) }
                emit(c, p, acc)
                let tail = c - lead
                if tail >= 0 && tail < channels { acc -= value(tail, p) }
            }
        }
    }

    /// Fills `scale` for images `images` of `x` (both laid out as X).
    static func lrnScale(
        _ x: UnsafePointer<Float>, _ scale: UnsafeMutablePointer<Float>, _ a: LRNArgs, channels: Int, pixels: Int,
        images: Range<Int>, acc: UnsafeMutablePointer<Float>
    ) {
        let k = a.alpha / Float(a.size), bias = a.bias
        let image = channels * pixels
        for n in images {
            let xn = x + n * image, sn = scale + n * image
            switch a.order {
            case .nchw:
                windowSumsNCHW(
                    channels: channels, pixels: 0..<pixels, plane: pixels, size: a.size, lead: a.prePad, acc: acc,
                    value: { c, p in let v = xn[c * pixels + p]; return v * v },
                    emit: { c, p, s in sn[c * pixels + p] = bias + k * s })
            case .nhwc:
                windowSumsNHWC(
                    channels: channels, pixels: 0..<pixels, size: a.size, lead: a.prePad,
                    value: { c, p in let v = xn[p * channels + c]; return v * v },
                    emit: { c, p, s in sn[p * channels + c] = bias + k * s })
            }
        }
    }

    static func runLRN(_ ctx: OperatorContext, _ a: LRNArgs, _ scratch: ScratchPool, opType: String) throws {
        let x = try ctx.input(0)
        let (n, c, pixels) = try lrnShape(x, a, opType: opType)
        let y = try ctx.output(0, like: x)
        let scaleOut = ctx.outputCount > 1 ? try ctx.output(1, like: x) : nil
        if x.count == 0 { return }
        let xp = x.pointer(Float.self), yp = y.pointer(Float.self)
        let sp = scaleOut?.pointer(Float.self) ?? scratch.shared(0).pointer(Float.self, count: x.count)
        let negBeta = -a.beta
        let accs = (0..<Parallel.threadCount).map { scratch.thread($0).pointer(Float.self, count: pixels) }
        let body: (Int, Range<Int>) -> Void = { slot, images in
            let acc = accs[slot]
            lrnScale(xp, sp, a, channels: c, pixels: pixels, images: images, acc: acc)
            let lo = images.lowerBound * c * pixels, hi = images.upperBound * c * pixels
            for i in lo..<hi { yp[i] = xp[i] * powf(sp[i], negBeta) }
        }
        if n >= 2 && x.count >= Parallel.minElementsPerThread { Parallel.forRanges(n, body) } else { body(0, 0..<n) }
    }

    static func runLRNGradient(_ ctx: OperatorContext, _ a: LRNArgs, _ scratch: ScratchPool, opType: String) throws {
        let x = try ctx.input(0), y = try ctx.input(1), dy = try ctx.input(2)
        let (n, c, pixels) = try lrnShape(x, a, opType: opType)
        try DenseOperators.requireFloat(y)
        try DenseOperators.requireFloat(dy)
        guard y.dims == x.dims, dy.dims == x.dims else {
            throw Caffe2Error(
                .shape, "\(opType): X \(x.dims), Y \(y.dims) and dY \(dy.dims) must have the same dims", blob: dy.name)
        }
        let dx = try ctx.output(0, like: x)
        if x.count == 0 { return }
        let xp = x.pointer(Float.self), yp = y.pointer(Float.self), dyp = dy.pointer(Float.self)
        let dxp = dx.pointer(Float.self)
        let buffers = scratch.shared(0).pointer(Float.self, count: 2 * x.count)
        let sp = buffers, ratio = buffers + x.count
        let negBeta = -a.beta
        let cache = 2 * a.alpha * a.beta / Float(a.size)
        let lead = a.size - (a.size + 1) / 2
        let image = c * pixels
        let accs = (0..<Parallel.threadCount).map { scratch.thread($0).pointer(Float.self, count: pixels) }
        let body: (Int, Range<Int>) -> Void = { slot, images in
            let acc = accs[slot]
            lrnScale(xp, sp, a, channels: c, pixels: pixels, images: images, acc: acc)
            let lo = images.lowerBound * image, hi = images.upperBound * image
            for i in lo..<hi {
                ratio[i] = dyp[i] * yp[i] / sp[i]
                dxp[i] = dyp[i] * powf(sp[i], negBeta)
            }
            for im in images {
                let off = im * image
                let r = ratio + off, xn = xp + off, dxn = dxp + off
                switch a.order {
                case .nchw:
                    windowSumsNCHW(
                        channels: c, pixels: 0..<pixels, plane: pixels, size: a.size, lead: lead, acc: acc,
                        value: { ch, p in r[ch * pixels + p] },
                        emit: { ch, p, s in let i = ch * pixels + p; dxn[i] -= cache * xn[i] * s })
                case .nhwc:
                    windowSumsNHWC(
                        channels: c, pixels: 0..<pixels, size: a.size, lead: lead,
                        value: { ch, p in r[p * c + ch] },
                        emit: { ch, p, s in let i = p * c + ch; dxn[i] -= cache * xn[i] * s })
                }
            }
        }
        if n >= 2 && x.count >= Parallel.minElementsPerThread { Parallel.forRanges(n, body) } else { body(0, 0..<n) }
    }

    // MARK: SpatialBN

    /// SpatialBN's arguments, read once.
    struct BNArgs: Sendable {
        var isTest: Bool
        var epsilon: Float
        var momentum: Float
        var order: StorageOrder
        var numBatches: Int

        init(_ args: Arguments, opType: String) throws {
            isTest = try args.single("is_test", default: 0) != 0
            epsilon = try args.single("epsilon", default: Float(1e-5))
            momentum = try args.single("momentum", default: Float(0.9))
            order = try StorageOrder(args, opType: opType)
            numBatches = try args.single("num_batches", default: 1)
            guard epsilon > 0 else {
                throw Caffe2Error(.argument, "\(opType): epsilon must be positive, got \(epsilon)", opType: opType)
            }
            guard momentum >= 0 && momentum <= 1 else {
                throw Caffe2Error(.argument, "\(opType): momentum must be in [0, 1], got \(momentum)", opType: opType)
            }
            guard numBatches >= 1 else {
                throw Caffe2Error(.argument, "\(opType): num_batches must be positive, got \(numBatches)", opType: opType)
            }
        }
    }

    /// `(N, C, HxW)` of a SpatialBN input (ndim ≥ 2; C at dim 1 or last).
    static func bnShape(_ x: TensorView, order: StorageOrder, minRank: Int, opType: String) throws -> (Int, Int, Int) {
        try DenseOperators.requireFloat(x)
        guard x.rank >= minRank else {
            throw Caffe2Error(
                .shape, "\(opType): input '\(x.name)' must have at least \(minRank) dims, got \(x.dims)", blob: x.name)
        }
        let n = x.dim(0)
        let c = order == .nchw ? x.dim(1) : x.dim(x.rank - 1)
        return (n, c, n * c == 0 ? 0 : x.count / (n * c))
    }

    /// Checks a per-channel input has C float elements and returns its values.
    static func channelValues(_ ctx: OperatorContext, _ i: Int, _ c: Int, opType: String) throws -> [Float] {
        let v = try ctx.input(i)
        try DenseOperators.requireFloat(v)
        guard v.count == c else {
            throw Caffe2Error(
                .shape, "\(opType): input \(i) '\(v.name)' must have \(c) elements (one per channel), got dims \(v.dims)",
                blob: v.name)
        }
        return Array(v.unsafeBuffer(Float.self))
    }

    static let spatialBN = OperatorDefinition(
        schema: OperatorSchema("SpatialBN")
            .numInputs(5, 7).numOutputs(1, 5)
            .allowInplace([(0, 0), (5, 3), (6, 4)])
            .enforceInplace([(3, 1), (4, 2)])
            .tensorInference { def, inputs in
                guard let x = inputs.first else { throw inferenceInputError(def, 0) }
                let args = try Arguments(def)
                if try args.single("is_test", default: 0) != 0 { return [x] }
                let order = try StorageOrder(args, opType: def.type)
                guard x.dims.count >= 2 else { throw Caffe2Error(.shape, "\(def.type): X needs at least 2 dims") }
                let c = order == .nchw ? x.dims[1] : x.dims[x.dims.count - 1]
                let stat = TensorShape(dims: [c], dataType: .float)
                return [x] + Array(repeating: stat, count: max(0, def.output.count - 1))
            }
            .types([.float])
            .doc(
                """
                Spatial batch normalisation. Inputs `(X, scale, bias, mean, var[, sums, sumsq])`, C = dim 1 (NCHW) or \
                the last dim (NHWC). Test mode (`is_test`, 1 output): `Y = scale·(X − mean)/√(var + ε) + bias`. \
                Training (5 outputs): per-channel batch mean and biased variance over N and the spatial dims (or from \
                `sums`/`sumsq` with `num_batches > 1`); `Y` normalised with them; `running_mean`/`running_var` (in place \
                over inputs 3 and 4) ← `momentum·old + (1 − momentum)·batch`, the variance unbiased by R/(R−1); \
                `saved_mean` and `saved_inv_std = 1/√(var + ε)`.
                """
            )
            .arg("is_test", "(int, default 0) Inference mode (1 output) or training (5 outputs).")
            .arg("epsilon", "(float, default 1e-5) Added to the variance; positive.")
            .arg("momentum", "(float, default 0.9) Running-average momentum, in [0, 1].")
            .arg("order", "(string, default \"NCHW\") \"NCHW\" or \"NHWC\".")
            .arg("num_batches", "(int, default 1) Batches the `sums`/`sumsq` inputs were accumulated over.")
            .input(0, "X", "Input, at least 2-D.")
            .input(1, "scale", "Per-channel scale, [C].")
            .input(2, "bias", "Per-channel bias, [C].")
            .input(3, "mean", "Running mean, [C] (updated in place in training).")
            .input(4, "var", "Running variance, [C] (updated in place in training).")
            .input(5, "sums", "Optional: per-channel sums over num_batches batches.")
            .input(6, "sumsq", "Optional: per-channel sums of squares over num_batches batches.")
            .output(0, "Y", "Normalised output, X's dims.")
            .output(1, "running_mean", "Training: updated running mean (same blob as input 3).")
            .output(2, "running_var", "Training: updated running variance (same blob as input 4).")
            .output(3, "saved_mean", "Training: batch mean.")
            .output(4, "saved_inv_std", "Training: batch 1/√(var + ε)."),
        kernels: [
            OperatorKernel { def, args in
                let a = try BNArgs(args, opType: def.type)
                let outs = def.output.count
                guard (a.isTest && outs == 1) || (!a.isTest && outs == 5) else {
                    throw Caffe2Error(
                        .schema,
                        "\(def.type): with is_test = \(a.isTest ? 1 : 0) the op must have \(a.isTest ? 1 : 5) output(s), got \(outs)",
                        opType: def.type)
                }
                if !a.isTest && a.numBatches > 1 && def.input.count != 7 {
                    throw Caffe2Error(
                        .schema, "\(def.type): num_batches > 1 needs the sums and sumsq inputs (7 inputs)",
                        opType: def.type)
                }
                return { ctx in try runSpatialBN(ctx, a, opType: def.type) }
            }
        ],
        gradient: .make { g in
            let args = try Arguments(g.def)
            let isTest = try args.single("is_test", default: 0) != 0
            let numBatches = try args.single("num_batches", default: 1)
            let ni = g.def.input.count, no = g.def.output.count
            let outputs = { (g: inout GradientContext) in [try g.GI(0), try g.GI(1), try g.GI(2)] }
            if isTest {
                guard ni == 5 && no == 1 else {
                    throw Caffe2Error(.gradient, "SpatialBN gradient in test mode needs 5 inputs and 1 output", opType: g.def.type)
                }
                let inputs = [try g.I(0), try g.I(1), try g.GO(0), try g.I(3), try g.I(4)]
                return g.singleGradientDef("SpatialBNGradient", inputs: inputs, outputs: try outputs(&g))
            }
            if numBatches > 1 {
                guard ni == 7 && no == 5 else {
                    throw Caffe2Error(
                        .gradient, "SpatialBN gradient with num_batches > 1 needs 7 inputs and 5 outputs",
                        opType: g.def.type)
                }
                let inputs = [try g.I(0), try g.I(1), try g.GO(0), try g.O(3), try g.O(4), try g.GI(1), try g.GI(2)]
                return g.singleGradientDef("SpatialBNGradient", inputs: inputs, outputs: try outputs(&g))
            }
            guard ni == 5 && no == 5 else {
                throw Caffe2Error(.gradient, "SpatialBN gradient in training needs 5 inputs and 5 outputs", opType: g.def.type)
            }
            let inputs = [try g.I(0), try g.I(1), try g.GO(0), try g.O(3), try g.O(4)]
            return g.singleGradientDef("SpatialBNGradient", inputs: inputs, outputs: try outputs(&g))
        })

    /// `y = x·alpha[c] + beta[c]` over every element (y may be x).
    static func affineChannel(
        _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, alpha: [Float], beta: [Float], n: Int, c: Int,
        hw: Int, order: StorageOrder
    ) {
        alpha.withUnsafeBufferPointer { al in
            beta.withUnsafeBufferPointer { be in
                let al = al.baseAddress!, be = be.baseAddress!
                switch order {
                case .nchw:
                    let body: (Range<Int>) -> Void = { planes in
                        for pl in planes {
                            let ch = pl % c, a = al[ch], b = be[ch]
                            let xr = x + pl * hw, yr = y + pl * hw
                            for i in 0..<hw { yr[i] = xr[i] * a + b }
                        }
                    }
                    if n * c * hw >= Parallel.minElementsPerThread * 2 {
                        Parallel.forRanges(n * c) { body($1) }
                    } else {
                        body(0..<(n * c))
                    }
                case .nhwc:
                    let body: (Range<Int>) -> Void = { rows in
                        for r in rows {
                            let xr = x + r * c, yr = y + r * c
                            for i in 0..<c { yr[i] = xr[i] * al[i] + be[i] }
                        }
                    }
                    if n * c * hw >= Parallel.minElementsPerThread * 2 {
                        Parallel.forRanges(n * hw) { body($1) }
                    } else {
                        body(0..<(n * hw))
                    }
                }
            }
        }
    }

    /// Per-channel `(Σx, Σx²)` in double precision.
    static func channelMoments(_ x: UnsafePointer<Float>, n: Int, c: Int, hw: Int, order: StorageOrder) -> (
        [Double], [Double]
    ) {
        var sum = [Double](repeating: 0, count: c), sq = [Double](repeating: 0, count: c)
        switch order {
        case .nchw:
            for i in 0..<n {
                for ch in 0..<c {
                    let r = x + (i * c + ch) * hw
                    var s = 0.0, q = 0.0
                    for j in 0..<hw {
                        let v = Double(r[j])
                        s += v
                        q += v * v
                    }
                    sum[ch] += s
                    sq[ch] += q
                }
            }
        case .nhwc:
            for row in 0..<(n * hw) {
                let r = x + row * c
                for ch in 0..<c {
                    let v = Double(r[ch])
                    sum[ch] += v
                    sq[ch] += v * v
                }
            }
        }
        return (sum, sq)
    }

    static func runSpatialBN(_ ctx: OperatorContext, _ a: BNArgs, opType: String) throws {
        let x = try ctx.input(0)
        let (n, c, hw) = try bnShape(x, order: a.order, minRank: 2, opType: opType)
        let scale = try channelValues(ctx, 1, c, opType: opType)
        let bias = try channelValues(ctx, 2, c, opType: opType)
        if a.isTest {
            let mean = try channelValues(ctx, 3, c, opType: opType)
            let variance = try channelValues(ctx, 4, c, opType: opType)
            var alpha = [Float](repeating: 0, count: c), beta = [Float](repeating: 0, count: c)
            for i in 0..<c {
                alpha[i] = scale[i] / (variance[i] + a.epsilon).squareRoot()
                beta[i] = bias[i] - alpha[i] * mean[i]
            }
            let y = try ctx.output(0, like: x)
            if n == 0 { return }
            affineChannel(x.pointer(Float.self), y.pointer(Float.self), alpha: alpha, beta: beta, n: n, c: c, hw: hw, order: a.order)
            return
        }
        // Training. Running statistics of the wrong size start from zero, as in Caffe2.
        func running(_ i: Int) throws -> [Float] {
            let v = try ctx.input(i)
            try DenseOperators.requireFloat(v)
            return v.count == c ? Array(v.unsafeBuffer(Float.self)) : [Float](repeating: 0, count: c)
        }
        let runMean = try running(3), runVar = try running(4)
        var mean = [Float](repeating: 0, count: c), variance = [Float](repeating: 0, count: c)
        let reduce = a.numBatches * n * hw
        if a.numBatches > 1 {
            let sums = try channelValues(ctx, 5, c, opType: opType)
            let sumsq = try channelValues(ctx, 6, c, opType: opType)
            let inv = 1 / Float(reduce)
            for i in 0..<c {
                mean[i] = sums[i] * inv
                variance[i] = sumsq[i] * inv - mean[i] * mean[i]
            }
        } else if n > 0 {
            let (s, q) = channelMoments(x.pointer(Float.self), n: n, c: c, hw: hw, order: a.order)
            let inv = 1 / Double(reduce)
            for i in 0..<c {
                let m = s[i] * inv
                mean[i] = Float(m)
                variance[i] = Float(max(q[i] * inv - m * m, 0))
            }
        }
        let y = try ctx.output(0, like: x)
        let rm = try ctx.output(1, dims: [Int64(c)], type: .float)
        let rv = try ctx.output(2, dims: [Int64(c)], type: .float)
        let sm = try ctx.output(3, dims: [Int64(c)], type: .float)
        let sv = try ctx.output(4, dims: [Int64(c)], type: .float)
        let rmp = rm.pointer(Float.self), rvp = rv.pointer(Float.self)
        let smp = sm.pointer(Float.self), svp = sv.pointer(Float.self)
        if n == 0 {
            for i in 0..<c {
                rmp[i] = runMean[i]
                rvp[i] = runVar[i]
                smp[i] = 0
                svp[i] = 0
            }
            return
        }
        let unbias: Float = reduce == 1 ? .infinity : Float(reduce) / Float(reduce - 1)
        let mo = a.momentum
        var alpha = [Float](repeating: 0, count: c), beta = [Float](repeating: 0, count: c)
        for i in 0..<c {
            let rstd = 1 / (variance[i] + a.epsilon).squareRoot()
            rmp[i] = mo * runMean[i] + (1 - mo) * mean[i]
            rvp[i] = mo * runVar[i] + (1 - mo) * unbias * variance[i]
            smp[i] = mean[i]
            svp[i] = rstd
            alpha[i] = scale[i] * rstd
            beta[i] = bias[i] - alpha[i] * mean[i]
        }
        affineChannel(x.pointer(Float.self), y.pointer(Float.self), alpha: alpha, beta: beta, n: n, c: c, hw: hw, order: a.order)
    }

    static let spatialBNGradient = OperatorDefinition(
        schema: OperatorSchema("SpatialBNGradient")
            .numInputs([5, 7]).numOutputs(3)
            .allowInplace([(5, 1), (6, 2)])
            .tensorInference { def, inputs in
                guard inputs.count >= 2 else { throw inferenceInputError(def, 1) }
                return [inputs[0], inputs[1], inputs[1]]
            }
            .types([.float])
            .doc(
                """
                Gradient of SpatialBN. Inputs `(X, scale, dY, saved_mean, saved_inv_std[, dscale_sum, dbias_sum])`, \
                outputs `(dX, dscale, dbias)`. With M = N·HxW: `dbias = Σ dY`, `dscale = Σ dY·(X − mean)·rstd`, \
                `dX = scale·rstd·(dY − dbias/M − (X − mean)·rstd·dscale/M)`. With `num_batches > 1` dscale and dbias \
                are the given sums divided by num_batches.
                """
            )
            .arg("num_batches", "(int, default 1) As in SpatialBN.")
            .arg("order", "(string, default \"NCHW\") \"NCHW\" or \"NHWC\".")
            .input(0, "X", "Forward input.")
            .input(1, "scale", "Forward scale, [C].")
            .input(2, "dY", "Gradient of Y.")
            .input(3, "saved_mean", "Batch mean from the forward op.")
            .input(4, "saved_inv_std", "Batch inverse std from the forward op.")
            .input(5, "dscale_sum", "Optional: dscale summed over num_batches.")
            .input(6, "dbias_sum", "Optional: dbias summed over num_batches.")
            .output(0, "dX", "Gradient of X.")
            .output(1, "dscale", "Gradient of scale.")
            .output(2, "dbias", "Gradient of bias."),
        kernels: [
            OperatorKernel { def, args in
                let a = try BNArgs(args, opType: def.type)
                if a.numBatches > 1 && def.input.count != 7 {
                    throw Caffe2Error(
                        .schema, "\(def.type): num_batches > 1 needs the dscale_sum and dbias_sum inputs",
                        opType: def.type)
                }
                return { ctx in try runSpatialBNGradient(ctx, a, opType: def.type) }
            }
        ])

    static func runSpatialBNGradient(_ ctx: OperatorContext, _ a: BNArgs, opType: String) throws {
        let x = try ctx.input(0), dy = try ctx.input(2)
        let (n, c, hw) = try bnShape(x, order: a.order, minRank: 2, opType: opType)
        try DenseOperators.requireFloat(dy)
        guard dy.dims == x.dims else {
            throw Caffe2Error(.shape, "\(opType): dY '\(dy.name)' \(dy.dims) must have X's dims \(x.dims)", blob: dy.name)
        }
        let scale = try channelValues(ctx, 1, c, opType: opType)
        let mean = try channelValues(ctx, 3, c, opType: opType)
        let rstd = try channelValues(ctx, 4, c, opType: opType)
        var dscale = [Float](repeating: 0, count: c), dbias = [Float](repeating: 0, count: c)
        let xp = x.pointer(Float.self), dyp = dy.pointer(Float.self)
        if a.numBatches > 1 {
            let ds = try channelValues(ctx, 5, c, opType: opType), dbs = try channelValues(ctx, 6, c, opType: opType)
            let inv = 1 / Float(a.numBatches)
            for i in 0..<c {
                dscale[i] = ds[i] * inv
                dbias[i] = dbs[i] * inv
            }
        } else if n > 0 {
            var sdy = [Double](repeating: 0, count: c), sdyx = [Double](repeating: 0, count: c)
            switch a.order {
            case .nchw:
                for i in 0..<n {
                    for ch in 0..<c {
                        let off = (i * c + ch) * hw
                        var s = 0.0, t = 0.0
                        for j in 0..<hw {
                            let g = Double(dyp[off + j])
                            s += g
                            t += g * Double(xp[off + j])
                        }
                        sdy[ch] += s
                        sdyx[ch] += t
                    }
                }
            case .nhwc:
                for row in 0..<(n * hw) {
                    let off = row * c
                    for ch in 0..<c {
                        let g = Double(dyp[off + ch])
                        sdy[ch] += g
                        sdyx[ch] += g * Double(xp[off + ch])
                    }
                }
            }
            for i in 0..<c {
                dbias[i] = Float(sdy[i])
                dscale[i] = Float((sdyx[i] - Double(mean[i]) * sdy[i]) * Double(rstd[i]))
            }
        }
        let dx = try ctx.output(0, like: x)
        let dsOut = try ctx.output(1, dims: [Int64(c)], type: .float)
        let dbOut = try ctx.output(2, dims: [Int64(c)], type: .float)
        for i in 0..<c {
            dsOut.pointer(Float.self)[i] = dscale[i]
            dbOut.pointer(Float.self)[i] = dbias[i]
        }
        if n == 0 { return }
        // dX = alpha·dY + beta·X + gamma, per channel.
        let invM = 1 / Float(n * hw)
        var alpha = [Float](repeating: 0, count: c), beta = [Float](repeating: 0, count: c)
        var gamma = [Float](repeating: 0, count: c)
        for i in 0..<c {
            let sr = scale[i] * rstd[i]
            let dsr = dscale[i] * rstd[i]
            alpha[i] = sr
            beta[i] = -sr * dsr * invM
            gamma[i] = sr * (mean[i] * dsr - dbias[i]) * invM
        }
        let dxp = dx.pointer(Float.self)
        switch a.order {
        case .nchw:
            for pl in 0..<(n * c) {
                let ch = pl % c, al = alpha[ch], be = beta[ch], ga = gamma[ch]
                let off = pl * hw
                for j in 0..<hw { dxp[off + j] = al * dyp[off + j] + be * xp[off + j] + ga }
            }
        case .nhwc:
            for row in 0..<(n * hw) {
                let off = row * c
                for ch in 0..<c { dxp[off + ch] = alpha[ch] * dyp[off + ch] + beta[ch] * xp[off + ch] + gamma[ch] }
            }
        }
    }
}

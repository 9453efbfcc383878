import CKernels
/// Pooling: MaxPool and AveragePool (with their 1D/2D/3D aliases) and their
/// gradients, as direct loops over 1 to 3 spatial dims in NCHW or NHWC.
enum PoolingOperators {
    static let definitions: [OperatorDefinition] =
        ["MaxPool", "MaxPool1D", "MaxPool2D", "MaxPool3D"].flatMap {
            [pool($0, .max), poolGradient($0 + "Gradient", .max)]
        }
        + ["AveragePool", "AveragePool1D", "AveragePool2D", "AveragePool3D"].flatMap {
            [pool($0, .average), poolGradient($0 + "Gradient", .average)]
        }

    enum Kind: Sendable { case max, average }

    /// A pooling operator's arguments, read once.
    struct Config: Sendable {
        var args: ConvPoolArgs
        var kind: Kind
        var countIncludePad: Bool

        init(_ a: Arguments, kind: Kind, opType: String, checkPads: Bool) throws {
            args = try ConvPoolArgs(a, opType: opType)
            self.kind = kind
            countIncludePad = kind == .average ? try a.single("count_include_pad", default: 0) != 0 : false
            guard args.dilation.allSatisfy({ $0 == 1 }) else {
                throw Caffe2Error(.argument, "\(opType): Pooling op does not support dilation right now.", opType: opType)
            }
            if checkPads && !args.globalPooling {
                let n = args.kernel.count
                for i in 0..<n where args.pads[i] >= args.kernel[i] || args.pads[n + i] >= args.kernel[i] {
                    throw Caffe2Error(
                        .argument,
                        "\(opType): Pad should be smaller than kernel (pads \(args.pads), kernel \(args.kernel)).",
                        opType: opType)
                }
            }
        }
    }

    // MARK: Schemas

    static func pool(_ type: String, _ kind: Kind) -> OperatorDefinition {
        var schema = OperatorSchema(type)
            .numInputs(1).numOutputs(1)
            .tensorInference("TensorInferenceForPool") { def, inputs in
                [try ConvPoolArgs.inferImageOutput(def, inputs) { $0.channels }]
            }
            .types([.float])
            .doc(
                kind == .max
                    ? """
                    Max pooling over windows of `kernel` with `stride` and `pads` (1 to 3 spatial dims, NCHW or NHWC). \
                    Windows are clipped to the input, so padding never wins. `legacy_pad = 3` gives Caffe's ceil-mode \
                    output size; `global_pooling` pools each channel to one value.
                    """
                    : """
                    Average pooling over windows of `kernel` with `stride` and `pads` (1 to 3 spatial dims, NCHW or \
                    NHWC). Each window is clipped to the input and divided by the number of input elements it covers, \
                    or by the full kernel size with `count_include_pad`. `legacy_pad = 3` gives Caffe's ceil-mode output \
                    size; `global_pooling` averages each channel to one value.
                    """
            )
            .arg("kernel", "(int) Window size (sets 2 dims); or `kernels` / `kernel_h`, `kernel_w`. Required unless global_pooling.")
            .arg("stride", "(int, default 1) Or `strides` / `stride_h`, `stride_w`.")
            .arg("pad", "(int, default 0) Or `pads` `[t, l, b, r]` / `pad_t`, `pad_l`, `pad_b`, `pad_r`; each must be smaller than the kernel.")
            .arg("legacy_pad", "(int, default 0) 1 VALID, 2 SAME, 3 CAFFE_LEGACY_POOLING (Caffe's ceil mode).")
            .arg("global_pooling", "(int, default 0) Pool over all spatial positions.")
            .arg("order", "(string, default \"NCHW\") \"NCHW\" or \"NHWC\".")
        if kind == .average {
            schema = schema.arg(
                "count_include_pad", "(bool, default false) Divide by the full kernel size, padding included.")
        }
        return OperatorDefinition(
            schema: schema
                .input(0, "X", "Input `[N, C, spatial...]` (NCHW) or `[N, spatial..., C]` (NHWC).")
                .output(0, "Y", "Pooled output with the same channels."),
            kernels: [
                OperatorKernel { def, args in
                    let config = try Config(args, kind: kind, opType: def.type, checkPads: true)
                    let scratch = ScratchPool(shared: 0)
                    return { ctx in try runPool(ctx, config, scratch, opType: def.type) }
                }
            ],
            gradient: .make { g in
                try g.singleGradientDef(
                    g.def.type + "Gradient", inputs: [g.I(0), g.O(0), g.GO(0)], outputs: [g.GI(0)])
            })
    }

    static func poolGradient(_ type: String, _ kind: Kind) -> OperatorDefinition {
        OperatorDefinition(
            schema: OperatorSchema(type)
                .numInputs(3).numOutputs(1)
                .identicalTypeAndShapeOfInput(0)
                .types([.float])
                .doc(
                    kind == .max
                        ? "Gradient of MaxPool: inputs `(X, Y, dY)`; every input element equal to its window's maximum receives that window's dY (ties all receive it; overlapping windows add)."
                        : "Gradient of AveragePool: inputs `(X, Y, dY)`; each window adds `dY / count` to every input element it covers (count as in the forward op)."
                )
                .arg("kernel", "As in the forward op (with every other pooling argument).")
                .input(0, "X", "Forward input.")
                .input(1, "Y", "Forward output.")
                .input(2, "dY", "Gradient of Y.")
                .output(0, "dX", "Gradient of X."),
            kernels: [
                OperatorKernel { def, args in
                    let config = try Config(args, kind: kind, opType: def.type, checkPads: false)
                    return { ctx in try runPoolGradient(ctx, config, opType: def.type) }
                }
            ])
    }

    // MARK: Shapes

    struct PoolShape {
        var batch: Int
        var channels: Int
        var outSpatial: [Int]
        var geometry: ConvGeometry
    }

    static func poolShape(_ x: TensorView, _ c: Config, opType: String) throws -> PoolShape {
        try DenseOperators.requireFloat(x)
        let layout = try ImageLayout(x.dims, order: c.args.order, blob: x.name, opType: opType)
        guard layout.spatial.count <= 3 else {
            throw Caffe2Error(
                .shape, "\(opType): Unsupported pooling dim: \(layout.spatial.count) (input '\(x.name)' \(x.dims))",
                blob: x.name)
        }
        guard layout.channels * layout.spatialCount > 0 else {
            throw Caffe2Error(.shape, "\(opType): input '\(x.name)' \(x.dims) has no elements per image", blob: x.name)
        }
        let (out, pads, kernel) = try c.args.outputSize(input: layout.spatial, opType: opType)
        let r = out.count
        let geometry = ConvGeometry(
            channels: layout.channels, input: layout.spatial, output: out, kernel: kernel,
            stride: c.args.globalPooling ? Array(repeating: 1, count: r) : c.args.stride,
            dilation: Array(repeating: 1, count: r), padHead: Array(pads[0..<r]))
        return PoolShape(batch: layout.batch, channels: layout.channels, outSpatial: out, geometry: geometry)
    }

    // MARK: Forward

    static func runPool(_ ctx: OperatorContext, _ c: Config, _ scratch: ScratchPool, opType: String) throws {
        let x = try ctx.input(0)
        let s = try poolShape(x, c, opType: opType)
        let y = try ctx.output(
            0, dims: ImageLayout.dims(batch: s.batch, channels: s.channels, spatial: s.outSpatial, order: c.args.order),
            type: .float)
        if s.batch == 0 { return }
        let xp = x.pointer(Float.self), yp = y.pointer(Float.self)
        let g = s.geometry
        let inS = g.inputSize, outS = g.outputSize
        let work = x.count + y.count * min(g.kernelSize, 64)
        let parallel = work >= Parallel.minElementsPerThread * 2
        switch c.args.order {
        case .nchw:
            let planes = s.batch * s.channels
            let flat = g.input[0] == 1 && g.output[0] == 1
            let rowFloats = max(g.input[2], Int(c2_maxpool3s2_scratch_floats(Int32(g.input[2]))))
            let rows = (0..<Parallel.threadCount).map { scratch.thread($0).pointer(Float.self, count: rowFloats) }
            let body: (Int, Range<Int>) -> Void = { slot, range in
                if flat {
                    pool2DPlanes(xp, yp, g, planes: range, kind: c.kind, includePad: c.countIncludePad, row: rows[slot])
                    return
                }
                for pl in range {
                    if c.kind == .max {
                        maxPoolPlane(xp + pl * inS, yp + pl * outS, g)
                    } else {
                        averagePoolPlane(xp + pl * inS, yp + pl * outS, g, includePad: c.countIncludePad)
                    }
                }
            }
            if parallel { Parallel.forRanges(planes, body) } else { body(0, 0..<planes) }
        case .nhwc:
            let count = s.batch * outS
            let body: (Range<Int>) -> Void = { range in
                poolNHWC(xp, yp, g, positions: range, kind: c.kind, includePad: c.countIncludePad)
            }
            if parallel { Parallel.forRanges(count) { body($1) } } else { body(0..<count) }
        }
    }

    /// The clipped window `[lo, hi)` of output index `o` along one dim.
    @inline(__always)
    static func window(_ o: Int, stride: Int, pad: Int, kernel: Int, size: Int) -> (Int, Int) {
        let start = o * stride - pad
        return (max(start, 0), min(start + kernel, size))
    }

    /// 2-D pooling (D = 1) of NCHW planes `planes`: for each output row, the
    /// window's input rows are first reduced into `row` (contiguous, vectorised),
    /// then each output takes the reduction of its columns of `row`.
    @inline(never)
    static func pool2DPlanes(
        _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ g: ConvGeometry, planes: Range<Int>,
        kind: Kind, includePad: Bool, row: UnsafeMutablePointer<Float>
    ) {
        let iH = g.input[1], iW = g.input[2], oH = g.output[1], oW = g.output[2]
        let kH = g.kernel[1], kW = g.kernel[2], sH = g.stride[1], sW = g.stride[2]
        let pH = g.padHead[1], pW = g.padHead[2]
        let full = Float(kH * kW)
        if kind == .max && kH == 3 && kW == 3 && sH == 2 && sW == 2 && pH == 0 && pW == 0 && 2 * (oH - 1) < iH
            && 2 * (oW - 1) < iW
        {
            // 3×3 stride-2 max pooling (every window starts inside the plane): a vector kernel per row.
            for pl in planes {
                let xp = x + pl * iH * iW, yp = y + pl * oH * oW
                for oh in 0..<oH {
                    c2_maxpool3s2_row(
                        xp + 2 * oh * iW, iW, Int32(min(3, iH - 2 * oh)), Int32(iW), yp + oh * oW, Int32(oW), row)
                }
            }
            return
        }
        if kH == 2 && kW == 2 && sH == 2 && sW == 2 && pH == 0 && pW == 0 && 2 * oH <= iH && 2 * oW <= iW {
            // 2×2 stride-2 windows, all inside: one pass, no row buffer.
            for pl in planes {
                let xp = x + pl * iH * iW, yp = y + pl * oH * oW
                for oh in 0..<oH {
                    let r0 = xp + 2 * oh * iW, r1 = r0 + iW, yr = yp + oh * oW
                    if kind == .max {
                        for ow in 0..<oW {
                            let a = r0[2 &* ow] > r0[2 &* ow &+ 1] ? r0[2 &* ow] : r0[2 &* ow &+ 1]
                            let b = r1[2 &* ow] > r1[2 &* ow &+ 1] ? r1[2 &* ow] : r1[2 &* ow &+ 1]
                            yr[ow] = a > b ? a : b
                        }
                    } else {
                        for ow in 0..<oW {
                            yr[ow] = (r0[2 &* ow] + r0[2 &* ow &+ 1] + r1[2 &* ow] + r1[2 &* ow &+ 1]) * 0.25
                        }
                    }
                }
            }
            return
        }
        for pl in planes {
            let xp = x + pl * iH * iW, yp = y + pl * oH * oW
            for oh in 0..<oH {
                let (h0, h1) = window(oh, stride: sH, pad: pH, kernel: kH, size: iH)
                let yr = yp + oh * oW
                if h1 <= h0 {
                    yr.update(repeating: kind == .max ? -.infinity : 0, count: oW)
                    continue
                }
                var src = UnsafePointer(xp + h0 * iW)
                if h1 - h0 > 1 {
                    row.update(from: src, count: iW)
                    for h in (h0 + 1)..<h1 {
                        let r = xp + h * iW
                        if kind == .max {
                            for w in 0..<iW { row[w] = r[w] > row[w] ? r[w] : row[w] }
                        } else {
                            for w in 0..<iW { row[w] += r[w] }
                        }
                    }
                    src = UnsafePointer(row)
                }
                // Interior outputs (window fully inside the row): one strided pass per
                // kernel tap, which vectorises; the clipped edge windows one by one.
                let lo = min(oW, (pW + sW - 1) / sW)
                let hi = iW + pW - kW < 0 ? lo : max(lo, min(oW, (iW + pW - kW) / sW + 1))
                if lo < hi {
                    horizontalPool(src - pW, yr, range: lo..<hi, kernel: kW, stride: sW, max: kind == .max)
                    if kind == .average {
                        let scale = 1 / (includePad ? full : Float((h1 - h0) * kW))
                        for ow in lo..<hi { yr[ow] *= scale }
                    }
                }
                @inline(__always)
                func edge(_ ow: Int) {
                    let (w0, w1) = window(ow, stride: sW, pad: pW, kernel: kW, size: iW)
                    if w1 <= w0 {
                        yr[ow] = kind == .max ? -.infinity : 0
                        return
                    }
                    var acc = src[w0]
                    if kind == .max {
                        for w in (w0 + 1)..<w1 { acc = src[w] > acc ? src[w] : acc }
                        yr[ow] = acc
                    } else {
                        for w in (w0 + 1)..<w1 { acc += src[w] }
                        yr[ow] = acc / (includePad ? full : Float((h1 - h0) * (w1 - w0)))
                    }
                }
                for ow in 0..<lo { edge(ow) }
                for ow in hi..<oW { edge(ow) }
            }
        }
    }

    /// `y[o] = reduce_j src[o·stride + j]` over `j < kernel` for `o` in `range`
    /// (max or sum), one pass per tap; strides 1 and 2 get constant-stride loops.
    @inline(__always)
    static func horizontalPool(
        _ src: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, range: Range<Int>, kernel: Int, stride: Int,
        max isMax: Bool
    ) {
        @inline(__always)
        func pass(_ s: UnsafePointer<Float>, _ step: Int, first: Bool) {
            if first {
                for o in range { y[o] = s[o &* step] }
            } else if isMax {
                for o in range {
                    let v = s[o &* step]
                    y[o] = v > y[o] ? v : y[o]
                }
            } else {
                for o in range { y[o] += s[o &* step] }
            }
        }
        for j in 0..<kernel {
            switch stride {
            case 1: pass(src + j, 1, first: j == 0)
            case 2: pass(src + j, 2, first: j == 0)
            default: pass(src + j, stride, first: j == 0)
            }
        }
    }

    /// Max pooling of one channel plane (`D×H×W` → `oD×oH×oW`).
    @inline(never)
    static func maxPoolPlane(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ g: ConvGeometry) {
        let (iD, iH, iW) = (g.input[0], g.input[1], g.input[2])
        let (oD, oH, oW) = (g.output[0], g.output[1], g.output[2])
        var yi = 0
        for od in 0..<oD {
            let (d0, d1) = window(od, stride: g.stride[0], pad: g.padHead[0], kernel: g.kernel[0], size: iD)
            for oh in 0..<oH {
                let (h0, h1) = window(oh, stride: g.stride[1], pad: g.padHead[1], kernel: g.kernel[1], size: iH)
                for ow in 0..<oW {
                    let (w0, w1) = window(ow, stride: g.stride[2], pad: g.padHead[2], kernel: g.kernel[2], size: iW)
                    var m = -Float.infinity
                    for d in d0..<max(d0, d1) {
                        for h in h0..<max(h0, h1) {
                            let row = x + (d * iH + h) * iW
                            for w in w0..<max(w0, w1) { m = row[w] > m ? row[w] : m }
                        }
                    }
                    y[yi] = m
                    yi += 1
                }
            }
        }
    }

    /// Average pooling of one channel plane.
    @inline(never)
    static func averagePoolPlane(
        _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ g: ConvGeometry, includePad: Bool
    ) {
        let (iD, iH, iW) = (g.input[0], g.input[1], g.input[2])
        let (oD, oH, oW) = (g.output[0], g.output[1], g.output[2])
        let full = g.kernelSize
        var yi = 0
        for od in 0..<oD {
            let (d0, d1) = window(od, stride: g.stride[0], pad: g.padHead[0], kernel: g.kernel[0], size: iD)
            for oh in 0..<oH {
                let (h0, h1) = window(oh, stride: g.stride[1], pad: g.padHead[1], kernel: g.kernel[1], size: iH)
                for ow in 0..<oW {
                    let (w0, w1) = window(ow, stride: g.stride[2], pad: g.padHead[2], kernel: g.kernel[2], size: iW)
                    var sum: Float = 0
                    for d in d0..<max(d0, d1) {
                        for h in h0..<max(h0, h1) {
                            let row = x + (d * iH + h) * iW
                            for w in w0..<max(w0, w1) { sum += row[w] }
                        }
                    }
                    let count = includePad ? full : max(d1 - d0, 0) * max(h1 - h0, 0) * max(w1 - w0, 0)
                    y[yi] = count > 0 ? sum / Float(count) : 0
                    yi += 1
                }
            }
        }
    }

    /// NHWC pooling of output positions `positions` (flattened over batch and
    /// output pixels), vectorised over channels.
    @inline(never)
    static func poolNHWC(
        _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ g: ConvGeometry, positions: Range<Int>,
        kind: Kind, includePad: Bool
    ) {
        let c = g.channels
        let (iD, iH, iW) = (g.input[0], g.input[1], g.input[2])
        let (oD, oH, oW) = (g.output[0], g.output[1], g.output[2])
        let outS = oD * oH * oW, inS = iD * iH * iW
        for pos in positions {
            let n = pos / outS
            var r = pos % outS
            let ow = r % oW
            r /= oW
            let oh = r % oH
            let od = r / oH
            let (d0, d1) = window(od, stride: g.stride[0], pad: g.padHead[0], kernel: g.kernel[0], size: iD)
            let (h0, h1) = window(oh, stride: g.stride[1], pad: g.padHead[1], kernel: g.kernel[1], size: iH)
            let (w0, w1) = window(ow, stride: g.stride[2], pad: g.padHead[2], kernel: g.kernel[2], size: iW)
            let yr = y + pos * c
            yr.update(repeating: kind == .max ? -Float.infinity : 0, count: c)
            let xn = x + n * inS * c
            for d in d0..<max(d0, d1) {
                for h in h0..<max(h0, h1) {
                    for w in w0..<max(w0, w1) {
                        let xr = xn + ((d * iH + h) * iW + w) * c
                        if kind == .max {
                            for ch in 0..<c { yr[ch] = xr[ch] > yr[ch] ? xr[ch] : yr[ch] }
                        } else {
                            for ch in 0..<c { yr[ch] += xr[ch] }
                        }
                    }
                }
            }
            if kind == .average {
                let count = includePad ? g.kernelSize : max(d1 - d0, 0) * max(h1 - h0, 0) * max(w1 - w0, 0)
                let inv: Float = count > 0 ? 1 / Float(count) : 0
                for ch in 0..<c { yr[ch] *= inv }
            }
        }
    }

    // MARK: Backward

    static func runPoolGradient(_ ctx: OperatorContext, _ c: Config, opType: String) throws {
        let x = try ctx.input(0), y = try ctx.input(1), dy = try ctx.input(2)
        try DenseOperators.requireFloat(y)
        try DenseOperators.requireFloat(dy)
        let s = try poolShape(x, c, opType: opType)
        let yDims = ImageLayout.dims(batch: s.batch, channels: s.channels, spatial: s.outSpatial, order: c.args.order)
        guard y.dims == yDims, dy.dims == yDims else {
            throw Caffe2Error(
                .shape,
                "\(opType): Y '\(y.name)' \(y.dims) and dY '\(dy.name)' \(dy.dims) must have the pooled dims \(yDims) of X '\(x.name)' \(x.dims)",
                blob: dy.name)
        }
        let dx = try ctx.output(0, like: x)
        dx.zero()
        if s.batch == 0 { return }
        let xp = x.pointer(Float.self), yp = y.pointer(Float.self), dyp = dy.pointer(Float.self)
        let dxp = dx.pointer(Float.self)
        let g = s.geometry
        let inS = g.inputSize, outS = g.outputSize
        let parallel = x.count + y.count * min(g.kernelSize, 64) >= Parallel.minElementsPerThread * 2
        switch c.args.order {
        case .nchw:
            let planes = s.batch * s.channels
            let body: (Range<Int>) -> Void = { range in
                for pl in range {
                    poolGradientPlane(
                        xp + pl * inS, yp + pl * outS, dyp + pl * outS, dxp + pl * inS, g, kind: c.kind,
                        includePad: c.countIncludePad)
                }
            }
            if parallel { Parallel.forRanges(planes) { body($1) } } else { body(0..<planes) }
        case .nhwc:
            // Windows of different output pixels overlap in dX: split by image.
            let body: (Range<Int>) -> Void = { range in
                for n in range {
                    poolGradientNHWC(
                        xp + n * inS * s.channels, yp + n * outS * s.channels, dyp + n * outS * s.channels,
                        dxp + n * inS * s.channels, g, kind: c.kind, includePad: c.countIncludePad)
                }
            }
            if parallel { Parallel.forRanges(s.batch) { body($1) } } else { body(0..<s.batch) }
        }
    }

    /// Gradient of one channel plane; `dx` must be zeroed.
    @inline(never)
    static func poolGradientPlane(
        _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
        _ dx: UnsafeMutablePointer<Float>, _ g: ConvGeometry, kind: Kind, includePad: Bool
    ) {
        let (iD, iH, iW) = (g.input[0], g.input[1], g.input[2])
        let (oD, oH, oW) = (g.output[0], g.output[1], g.output[2])
        var yi = 0
        for od in 0..<oD {
            let (d0, d1) = window(od, stride: g.stride[0], pad: g.padHead[0], kernel: g.kernel[0], size: iD)
            for oh in 0..<oH {
                let (h0, h1) = window(oh, stride: g.stride[1], pad: g.padHead[1], kernel: g.kernel[1], size: iH)
                for ow in 0..<oW {
                    let (w0, w1) = window(ow, stride: g.stride[2], pad: g.padHead[2], kernel: g.kernel[2], size: iW)
                    let grad = dy[yi]
                    if kind == .max {
                        let m = y[yi]
                        for d in d0..<max(d0, d1) {
                            for h in h0..<max(h0, h1) {
                                let off = (d * iH + h) * iW
                                for w in w0..<max(w0, w1) { dx[off + w] += x[off + w] == m ? grad : 0 }
                            }
                        }
                    } else {
                        let count =
                            includePad ? g.kernelSize : max(d1 - d0, 0) * max(h1 - h0, 0) * max(w1 - w0, 0)
                        if count > 0 {
                            let v = grad / Float(count)
                            for d in d0..<max(d0, d1) {
                                for h in h0..<max(h0, h1) {
                                    let row = dx + (d * iH + h) * iW
                                    for w in w0..<max(w0, w1) { row[w] += v }
                                }
                            }
                        }
                    }
                    yi += 1
                }
            }
        }
    }

    /// Gradient of one NHWC image; `dx` must be zeroed.
    @inline(never)
    static func poolGradientNHWC(
        _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
        _ dx: UnsafeMutablePointer<Float>, _ g: ConvGeometry, kind: Kind, includePad: Bool
    ) {
        let c = g.channels
        let (iD, iH, iW) = (g.input[0], g.input[1], g.input[2])
        let (oD, oH, oW) = (g.output[0], g.output[1], g.output[2])
        var pos = 0
        for od in 0..<oD {
            let (d0, d1) = window(od, stride: g.stride[0], pad: g.padHead[0], kernel: g.kernel[0], size: iD)
            for oh in 0..<oH {
                let (h0, h1) = window(oh, stride: g.stride[1], pad: g.padHead[1], kernel: g.kernel[1], size: iH)
                for ow in 0..<oW {
                    let (w0, w1) = window(ow, stride: g.stride[2], pad: g.padHead[2], kernel: g.kernel[2], size: iW)
                    let yr = y + pos * c, dyr = dy + pos * c
                    let count = includePad ? g.kernelSize : max(d1 - d0, 0) * max(h1 - h0, 0) * max(w1 - w0, 0)
                    let inv: Float = count > 0 ? 1 / Float(count) : 0
                    for d in d0..<max(d0, d1) {
                        for h in h0..<max(h0, h1) {
                            for w in w0..<max(w0, w1) {
                                let off = ((d * iH + h) * iW + w) * c
                                let xr = x + off, dxr = dx + off
                                if kind == .max {
                                    for ch in 0..<c { dxr[ch] += xr[ch] == yr[ch] ? dyr[ch] : 0 }
                                } else {
                                    for ch in 0..<c { dxr[ch] += dyr[ch] * inv }
                                }
                            }
                        }
                    }
                    pos += 1
                }
            }
        }
    }
}

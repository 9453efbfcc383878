/// Image operators: `PadImage` (with its gradient) and the two mobile
/// style-transfer conversions between packed 8-bit BGRA images and float
/// NCHW planes (`PackedInt8BGRANHWCToNCHWCStylizerPreprocess`,
/// `BRGNCHWCToPackedInt8BGRAStylizerDeprocess`) that the Caffe2 model zoo's
/// style-transfer nets use.
enum ImageOperators {
    static let definitions: [OperatorDefinition] = [
        padImage, padImageGradient, stylizerPreprocess, stylizerDeprocess,
    ]

    // MARK: PadImage

    /// How `PadImage` fills the border (numpy's `pad` modes).
    enum PadMode: String, Sendable {
        /// Every padded element is `value`.
        case constant
        /// Mirror over the edge row/column without repeating it (`[c b | a b c | b a]`).
        case reflect
        /// Repeat the edge row/column.
        case edge
    }

    /// The arguments of `PadImage` / `PadImageGradient`, read once.
    struct PadConfig: Sendable, Equatable {
        var mode: PadMode
        var value: Float
        var order: StorageOrder
        var top: Int
        var left: Int
        var bottom: Int
        var right: Int

        /// Reads `mode`, `value` and the `ConvPoolOpBase` pad spellings; strides
        /// (forward only), dilations and legacy padding are refused as in Caffe2.
        init(_ args: Arguments, opType: String, forward: Bool) throws {
            func fail(_ message: String) -> Caffe2Error {
                Caffe2Error(.argument, "\(opType): \(message)", opType: opType)
            }
            let modeName = try args.single("mode", default: "constant")
            guard let m = PadMode(rawValue: modeName) else {
                throw fail("Unknown padding mode: '\(modeName)' (argument 'mode' must be \"constant\", \"reflect\" or \"edge\")")
            }
            mode = m
            value = try args.single("value", default: Float(0))
            let conv = try ConvPoolArgs(args, opType: opType, requireKernel: false)
            guard conv.legacyPad == .notSet else {
                throw fail("Padding layer only supports explicit pad values (argument 'legacy_pad' must be 0).")
            }
            guard !conv.globalPooling else {
                throw fail("argument 'global_pooling' does not apply to padding.")
            }
            guard conv.dilation.allSatisfy({ $0 == 1 }) else {
                throw fail("Pooling op does not support dilation right now (argument 'dilation' must be 1).")
            }
            if forward {
                guard conv.stride.allSatisfy({ $0 == 1 }) else {
                    throw fail("Pooling op does not support stride right now (argument 'stride' must be 1).")
                }
            }
            guard conv.pads.count == 4 else {
                throw fail("pads 2-D images: expected 4 pads [t, l, b, r], got \(conv.pads)")
            }
            order = conv.order
            top = conv.pads[0]
            left = conv.pads[1]
            bottom = conv.pads[2]
            right = conv.pads[3]
        }

        /// `[N, C, H, W]` (or NHWC) split of a 4-D image's dims.
        func layout(_ dims: [Int64], blob: String, opType: String) throws -> (n: Int, c: Int, h: Int, w: Int) {
            guard dims.count == 4 else {
                throw Caffe2Error(
                    .shape,
                    "\(opType): input '\(blob)' has dims \(dims); expected a 4-D image (\(order == .nchw ? "[N, C, H, W]" : "[N, H, W, C]"))",
                    opType: opType, blob: blob)
            }
            let d = dims.map { Int($0) }
            return order == .nchw ? (d[0], d[1], d[2], d[3]) : (d[0], d[3], d[1], d[2])
        }

        /// Dims of an image of this order.
        func dims(n: Int, c: Int, h: Int, w: Int) -> [Int64] {
            (order == .nchw ? [n, c, h, w] : [n, h, w, c]).map { Int64($0) }
        }

        /// Throws when the mode cannot take its values from an `h × w` image
        /// (Caffe2 would read outside the image): reflection needs every pad
        /// smaller than the padded dimension, edge padding a non-empty one.
        func checkSource(h: Int, w: Int, blob: String, opType: String) throws {
            switch mode {
            case .constant:
                return
            case .reflect:
                guard top < h, bottom < h, left < w, right < w else {
                    throw Caffe2Error(
                        .argument,
                        "\(opType): reflect padding needs pads smaller than the image: pads [t=\(top), l=\(left), b=\(bottom), r=\(right)] for a \(h)×\(w) image '\(blob)'",
                        opType: opType, blob: blob)
                }
            case .edge:
                guard (h > 0 || top + bottom == 0), (w > 0 || left + right == 0) else {
                    throw Caffe2Error(
                        .argument,
                        "\(opType): edge padding of an empty \(h)×\(w) image '\(blob)' has no edge to repeat",
                        opType: opType, blob: blob)
                }
            }
        }

        /// For each padded coordinate `0..<size + head + tail`, the source
        /// coordinate in `0..<size`, or −1 where constant padding applies.
        func sourceIndex(size: Int, head: Int, tail: Int) -> [Int] {
            (0..<(size + head + tail)).map { p in
                let i = p - head
                switch mode {
                case .constant:
                    return i < 0 || i >= size ? -1 : i
                case .reflect:
                    // Mirror over 0, then over size - 1 (Caffe2's max(h, -h), min(h, 2H - h - 2)).
                    let a = abs(i)
                    return min(a, 2 * size - a - 2)
                case .edge:
                    return min(size - 1, max(i, 0))
                }
            }
        }
    }

    static let padImage = OperatorDefinition(
        schema: OperatorSchema("PadImage")
            .numInputs(1).numOutputs(1)
            .tensorInference("PadTensorInference") { def, inputs in
                guard let x = inputs.first else { throw inferenceInputError(def, 0) }
                let c = try PadConfig(try Arguments(def), opType: def.type, forward: true)
                let l = try c.layout(x.dims, blob: def.input[0], opType: def.type)
                return [
                    TensorShape(
                        dims: c.dims(n: l.n, c: l.c, h: l.h + c.top + c.bottom, w: l.w + c.left + c.right),
                        dataType: .float)
                ]
            }
            .types([.float])
            .doc(
                """
                Pads the two spatial dims of an image: `Y` is `[N, C, H + pad_t + pad_b, W + pad_l + pad_r]` \
                (NCHW) or `[N, H + pad_t + pad_b, W + pad_l + pad_r, C]` (NHWC). `mode` "constant" fills the \
                border with `value`, "reflect" mirrors the image without repeating its edge (every pad must be \
                smaller than the dimension it pads), "edge" repeats the edge rows and columns. Pads use the \
                convolution spellings and must be non-negative; stride and dilation must be 1 and `legacy_pad` unset.
                """
            )
            .arg("mode", "(string, default \"constant\") \"constant\", \"reflect\" or \"edge\".")
            .arg("value", "(float, default 0) The fill of constant padding.")
            .arg("pad", "(int, default 0) The same pad on all four sides; or `pads` `[t, l, b, r]` / `pad_t`, `pad_l`, `pad_b`, `pad_r`.")
            .arg("order", "(string, default \"NCHW\") \"NCHW\" or \"NHWC\".")
            .input(0, "X", "Float image `[N, C, H, W]` (NCHW) or `[N, H, W, C]` (NHWC).")
            .output(0, "Y", "The padded image, same order."),
        kernels: [
            OperatorKernel { def, args in
                let config = try PadConfig(args, opType: def.type, forward: true)
                return { ctx in try runPadImage(ctx, config, opType: def.type) }
            }
        ],
        gradient: .make { g in
            try g.singleGradientDef("PadImageGradient", inputs: [g.GO(0)], outputs: [g.GI(0)])
        })

    static let padImageGradient = OperatorDefinition(
        schema: OperatorSchema("PadImageGradient")
            .numInputs(1).numOutputs(1)
            .tensorInference("dY dims minus the pads") { def, inputs in
                guard let dy = inputs.first else { throw inferenceInputError(def, 0) }
                let c = try PadConfig(try Arguments(def), opType: def.type, forward: false)
                let l = try c.layout(dy.dims, blob: def.input[0], opType: def.type)
                let h = l.h - c.top - c.bottom
                let w = l.w - c.left - c.right
                guard h >= 0, w >= 0 else {
                    throw Caffe2Error(
                        .shape, "\(def.type): dY \(dy.dims) is smaller than its pads", opType: def.type,
                        blob: def.input[0])
                }
                return [TensorShape(dims: c.dims(n: l.n, c: l.c, h: h, w: w), dataType: .float)]
            }
            .types([.float])
            .doc(
                """
                Gradient of PadImage: `dX` has dY's dims minus the pads, and every element of `dY` is added to \
                the element of `dX` it was copied from (constant padding contributes nothing; reflected and \
                repeated elements add up). Takes the forward op's arguments.
                """
            )
            .arg("mode", "As in the forward op (with the pads and `order`).")
            .input(0, "dY", "Gradient of the padded output.")
            .output(0, "dX", "Gradient of the input image."),
        kernels: [
            OperatorKernel { def, args in
                let config = try PadConfig(args, opType: def.type, forward: false)
                return { ctx in try runPadImageGradient(ctx, config, opType: def.type) }
            }
        ])

    static func runPadImage(_ ctx: OperatorContext, _ c: PadConfig, opType: String) throws {
        let x = try ctx.input(0)
        guard x.dataType == .float else { throw x.unsupportedType([.float]) }
        let l = try c.layout(x.dims, blob: x.name, opType: opType)
        let planes = l.n * l.c
        if planes > 0 { try c.checkSource(h: l.h, w: l.w, blob: x.name, opType: opType) }
        let ph = l.h + c.top + c.bottom
        let pw = l.w + c.left + c.right
        let rows = c.sourceIndex(size: l.h, head: c.top, tail: c.bottom)
        let cols = c.sourceIndex(size: l.w, head: c.left, tail: c.right)
        let y = try ctx.output(0, dims: c.dims(n: l.n, c: l.c, h: ph, w: pw), type: .float)
        let xp = x.pointer(Float.self)
        let yp = y.pointer(Float.self)
        let value = c.value
        let (h, w, channels) = (l.h, l.w, l.c)
        rows.withUnsafeBufferPointer { rs in
            cols.withUnsafeBufferPointer { cs in
                switch c.order {
                case .nchw:
                    for plane in 0..<planes {
                        let src = xp + plane * h * w
                        var dst = yp + plane * ph * pw
                        for r in 0..<ph {
                            let sr = rs[r]
                            if sr < 0 {
                                dst.update(repeating: value, count: pw)
                            } else {
                                let row = src + sr * w
                                for q in 0..<pw {
                                    let sc = cs[q]
                                    dst[q] = sc < 0 ? value : row[sc]
                                }
                            }
                            dst += pw
                        }
                    }
                case .nhwc:
                    for n in 0..<l.n {
                        let src = xp + n * h * w * channels
                        var dst = yp + n * ph * pw * channels
                        for r in 0..<ph {
                            let sr = rs[r]
                            for q in 0..<pw {
                                let sc = cs[q]
                                if sr < 0 || sc < 0 {
                                    dst.update(repeating: value, count: channels)
                                } else {
                                    dst.update(from: src + (sr * w + sc) * channels, count: channels)
                                }
                                dst += channels
                            }
                        }
                    }
                }
            }
        }
    }

    static func runPadImageGradient(_ ctx: OperatorContext, _ c: PadConfig, opType: String) throws {
        let dy = try ctx.input(0)
        guard dy.dataType == .float else { throw dy.unsupportedType([.float]) }
        let l = try c.layout(dy.dims, blob: dy.name, opType: opType)
        let h = l.h - c.top - c.bottom
        let w = l.w - c.left - c.right
        guard h >= 0, w >= 0 else {
            throw Caffe2Error(
                .shape,
                "\(opType): dY '\(dy.name)' \(dy.dims) is smaller than its pads [t=\(c.top), l=\(c.left), b=\(c.bottom), r=\(c.right)]",
                blob: dy.name)
        }
        let planes = l.n * l.c
        if planes > 0 && l.h * l.w > 0 { try c.checkSource(h: h, w: w, blob: dy.name, opType: opType) }
        let rows = c.sourceIndex(size: h, head: c.top, tail: c.bottom)
        let cols = c.sourceIndex(size: w, head: c.left, tail: c.right)
        let dx = try ctx.output(0, dims: c.dims(n: l.n, c: l.c, h: h, w: w), type: .float)
        dx.zero()
        let gp = dy.pointer(Float.self)
        let xp = dx.pointer(Float.self)
        let (ph, pw, channels) = (l.h, l.w, l.c)
        rows.withUnsafeBufferPointer { rs in
            cols.withUnsafeBufferPointer { cs in
                switch c.order {
                case .nchw:
                    for plane in 0..<planes {
                        var src = gp + plane * ph * pw
                        let dst = xp + plane * h * w
                        for r in 0..<ph {
                            let sr = rs[r]
                            if sr >= 0 {
                                let row = dst + sr * w
                                for q in 0..<pw {
                                    let sc = cs[q]
                                    if sc >= 0 { row[sc] += src[q] }
                                }
                            }
                            src += pw
                        }
                    }
                case .nhwc:
                    for n in 0..<l.n {
                        var src = gp + n * ph * pw * channels
                        let dst = xp + n * h * w * channels
                        for r in 0..<ph {
                            let sr = rs[r]
                            for q in 0..<pw {
                                let sc = cs[q]
                                if sr >= 0 && sc >= 0 {
                                    let d = dst + (sr * w + sc) * channels
                                    for k in 0..<channels { d[k] += src[k] }
                                }
                                src += channels
                            }
                        }
                    }
                }
            }
        }
    }

    // MARK: Style-transfer conversions

    /// The workspace blob holding the preprocessing noise, shared by every
    /// `PackedInt8BGRANHWCToNCHWCStylizerPreprocess` op of a workspace (Caffe2's name).
    static let stylizerNoiseBlob = "__CAFFE2_STYLIZER_NOISE__"

    /// Shape check shared by the preprocess kernel and its inference: `[N, H, W, 4]`.
    static func packedImageLayout(_ dims: [Int64], blob: String, opType: String) throws -> (n: Int, h: Int, w: Int) {
        guard dims.count == 4, dims[3] == 4 else {
            throw Caffe2Error(
                .shape,
                "\(opType): input '\(blob)' has dims \(dims); expected a packed BGRA image [N, H, W, 4]",
                opType: opType, blob: blob)
        }
        return (Int(dims[0]), Int(dims[1]), Int(dims[2]))
    }

    /// Shape check shared by the deprocess kernel and its inference: `[N, 3, H, W]`.
    static func planarImageLayout(_ dims: [Int64], blob: String, opType: String) throws -> (n: Int, h: Int, w: Int) {
        guard dims.count == 4, dims[1] == 3 else {
            throw Caffe2Error(
                .shape,
                "\(opType): input '\(blob)' has dims \(dims); expected a 3-channel NCHW image [N, 3, H, W]",
                opType: opType, blob: blob)
        }
        return (Int(dims[0]), Int(dims[2]), Int(dims[3]))
    }

    /// `mean` must hold one float per colour channel.
    static func meanValues(_ ctx: OperatorContext, opType: String) throws -> (Float, Float, Float) {
        let m = try ctx.input(1)
        guard m.dataType == .float else { throw m.unsupportedType([.float]) }
        guard m.count == 3 else {
            throw Caffe2Error(
                .shape, "\(opType): mean '\(m.name)' has \(m.count) elements (dims \(m.dims)); expected 3, one per channel",
                blob: m.name)
        }
        let p = m.pointer(Float.self)
        return (p[0], p[1], p[2])
    }

    static let stylizerPreprocess = OperatorDefinition(
        schema: OperatorSchema("PackedInt8BGRANHWCToNCHWCStylizerPreprocess")
            .numInputs(2).numOutputs(1)
            .tensorInference("[N, H, W, 4] uint8 -> [N, 3, H, W] float") { def, inputs in
                guard let x = inputs.first else { throw inferenceInputError(def, 0) }
                let l = try packedImageLayout(x.dims, blob: def.input[0], opType: def.type)
                return [TensorShape(dims: [Int64(l.n), 3, Int64(l.h), Int64(l.w)], dataType: .float)]
            }
            .types([.uint8, .float])
            .doc(
                """
                Unpacks a packed 8-bit BGRA image `[N, H, W, 4]` into float NCHW planes `[N, 3, H, W]` for the \
                mobile style-transfer nets: channel `c` of the output (B, G, R in that order; alpha is dropped) \
                is `X[..., c] − mean[c] + noise`. The noise is `noise_size` values drawn once from \
                N(0, `noise_std`²) and kept in the workspace blob `__CAFFE2_STYLIZER_NOISE__`, so every later \
                run (and every such op in the workspace) reuses it; a float tensor of at least `noise_size` \
                values fed there beforehand is used instead (zeros give a noise-free output). The values are \
                used cyclically in (pixel, channel) order, starting over for each image. The draw is seeded \
                with `device_option.random_seed` when the op (or its net) sets one.
                """
            )
            .arg("noise_std", "(float, default 10) Standard deviation of the noise.")
            .arg("noise_size", "(int, default 491) Number of noise values (a prime, to avoid visible patterns).")
            .input(0, "X", "uint8 `[N, H, W, 4]`, BGRA per pixel.")
            .input(1, "mean", "float `[3]`: B, G, R means subtracted from the channels.")
            .output(0, "Y", "float `[N, 3, H, W]` (B, G, R planes)."),
        kernels: [
            OperatorKernel { def, args in
                let noiseStd = try args.single("noise_std", default: Float(10))
                let noiseSize = try args.single("noise_size", default: 491)
                guard noiseStd >= 0, noiseStd.isFinite else {
                    throw Caffe2Error(
                        .argument, "\(def.type): argument 'noise_std' must be a finite value ≥ 0, got \(noiseStd)",
                        opType: def.type)
                }
                guard noiseSize >= 1 else {
                    throw Caffe2Error(
                        .argument, "\(def.type): argument 'noise_size' must be at least 1, got \(noiseSize)",
                        opType: def.type)
                }
                let opType = def.type
                let seedSource = def
                return { ctx in
                    try runStylizerPreprocess(
                        ctx, noiseStd: noiseStd, noiseSize: noiseSize, seedSource: seedSource, opType: opType)
                }
            }
        ])

    /// The noise tensor: the workspace's cached one, or a fresh draw stored there.
    static func stylizerNoise(
        _ ctx: OperatorContext, noiseStd: Float, noiseSize: Int, seedSource: OperatorDef, opType: String
    ) throws -> Tensor {
        if let cached = ctx.workspace.blob(named: stylizerNoiseBlob)?.tensor {
            guard cached.dataType == .float, cached.count >= noiseSize else {
                throw Caffe2Error(
                    .shape,
                    "\(opType): blob '\(stylizerNoiseBlob)' holds \(cached.dataType) \(cached.dims); expected at least \(noiseSize) floats (argument 'noise_size')",
                    blob: stylizerNoiseBlob)
            }
            return cached
        }
        var noise = try Tensor(dims: [Int64(noiseSize)], dataType: .float)
        var g = RandomKernels.generator(for: seedSource)
        try noise.withUnsafeMutableBufferPointer(as: Float.self) { buf in
            RandomKernels.gaussian(buf.baseAddress!, count: noiseSize, mean: 0, std: noiseStd, using: &g)
        }
        ctx.workspace.feedBlob(stylizerNoiseBlob, noise)
        return noise
    }

    static func runStylizerPreprocess(
        _ ctx: OperatorContext, noiseStd: Float, noiseSize: Int, seedSource: OperatorDef, opType: String
    ) throws {
        let x = try ctx.input(0)
        guard x.dataType == .uint8 else { throw x.unsupportedType([.uint8]) }
        let l = try packedImageLayout(x.dims, blob: x.name, opType: opType)
        let (m0, m1, m2) = try meanValues(ctx, opType: opType)
        let noise = try stylizerNoise(
            ctx, noiseStd: noiseStd, noiseSize: noiseSize, seedSource: seedSource, opType: opType)
        let y = try ctx.output(0, dims: [Int64(l.n), 3, Int64(l.h), Int64(l.w)], type: .float)
        let plane = l.h * l.w
        let xp = x.pointer(UInt8.self)
        let yp = y.pointer(Float.self)
        // The cycle is `noise_size` even when a longer tensor was fed.
        try noise.withUnsafeBufferPointer(as: Float.self) { nz in
            for n in 0..<l.n {
                let src = xp + n * 4 * plane
                let dst = yp + n * 3 * plane
                var k = 0
                for p in 0..<plane {
                    let px = src + 4 * p
                    dst[p] = Float(px[0]) - m0 + nz[k]
                    k += 1
                    if k == noiseSize { k = 0 }
                    dst[plane + p] = Float(px[1]) - m1 + nz[k]
                    k += 1
                    if k == noiseSize { k = 0 }
                    dst[2 * plane + p] = Float(px[2]) - m2 + nz[k]
                    k += 1
                    if k == noiseSize { k = 0 }
                }
            }
        }
    }

    /// Caffe2's `clamped_cast<uint8_t>`: ≥ 255 gives 255, ≤ 0 gives 0, else
    /// truncation toward zero; NaN (undefined upstream) gives 0.
    @inline(__always)
    static func clampedByte(_ f: Float) -> UInt8 {
        if f >= 255 { return 255 }
        if f > 0 { return UInt8(f) }
        return 0
    }

    static let stylizerDeprocess = OperatorDefinition(
        schema: OperatorSchema("BRGNCHWCToPackedInt8BGRAStylizerDeprocess")
            .numInputs(2).numOutputs(1)
            .tensorInference("[N, 3, H, W] float -> [N, H, W, 4] uint8") { def, inputs in
                guard let x = inputs.first else { throw inferenceInputError(def, 0) }
                let l = try planarImageLayout(x.dims, blob: def.input[0], opType: def.type)
                return [TensorShape(dims: [Int64(l.n), Int64(l.h), Int64(l.w), 4], dataType: .uint8)]
            }
            .types([.float])
            .doc(
                """
                Packs float NCHW planes `[N, 3, H, W]` (B, G, R) into an 8-bit BGRA image `[N, H, W, 4]`: \
                channel `c` is `X[:, c] + mean[c]` clamped to [0, 255] and truncated toward zero (NaN gives \
                0); alpha is 255. The inverse of PackedInt8BGRANHWCToNCHWCStylizerPreprocess without the noise.
                """
            )
            .input(0, "X", "float `[N, 3, H, W]`.")
            .input(1, "mean", "float `[3]`: B, G, R means added back.")
            .output(0, "Y", "uint8 `[N, H, W, 4]`, BGRA per pixel, alpha 255."),
        kernels: [
            OperatorKernel { def, _ in
                let opType = def.type
                return { ctx in
                    let x = try ctx.input(0)
                    guard x.dataType == .float else { throw x.unsupportedType([.float]) }
                    let l = try planarImageLayout(x.dims, blob: x.name, opType: opType)
                    let (m0, m1, m2) = try meanValues(ctx, opType: opType)
                    let y = try ctx.output(0, dims: [Int64(l.n), Int64(l.h), Int64(l.w), 4], type: .uint8)
                    let plane = l.h * l.w
                    let xp = x.pointer(Float.self)
                    let yp = y.pointer(UInt8.self)
                    for n in 0..<l.n {
                        let src = xp + n * 3 * plane
                        let dst = yp + n * 4 * plane
                        for p in 0..<plane {
                            let px = dst + 4 * p
                            px[0] = clampedByte(src[p] + m0)
                            px[1] = clampedByte(src[plane + p] + m1)
                            px[2] = clampedByte(src[2 * plane + p] + m2)
                            px[3] = 255
                        }
                    }
                }
            }
        ])
}

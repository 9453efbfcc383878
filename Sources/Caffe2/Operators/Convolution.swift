import CKernels

/// Convolution: Conv (and its Conv1D/Conv2D/Conv3D aliases), ConvTranspose
/// and their gradients. The 1-D/2-D float forward runs through ``PackedGEMM``
/// with the image unfolded on the fly and the bias (and a fused Relu, see
/// ``FusionRequest``) applied in registers; the other kernels unfold images with
/// ``im2col(_:_:_:channels:)`` and multiply with ``GEMM``, skipping the unfolding
/// for 1×1 stride-1 unpadded convolutions. NHWC tensors are transposed to NCHW
/// around the same kernels.
enum ConvolutionOperators {
    static let definitions: [OperatorDefinition] =
        ["Conv", "Conv1D", "Conv2D", "Conv3D"].flatMap { [conv($0), convGradient($0 + "Gradient")] }
        + [convTranspose, convTransposeGradient]

    // MARK: Schemas

    static func conv(_ type: String) -> OperatorDefinition {
        OperatorDefinition(
            schema: OperatorSchema(type)
                .numInputs(2, 3).numOutputs(1)
                .tensorInference("TensorInferenceForConv") { def, inputs in
                    guard inputs.count >= 2 else { throw inferenceInputError(def, 1) }
                    guard let m = inputs[1].dims.first else {
                        throw Caffe2Error(.shape, "\(def.type): the filter has no dims", opType: def.type)
                    }
                    return [try ConvPoolArgs.inferImageOutput(def, inputs) { _ in Int(m) }]
                }
                .types([.float])
                .doc(
                    """
                    Convolution (cross-correlation) of `X` with `filter`, plus an optional bias: \
                    `Y[n, m, p] = b[m] + Σ_{j<C/G} Σ_k W[m, j, k] · X[n, g·C/G + j, p·stride − pad_head + k·dilation]` \
                    with `g = m / (M/G)` and zero padding. NCHW: X `[N, C, spatial...]`, filter `[M, C/G, k...]`, Y \
                    `[N, M, out...]`; NHWC: X `[N, spatial..., C]`, filter `[M, k..., C/G]`, Y `[N, out..., M]`. 1 to 3 \
                    spatial dims. Output size per dim: `(in + pad_head + pad_tail − (dilation·(kernel−1)+1)) / stride + 1` \
                    (or per `legacy_pad`). The kernel size must be given (`kernel`, `kernels` or `kernel_h`/`kernel_w`). \
                    Shape inference applies the same rule, dilation included (Caffe2's own inference ignored dilation). \
                    An NHWC filter stored `[M, C/G, k...]` (as Glow's test nets do) is accepted when the NHWC layout \
                    does not fit.
                    """
                )
                .arg("kernel", "(int) Kernel size in every spatial dim (sets 2 dims); or `kernels` (ints) / `kernel_h`, `kernel_w`.")
                .arg("stride", "(int, default 1) Or `strides` (ints) / `stride_h`, `stride_w`.")
                .arg("pad", "(int, default 0) Or `pads` (ints, all heads then all tails: `[t, l, b, r]`) / `pad_t`, `pad_l`, `pad_b`, `pad_r`.")
                .arg("dilation", "(int, default 1) Or `dilations` (ints) / `dilation_h`, `dilation_w`.")
                .arg("group", "(int, default 1) Number of channel groups.")
                .arg("order", "(string, default \"NCHW\") \"NCHW\" or \"NHWC\".")
                .arg("legacy_pad", "(int, default 0) 1 VALID, 2 SAME: pads computed from the input size.")
                .arg("no_gradient_to_input", "(int, default 0) The gradient skips dX.")
                .arg("shared_buffer", "(int, default 0) Performance hint; ignored.")
                .input(0, "X", "Input image batch.")
                .input(1, "filter", "Filter `[M, C/G, k...]` (NCHW) or `[M, k..., C/G]` (NHWC).")
                .input(2, "bias", "Optional 1-D bias of M elements.")
                .output(0, "Y", "Output image batch with M channels."),
            kernels: [
                OperatorKernel { def, args in
                    let cp = try ConvPoolArgs(args, opType: def.type)
                    // Set when the net fuses a following in-place Relu into this op.
                    let relu = FusionRequest.accept(.applyRelu)
                    // Or a following bias Add (NCHW only; the Add checks its own operands).
                    let biasAdd = cp.order == .nchw ? FusionRequest.acceptRequest(.writeBiasAdd) : nil
                    let scratch = ScratchPool()
                    return { ctx in try runConv(ctx, cp, scratch, opType: def.type, relu: relu, biasAdd: biasAdd) }
                }
            ],
            gradient: .make { g in
                let args = try Arguments(g.def)
                let skipInput = try args.single("no_gradient_to_input", default: 0) != 0
                let inputs = [try g.I(0), try g.I(1), try g.GO(0)]
                let type = g.def.type + "Gradient"
                if g.def.input.count == 3 {
                    let outputs = skipInput ? [try g.GI(1), try g.GI(2)] : [try g.GI(1), try g.GI(2), try g.GI(0)]
                    return g.singleGradientDef(type, inputs: inputs, outputs: outputs)
                }
                let outputs = skipInput ? [try g.GI(1)] : [try g.GI(1), try g.GI(0)]
                return g.singleGradientDef(
                    type, inputs: inputs, outputs: outputs, args: [Argument(name: "no_bias", int: 1)])
            })
    }

    static func convGradient(_ type: String) -> OperatorDefinition {
        OperatorDefinition(
            schema: OperatorSchema(type)
                .numInputs(2, 3).numOutputs(1, 3)
                .tensorInference { def, inputs in
                    guard inputs.count >= 2 else { throw inferenceInputError(def, 1) }
                    let noBias = try Arguments(def).single("no_bias", default: 0) != 0
                    var out = [inputs[1]]
                    if !noBias && def.output.count >= 2 {
                        out.append(TensorShape(dims: [inputs[1].dims.first ?? 0], dataType: inputs[1].dataType))
                    }
                    if out.count < def.output.count { out.append(inputs[0]) }
                    return out
                }
                .types([.float])
                .doc(
                    """
                    Gradient of Conv. Inputs `(X, filter, dY)`; outputs `(dFilter, dBias, dX)`, or `(dFilter, dX)` with \
                    `no_bias = 1`; dX is optional. `dW = Σ_n dY_n · im2col(X_n)ᵀ` per group, `db[m] = Σ dY[n, m, ·]`, \
                    `dX = col2im(Wᵀ·dY)`.
                    """
                )
                .arg("no_bias", "(int, default 0) The forward op had no bias: output 1 is dX.")
                .input(0, "X", "Forward input.")
                .input(1, "filter", "Forward filter.")
                .input(2, "dY", "Gradient of the forward output.")
                .output(0, "dfilter", "Gradient of the filter.")
                .output(1, "dbias_or_dX", "Gradient of the bias, or of X when `no_bias`.")
                .output(2, "dX", "Gradient of X."),
            kernels: [
                OperatorKernel { def, args in
                    let cp = try ConvPoolArgs(args, opType: def.type)
                    let noBias = try args.single("no_bias", default: 0) != 0
                    if noBias && def.output.count == 3 {
                        throw Caffe2Error(
                            .schema, "\(def.type): If bias is not present, you should not have 3 grad output.",
                            opType: def.type)
                    }
                    if !noBias && def.output.count < 2 {
                        throw Caffe2Error(
                            .schema, "\(def.type): with a bias (no_bias = 0) the outputs are (dfilter, dbias[, dX])",
                            opType: def.type)
                    }
                    let scratch = ScratchPool()
                    return { ctx in try runConvGradient(ctx, cp, noBias: noBias, scratch, opType: def.type) }
                }
            ])
    }

    // MARK: Conv forward

    /// Everything a convolution run needs about its shapes.
    struct ConvShape {
        var batch: Int
        /// Channels of X (conv input).
        var inChannels: Int
        /// Channels of Y (conv output).
        var outChannels: Int
        var group: Int
        /// Geometry of one group of one image (channels = inChannels / group).
        var geometry: ConvGeometry
        var inSpatial: [Int]
        var outSpatial: [Int]
        var kernel: [Int]
        /// Whether the filter is laid out `[M, C/G, k...]` (always for NCHW).
        var filterChannelsFirst: Bool
    }

    /// Validates X and the filter (and bias) of a Conv and computes the shapes.
    static func convShape(
        _ x: TensorView, _ w: TensorView, bias: TensorView?, _ cp: ConvPoolArgs, opType: String
    ) throws -> ConvShape {
        try DenseOperators.requireFloat(x)
        try DenseOperators.requireFloat(w)
        if let bias { try DenseOperators.requireFloat(bias) }
        let layout = try ImageLayout(x.dims, order: cp.order, blob: x.name, opType: opType)
        guard layout.spatial.count <= 3 else {
            throw Caffe2Error(
                .shape, "\(opType): only 1-3d convolution is supported; input '\(x.name)' has dims \(x.dims)",
                blob: x.name)
        }
        guard x.rank == w.rank else {
            throw Caffe2Error(
                .shape,
                "\(opType): input '\(x.name)' \(x.dims) and filter '\(w.name)' \(w.dims) must have the same number of dims",
                blob: w.name)
        }
        guard layout.channels * layout.spatialCount > 0 else {
            throw Caffe2Error(.shape, "\(opType): input '\(x.name)' \(x.dims) has no elements per image", blob: x.name)
        }
        let g = cp.group
        let m = w.dim(0)
        let (out, pads, kernel) = try cp.outputSize(input: layout.spatial, opType: opType)
        // NHWC filters are [M, k..., C/G] in Caffe2. Glow's NHWC test nets store them
        // [M, C/G, k...] like NCHW; that layout is accepted when the NHWC one does not fit.
        var filterChannelsFirst = cp.order == .nchw
        if cp.order == .nhwc && Array(w.shape[1..<(w.rank - 1)]) != kernel && Array(w.shape[2...]) == kernel
            && w.dim(1) * g == layout.channels
        {
            filterChannelsFirst = true
        }
        let filterChannels = filterChannelsFirst ? w.dim(1) : w.dim(w.rank - 1)
        guard layout.channels == filterChannels * g else {
            throw Caffe2Error(
                .shape,
                "\(opType): Convolution op: input channels does not match: # of input channels \(layout.channels) is not equal to kernel channels * group: \(filterChannels)*\(g) (filter '\(w.name)' \(w.dims))",
                blob: w.name)
        }
        guard m % g == 0 else {
            throw Caffe2Error(
                .shape,
                "\(opType): The number of output channels is not divisible by group (filter '\(w.name)' has \(m) output channels, group \(g)).",
                blob: w.name)
        }
        let filterSpatial = filterChannelsFirst ? Array(w.shape[2...]) : Array(w.shape[1..<(w.rank - 1)])
        guard filterSpatial == kernel else {
            throw Caffe2Error(
                .shape,
                "\(opType): filter '\(w.name)' \(w.dims) has spatial dims \(filterSpatial) but the kernel is \(kernel)",
                blob: w.name)
        }
        if let bias {
            guard bias.rank == 1, bias.dim(0) == m else {
                throw Caffe2Error(
                    .shape, "\(opType): bias '\(bias.name)' must be 1-D with \(m) elements, got dims \(bias.dims)",
                    blob: bias.name)
            }
        }
        let r = kernel.count
        let geometry = ConvGeometry(
            channels: layout.channels / g, input: layout.spatial, output: out, kernel: kernel, stride: cp.stride,
            dilation: cp.dilation, padHead: Array(pads[0..<r]))
        return ConvShape(
            batch: layout.batch, inChannels: layout.channels, outChannels: m, group: g, geometry: geometry,
            inSpatial: layout.spatial, outSpatial: out, kernel: kernel, filterChannelsFirst: filterChannelsFirst)
    }

    static func runConv(
        _ ctx: OperatorContext, _ cp: ConvPoolArgs, _ scratch: ScratchPool, opType: String, relu: Bool = false,
        biasAdd: FusionRequest? = nil
    ) throws {
        let x = try ctx.input(0), w = try ctx.input(1)
        let bias = ctx.inputCount == 3 ? try ctx.input(2) : nil
        let s = try convShape(x, w, bias: bias, cp, opType: opType)
        let dims = ImageLayout.dims(batch: s.batch, channels: s.outChannels, spatial: s.outSpatial, order: cp.order)
        let y = try ctx.output(0, dims: dims, type: .float)
        // The fused bias Add's output, when its B is what this run can add (else the Add runs; a
        // run that fails before the Add ends the net's run, and the next run starts over here).
        var epilogue: BiasAddEpilogue?
        if let r = biasAdd {
            if let add = r.addContext, let b = try? add.input(1), b.dataType == .float, b.rank == 1,
                b.dim(0) == s.outChannels
            {
                let z = try add.output(0, dims: dims, type: .float)
                epilogue = BiasAddEpilogue(
                    z: z.pointer(Float.self), b: b.pointer(Float.self), channels: s.outChannels,
                    positions: s.geometry.outputSize)
            }
            r.biasAddDone = epilogue != nil
        }
        if s.batch == 0 || y.count == 0 { return }
        let bp = bias?.pointer(Float.self)
        switch cp.order {
        case .nchw:
            convForwardNCHW(
                x.pointer(Float.self), w.pointer(Float.self), bp, y.pointer(Float.self), s, scratch, relu: relu,
                epilogue: epilogue)
        case .nhwc:
            let inS = s.geometry.inputSize, outS = s.geometry.outputSize, ks = s.geometry.kernelSize
            let xt = scratch.shared(1).pointer(Float.self, count: x.count)
            let yt = scratch.shared(3).pointer(Float.self, count: y.count)
            transposeToChannelsFirst(x.pointer(Float.self), xt, batch: s.batch, spatial: inS, channels: s.inChannels)
            var wp = w.pointer(Float.self)
            if !s.filterChannelsFirst {
                let wt = scratch.shared(2).pointer(Float.self, count: w.count)
                transposeToChannelsFirst(wp, wt, batch: s.outChannels, spatial: ks, channels: s.inChannels / s.group)
                wp = UnsafePointer(wt)
            }
            convForwardNCHW(UnsafePointer(xt), wp, bp, yt, s, scratch, relu: relu)
            transposeToChannelsLast(UnsafePointer(yt), y.pointer(Float.self), batch: s.batch, spatial: outS, channels: s.outChannels)
        }
    }

    /// `Z = Y + b[channel]` over NCHW convolution outputs: the output of a bias `Add` the net fused
    /// after the convolution (``FusionRequest/Kind/writeBiasAdd``), one float addition per element
    /// exactly as the Add computes it.
    struct BiasAddEpilogue {
        let z: UnsafeMutablePointer<Float>
        let b: UnsafePointer<Float>
        /// Per image: channels × positions.
        let channels: Int, positions: Int

        func apply(_ y: UnsafePointer<Float>, image n: Int, channels cs: Range<Int>, positions ps: Range<Int>) {
            let count = ps.count
            for m in cs {
                let o = (n * channels + m) * positions + ps.lowerBound, v = b[m]
                let zo = z + o, yo = y + o
                for j in 0..<count { zo[j] = yo[j] + v }
            }
        }

        /// Over whole images, split over the threads.
        func applyAll(_ y: UnsafePointer<Float>, batch: Int) {
            Parallel.forChunks(batch * channels * positions) { r in
                // Positions [r) of the flattened output: row by row (one channel of one image).
                var i = r.lowerBound
                while i < r.upperBound {
                    let row = i / positions, end = min(r.upperBound, (row + 1) * positions)
                    apply(y, image: row / channels, channels: (row % channels)..<(row % channels + 1),
                          positions: (i - row * positions)..<(end - row * positions))
                    i = end
                }
            }
        }
    }

    /// Floats of unfolded columns per block: the block stays in a core's L2
    /// cache between im2col and the product that reads it.
    static let columnBlockBudget = 1 << 17

    /// NCHW forward: 2-D 3×3 stride-1 convolutions through ``Winograd``, other
    /// 1-D/2-D ones through ``convForwardPlanar``; 3-D ones (and what remains) per
    /// image and group, `Y_g = W_g · im2col(X_g) (+ b)`, computed in blocks of output rows (2-D) so that each unfolded block is
    /// multiplied while still in cache. The (image, group, block) items are
    /// spread over the threads, each with its own column buffer and a
    /// single-threaded product.
    static func convForwardNCHW(
        _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ b: UnsafePointer<Float>?,
        _ y: UnsafeMutablePointer<Float>, _ s: ConvShape, _ scratch: ScratchPool, relu: Bool = false,
        epilogue: BiasAddEpilogue? = nil
    ) {
        let geo = s.geometry
        let winograd = Winograd.applies(geo, outChannels: s.outChannels, group: s.group)
        if !winograd && geo.input[0] == 1 && geo.output[0] == 1 && geo.kernel[0] == 1 && geo.padHead[0] == 0 {
            convForwardPlanar(x, w, b, y, s, scratch, relu: relu, epilogue: epilogue)
            return
        }
        // The other paths add the fused bias Add's output after the whole product.
        defer { epilogue?.applyAll(y, batch: s.batch) }
        if winograd {
            convForwardWinograd(x, w, b, y, s, scratch, relu: relu)
            return
        }
        let k = geo.rows, p = geo.outputSize, mg = s.outChannels / s.group
        let inImage = s.inChannels * geo.inputSize, outImage = s.outChannels * p
        let identity = geo.isIdentity
        let oH = geo.output[1], oW = geo.output[2]
        // Output positions per block: whole output rows (2-D), or the whole image (3-D).
        let blockable = geo.output[0] == 1
        let work = s.batch * s.outChannels * p * k
        let parallel = work >= GEMM.minParallelWork ? Parallel.threadCount : 1
        var blockCount = 1
        if blockable {
            let budgetRows = max(1, min(oH, columnBlockBudget / max(k * oW, 1)))
            blockCount = (oH + budgetRows - 1) / budgetRows
            // Whole images and groups already balance a batch; a single image is
            // cut into a multiple of the thread count.
            if parallel > 1 && s.batch * s.group < parallel * 2 {
                blockCount = min(oH, (blockCount + parallel - 1) / parallel * parallel)
            }
        }
        let rowsPerBlock = (oH + blockCount - 1) / blockCount
        blockCount = (oH + rowsPerBlock - 1) / rowsPerBlock
        let perImage = s.group * blockCount
        let items = s.batch * perImage
        let colCount = identity ? 0 : (blockable ? k * rowsPerBlock * oW : k * p)

        func item(_ i: Int, col: UnsafeMutablePointer<Float>) {
            let n = i / perImage, g = (i % perImage) / blockCount, blk = i % blockCount
            let xg = x + n * inImage + g * geo.channels * geo.inputSize
            let rows = blockable ? (blk * rowsPerBlock)..<min(oH, (blk + 1) * rowsPerBlock) : 0..<oH
            let c0 = blockable ? rows.lowerBound * oW : 0
            let cols = blockable ? rows.count * oW : p
            let src: UnsafePointer<Float>
            let ldb: Int
            if identity {
                src = xg + c0
                ldb = p
            } else {
                im2col(xg, geo, col, channels: 0..<geo.channels, outputRows: blockable ? rows : nil)
                src = UnsafePointer(col)
                ldb = cols
            }
            let yg = y + n * outImage + g * mg * p + c0
            if let b {
                for m in 0..<mg {
                    let r = yg + m * p, v = b[g * mg + m]
                    for j in 0..<cols { r[j] = v }
                }
            }
            GEMM.serial(
                transA: false, transB: false, m: mg, n: cols, k: k, a: w + g * mg * k, lda: k, b: src, ldb: ldb,
                beta: b == nil ? 0 : 1, c: yg, ldc: p)
            if relu {
                for m in 0..<mg { ActivationKernels.reluSerial(yg + m * p, count: cols) }
            }
        }

        Parallel.forItems(items, threads: parallel, scratch: scratch, floats: colCount) { item($0, col: $1) }
    }

    /// 1-D/2-D NCHW forward through ``PackedGEMM``: per image and group,
    /// `Y_g = W_g · im2col(X_g) + b_g` with the image unfolded panel by panel
    /// inside the kernel (no column matrix), the bias as the starting value and
    /// an optional Relu applied in registers. Whole (image, group) planes are
    /// spread over the threads when they divide evenly, otherwise each plane's
    /// output positions are split, so a single image uses every thread too.
    static func convForwardPlanar(
        _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ b: UnsafePointer<Float>?,
        _ y: UnsafeMutablePointer<Float>, _ s: ConvShape, _ scratch: ScratchPool, relu: Bool,
        epilogue: BiasAddEpilogue? = nil
    ) {
        let geo = s.geometry
        let k = geo.rows, p = geo.outputSize, mg = s.outChannels / s.group
        let inPlane = geo.channels * geo.inputSize
        let work = s.batch * s.outChannels * p * k
        let threads = work >= GEMM.minParallelWork ? Parallel.threadCount : 1
        let planes = s.batch * s.group
        let pieces = threads == 1 || planes % threads == 0 ? 1 : min(threads, max(1, p / PackedGEMM.panelColumns))
        let items = planes * pieces
        var base = PackedGEMM.descriptor(m: mg, n: p, k: k, a: w, lda: k, c: y, ldc: p)
        if geo.isIdentity {
            // 1×1, stride 1, unpadded: the image is the matrix (channels × positions) already.
            base.b_kind = Int32(C2_B_ROW_MAJOR)
            base.ldb = geo.inputSize
        } else {
            base.b_kind = Int32(C2_B_IMAGE)
            base.ldb = 0
        }
        base.channels = Int32(geo.channels)
        base.in_h = Int32(geo.input[1])
        base.in_w = Int32(geo.input[2])
        base.kernel_h = Int32(geo.kernel[1])
        base.kernel_w = Int32(geo.kernel[2])
        base.stride_h = Int32(geo.stride[1])
        base.stride_w = Int32(geo.stride[2])
        base.pad_h = Int32(geo.padHead[1])
        base.pad_w = Int32(geo.padHead[2])
        base.dilation_h = Int32(geo.dilation[1])
        base.dilation_w = Int32(geo.dilation[2])
        base.out_w = Int32(geo.output[2])
        base.start = Int32(b == nil ? C2_INIT_ZERO : C2_INIT_ROW_BIAS)
        base.relu = relu ? 1 : 0
        @inline(__always)
        func item(_ i: Int, _ buffer: UnsafeMutablePointer<Float>) {
            let plane = i / pieces, piece = i % pieces
            let n = plane / s.group, g = plane % s.group
            var d = base
            d.a = w + g * mg * k
            d.b = x + n * s.inChannels * geo.inputSize + g * inPlane
            d.c = y + (n * s.outChannels + g * mg) * p
            if let b { d.bias = b + g * mg }
            let columns = PackedGEMM.columnRange(piece, of: pieces, n: p)
            PackedGEMM.columns(&d, columns, scratch: buffer)
            // While this part of Y is still in cache.
            epilogue?.apply(y, image: n, channels: (g * mg)..<((g + 1) * mg), positions: columns)
        }
        Parallel.forItems(items, threads: threads, scratch: scratch, floats: PackedGEMM.scratchFloats, item)
    }

    /// 3×3 stride-1 forward by ``Winograd`` F(2×2, 3×3), per image; a single image is split over
    /// the threads by tiles or by output channels.
    static func convForwardWinograd(
        _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ b: UnsafePointer<Float>?,
        _ y: UnsafeMutablePointer<Float>, _ s: ConvShape, _ scratch: ScratchPool, relu: Bool
    ) {
        let geo = s.geometry, m = s.outChannels, c = geo.channels
        var d = c2_winograd_desc()
        d.channels = Int32(c)
        d.out_channels = Int32(m)
        d.in_h = Int32(geo.input[1])
        d.in_w = Int32(geo.input[2])
        d.out_h = Int32(geo.output[1])
        d.out_w = Int32(geo.output[2])
        d.pad_h = Int32(geo.padHead[1])
        d.pad_w = Int32(geo.padHead[2])
        d.u = scratch.winograd.filters(w, outChannels: m, channels: c)
        d.bias = b
        d.relu = relu ? 1 : 0
        let tiles = Int(c2_winograd_tiles(&d)), blocks = (tiles + 31) / 32
        let work = s.batch * m * geo.outputSize * geo.rows
        let threads = work >= GEMM.minParallelWork ? Parallel.threadCount : 1
        // A single image is split over the threads by equal tile ranges when there are plenty of
        // blocks of 32 tiles, else by output channels (each thread then transforms every tile's
        // input, but the halves are even).
        let pieces = threads == 1 || s.batch % threads == 0 ? 1 : threads
        let byChannels = pieces > 1 && blocks < 4 * pieces
        let items = s.batch * pieces
        let inImage = c * geo.inputSize, outImage = m * geo.outputSize
        let rowTiles = (m + 7) / 8
        @inline(__always)
        func item(_ i: Int, _ buffer: UnsafeMutablePointer<Float>) {
            let n = i / pieces, piece = i % pieces
            var di = d
            di.x = x + n * inImage
            di.y = y + n * outImage
            var t = 0..<tiles, ch = 0..<m
            if byChannels {
                ch = min(m, rowTiles * piece / pieces * 8)..<min(m, rowTiles * (piece + 1) / pieces * 8)
            } else if pieces > 1 {
                t = (tiles * piece / pieces)..<(tiles * (piece + 1) / pieces)
            }
            c2_winograd_run(
                &di, Int32(t.lowerBound), Int32(t.upperBound), Int32(ch.lowerBound), Int32(ch.upperBound), buffer)
        }
        Parallel.forItems(items, threads: threads, scratch: scratch, floats: Winograd.scratchFloats(channels: c), item)
    }

    // MARK: Conv gradient

    static func runConvGradient(
        _ ctx: OperatorContext, _ cp: ConvPoolArgs, noBias: Bool, _ scratch: ScratchPool, opType: String
    ) throws {
        guard ctx.inputCount == 3 else {
            throw Caffe2Error(.schema, "\(opType): needs 3 inputs (X, filter, dY)")
        }
        let x = try ctx.input(0), w = try ctx.input(1), dy = try ctx.input(2)
        try DenseOperators.requireFloat(dy)
        let s = try convShape(x, w, bias: nil, cp, opType: opType)
        let yDims = ImageLayout.dims(batch: s.batch, channels: s.outChannels, spatial: s.outSpatial, order: cp.order)
        guard dy.dims == yDims else {
            throw Caffe2Error(
                .shape, "\(opType): dY '\(dy.name)' has dims \(dy.dims), expected the forward output's \(yDims)",
                blob: dy.name)
        }
        let dw = try ctx.output(0, like: w)
        let db = noBias ? nil : try ctx.output(1, dims: [Int64(s.outChannels)], type: .float)
        let dxIndex = noBias ? 1 : 2
        let dx = ctx.outputCount > dxIndex ? try ctx.output(dxIndex, like: x) : nil
        dw.zero()
        db?.zero()
        dx?.zero()
        if s.batch == 0 { return }
        switch cp.order {
        case .nchw:
            convBackwardNCHW(
                x.pointer(Float.self), w.pointer(Float.self), dy.pointer(Float.self), dw.pointer(Float.self),
                db?.pointer(Float.self), dx?.pointer(Float.self), s, scratch)
        case .nhwc:
            let g = s.geometry
            let xt = scratch.shared(1).pointer(Float.self, count: x.count)
            let dyt = scratch.shared(3).pointer(Float.self, count: dy.count)
            let dxt = dx == nil ? nil : scratch.shared(5).zeroed(Float.self, count: x.count)
            let cg = s.inChannels / s.group
            transposeToChannelsFirst(x.pointer(Float.self), xt, batch: s.batch, spatial: g.inputSize, channels: s.inChannels)
            transposeToChannelsFirst(
                dy.pointer(Float.self), dyt, batch: s.batch, spatial: g.outputSize, channels: s.outChannels)
            if s.filterChannelsFirst {
                convBackwardNCHW(
                    UnsafePointer(xt), w.pointer(Float.self), UnsafePointer(dyt), dw.pointer(Float.self),
                    db?.pointer(Float.self), dxt, s, scratch)
            } else {
                let wt = scratch.shared(2).pointer(Float.self, count: w.count)
                let dwt = scratch.shared(4).zeroed(Float.self, count: w.count)
                transposeToChannelsFirst(w.pointer(Float.self), wt, batch: s.outChannels, spatial: g.kernelSize, channels: cg)
                convBackwardNCHW(
                    UnsafePointer(xt), UnsafePointer(wt), UnsafePointer(dyt), dwt, db?.pointer(Float.self), dxt, s,
                    scratch)
                transposeToChannelsLast(
                    UnsafePointer(dwt), dw.pointer(Float.self), batch: s.outChannels, spatial: g.kernelSize, channels: cg)
            }
            if let dx, let dxt {
                transposeToChannelsLast(
                    UnsafePointer(dxt), dx.pointer(Float.self), batch: s.batch, spatial: g.inputSize,
                    channels: s.inChannels)
            }
        }
    }

    /// NCHW backward. `dw`, `db` and `dx` must be zeroed; they are accumulated into.
    static func convBackwardNCHW(
        _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
        _ dw: UnsafeMutablePointer<Float>, _ db: UnsafeMutablePointer<Float>?, _ dx: UnsafeMutablePointer<Float>?,
        _ s: ConvShape, _ scratch: ScratchPool
    ) {
        let geo = s.geometry
        let k = geo.rows, p = geo.outputSize, mg = s.outChannels / s.group
        let inImage = s.inChannels * geo.inputSize, outImage = s.outChannels * p
        let identity = geo.isIdentity
        let filterCount = s.outChannels * k
        let work = s.batch * s.outChannels * p * k

        func image(
            _ n: Int, col: UnsafeMutablePointer<Float>?, dcol: UnsafeMutablePointer<Float>?,
            dw: UnsafeMutablePointer<Float>, db: UnsafeMutablePointer<Float>?, parallel: Bool
        ) {
            let gemm: (Bool, Bool, Int, Int, Int, UnsafePointer<Float>, Int, UnsafePointer<Float>, Int, Float, UnsafeMutablePointer<Float>, Int) -> Void = {
                ta, tb, m, nn, kk, a, lda, b, ldb, beta, c, ldc in
                if parallel {
                    GEMM.multiply(transA: ta, transB: tb, m: m, n: nn, k: kk, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
                } else {
                    GEMM.serial(transA: ta, transB: tb, m: m, n: nn, k: kk, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
                }
            }
            for g in 0..<s.group {
                let xg = x + n * inImage + g * geo.channels * geo.inputSize
                var src = xg
                if let col, !identity {
                    if parallel { im2colParallel(xg, geo, col) } else { im2col(xg, geo, col, channels: 0..<geo.channels) }
                    src = UnsafePointer(col)
                }
                let dyg = dy + n * outImage + g * mg * p
                let wg = w + g * mg * k
                // dW_g[mg, K] += dY_g[mg, P] · colᵀ[P, K]
                gemm(false, true, mg, k, p, dyg, p, src, p, 1, dw + g * mg * k, k)
                if let dx {
                    let dxg = dx + n * inImage + g * geo.channels * geo.inputSize
                    if identity {
                        // dX_g[K, P] = W_gᵀ[K, mg] · dY_g[mg, P]
                        gemm(true, false, k, p, mg, wg, k, dyg, p, 0, dxg, p)
                    } else if let dcol {
                        gemm(true, false, k, p, mg, wg, k, dyg, p, 0, dcol, p)
                        if parallel { col2imParallel(UnsafePointer(dcol), geo, dxg) } else { col2im(UnsafePointer(dcol), geo, dxg, channels: 0..<geo.channels) }
                    }
                }
            }
            if let db {
                let dyn = dy + n * outImage
                for m in 0..<s.outChannels {
                    let r = dyn + m * p
                    var acc: Float = 0
                    for i in 0..<p { acc += r[i] }
                    db[m] += acc
                }
            }
        }

        let threads = Parallel.threadCount
        if s.batch >= 2 && threads > 1 && work >= GEMM.minParallelWork {
            let parts = min(threads, s.batch)
            // Slot 0 accumulates into the outputs; the others into private partials, summed after.
            var slots: [(col: UnsafeMutablePointer<Float>?, dcol: UnsafeMutablePointer<Float>?, dw: UnsafeMutablePointer<Float>, db: UnsafeMutablePointer<Float>?)] = []
            for t in 0..<parts {
                let buf = scratch.thread(t)
                let colCount = identity ? 0 : k * p
                let dcolCount = (dx != nil && !identity) ? k * p : 0
                let partial = t == 0 ? 0 : filterCount + (db == nil ? 0 : s.outChannels)
                let base = buf.pointer(Float.self, count: colCount + dcolCount + partial)
                let col = identity ? nil : base
                let dcol = dcolCount > 0 ? base + colCount : nil
                if t == 0 {
                    slots.append((col, dcol, dw, db))
                } else {
                    let pw = base + colCount + dcolCount
                    pw.update(repeating: 0, count: partial)
                    slots.append((col, dcol, pw, db == nil ? nil : pw + filterCount))
                }
            }
            let frozen = slots
            Parallel.forRanges(s.batch) { slot, range in
                let b = frozen[slot]
                for n in range { image(n, col: b.col, dcol: b.dcol, dw: b.dw, db: b.db, parallel: false) }
            }
            for t in 1..<parts {
                let pw = frozen[t].dw
                for i in 0..<filterCount { dw[i] += pw[i] }
                if let db, let pb = frozen[t].db {
                    for i in 0..<s.outChannels { db[i] += pb[i] }
                }
            }
        } else {
            let colCount = identity ? 0 : k * p
            let dcolCount = (dx != nil && !identity) ? k * p : 0
            let base = scratch.shared(0).pointer(Float.self, count: colCount + dcolCount)
            let col = identity ? nil : base
            let dcol = dcolCount > 0 ? base + colCount : nil
            for n in 0..<s.batch { image(n, col: col, dcol: dcol, dw: dw, db: db, parallel: true) }
        }
    }

    // MARK: ConvTranspose

    /// ConvTranspose's arguments: `ConvTransposeUnpoolBase`.
    struct ConvTransposeArgs: Sendable {
        var base: ConvPoolArgs
        var adj: [Int]

        init(_ args: Arguments, opType: String) throws {
            base = try ConvPoolArgs(args, opType: opType)
            if base.legacyPad == .caffeLegacyPooling {
                throw Caffe2Error(.argument, "\(opType): CAFFE_LEGACY_POOLING is no longer supported.", opType: opType)
            }
            if base.globalPooling {
                throw Caffe2Error(.argument, "\(opType): global_pooling does not apply to ConvTranspose", opType: opType)
            }
            var adj: [Int] = try args.repeated("adjs")
            if let a = try args.single("adj", as: Int.self) {
                adj = adj.count >= 2 ? Array(adj.prefix(2)) : adj + Array(repeating: a, count: 2 - adj.count)
            } else if args.has("adj_h") && args.has("adj_w") {
                adj += [try args.single("adj_h", default: 0), try args.single("adj_w", default: 0)]
            }
            if adj.isEmpty { adj = Array(repeating: 0, count: base.kernel.count) }
            guard adj.count == base.kernel.count else {
                throw Caffe2Error(
                    .argument, "\(opType): got \(adj.count) adjs for a \(base.kernel.count)-D kernel", opType: opType)
            }
            for (i, a) in adj.enumerated() where a < 0 || a > base.stride[i] {
                throw Caffe2Error(
                    .argument, "\(opType): adj must be in [0, stride] (\(base.stride[i])), got \(a) in dim \(i)",
                    opType: opType)
            }
            self.adj = adj
        }

        /// Output spatial sizes and the pads used: `(in − 1)·stride + kernel + adj − pad_head − pad_tail`.
        func outputSize(input: [Int], opType: String) throws -> (output: [Int], pads: [Int]) {
            let n = input.count
            guard n == base.kernel.count else {
                throw Caffe2Error(
                    .shape,
                    "\(opType): the input has \(n) spatial dims but the kernel \(base.kernel) has \(base.kernel.count)",
                    opType: opType)
            }
            var pads = base.pads
            if base.legacyPad == .valid || base.legacyPad == .same { pads = Array(repeating: 0, count: 2 * n) }
            var out = [Int](repeating: 0, count: n)
            for i in 0..<n {
                out[i] = (input[i] - 1) * base.stride[i] + base.kernel[i] + adj[i] - pads[i] - pads[n + i]
                guard out[i] > 0 else {
                    throw Caffe2Error(
                        .shape,
                        "\(opType): output size \(out[i]) in spatial dim \(i) is not positive (input \(input[i]), pads \(pads[i]) + \(pads[n + i]))",
                        opType: opType)
                }
            }
            return (out, pads)
        }
    }

    static let convTranspose = OperatorDefinition(
        schema: OperatorSchema("ConvTranspose")
            .numInputs(2, 3).numOutputs(1)
            .tensorInference { def, inputs in
                guard inputs.count >= 2 else { throw inferenceInputError(def, 1) }
                let a = try ConvTransposeArgs(try Arguments(def), opType: def.type)
                let layout = try ImageLayout(inputs[0].dims, order: a.base.order, blob: def.input[0], opType: def.type)
                let w = inputs[1].dims
                guard w.count >= 2 else { throw Caffe2Error(.shape, "\(def.type): filter has dims \(w)") }
                let c = Int(a.base.order == .nchw ? w[1] : w[w.count - 1]) * a.base.group
                let out = try a.outputSize(input: layout.spatial, opType: def.type).output
                return [
                    TensorShape(
                        dims: ImageLayout.dims(batch: layout.batch, channels: c, spatial: out, order: a.base.order),
                        dataType: .float)
                ]
            }
            .types([.float])
            .doc(
                """
                Transposed convolution (the adjoint of Conv, "deconvolution"). NCHW: X `[N, M, H, W]`, filter \
                `[M, C/G, kH, kW]`, Y `[N, C, H', W']`; NHWC: X `[N, H, W, M]`, filter `[M, kH, kW, C/G]`. Each input \
                pixel scatters `X[n, m, p] · W[m, c, k]` to `Y[n, c, p·stride − pad_head + k]`; then the bias `[C]` is \
                added. Output size `(in − 1)·stride + kernel + adj − pad_head − pad_tail`. No dilation.
                """
            )
            .arg("kernel", "(int) Or `kernels` / `kernel_h`, `kernel_w`; required.")
            .arg("stride", "(int, default 1) Or `strides` / `stride_h`, `stride_w`.")
            .arg("pad", "(int, default 0) Or `pads` / `pad_t`, `pad_l`, `pad_b`, `pad_r`.")
            .arg("adj", "(int, default 0) Extra output size at the tail, `0 ≤ adj ≤ stride`; or `adjs` / `adj_h`, `adj_w`.")
            .arg("group", "(int, default 1) Number of channel groups.")
            .arg("order", "(string, default \"NCHW\") \"NCHW\" or \"NHWC\".")
            .arg("legacy_pad", "(int, default 0) 1 VALID or 2 SAME: pads are 0. 3 is rejected.")
            .input(0, "X", "Input image batch with M channels.")
            .input(1, "filter", "Filter `[M, C/G, kH, kW]` (NCHW) or `[M, kH, kW, C/G]` (NHWC).")
            .input(2, "bias", "Optional 1-D bias of C elements.")
            .output(0, "Y", "Output image batch with C channels."),
        kernels: [
            OperatorKernel { def, args in
                let a = try ConvTransposeArgs(args, opType: def.type)
                let scratch = ScratchPool()
                return { ctx in try runConvTranspose(ctx, a, scratch, opType: def.type) }
            }
        ],
        gradient: .make { g in
            let args = try Arguments(g.def)
            let skipInput = try args.single("no_gradient_to_input", default: 0) != 0
            let inputs = [try g.I(0), try g.I(1), try g.GO(0)]
            if g.def.input.count == 3 {
                let outputs = skipInput ? [try g.GI(1), try g.GI(2)] : [try g.GI(1), try g.GI(2), try g.GI(0)]
                return g.singleGradientDef("ConvTransposeGradient", inputs: inputs, outputs: outputs)
            }
            let outputs = skipInput ? [try g.GI(1)] : [try g.GI(1), try g.GI(0)]
            return g.singleGradientDef(
                "ConvTransposeGradient", inputs: inputs, outputs: outputs, args: [Argument(name: "no_bias", int: 1)])
        })

    static let convTransposeGradient = OperatorDefinition(
        schema: OperatorSchema("ConvTransposeGradient")
            .numInputs(3).numOutputs(1, 3)
            .tensorInference { def, inputs in
                guard inputs.count == 3 else { throw inferenceInputError(def, 2) }
                let args = try Arguments(def)
                let noBias = try args.single("no_bias", default: 0) != 0
                let order = try StorageOrder(args, opType: def.type)
                let w = inputs[1].dims
                var out = [inputs[1]]
                if !noBias && def.output.count >= 2 {
                    let c = (w.count >= 2 ? (order == .nchw ? w[1] : w[w.count - 1]) : 0)
                        * Int64(try args.single("group", default: 1))
                    out.append(TensorShape(dims: [c], dataType: inputs[1].dataType))
                }
                if out.count < def.output.count { out.append(inputs[0]) }
                return out
            }
            .types([.float])
            .doc(
                "Gradient of ConvTranspose. Inputs `(X, filter, dY)`; outputs `(dFilter, dBias, dX)` or, with `no_bias`, `(dFilter, dX)`; dX optional. dX is the convolution of dY with the filter."
            )
            .arg("no_bias", "(int, default 0) The forward op had no bias: output 1 is dX.")
            .input(0, "X", "Forward input.")
            .input(1, "filter", "Forward filter.")
            .input(2, "dY", "Gradient of the forward output.")
            .output(0, "dfilter", "Gradient of the filter.")
            .output(1, "dbias_or_dX", "Gradient of the bias, or of X when `no_bias`.")
            .output(2, "dX", "Gradient of X."),
        kernels: [
            OperatorKernel { def, args in
                let a = try ConvTransposeArgs(args, opType: def.type)
                let noBias = try args.single("no_bias", default: 0) != 0
                if noBias && def.output.count == 3 {
                    throw Caffe2Error(
                        .schema, "\(def.type): If bias is not present, you should not have 3 grad output.",
                        opType: def.type)
                }
                if !noBias && def.output.count < 2 {
                    throw Caffe2Error(
                        .schema, "\(def.type): with a bias (no_bias = 0) the outputs are (dfilter, dbias[, dX])",
                        opType: def.type)
                }
                let scratch = ScratchPool()
                return { ctx in try runConvTransposeGradient(ctx, a, noBias: noBias, scratch, opType: def.type) }
            }
        ])

    /// ConvTranspose shapes: `geometry` describes the convolution whose input
    /// is Y (one group's C/G channels) and whose output grid is X's spatial grid.
    struct TransposeShape {
        var batch: Int
        var inChannels: Int  // M, channels of X
        var outChannels: Int  // C, channels of Y
        var group: Int
        var inSpatial: [Int]
        var outSpatial: [Int]
        var geometry: ConvGeometry
    }

    static func transposeShape(
        _ x: TensorView, _ w: TensorView, bias: TensorView?, _ a: ConvTransposeArgs, opType: String
    ) throws -> TransposeShape {
        try DenseOperators.requireFloat(x)
        try DenseOperators.requireFloat(w)
        if let bias { try DenseOperators.requireFloat(bias) }
        let order = a.base.order
        let layout = try ImageLayout(x.dims, order: order, blob: x.name, opType: opType)
        guard layout.spatial.count <= 3, x.rank == w.rank else {
            throw Caffe2Error(
                .shape,
                "\(opType): input '\(x.name)' \(x.dims) and filter '\(w.name)' \(w.dims) must both have 3 to 5 dims",
                blob: w.name)
        }
        guard layout.channels * layout.spatialCount > 0 else {
            throw Caffe2Error(.shape, "\(opType): input '\(x.name)' \(x.dims) has no elements per image", blob: x.name)
        }
        let g = a.base.group
        guard w.dim(0) == layout.channels else {
            throw Caffe2Error(
                .shape,
                "\(opType): filter '\(w.name)' \(w.dims) must have dim 0 equal to the input channels \(layout.channels)",
                blob: w.name)
        }
        guard layout.channels % g == 0 else {
            throw Caffe2Error(
                .shape, "\(opType): input channels \(layout.channels) are not divisible by group \(g)", blob: x.name)
        }
        let cg = order == .nchw ? w.dim(1) : w.dim(w.rank - 1)
        let filterSpatial = order == .nchw ? Array(w.shape[2...]) : Array(w.shape[1..<(w.rank - 1)])
        guard filterSpatial == a.base.kernel else {
            throw Caffe2Error(
                .shape,
                "\(opType): filter '\(w.name)' \(w.dims) has spatial dims \(filterSpatial) but the kernel is \(a.base.kernel) (filter height/width must be equal to kernel height/width)",
                blob: w.name)
        }
        let c = cg * g
        if let bias {
            guard bias.rank == 1, bias.dim(0) == c else {
                throw Caffe2Error(
                    .shape,
                    "\(opType): bias dimension must be equal to output channel number: bias '\(bias.name)' has dims \(bias.dims), expected [\(c)]",
                    blob: bias.name)
            }
        }
        let (out, pads) = try a.outputSize(input: layout.spatial, opType: opType)
        let r = out.count
        let geometry = ConvGeometry(
            channels: cg, input: out, output: layout.spatial, kernel: a.base.kernel, stride: a.base.stride,
            dilation: Array(repeating: 1, count: r), padHead: Array(pads[0..<r]))
        return TransposeShape(
            batch: layout.batch, inChannels: layout.channels, outChannels: c, group: g, inSpatial: layout.spatial,
            outSpatial: out, geometry: geometry)
    }

    static func runConvTranspose(
        _ ctx: OperatorContext, _ a: ConvTransposeArgs, _ scratch: ScratchPool, opType: String
    ) throws {
        let x = try ctx.input(0), w = try ctx.input(1)
        let bias = ctx.inputCount == 3 ? try ctx.input(2) : nil
        let s = try transposeShape(x, w, bias: bias, a, opType: opType)
        let order = a.base.order
        let y = try ctx.output(
            0, dims: ImageLayout.dims(batch: s.batch, channels: s.outChannels, spatial: s.outSpatial, order: order),
            type: .float)
        if s.batch == 0 { return }
        let bp = bias?.pointer(Float.self)
        switch order {
        case .nchw:
            convTransposeForwardNCHW(x.pointer(Float.self), w.pointer(Float.self), bp, y.pointer(Float.self), s, scratch)
        case .nhwc:
            let geo = s.geometry
            let xt = scratch.shared(1).pointer(Float.self, count: x.count)
            let wt = scratch.shared(2).pointer(Float.self, count: w.count)
            let yt = scratch.shared(3).pointer(Float.self, count: y.count)
            transposeToChannelsFirst(
                x.pointer(Float.self), xt, batch: s.batch, spatial: geo.outputSize, channels: s.inChannels)
            transposeToChannelsFirst(
                w.pointer(Float.self), wt, batch: s.inChannels, spatial: geo.kernelSize, channels: geo.channels)
            convTransposeForwardNCHW(UnsafePointer(xt), UnsafePointer(wt), bp, yt, s, scratch)
            transposeToChannelsLast(
                UnsafePointer(yt), y.pointer(Float.self), batch: s.batch, spatial: geo.inputSize,
                channels: s.outChannels)
        }
    }

    /// NCHW ConvTranspose: per image and group, `Y_g = col2im(W_gᵀ · X_g)`, then `+ b`.
    static func convTransposeForwardNCHW(
        _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ b: UnsafePointer<Float>?,
        _ y: UnsafeMutablePointer<Float>, _ s: TransposeShape, _ scratch: ScratchPool
    ) {
        let geo = s.geometry
        let k = geo.rows, p = geo.outputSize, q = geo.inputSize
        let mg = s.inChannels / s.group
        let identity = geo.isIdentity
        let col = identity ? nil : scratch.shared(0).pointer(Float.self, count: k * p)
        for n in 0..<s.batch {
            for g in 0..<s.group {
                let xg = x + n * s.inChannels * p + g * mg * p
                let wg = w + g * mg * k
                let yg = y + n * s.outChannels * q + g * geo.channels * q
                if let col {
                    GEMM.multiply(transA: true, transB: false, m: k, n: p, k: mg, a: wg, lda: k, b: xg, ldb: p, beta: 0, c: col, ldc: p)
                    yg.update(repeating: 0, count: geo.channels * q)
                    col2imParallel(UnsafePointer(col), geo, yg)
                } else {
                    GEMM.multiply(transA: true, transB: false, m: k, n: p, k: mg, a: wg, lda: k, b: xg, ldb: p, beta: 0, c: yg, ldc: p)
                }
            }
            if let b {
                for c in 0..<s.outChannels {
                    let r = y + (n * s.outChannels + c) * q
                    let v = b[c]
                    for i in 0..<q { r[i] += v }
                }
            }
        }
    }

    static func runConvTransposeGradient(
        _ ctx: OperatorContext, _ a: ConvTransposeArgs, noBias: Bool, _ scratch: ScratchPool, opType: String
    ) throws {
        let x = try ctx.input(0), w = try ctx.input(1), dy = try ctx.input(2)
        try DenseOperators.requireFloat(dy)
        let s = try transposeShape(x, w, bias: nil, a, opType: opType)
        let order = a.base.order
        let yDims = ImageLayout.dims(batch: s.batch, channels: s.outChannels, spatial: s.outSpatial, order: order)
        guard dy.dims == yDims else {
            throw Caffe2Error(
                .shape, "\(opType): dY '\(dy.name)' has dims \(dy.dims), expected the forward output's \(yDims)",
                blob: dy.name)
        }
        let dw = try ctx.output(0, like: w)
        let db = noBias ? nil : try ctx.output(1, dims: [Int64(s.outChannels)], type: .float)
        let dxIndex = noBias ? 1 : 2
        let dx = ctx.outputCount > dxIndex ? try ctx.output(dxIndex, like: x) : nil
        dw.zero()
        db?.zero()
        dx?.zero()
        if s.batch == 0 { return }
        switch order {
        case .nchw:
            convTransposeBackwardNCHW(
                x.pointer(Float.self), w.pointer(Float.self), dy.pointer(Float.self), dw.pointer(Float.self),
                db?.pointer(Float.self), dx?.pointer(Float.self), s, scratch)
        case .nhwc:
            let geo = s.geometry
            let xt = scratch.shared(1).pointer(Float.self, count: x.count)
            let wt = scratch.shared(2).pointer(Float.self, count: w.count)
            let dyt = scratch.shared(3).pointer(Float.self, count: dy.count)
            let dwt = scratch.shared(4).zeroed(Float.self, count: w.count)
            let dxt = dx == nil ? nil : scratch.shared(5).zeroed(Float.self, count: x.count)
            transposeToChannelsFirst(
                x.pointer(Float.self), xt, batch: s.batch, spatial: geo.outputSize, channels: s.inChannels)
            transposeToChannelsFirst(
                w.pointer(Float.self), wt, batch: s.inChannels, spatial: geo.kernelSize, channels: geo.channels)
            transposeToChannelsFirst(
                dy.pointer(Float.self), dyt, batch: s.batch, spatial: geo.inputSize, channels: s.outChannels)
            convTransposeBackwardNCHW(
                UnsafePointer(xt), UnsafePointer(wt), UnsafePointer(dyt), dwt, db?.pointer(Float.self), dxt, s, scratch)
            transposeToChannelsLast(
                UnsafePointer(dwt), dw.pointer(Float.self), batch: s.inChannels, spatial: geo.kernelSize,
                channels: geo.channels)
            if let dx, let dxt {
                transposeToChannelsLast(
                    UnsafePointer(dxt), dx.pointer(Float.self), batch: s.batch, spatial: geo.outputSize,
                    channels: s.inChannels)
            }
        }
    }

    /// NCHW ConvTranspose backward; `dw` and `db` are accumulated into (zeroed by the caller).
    static func convTransposeBackwardNCHW(
        _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
        _ dw: UnsafeMutablePointer<Float>, _ db: UnsafeMutablePointer<Float>?, _ dx: UnsafeMutablePointer<Float>?,
        _ s: TransposeShape, _ scratch: ScratchPool
    ) {
        let geo = s.geometry
        let k = geo.rows, p = geo.outputSize, q = geo.inputSize
        let mg = s.inChannels / s.group
        let identity = geo.isIdentity
        let col = identity ? nil : scratch.shared(0).pointer(Float.self, count: k * p)
        for n in 0..<s.batch {
            for g in 0..<s.group {
                let dyg = dy + n * s.outChannels * q + g * geo.channels * q
                var src = dyg
                if let col {
                    im2colParallel(dyg, geo, col)
                    src = UnsafePointer(col)
                }
                let xg = x + n * s.inChannels * p + g * mg * p
                let wg = w + g * mg * k
                // dW_g[mg, K] += X_g[mg, P] · colᵀ[P, K]
                GEMM.multiply(transA: false, transB: true, m: mg, n: k, k: p, a: xg, lda: p, b: src, ldb: p, beta: 1, c: dw + g * mg * k, ldc: k)
                if let dx {
                    // dX_g[mg, P] = W_g[mg, K] · col[K, P]
                    GEMM.multiply(
                        transA: false, transB: false, m: mg, n: p, k: k, a: wg, lda: k, b: src, ldb: p, beta: 0,
                        c: dx + n * s.inChannels * p + g * mg * p, ldc: p)
                }
            }
            if let db {
                for c in 0..<s.outChannels {
                    let r = dy + (n * s.outChannels + c) * q
                    var acc: Float = 0
                    for i in 0..<q { acc += r[i] }
                    db[c] += acc
                }
            }
        }
    }
}

import Foundation

/// Shape and data-movement operators: Concat, Split, Reshape, Flatten,
/// Transpose, Squeeze, ExpandDims, NCHW2NHWC / NHWC2NCHW and the gradient
/// helper ResizeLike.
///
/// Operators that keep the bytes as they are (Reshape, Flatten, Squeeze,
/// ExpandDims, ResizeLike) share the input's storage instead of copying it;
/// copy-on-write keeps both blobs safe. The others copy elements by their
/// byte size, so they work for every fixed-size element type, and for
/// strings where Caffe2 allows them.
enum ShapeOperators {
    static let definitions: [OperatorDefinition] = [
        concat(type: "Concat"), concat(type: "DepthConcat"),
        split(type: "Split"), split(type: "DepthSplit"),
        reshape, flatten, transpose, squeeze, expandDims,
        orderSwitch(type: "NCHW2NHWC", toChannelsLast: true),
        orderSwitch(type: "NHWC2NCHW", toChannelsLast: false),
        resizeLike,
    ]

    // MARK: Shared helpers

    /// `axis` made non-negative against `rank`; Caffe2's `canonical_axis_index_`.
    static func canonicalAxis(_ axis: Int, rank: Int, argument: String = "axis") throws -> Int {
        guard axis >= -rank, axis < rank else {
            throw Caffe2Error(
                .argument,
                "Axis not in input ndim range: argument '\(argument)' = \(axis) for rank \(rank) (expected \(-rank) ≤ \(argument) < \(rank))"
            )
        }
        return axis < 0 ? axis + rank : axis
    }

    /// Caffe2's `GetDimFromOrderString`: NCHW ⇒ 1, NHWC ⇒ 3.
    static func dimFromOrder(_ order: String) throws -> Int {
        switch order {
        case "NCHW", "nchw": return 1
        case "NHWC", "nhwc": return 3
        default: throw Caffe2Error(.argument, "Unsupported storage order: \(order) (argument 'order' must be NCHW or NHWC)")
        }
    }

    /// The `axis` / `order` / `add_axis` arguments of Concat and Split.
    static func concatAxis(_ args: Arguments, verb: String) throws -> (axis: Int, addAxis: Bool) {
        if args.has("axis") && args.has("order") {
            throw Caffe2Error(
                .argument, "You shouldn't specify both the dim to \(verb), and the order in the case of 4-D images.")
        }
        if args.has("axis") {
            let axis = try args.single("axis", default: -1)
            let addAxis = try args.single("add_axis", default: 0)
            return (axis, addAxis != 0)
        }
        return (try dimFromOrder(try args.single("order", default: "NCHW")), false)
    }

    /// Copies a `rows × rowBytes` block between buffers with row strides.
    @inline(__always)
    static func copyRows(
        rows: Int, rowBytes: Int, from src: UnsafeRawPointer, srcStride: Int, to dst: UnsafeMutableRawPointer,
        dstStride: Int
    ) {
        guard rowBytes > 0 else { return }
        // Big copies (Concat of feature maps) are spread over the cores: one core's copy
        // bandwidth is well below the machine's.
        let total = rows * rowBytes
        let parts = total >= 1 << 18 ? Parallel.threadCount : 1
        if parts > 1 {
            if rows >= parts {
                Parallel.forRanges(rows) { _, range in
                    for r in range {
                        (dst + r * dstStride).copyMemory(from: src + r * srcStride, byteCount: rowBytes)
                    }
                }
            } else {
                // Few long rows: each row's bytes split over the threads (on 64-byte boundaries).
                Parallel.forChunks(rowBytes, minPerThread: 64) { b in
                    for r in 0..<rows {
                        (dst + r * dstStride + b.lowerBound).copyMemory(
                            from: src + r * srcStride + b.lowerBound, byteCount: b.count)
                    }
                }
            }
            return
        }
        if srcStride == rowBytes && dstStride == rowBytes {
            dst.copyMemory(from: src, byteCount: total)
            return
        }
        for r in 0..<rows {
            (dst + r * dstStride).copyMemory(from: src + r * srcStride, byteCount: rowBytes)
        }
    }

    /// The same rows copy over string arrays (element units).
    static func copyRows(
        rows: Int, rowCount: Int, from src: [String], srcOffset: Int, srcStride: Int, to dst: inout [String],
        dstOffset: Int, dstStride: Int
    ) {
        for r in 0..<rows {
            for k in 0..<rowCount {
                dst[dstOffset + r * dstStride + k] = src[srcOffset + r * srcStride + k]
            }
        }
    }

    static func product(_ dims: ArraySlice<Int64>) -> Int { dims.reduce(1) { $0 * Int($1) } }

    static func elementSize(_ t: DataType, blob: String) throws -> Int {
        guard let size = t.elementSize, t.isTensorType else {
            throw Caffe2Error(.dataType, "input '\(blob)' holds \(t) elements, which cannot be copied", blob: blob)
        }
        return size
    }

    // MARK: Concat

    /// Output dims and split sizes of a Concat over `inputs`; throws Caffe2's messages.
    static func concatShape(
        _ inputs: [(name: String, dims: [Int64], type: DataType)], axis: Int, addAxis: Bool
    ) throws -> (dims: [Int64], axis: Int, splits: [Int32]) {
        let first = inputs[0]
        let adjusted = first.dims.count + (addAxis ? 1 : 0)
        let a = try canonicalAxis(axis, rank: adjusted)
        for (j, x) in inputs.enumerated().dropFirst() {
            guard x.type == first.type else {
                throw Caffe2Error(
                    .dataType,
                    "All inputs must have the same type, expected: \(first.type) but got: \(x.type) for input: \(j) ('\(x.name)')",
                    blob: x.name)
            }
            guard x.dims.count == first.dims.count else {
                throw Caffe2Error(
                    .shape,
                    "Concat input \(j) ('\(x.name)') has rank \(x.dims.count) \(x.dims), input 0 ('\(first.name)') has rank \(first.dims.count) \(first.dims)",
                    blob: x.name)
            }
            for i in 0..<first.dims.count where !(i == a && !addAxis) {
                if x.dims[i] != first.dims[i] {
                    throw Caffe2Error(
                        .shape,
                        "Expect dimension = \(first.dims[i]) got \(x.dims[i]) at axis = \(i) for input: \(j) ('\(x.name)'). The input tensors can only have different dimensions when arg 'add_axis' = 0 and along the axis = \(a) <\(first.dims)> vs <\(x.dims)>.",
                        blob: x.name)
                }
            }
        }
        var splits: [Int32] = []
        var total: Int64 = 0
        for x in inputs {
            let len: Int64 = addAxis ? 1 : x.dims[a]
            guard let s = Int32(exactly: len) else {
                throw Caffe2Error(.shape, "Concat input '\(x.name)' is too long along axis \(a): \(len)", blob: x.name)
            }
            splits.append(s)
            total += len
        }
        var dims = first.dims
        if addAxis { dims.insert(total, at: a) } else { dims[a] = total }
        return (dims, a, splits)
    }

    static func concat(type: String) -> OperatorDefinition {
        OperatorDefinition(
            schema: OperatorSchema(type)
                .numInputs(1, Int.max).numOutputs(2)
                .tensorInference("TensorInferenceForConcat") { def, inputs in
                    let (axis, addAxis) = try concatAxis(try Arguments(def), verb: "concat")
                    guard !inputs.isEmpty else { throw inferenceInputError(def, 0) }
                    let r = try concatShape(
                        zip(def.input, inputs).map { (name: $0.0, dims: $0.1.dims, type: $0.1.dataType) },
                        axis: axis, addAxis: addAxis)
                    return [
                        TensorShape(dims: r.dims, dataType: inputs[0].dataType),
                        TensorShape(dims: [Int64(inputs.count)], dataType: .int32),
                    ]
                }
                .types(DataType.tensorTypes)
                .doc(
                    """
                    Concatenates the inputs along `axis` (or, with `add_axis=1`, stacks them along a new axis \
                    inserted at `axis`, like numpy `stack`). All inputs must have the same type and the same \
                    dims except along the axis. `split_info` receives each input's length along the axis, \
                    which is what the gradient (`Split`) uses. Without `axis`, the axis comes from `order` \
                    (NCHW ⇒ 1, NHWC ⇒ 3; default NCHW).\(type == "DepthConcat" ? " `DepthConcat` is the deprecated name of `Concat`." : "")
                    """
                )
                .arg("axis", "(int, default -1) Axis to concatenate along; negative counts from the end.")
                .arg("order", "(string, default \"NCHW\") Storage order giving the axis when `axis` is absent (channel axis).")
                .arg("add_axis", "(int, default 0) Insert a new axis of length num_inputs at `axis` (read only with `axis`).")
                .input(0, "X0, X1, ...", "Tensors to concatenate (any element type, all the same).")
                .output(0, "concat_result", "The concatenated tensor.")
                .output(1, "split_info", "int32 [num_inputs]: each input's length along the axis (1 with add_axis)."),
            kernels: [
                OperatorKernel { _, args in
                    let (axis, addAxis) = try concatAxis(args, verb: "concat")
                    return { ctx in try runConcat(ctx, axis: axis, addAxis: addAxis) }
                }
            ],
            gradient: .make { g in
                // No gradient for the result: nothing to split.
                guard g.gradOut(0) != nil else { return [] }
                let outputs = try (0..<g.def.input.count).map { try g.GI($0) }
                return [g.gradientDef("Split", inputs: [try g.GO(0), try g.O(1)], outputs: outputs)]
            })
    }

    static func runConcat(_ ctx: OperatorContext, axis: Int, addAxis: Bool) throws {
        var views: [TensorView] = []
        views.reserveCapacity(ctx.inputCount)
        for i in 0..<ctx.inputCount { views.append(try ctx.input(i)) }
        let r = try concatShape(views.map { (name: $0.name, dims: $0.dims, type: $0.dataType) }, axis: axis, addAxis: addAxis)
        let x0 = views[0]
        let before = product(x0.dims[0..<r.axis])
        let after = addAxis ? product(x0.dims[r.axis...]) : product(x0.dims[(r.axis + 1)...])
        let outAxis = Int(r.dims[r.axis])
        if x0.dataType == .string {
            var out = [String](repeating: "", count: before * outAxis * after)
            var offset = 0
            for i in 0..<views.count {
                let len = Int(r.splits[i]) * after
                copyRows(
                    rows: before, rowCount: len, from: try ctx.inputTensor(i).strings, srcOffset: 0, srcStride: len,
                    to: &out, dstOffset: offset, dstStride: outAxis * after)
                offset += len
            }
            ctx.setOutput(0, try Tensor(dims: r.dims, strings: out))
        } else {
            let esize = try elementSize(x0.dataType, blob: x0.name)
            let y = try ctx.output(0, dims: r.dims, type: x0.dataType)
            var offset = 0
            for (i, x) in views.enumerated() {
                let rowBytes = Int(r.splits[i]) * after * esize
                copyRows(
                    rows: before, rowBytes: rowBytes, from: x.raw, srcStride: rowBytes, to: y.raw + offset,
                    dstStride: outAxis * after * esize)
                offset += rowBytes
            }
        }
        let info = try ctx.output(1, dims: [Int64(views.count)], type: .int32)
        let p = info.pointer(Int32.self)
        for (i, s) in r.splits.enumerated() { p[i] = s }
    }

    // MARK: Split

    static func split(type: String) -> OperatorDefinition {
        OperatorDefinition(
            schema: OperatorSchema(type)
                .numInputs(1, 2).numOutputs(1, Int.max)
                .tensorInference("TensorInferenceForSplit") { def, inputs in
                    // Sizes held in a tensor are only known at run time.
                    if inputs.count == 2 { return def.output.map { _ in TensorShape.unknown() } }
                    let args = try Arguments(def)
                    let (axis, addAxis) = try concatAxis(args, verb: "split")
                    let sizes: [Int64] = try args.repeated("split")
                    let x = inputs[0]
                    let outs = try splitShapes(
                        dims: x.dims, axis: axis, addAxis: addAxis, sizes: sizes.isEmpty ? nil : sizes,
                        outputs: def.output.count, name: def.input[0])
                    return outs.dims.map { TensorShape(dims: $0, dataType: x.dataType) }
                }
                .types(DataType.tensorTypes)
                .doc(
                    """
                    Splits the input along `axis` into the outputs. Sizes come from the optional int32 input \
                    `split` (one entry per output), or from the `split` argument, or are equal (the axis length \
                    must then divide evenly). With `add_axis=1` every output has length 1 along the axis and \
                    the axis is removed (the inverse of `Concat` with `add_axis`).\(type == "DepthSplit" ? " `DepthSplit` is the deprecated name of `Split`." : "")
                    """
                )
                .arg("axis", "(int, default -1) Axis to split along; negative counts from the end.")
                .arg("order", "(string, default \"NCHW\") Storage order giving the axis when `axis` is absent.")
                .arg("split", "(ints) Length of each output along the axis.")
                .arg("add_axis", "(int, default 0) Remove the split axis from the outputs (read only with `axis`).")
                .input(0, "input", "Tensor to split (any element type).")
                .input(1, "split", "(optional) int32 1-D tensor of output lengths.")
                .output(0, "output_0, output_1, ...", "The pieces, in order."),
            kernels: [
                OperatorKernel { def, args in
                    let (axis, addAxis) = try concatAxis(args, verb: "split")
                    let sizes: [Int64] = try args.repeated("split")
                    if def.input.count == 2 && !sizes.isEmpty {
                        throw Caffe2Error(
                            .argument, "If you set split with an input blob, do not pass in split in the argument.")
                    }
                    return { ctx in
                        var given: [Int64]? = sizes.isEmpty ? nil : sizes
                        if ctx.inputCount == 2 {
                            let s = try ctx.input(1)
                            guard s.dataType == .int32 else {
                                throw Caffe2Error(
                                    .dataType, "split input '\(s.name)' holds \(s.dataType) elements, expected int32",
                                    blob: s.name)
                            }
                            guard s.count == ctx.outputCount else {
                                throw Caffe2Error(
                                    .shape,
                                    "split input '\(s.name)' has \(s.count) entries, expected \(ctx.outputCount) (one per output)",
                                    blob: s.name)
                            }
                            given = s.unsafeBuffer(Int32.self).map { Int64($0) }
                        }
                        try runSplit(ctx, axis: axis, addAxis: addAxis, sizes: given)
                    }
                }
            ],
            gradient: .make { g in
                // Concat the available output gradients back; outputs without a
                // gradient contribute zeros shaped like the output.
                let n = g.def.output.count
                guard (0..<n).contains(where: { g.gradOut($0) != nil }) else { return [] }
                var ops: [OperatorDef] = []
                var pieces: [String] = []
                for i in 0..<n {
                    if g.gradOut(i) != nil {
                        pieces.append(try g.GO(i))
                    } else {
                        let zero = "_" + (try g.O(i)) + "_zero_grad"
                        ops.append(
                            g.gradientDef(
                                "ConstantFill", inputs: [try g.O(i)], outputs: [zero],
                                args: [Argument(name: "value", float: 0)]))
                        pieces.append(zero)
                    }
                }
                let gi = try g.GI(0)
                ops.append(g.gradientDef("Concat", inputs: pieces, outputs: [gi, "_" + gi + "_dims"]))
                return ops
            })
    }

    /// Output dims of a Split (and each piece's length along the axis).
    static func splitShapes(
        dims: [Int64], axis: Int, addAxis: Bool, sizes: [Int64]?, outputs: Int, name: String
    ) throws -> (dims: [[Int64]], axis: Int, lengths: [Int]) {
        let a = try canonicalAxis(axis, rank: dims.count)
        let axisLen = Int(dims[a])
        var lengths: [Int]
        if let sizes {
            guard sizes.count == outputs else {
                throw Caffe2Error(
                    .argument,
                    "The number of splits specified should be equal to the number of outputs: 'split' has \(sizes.count) entries for \(outputs) outputs"
                )
            }
            lengths = []
            for s in sizes {
                guard s >= 0, let v = Int(exactly: s) else {
                    throw Caffe2Error(.argument, "split sizes must be non-negative, got \(sizes)")
                }
                lengths.append(v)
            }
        } else if addAxis {
            lengths = Array(repeating: 1, count: outputs)
        } else {
            guard axisLen % outputs == 0 else {
                throw Caffe2Error(
                    .shape,
                    "If you did not specify split explicitly, the number of input channels should be divisible by the output size: '\(name)' has \(axisLen) along axis \(a), \(outputs) outputs",
                    blob: name)
            }
            lengths = Array(repeating: axisLen / outputs, count: outputs)
        }
        let total = addAxis ? outputs : lengths.reduce(0, +)
        guard total == axisLen else {
            throw Caffe2Error(
                .shape,
                "Sum of split dimensions do not match: should be \(axisLen) ('\(name)' \(dims) along axis \(a)), got \(addAxis ? "\(outputs) outputs with add_axis" : "\(lengths)")",
                blob: name)
        }
        var outs: [[Int64]] = []
        for len in lengths {
            var d = dims
            if addAxis {
                d.remove(at: a)
            } else {
                d[a] = Int64(len)
            }
            outs.append(d)
        }
        return (outs, a, addAxis ? Array(repeating: 1, count: outputs) : lengths)
    }

    static func runSplit(_ ctx: OperatorContext, axis: Int, addAxis: Bool, sizes: [Int64]?) throws {
        let x = try ctx.input(0)
        let r = try splitShapes(
            dims: x.dims, axis: axis, addAxis: addAxis, sizes: sizes, outputs: ctx.outputCount, name: x.name)
        let before = product(x.dims[0..<r.axis])
        let after = product(x.dims[(r.axis + 1)...])
        let axisLen = Int(x.dims[r.axis])
        if x.dataType == .string {
            let src = try ctx.inputTensor(0).strings
            var offset = 0
            for (i, len) in r.lengths.enumerated() {
                var out = [String](repeating: "", count: before * len * after)
                copyRows(
                    rows: before, rowCount: len * after, from: src, srcOffset: offset, srcStride: axisLen * after,
                    to: &out, dstOffset: 0, dstStride: len * after)
                ctx.setOutput(i, try Tensor(dims: r.dims[i], strings: out))
                offset += len * after
            }
            return
        }
        let esize = try elementSize(x.dataType, blob: x.name)
        var offset = 0
        for (i, len) in r.lengths.enumerated() {
            let y = try ctx.output(i, dims: r.dims[i], type: x.dataType)
            let rowBytes = len * after * esize
            copyRows(
                rows: before, rowBytes: rowBytes, from: x.raw + offset, srcStride: axisLen * after * esize, to: y.raw,
                dstStride: rowBytes)
            offset += rowBytes
        }
    }

    // MARK: Reshape

    /// Caffe2's (PyTorch-era) Reshape rule: 0 copies the input dim (only
    /// when the input is non-empty and the position exists), one -1 is inferred.
    static func reshapedDims(_ input: [Int64], _ requested: [Int64], name: String) throws -> [Int64] {
        var shape = requested
        let total = try Tensor.elementCount(input)
        if total != 0 {
            for i in shape.indices where shape[i] == 0 && i < input.count { shape[i] = input[i] }
        }
        var unknown: Int? = nil
        var size = 1
        for (i, d) in shape.enumerated() {
            if d == -1 {
                guard unknown == nil else {
                    throw Caffe2Error(.argument, "Argument `shape` has more than one missing dimension: \(requested)")
                }
                unknown = i
            } else {
                guard d >= 0, d <= Int64(Int32.max) * Int64(Int32.max) else {
                    throw Caffe2Error(.argument, "Argument `shape` has an invalid dimension \(d) at index \(i): \(requested)")
                }
                let (p, o) = size.multipliedReportingOverflow(by: Int(d))
                guard !o else { throw Caffe2Error(.argument, "Argument `shape` \(requested) describes too many elements") }
                size = p
            }
        }
        if size == 0 && total != 0 {
            throw Caffe2Error(
                .shape,
                "Can not reshape a non-zero size (\(total)) tensor to zero size: '\(name)' \(input) to \(requested)",
                blob: name)
        }
        if let u = unknown {
            if total != 0 {
                guard total % size == 0 else {
                    throw Caffe2Error(
                        .shape,
                        "Argument `shape` does not agree with the input data. (\(total) vs \(size)): '\(name)' \(input) cannot be reshaped to \(requested)",
                        blob: name)
                }
                shape[u] = Int64(total / size)
            } else {
                shape[u] = 0
            }
        } else if total != size {
            throw Caffe2Error(
                .shape,
                "Argument `shape` does not agree with the input data. (\(total) != \(size)): '\(name)' \(input) cannot be reshaped to \(requested)",
                blob: name)
        }
        return shape
    }

    static let reshape = OperatorDefinition(
        schema: OperatorSchema("Reshape")
            .numInputs(1, 2).numOutputs(2)
            .allowInplace([(0, 0)])
            .tensorInference { def, inputs in
                let x = inputs[0]
                let old = TensorShape(dims: [Int64(x.dims.count)], dataType: .int64)
                if inputs.count == 2 { return [TensorShape.unknown(), old] }
                let requested: [Int64] = try Arguments(def).repeated("shape")
                let dims = try reshapedDims(x.dims, requested, name: def.input[0])
                return [TensorShape(dims: dims, dataType: x.dataType), old]
            }
            .types(DataType.tensorTypes)
            .doc(
                """
                Gives the data new dims without copying it. The new shape comes from the `shape` argument \
                or from the second input (a 1-D int32 or int64 tensor), never both. A 0 keeps the input's dim \
                at that position (when the input is non-empty); one -1 is inferred from the element count. \
                `old_shape` receives the input dims (int64, or int32 when the shape input is int32), which \
                the gradient uses to reshape back.
                """
            )
            .arg("shape", "(ints) New dims; 0 copies the input dim, -1 is inferred.")
            .input(0, "data", "Tensor to reshape (any element type).")
            .input(1, "new_shape", "(optional) 1-D int32/int64 tensor with the new dims.")
            .output(0, "reshaped", "The data with the new dims.")
            .output(1, "old_shape", "1-D tensor holding the input's dims."),
        kernels: [
            OperatorKernel { def, args in
                let hasArg = args.has("shape")
                let requested: [Int64] = try args.repeated("shape")
                if def.input.count == 2 && hasArg {
                    throw Caffe2Error(
                        .argument, "New shape is specified by the input blob, do not pass in the argument `shape`.")
                }
                if def.input.count == 1 && !hasArg {
                    throw Caffe2Error(.argument, "Argument `shape` is missing.")
                }
                return { ctx in
                    var shape = requested
                    var oldType = DataType.int64
                    if ctx.inputCount == 2 {
                        let s = try ctx.input(1)
                        guard s.rank == 1 else {
                            throw Caffe2Error(.shape, "Shape should be 1-D: '\(s.name)' has dims \(s.dims)", blob: s.name)
                        }
                        switch s.dataType {
                        case .int32:
                            shape = s.unsafeBuffer(Int32.self).map { Int64($0) }
                            oldType = .int32
                        case .int64:
                            shape = Array(s.unsafeBuffer(Int64.self))
                        default:
                            throw s.unsupportedType([.int32, .int64])
                        }
                    }
                    let x = try ctx.inputTensor(0)
                    let dims = try reshapedDims(x.dims, shape, name: ctx.inputName(0))
                    let oldDims = x.dims
                    ctx.setOutput(0, try x.reshaped(to: dims))
                    let old = try ctx.output(1, dims: [Int64(oldDims.count)], type: oldType)
                    if oldType == .int32 {
                        let p = old.pointer(Int32.self)
                        for (i, d) in oldDims.enumerated() { p[i] = Int32(truncatingIfNeeded: d) }
                    } else {
                        let p = old.pointer(Int64.self)
                        for (i, d) in oldDims.enumerated() { p[i] = d }
                    }
                }
            }
        ],
        gradient: .make(copyArguments: false) { g in
            let gi = try g.GI(0)
            return [g.gradientDef("Reshape", inputs: [try g.GO(0), try g.O(1)], outputs: [gi, "_" + gi + "_dims"])]
        })

    // MARK: Flatten

    static func flattenDims(_ dims: [Int64], axis: Int, name: String) throws -> [Int64] {
        guard axis >= 0, dims.count >= axis else {
            throw Caffe2Error(
                .shape,
                "The rank of the tensor must be >= axis: '\(name)' has rank \(dims.count) \(dims), axis = \(axis)",
                blob: name)
        }
        return [Int64(product(dims[0..<axis])), Int64(product(dims[axis...]))]
    }

    static let flatten = OperatorDefinition(
        schema: OperatorSchema("Flatten")
            .numInputs(1).numOutputs(1)
            .tensorInference { def, inputs in
                let axis = try Arguments(def).single("axis", default: 1)
                return [
                    TensorShape(
                        dims: try flattenDims(inputs[0].dims, axis: axis, name: def.input[0]),
                        dataType: inputs[0].dataType)
                ]
            }
            .types(DataType.tensorTypes)
            .doc(
                """
                Flattens the input into a 2-D matrix `[size_to_dim(axis), size_from_dim(axis)]` without \
                copying the data (`axis = 0` gives `[1, numel]`).
                """
            )
            .arg("axis", "(int, default 1) Dims before `axis` form the rows, the rest the columns.")
            .input(0, "input", "Tensor of rank ≥ axis (any element type).")
            .output(0, "output", "2-D tensor with the input's data."),
        kernels: [
            OperatorKernel { _, args in
                let axis = try args.single("axis", default: 1)
                return { ctx in
                    let x = try ctx.inputTensor(0)
                    ctx.setOutput(0, try x.reshaped(to: try flattenDims(x.dims, axis: axis, name: ctx.inputName(0))))
                }
            }
        ],
        gradient: .make { g in
            try g.singleGradientDef("ResizeLike", inputs: [g.GO(0), g.I(0)], outputs: [g.GI(0)])
        })

    static let resizeLike = OperatorDefinition(
        schema: OperatorSchema("ResizeLike")
            .numInputs(2).numOutputs(1)
            .tensorInference { _, inputs in
                [TensorShape(dims: inputs[1].dims, dataType: inputs[0].dataType)]
            }
            .types(DataType.tensorTypes)
            .doc(
                """
                Gives input 0's data the dims of input 1 (which must have the same element count), \
                without copying. Used by the gradient of Flatten.
                """
            )
            .input(0, "data", "Tensor whose data is used.")
            .input(1, "shape_tensor", "Tensor whose dims are used.")
            .output(0, "output", "Tensor with the data of input 0 and the dims of input 1."),
        kernels: [
            OperatorKernel { _, _ in
                { ctx in
                    let x = try ctx.inputTensor(0)
                    let like = try ctx.input(1)
                    guard x.count == like.count else {
                        throw Caffe2Error(
                            .shape,
                            "ResizeLike: '\(ctx.inputName(0))' has \(x.count) elements \(x.dims), '\(like.name)' has \(like.count) \(like.dims); counts must be equal",
                            blob: like.name)
                    }
                    ctx.setOutput(0, try x.reshaped(to: like.dims))
                }
            }
        ])

    // MARK: Transpose

    /// Moves elements so that output axis `i` is input axis `axes[i]`.
    /// `dst` must hold `count` initialised (or trivially assignable) elements.
    static func permute<T>(_ src: UnsafePointer<T>, _ dst: UnsafeMutablePointer<T>, dims: [Int], axes: [Int]) {
        let r = axes.count
        let total = dims.reduce(1, *)
        guard total > 0 else { return }
        guard r > 0 else {
            dst[0] = src[0]
            return
        }
        var inStrides = [Int](repeating: 1, count: r)
        if r >= 2 {
            for i in stride(from: r - 2, through: 0, by: -1) { inStrides[i] = inStrides[i + 1] * dims[i + 1] }
        }
        let outDims = axes.map { dims[$0] }
        let strides = axes.map { inStrides[$0] }
        let innerCount = outDims[r - 1]
        let innerStride = strides[r - 1]
        let outer = total / innerCount
        var index = [Int](repeating: 0, count: max(r - 1, 1))
        var srcOffset = 0
        var o = 0
        index.withUnsafeMutableBufferPointer { idx in
            for _ in 0..<outer {
                if innerStride == 1 {
                    (dst + o).update(from: src + srcOffset, count: innerCount)
                } else {
                    var s = srcOffset
                    for k in 0..<innerCount {
                        dst[o + k] = src[s]
                        s += innerStride
                    }
                }
                o += innerCount
                var d = r - 2
                while d >= 0 {
                    idx[d] += 1
                    srcOffset += strides[d]
                    if idx[d] < outDims[d] { break }
                    srcOffset -= strides[d] * outDims[d]
                    idx[d] = 0
                    d -= 1
                }
            }
        }
    }

    /// Runs `permute` over the bytes of any fixed-size element type or strings and sets output 0.
    static func permuteInput(_ ctx: OperatorContext, axes: [Int], outDims: [Int64]) throws {
        let x = try ctx.input(0)
        let dims = x.shape
        if x.dataType == .string {
            let src = try ctx.inputTensor(0).strings
            var out = [String](repeating: "", count: src.count)
            src.withUnsafeBufferPointer { s in
                out.withUnsafeMutableBufferPointer { d in
                    if let sb = s.baseAddress, let db = d.baseAddress { permute(sb, db, dims: dims, axes: axes) }
                }
            }
            ctx.setOutput(0, try Tensor(dims: outDims, strings: out))
            return
        }
        let esize = try elementSize(x.dataType, blob: x.name)
        let y = try ctx.output(0, dims: outDims, type: x.dataType)
        switch esize {
        case 1: permute(x.pointer(UInt8.self), y.pointer(UInt8.self), dims: dims, axes: axes)
        case 2: permute(x.pointer(UInt16.self), y.pointer(UInt16.self), dims: dims, axes: axes)
        case 4: permute(x.pointer(UInt32.self), y.pointer(UInt32.self), dims: dims, axes: axes)
        default: permute(x.pointer(UInt64.self), y.pointer(UInt64.self), dims: dims, axes: axes)
        }
    }

    /// Checks that `axes` is a permutation of `0..<axes.count`.
    static func checkPermutation(_ axes: [Int]) throws {
        var seen = [Bool](repeating: false, count: axes.count)
        for a in axes {
            guard a >= 0, a < axes.count, !seen[a] else {
                throw Caffe2Error(.argument, "Axes should be a permutation of 0 to ndim: argument 'axes' = \(axes)")
            }
            seen[a] = true
        }
    }

    /// `axes` (reversed dims when empty) checked against the input's rank.
    static func transposeAxes(_ axes: [Int], rank: Int, name: String) throws -> [Int] {
        if axes.isEmpty { return Array((0..<rank).reversed()) }
        guard axes.count == rank else {
            throw Caffe2Error(
                .shape,
                "Transpose: argument 'axes' \(axes) has \(axes.count) entries but input '\(name)' has rank \(rank)",
                blob: name)
        }
        return axes
    }

    static let transpose = OperatorDefinition(
        schema: OperatorSchema("Transpose")
            .numInputs(1).numOutputs(1)
            .tensorInference { def, inputs in
                let given: [Int] = try Arguments(def).repeated("axes")
                try checkPermutation(given)
                let x = inputs[0]
                let axes = try transposeAxes(given, rank: x.dims.count, name: def.input[0])
                return [TensorShape(dims: axes.map { x.dims[$0] }, dataType: x.dataType)]
            }
            .types(DataType.tensorTypes)
            .doc(
                """
                Permutes the axes: output axis `i` is input axis `axes[i]` (numpy `transpose`). Without \
                `axes` the dims are reversed. Caffe2 registers float, double, int32 and int64; every \
                fixed-size element type and strings are accepted here.
                """
            )
            .arg("axes", "(ints) A permutation of 0..<rank; default reverses the dims.")
            .input(0, "data", "Tensor to transpose.")
            .output(0, "transposed", "Tensor with permuted axes."),
        kernels: [
            OperatorKernel { _, args in
                let given: [Int] = try args.repeated("axes")
                try checkPermutation(given)
                return { ctx in
                    let x = try ctx.input(0)
                    let axes = try transposeAxes(given, rank: x.rank, name: x.name)
                    try permuteInput(ctx, axes: axes, outDims: axes.map { x.dims[$0] })
                }
            }
        ],
        gradient: .make(copyArguments: false) { g in
            var args: [Argument] = []
            for a in g.def.arg {
                if a.name == "axes" {
                    var inverse = [Int64](repeating: 0, count: a.ints.count)
                    for (i, axis) in a.ints.enumerated() where axis >= 0 && Int(axis) < inverse.count {
                        inverse[Int(axis)] = Int64(i)
                    }
                    args.append(Argument(name: "axes", ints: inverse))
                } else {
                    args.append(a)
                }
            }
            return try g.singleGradientDef("Transpose", inputs: [g.GO(0)], outputs: [g.GI(0)], args: args)
        })

    // MARK: NCHW2NHWC / NHWC2NCHW

    static func orderAxes(rank: Int, toChannelsLast: Bool) -> [Int] {
        toChannelsLast ? [0] + Array(2..<rank) + [1] : [0, rank - 1] + Array(1..<(rank - 1))
    }

    static func checkOrderSwitchRank(_ dims: [Int64], _ name: String, type: String) throws {
        guard dims.count >= 3 else {
            throw Caffe2Error(
                .shape, "Input for \(type) must be >= 3 dimensional: '\(name)' has dims \(dims)", blob: name)
        }
    }

    static func orderSwitch(type: String, toChannelsLast: Bool) -> OperatorDefinition {
        let from = toChannelsLast ? "NCHW" : "NHWC"
        let to = toChannelsLast ? "NHWC" : "NCHW"
        return OperatorDefinition(
            schema: OperatorSchema(type)
                .numInputs(1).numOutputs(1)
                .tensorInference { def, inputs in
                    let x = inputs[0]
                    try checkOrderSwitchRank(x.dims, def.input[0], type: type)
                    let axes = orderAxes(rank: x.dims.count, toChannelsLast: toChannelsLast)
                    return [TensorShape(dims: axes.map { x.dims[$0] }, dataType: x.dataType)]
                }
                .types(DataType.tensorTypes.filter { $0 != .string })
                .doc(
                    """
                    Switches the layout from \(from) to \(to): `N C H_1 … H_k` ⇄ `N H_1 … H_k C` for any \
                    k ≥ 1. Caffe2 registers float only; every fixed-size element type is accepted here.
                    """
                )
                .input(0, "data", "Tensor in \(from) order (rank ≥ 3).")
                .output(0, "output", "Tensor in \(to) order."),
            kernels: [
                OperatorKernel { _, _ in
                    { ctx in
                        let x = try ctx.input(0)
                        try checkOrderSwitchRank(x.dims, x.name, type: type)
                        guard x.dataType != .string else { throw x.unsupportedType([.float]) }
                        let axes = orderAxes(rank: x.rank, toChannelsLast: toChannelsLast)
                        try permuteInput(ctx, axes: axes, outDims: axes.map { x.dims[$0] })
                    }
                }
            ],
            gradient: .make { g in
                try g.singleGradientDef(toChannelsLast ? "NHWC2NCHW" : "NCHW2NHWC", inputs: [g.GO(0)], outputs: [g.GI(0)])
            })
    }

    // MARK: Squeeze / ExpandDims

    /// The `dims` argument sorted and de-duplicated; throws Caffe2's messages.
    static func dimsArgument(_ args: Arguments) throws -> [Int] {
        let raw: [Int] = try args.repeated("dims")
        guard !raw.isEmpty else { throw Caffe2Error(.argument, "Parameter `dims` must be provided.") }
        let dims = Array(Set(raw)).sorted()
        guard dims[0] >= 0 else {
            throw Caffe2Error(.argument, "Dimension ids must be non-negative: argument 'dims' = \(raw)")
        }
        return dims
    }

    static func squeezedDims(_ input: [Int64], dims: [Int], name: String) throws -> [Int64] {
        guard let last = dims.last, input.count > last else {
            throw Caffe2Error(
                .shape, "Input needs at least \((dims.last ?? 0) + 1) dimensions: '\(name)' has dims \(input)",
                blob: name)
        }
        var out: [Int64] = []
        for (i, d) in input.enumerated() {
            if dims.contains(i) {
                guard d == 1 else {
                    throw Caffe2Error(
                        .shape, "Dimension \(i) of input must be 1 instead of \(d): '\(name)' has dims \(input)",
                        blob: name)
                }
            } else {
                out.append(d)
            }
        }
        return out
    }

    static func expandedDims(_ input: [Int64], dims: [Int], name: String) throws -> [Int64] {
        guard let last = dims.last, input.count + dims.count > last else {
            throw Caffe2Error(
                .shape,
                "Input needs at least \((dims.last ?? 0) + 1 - dims.count) dimensions given `dims` \(dims): '\(name)' has dims \(input)",
                blob: name)
        }
        var out = input
        for d in dims { out.insert(1, at: d) }
        return out
    }

    static let squeeze = OperatorDefinition(
        schema: OperatorSchema("Squeeze")
            .numInputs(1).numOutputs(1)
            .allowInplace([(0, 0)])
            .tensorInference { def, inputs in
                let dims = try dimsArgument(try Arguments(def))
                return [
                    TensorShape(
                        dims: try squeezedDims(inputs[0].dims, dims: dims, name: def.input[0]),
                        dataType: inputs[0].dataType)
                ]
            }
            .types(DataType.tensorTypes)
            .doc(
                """
                Removes the listed dims, each of which must be 1, without copying the data. `dims` is \
                sorted and de-duplicated and must be non-negative.
                """
            )
            .arg("dims", "(ints, required) Dims to remove.")
            .input(0, "data", "Tensor with size-1 dims to remove.")
            .output(0, "squeezed", "The same data without those dims."),
        kernels: [
            OperatorKernel { _, args in
                let dims = try dimsArgument(args)
                return { ctx in
                    let x = try ctx.inputTensor(0)
                    ctx.setOutput(0, try x.reshaped(to: try squeezedDims(x.dims, dims: dims, name: ctx.inputName(0))))
                }
            }
        ],
        gradient: .make { g in
            try g.singleGradientDef("ExpandDims", inputs: [g.GO(0)], outputs: [g.GI(0)])
        })

    static let expandDims = OperatorDefinition(
        schema: OperatorSchema("ExpandDims")
            .numInputs(1).numOutputs(1)
            .allowInplace([(0, 0)])
            .tensorInference { def, inputs in
                let dims = try dimsArgument(try Arguments(def))
                return [
                    TensorShape(
                        dims: try expandedDims(inputs[0].dims, dims: dims, name: def.input[0]),
                        dataType: inputs[0].dataType)
                ]
            }
            .types(DataType.tensorTypes)
            .doc(
                """
                Inserts a size-1 dim at each listed position, in ascending order (numpy `expand_dims` \
                with several axes), without copying the data.
                """
            )
            .arg("dims", "(ints, required) Positions of the new dims in the output.")
            .input(0, "data", "Tensor to expand.")
            .output(0, "expanded", "The same data with the new dims."),
        kernels: [
            OperatorKernel { _, args in
                let dims = try dimsArgument(args)
                return { ctx in
                    let x = try ctx.inputTensor(0)
                    ctx.setOutput(0, try x.reshaped(to: try expandedDims(x.dims, dims: dims, name: ctx.inputName(0))))
                }
            }
        ],
        gradient: .make { g in
            try g.singleGradientDef("Squeeze", inputs: [g.GO(0)], outputs: [g.GI(0)])
        })
}

import Foundation

// Parsing of Caffe2's `ConvPoolOpBase` arguments, shared by Conv, ConvTranspose
// and the pooling operators, and the output-size rules that go with them.

/// Memory layout of an image tensor: Caffe2's `StorageOrder`.
public enum StorageOrder: String, Sendable {
    /// `[N, C, spatial...]` (Caffe2's default).
    case nchw = "NCHW"
    /// `[N, spatial..., C]`.
    case nhwc = "NHWC"

    /// Reads the `order` argument (default `"NCHW"`); any other spelling is an error.
    init(_ args: Arguments, opType: String) throws {
        let s = try args.single("order", default: "NCHW")
        guard let o = StorageOrder(rawValue: s) else {
            throw Caffe2Error(
                .argument, "\(opType): Unknown storage order: '\(s)' (argument 'order' must be \"NCHW\" or \"NHWC\")",
                opType: opType)
        }
        self = o
    }
}

/// Caffe2's `LegacyPadding` (`legacy_pad` argument).
public enum LegacyPadding: Int, Sendable {
    /// Explicit pads (the default).
    case notSet = 0
    /// No padding; the output covers only full windows.
    case valid = 1
    /// TensorFlow-style SAME padding, the extra pad going to the tail.
    case same = 2
    /// Caffe's pooling rule: output size rounded up, tail pad derived from it.
    case caffeLegacyPooling = 3
}

/// `v` truncated or extended with `fill` to `n` entries: `std::vector::resize(n, fill)`.
private func resized(_ v: [Int], _ n: Int, _ fill: Int) -> [Int] {
    v.count >= n ? Array(v.prefix(n)) : v + Array(repeating: fill, count: n - v.count)
}

/// The kernel, stride, dilation and padding of a convolution or pooling
/// operator, parsed once from its arguments exactly as Caffe2's
/// `ConvPoolOpBase` reads them.
///
/// Spellings (give one per quantity): `kernels` | `kernel` | `kernel_h`+`kernel_w`;
/// `strides` | `stride` | `stride_h`+`stride_w`; `dilations` | `dilation` |
/// `dilation_h`+`dilation_w`; `pads` (`[t, l, b, r]` in 2-D: every head, then
/// every tail) | `pad` | `pad_t`+`pad_l`+`pad_b`+`pad_r`. The list form is
/// read first; a scalar form resizes it to 2 entries (4 for `pad`); the
/// `_h/_w` forms are appended. Defaults: stride 1, dilation 1, pad 0.
///
/// ```swift
/// let a = try ConvPoolArgs(Arguments([Argument(name: "kernel", int: 3), Argument(name: "pad", int: 1)]), opType: "Conv")
/// a.kernel        // [3, 3]
/// a.pads          // [1, 1, 1, 1]
/// try a.outputSize(input: [55, 55]).output   // [55, 55]
/// ```
public struct ConvPoolArgs: Sendable, Equatable {
    /// Kernel size per spatial dim (global pooling: replaced by the input size).
    public var kernel: [Int]
    /// Stride per spatial dim.
    public var stride: [Int]
    /// Dilation per spatial dim.
    public var dilation: [Int]
    /// `[head_0 ... head_{n-1}, tail_0 ... tail_{n-1}]` (2-D: `[t, l, b, r]`).
    public var pads: [Int]
    /// The `legacy_pad` mode.
    public var legacyPad: LegacyPadding
    /// `global_pooling`: the kernel covers the whole spatial extent.
    public var globalPooling: Bool
    /// `order`.
    public var order: StorageOrder
    /// `group` (convolution only; 1 elsewhere).
    public var group: Int

    /// Number of spatial dims the arguments describe.
    public var spatialRank: Int { kernel.count }

    /// Parses the arguments of `opType`; throws an `.argument` error naming the
    /// op and the argument for anything Caffe2 rejects, and for zero strides
    /// or dilations (which Caffe2 would divide by).
    ///
    /// - Parameter requireKernel: whether a positive kernel is required unless
    ///   `global_pooling` is set (true for every convolution and pooling op).
    public init(_ args: Arguments, opType: String, requireKernel: Bool = true) throws {
        func fail(_ message: String) -> Caffe2Error {
            Caffe2Error(.argument, "\(opType): \(message)", opType: opType)
        }
        let legacyRaw = try args.single("legacy_pad", default: 0)
        guard let legacy = LegacyPadding(rawValue: legacyRaw) else {
            throw fail("unknown legacy_pad value \(legacyRaw) (expected 0 NOTSET, 1 VALID, 2 SAME or 3 CAFFE_LEGACY_POOLING)")
        }
        legacyPad = legacy
        globalPooling = try args.single("global_pooling", default: 0) != 0
        order = try StorageOrder(args, opType: opType)
        group = try args.single("group", default: 1)

        var kernel: [Int] = try args.repeated("kernels")
        var dilation: [Int] = try args.repeated("dilations")
        var stride: [Int] = try args.repeated("strides")
        var pads: [Int] = try args.repeated("pads")
        let explicitPadding = legacy == .valid || legacy == .same
        let paddingConflict =
            "If you use legacy padding VALID or SAME, you should not specify any specific padding values."
        if explicitPadding && args.has("pads") { throw fail(paddingConflict) }

        if let k = try args.single("kernel", as: Int.self) {
            kernel = resized(kernel, 2, k)
        } else if args.has("kernel_h") && args.has("kernel_w") {
            kernel += [try args.single("kernel_h", default: 0), try args.single("kernel_w", default: 0)]
        }
        if let s = try args.single("stride", as: Int.self) {
            stride = resized(stride, 2, s)
        } else if args.has("stride_h") && args.has("stride_w") {
            stride += [try args.single("stride_h", default: 0), try args.single("stride_w", default: 0)]
        }
        if let d = try args.single("dilation", as: Int.self) {
            dilation = resized(dilation, 2, d)
        } else if args.has("dilation_h") && args.has("dilation_w") {
            dilation += [try args.single("dilation_h", default: 0), try args.single("dilation_w", default: 0)]
        }
        if let p = try args.single("pad", as: Int.self) {
            if explicitPadding { throw fail(paddingConflict) }
            pads = resized(pads, 4, p)
        } else if args.has("pad_t") && args.has("pad_l") && args.has("pad_b") && args.has("pad_r") {
            if explicitPadding { throw fail(paddingConflict) }
            pads += [
                try args.single("pad_t", default: 0), try args.single("pad_l", default: 0),
                try args.single("pad_b", default: 0), try args.single("pad_r", default: 0),
            ]
        }

        if kernel.isEmpty { kernel = [0, 0] }
        if stride.isEmpty { stride = Array(repeating: 1, count: kernel.count) }
        if pads.isEmpty { pads = Array(repeating: 0, count: kernel.count * 2) }
        if dilation.isEmpty { dilation = Array(repeating: 1, count: kernel.count) }

        guard stride.count == kernel.count else {
            throw fail("got \(stride.count) strides for a \(kernel.count)-D kernel (strides must have one entry per kernel dim)")
        }
        guard dilation.count == kernel.count else {
            throw fail("got \(dilation.count) dilations for a \(kernel.count)-D kernel (dilations must have one entry per kernel dim)")
        }
        if explicitPadding {
            // Pads are computed from the input size; keep a correctly sized list.
            pads = Array(repeating: 0, count: kernel.count * 2)
        } else if pads.count != 2 * kernel.count {
            throw fail("got \(pads.count) pads for a \(kernel.count)-D kernel (pads must have 2 entries per kernel dim: all heads, then all tails)")
        }
        if globalPooling {
            guard pads.allSatisfy({ $0 == 0 }), dilation.allSatisfy({ $0 == 1 }), stride.allSatisfy({ $0 == 1 }) else {
                throw fail("If global_pooling is set pad, dilation and stride shouldn't be set.")
            }
        }
        for (i, k) in kernel.enumerated() {
            if k < 0 { throw fail("kernel must be non-negative, got \(k) in dim \(i)") }
            if requireKernel && !globalPooling && k == 0 {
                throw fail("If you are doing convolution or pooling, you will need to set explicitly the kernel size (argument 'kernel', 'kernels' or 'kernel_h'/'kernel_w').")
            }
        }
        for (i, s) in stride.enumerated() where s <= 0 {
            throw fail("stride must be positive, got \(s) in dim \(i)")
        }
        for (i, d) in dilation.enumerated() where d <= 0 {
            throw fail("dilation must be positive, got \(d) in dim \(i)")
        }
        for (i, p) in pads.enumerated() where p < 0 {
            throw fail("pads must be non-negative, got \(p) at index \(i) of \(pads)")
        }
        guard group >= 1 else { throw fail("group must be positive, got \(group)") }
        self.kernel = kernel
        self.stride = stride
        self.dilation = dilation
        self.pads = pads
    }

    /// Output spatial sizes for `input` spatial sizes (Caffe2's
    /// `InferOutputSize` / `ComputeSizeAndPad`), with the pads and kernel the
    /// kernels must then use (legacy padding rewrites the pads; global pooling
    /// sets the kernel to the input size).
    ///
    /// Throws a `.shape` error when the (dilated) kernel does not fit in the
    /// padded input, or when the input's spatial rank differs from the kernel's.
    public func outputSize(input: [Int], opType: String = "ConvPool") throws -> (
        output: [Int], pads: [Int], kernel: [Int]
    ) {
        let n = input.count
        guard n == kernel.count else {
            throw Caffe2Error(
                .shape,
                "\(opType): the input has \(n) spatial dims but the kernel \(kernel) has \(kernel.count); use 'kernels' with one entry per spatial dim",
                opType: opType)
        }
        if globalPooling {
            return (Array(repeating: 1, count: n), Array(repeating: 0, count: 2 * n), input)
        }
        var out = [Int](repeating: 0, count: n)
        var pads = self.pads
        for i in 0..<n {
            let inSize = input[i], s = stride[i], k = kernel[i], d = dilation[i]
            let dk = d * (k - 1) + 1
            func tooLarge(_ padded: Int, _ need: Int) -> Caffe2Error {
                Caffe2Error(
                    .shape,
                    "\(opType): kernel extent \(need) (kernel \(k), dilation \(d)) is larger than the padded input size \(padded) in spatial dim \(i) (input \(inSize), pads \(pads[i]) + \(pads[n + i]))",
                    opType: opType)
            }
            switch legacyPad {
            case .notSet:
                let padded = inSize + pads[i] + pads[n + i]
                guard padded >= dk else { throw tooLarge(padded, dk) }
                out[i] = (padded - dk) / s + 1
            case .valid:
                pads[i] = 0
                pads[n + i] = 0
                guard inSize >= dk else { throw tooLarge(inSize, dk) }
                out[i] = (inSize - dk) / s + 1
            case .same:
                guard d == 1 else {
                    throw Caffe2Error(.argument, "\(opType): Dilation not supported for legacy padding.", opType: opType)
                }
                let target = (inSize + s - 1) / s
                let needed = (target - 1) * s + k - inSize
                pads[i] = needed / 2
                pads[n + i] = needed - pads[i]
                guard inSize + needed >= dk else { throw tooLarge(inSize + needed, dk) }
                out[i] = (inSize + needed - dk) / s + 1
            case .caffeLegacyPooling:
                let head = pads[i]
                let span = inSize + 2 * head - k
                guard span >= 0 else { throw tooLarge(inSize + 2 * head, k) }
                var size = Int((Double(span) / Double(s) + 1).rounded(.up))
                if head > 0 && (size - 1) * s >= inSize + head { size -= 1 }
                let standard = span / s + 1
                pads[n + i] = head + s * (size - standard)
                out[i] = size
            }
        }
        return (out, pads, kernel)
    }
}

/// The split of an image tensor's dims into batch, channels and spatial dims.
struct ImageLayout: Equatable {
    var batch: Int
    var channels: Int
    var spatial: [Int]

    /// Reads `dims` in `order`; needs at least 3 dims (N, C and one spatial dim).
    init(_ dims: [Int64], order: StorageOrder, blob: String, opType: String) throws {
        guard dims.count >= 3 else {
            throw Caffe2Error(
                .shape,
                "\(opType): input '\(blob)' has dims \(dims); expected [N, C, spatial...] with 1 to 3 spatial dims (order \(order.rawValue))",
                opType: opType, blob: blob)
        }
        let d = dims.map { Int($0) }
        batch = d[0]
        switch order {
        case .nchw:
            channels = d[1]
            spatial = Array(d[2...])
        case .nhwc:
            channels = d[d.count - 1]
            spatial = Array(d[1..<(d.count - 1)])
        }
    }

    /// Dims of a tensor with this batch, `channels` and `spatial` in `order`.
    static func dims(batch: Int, channels: Int, spatial: [Int], order: StorageOrder) -> [Int64] {
        switch order {
        case .nchw: return ([batch, channels] + spatial).map { Int64($0) }
        case .nhwc: return ([batch] + spatial + [channels]).map { Int64($0) }
        }
    }

    var spatialCount: Int { spatial.reduce(1, *) }
}

extension ConvPoolArgs {
    /// Shape inference shared by Conv and the pools: `[N, outChannels, out...]`
    /// (or NHWC), float, from input 0's shape; unknown when input 0 is unknown.
    static func inferImageOutput(
        _ def: OperatorDef, _ inputs: [TensorShape], channels: (ImageLayout) throws -> Int
    ) throws -> TensorShape {
        guard let x = inputs.first else { throw inferenceInputError(def, 0) }
        if x.unknownShape { return TensorShape.unknown() }
        let args = try ConvPoolArgs(try Arguments(def), opType: def.type)
        let layout = try ImageLayout(x.dims, order: args.order, blob: def.input.first ?? "X", opType: def.type)
        let out = try args.outputSize(input: layout.spatial, opType: def.type).output
        return TensorShape(
            dims: ImageLayout.dims(batch: layout.batch, channels: try channels(layout), spatial: out, order: args.order),
            dataType: .float)
    }
}

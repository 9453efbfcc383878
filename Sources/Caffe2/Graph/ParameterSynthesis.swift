/// Random parameters for a predict net that comes without its init net.
///
/// Model-zoo predict nets (`predict_net.pbtxt`) name their weights in
/// `external_input` but carry no shapes for them. Given the shapes of the
/// data inputs, this walks the net in order, and for every operator input
/// that is neither produced by an earlier op nor provided, derives a shape
/// from the operator's semantics:
///
/// | op | parameters |
/// |---|---|
/// | Conv (NCHW / NHWC) | `W` `[M, C/group, kh, kw]` / `[M, kh, kw, C/group]`, bias `[M]` |
/// | ConvTranspose | `W` `[C, M/group, kh, kw]` / `[C, kh, kw, M/group]`, bias `[M]` |
/// | FC / FCTransposed | `W` `[N, K]` / `[K, N]` (with leading 1s when `axis_w` > 1), bias `[N]` |
/// | SpatialBN | scale, bias, mean, var `[C]` (var positive) |
/// | PRelu | slope `[C]` |
/// | Add/Sub/Mul/Div with `broadcast=1` | `B` `[A.dims[axis]]` |
/// | ElementwiseLinear, LayerNorm | vectors over the normalised dims |
/// | MatMul, BatchMatMul | the right factor `[K, N]` |
/// | anything else | shaped like its first known input |
///
/// The free sizes (a convolution's output channels `M`, a fully connected
/// layer's units `N`) take the value that later `Sum`/`Add`/`Mul`/`Concat`
/// operators require when one of their other inputs is already known (as in
/// a ResNet's residual blocks), else ``defaultChannels`` / ``defaultUnits``.
/// Values are seeded Gaussian noise scaled by `1/√fan_in` so activations stay
/// in range; variances are drawn from [0.5, 1.5].
///
/// ```swift
/// let net = try NetDef(contentsOfFile: "zoo/resnet50/predict_net.pbtxt")
/// let params = try ParameterSynthesizer().parameters(
///     for: net, inputs: ["gpu_0/data": TensorShape(dims: [1, 3, 224, 224])])
/// let ws = Workspace()
/// for (name, t) in params { ws.feedBlob(name, t) }
/// ```
public struct ParameterSynthesizer: Sendable {
    /// Output channels of a convolution nothing else constrains.
    public var defaultChannels: Int64 = 32
    /// Units of a fully connected layer nothing else constrains.
    public var defaultUnits: Int64 = 64
    /// Seed of the random values.
    public var seed: UInt64 = 0x5EED
    public var registry: OperatorRegistry = .standard

    public init() {}

    /// The synthesised parameter tensors, by blob name.
    public func parameters(for net: NetDef, inputs: [String: TensorShape]) throws -> [String: Tensor] {
        var known = inputs
        var params: [String: Tensor] = [:]
        var rng = RandomStream(seed: seed)
        let consumers = Self.consumers(net)
        for (index, op) in net.op.enumerated() {
            func fail(_ msg: String) -> Caffe2Error {
                Caffe2Error(.shape, msg, opIndex: index, opType: op.type, opName: op.name)
            }
            let missing = op.input.indices.filter { known[op.input[$0]] == nil }
            if !missing.isEmpty {
                guard let first = op.input.indices.first(where: { known[op.input[$0]] != nil }) else {
                    throw fail("cannot synthesise parameters: none of the inputs \(op.input) has a known shape")
                }
                let args = try Arguments(op)
                let x = known[op.input[first]]!
                for i in missing {
                    let (dims, fanIn, positive) = try parameterShape(
                        op, index: index, in: net, args: args, slot: i, x: x, known: known, consumers: consumers)
                    let t = try Self.randomTensor(
                        dims: dims, dataType: x.unknownShape ? .float : x.dataType, fanIn: fanIn, positive: positive,
                        rng: &rng)
                    params[op.input[i]] = t
                    known[op.input[i]] = TensorShape(dims: t.dims, dataType: t.dataType)
                }
            }
            guard let schema = registry.schema(op.type) else {
                throw registry.unknownOperatorError(op.type, device: .cpu).inOperator(
                    index: index, type: op.type, name: op.name)
            }
            let shapes = op.input.map { known[$0]! }
            var outs: [TensorShape]
            do {
                outs = try schema.inferShapes(op, shapes)
            } catch let e as Caffe2Error {
                throw e.inOperator(index: index, type: op.type, name: op.name)
            }
            if outs.count > op.output.count { outs = Array(outs.prefix(op.output.count)) }
            for (name, s) in zip(op.output, outs) where !s.unknownShape { known[name] = s }
            if outs.contains(where: \.unknownShape) {
                throw fail("shape inference cannot tell the output shapes of \(op.type); parameters after it cannot be synthesised")
            }
        }
        return params
    }

    private static func consumers(_ net: NetDef) -> [String: [Int]] {
        var c: [String: [Int]] = [:]
        for (i, op) in net.op.enumerated() { for name in Set(op.input) { c[name, default: []].append(i) } }
        return c
    }

    /// Shape, fan-in and positivity of parameter `slot` of `op`.
    private func parameterShape(
        _ op: OperatorDef, index: Int, in net: NetDef, args: Arguments, slot: Int, x: TensorShape,
        known: [String: TensorShape], consumers: [String: [Int]]
    ) throws -> ([Int64], Int64, Bool) {
        let order = try args.single("order", default: "NCHW")
        let channelAxis = order == "NHWC" ? x.dims.count - 1 : 1
        func channels() -> Int64 { x.dims.count > channelAxis ? x.dims[channelAxis] : 1 }
        switch op.type {
        case "Conv", "Conv2D", "Conv1D", "Conv3D", "ConvTranspose":
            let kernel = try kernelDims(args, spatial: max(x.dims.count - 2, 1))
            let group = Int64(try args.single("group", default: 1))
            let c = channels()
            let free =
                resolvedWidth(after: index, in: net, known: known, consumers: consumers) {
                    $0.dims.count > channelAxis ? $0.dims[channelAxis] : nil
                } ?? defaultChannels
            let m = max(group, (free / group) * group)
            let transpose = op.type == "ConvTranspose"
            if slot == 1 {
                let (a, b) = transpose ? (c, m / group) : (m, c / max(group, 1))
                let dims = order == "NHWC" ? [a] + kernel + [b] : [a, b] + kernel
                return (dims, b * kernel.reduce(1, *), false)
            }
            let w = known[op.input[1]]?.dims
            let out = w.map { transpose ? $0[order == "NHWC" ? $0.count - 1 : 1] * group : $0[0] } ?? m
            return ([out], 1, false)
        case "FC", "FCTransposed":
            let axis = try args.single("axis", default: 1)
            let a = axis < 0 ? axis + x.dims.count : axis
            let k = x.dims[min(a, x.dims.count)...].reduce(1, *)
            if slot == 1 {
                let n =
                    resolvedWidth(after: index, in: net, known: known, consumers: consumers) { $0.dims.last }
                    ?? defaultUnits
                // `axis_w` splits W into [size_to_dim(axis_w), size_from_dim(axis_w)]; Caffe-translated
                // nets use 4-D weights [1, 1, N, K] with axis_w = 3.
                let axisW = max(try args.single("axis_w", default: 1), 1)
                let lead = [Int64](repeating: 1, count: axisW - 1)
                return (op.type == "FC" ? lead + [n, k] : lead + [k, n], k, false)
            }
            let axisW = max(try args.single("axis_w", default: 1), 1)
            let w = known[op.input[1]]?.dims ?? [defaultUnits, k]
            let n = op.type == "FC" ? w[..<min(axisW, w.count)].reduce(1, *) : w[min(axisW, w.count)...].reduce(1, *)
            return ([n], 1, false)
        case "SpatialBN":
            return ([channels()], 1, slot == 4)
        case "PRelu":
            return ([channels()], 1, false)
        case "Add", "Sub", "Mul", "Div":
            if try args.single("broadcast", default: 0) != 0 {
                let axis = try args.single("axis", default: -1)
                if axis >= 0, axis < x.dims.count { return ([x.dims[axis]], 1, op.type == "Div") }
                return ([x.dims.last ?? 1], 1, op.type == "Div")
            }
            return (x.dims, 1, op.type == "Div")
        case "ElementwiseLinear", "LayerNorm":
            let axis = try args.single("axis", default: op.type == "LayerNorm" ? 1 : 1)
            let a = axis < 0 ? axis + x.dims.count : axis
            return ([x.dims[min(a, x.dims.count)...].reduce(1, *)], 1, false)
        case "MatMul", "BatchMatMul":
            let k = x.dims.last ?? 1
            return (Array(x.dims.dropLast(2)) + [k, defaultUnits], k, false)
        default:
            return (x.dims, 1, false)
        }
    }

    private func kernelDims(_ args: Arguments, spatial: Int) throws -> [Int64] {
        if let k: Int = try args.single("kernel") { return Array(repeating: Int64(k), count: spatial) }
        let ks: [Int] = try args.repeated("kernels")
        if !ks.isEmpty { return ks.map(Int64.init) }
        if let h: Int = try args.single("kernel_h"), let w: Int = try args.single("kernel_w") {
            return [Int64(h), Int64(w)]
        }
        return Array(repeating: 1, count: spatial)
    }

    private static let channelKeepers: Set<String> = [
        "Relu", "SpatialBN", "Dropout", "LRN", "Sigmoid", "Tanh", "PRelu", "LeakyRelu", "Elu", "Scale", "Clip",
        "Copy", "Alias", "StopGradient", "Softplus", "Swish", "AffineChannel", "Negative", "Abs", "Sqr", "Sqrt",
    ]
    private static let elementwise: Set<String> = ["Sum", "Add", "Sub", "Mul", "Div", "Max", "Min", "Mean"]

    /// The width a later op forces on the output of op `index`, if one does:
    /// follows the output through ops that keep the width to an element-wise
    /// op whose other input already has a shape, and reads `width` of that shape.
    private func resolvedWidth(
        after index: Int, in net: NetDef, known: [String: TensorShape], consumers: [String: [Int]],
        width: (TensorShape) -> Int64?
    ) -> Int64? {
        guard let start = net.op[index].output.first else { return nil }
        var frontier = [(start, index)]
        var seen = Set<String>()
        while let (blob, after) = frontier.popLast() {
            guard seen.insert("\(blob)@\(after)").inserted, seen.count <= 256 else { continue }
            for c in consumers[blob, default: []] where c > after {
                let op = net.op[c]
                if Self.channelKeepers.contains(op.type) {
                    frontier += op.output.map { ($0, c) }
                } else if Self.elementwise.contains(op.type),
                    (try? Arguments(op).single("broadcast", default: 0)) == 0
                {
                    for other in op.input where other != blob {
                        if let s = known[other], let w = width(s) { return w }
                    }
                    frontier += op.output.map { ($0, c) }
                }
            }
        }
        return nil
    }

    static func randomTensor(
        dims: [Int64], dataType: DataType, fanIn: Int64, positive: Bool, rng: inout RandomStream
    ) throws -> Tensor {
        let n = try Tensor.elementCount(dims)
        let scale = 1 / Double(max(fanIn, 1)).squareRoot()
        var values = [Double](repeating: 0, count: n)
        for i in 0..<n {
            if positive {
                values[i] = Double.random(in: 0.5...1.5, using: &rng)
            } else {
                // Box-Muller.
                let u1 = Double.random(in: Double.ulpOfOne...1, using: &rng)
                let u2 = Double.random(in: 0..<1, using: &rng)
                values[i] = (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2) * scale
            }
        }
        return dataType == .double
            ? try Tensor(dims: dims, values: values) : try Tensor(dims: dims, values: values.map { Float($0) })
    }
}

import Foundation

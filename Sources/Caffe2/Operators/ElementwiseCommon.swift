import Foundation

// Shared pieces of the element-wise operator family: the element protocols
// the generic kernels are written against, the parsed broadcast arguments of
// binary operators, the shapes a binary operator runs with, and the shape
// inference functions Caffe2 shares between them.

// MARK: Element types

/// Caffe2's `NumericTypes` (int32, int64, float, double) with the arithmetic
/// the element-wise kernels need. Integer arithmetic wraps around, as
/// Caffe2's does in C++; integer division truncates toward zero (callers rule
/// out division by zero first).
protocol NumericElement: SummableElement, Comparable {
    static func add(_ a: Self, _ b: Self) -> Self
    static func sub(_ a: Self, _ b: Self) -> Self
    static func mul(_ a: Self, _ b: Self) -> Self
    static func div(_ a: Self, _ b: Self) -> Self
    static func neg(_ a: Self) -> Self
    /// The value `v` converted from a count (for means).
    static func fromCount(_ v: Int) -> Self
    /// Whether integer division by this value is undefined (always false for floats).
    static var hasIntegerDivision: Bool { get }
}

extension Float: NumericElement {
    @inline(__always) static func add(_ a: Float, _ b: Float) -> Float { a + b }
    @inline(__always) static func sub(_ a: Float, _ b: Float) -> Float { a - b }
    @inline(__always) static func mul(_ a: Float, _ b: Float) -> Float { a * b }
    @inline(__always) static func div(_ a: Float, _ b: Float) -> Float { a / b }
    @inline(__always) static func neg(_ a: Float) -> Float { -a }
    @inline(__always) static func fromCount(_ v: Int) -> Float { Float(v) }
    static var hasIntegerDivision: Bool { false }
}

extension Double: NumericElement {
    @inline(__always) static func add(_ a: Double, _ b: Double) -> Double { a + b }
    @inline(__always) static func sub(_ a: Double, _ b: Double) -> Double { a - b }
    @inline(__always) static func mul(_ a: Double, _ b: Double) -> Double { a * b }
    @inline(__always) static func div(_ a: Double, _ b: Double) -> Double { a / b }
    @inline(__always) static func neg(_ a: Double) -> Double { -a }
    @inline(__always) static func fromCount(_ v: Int) -> Double { Double(v) }
    static var hasIntegerDivision: Bool { false }
}

extension Int32: NumericElement {
    @inline(__always) static func add(_ a: Int32, _ b: Int32) -> Int32 { a &+ b }
    @inline(__always) static func sub(_ a: Int32, _ b: Int32) -> Int32 { a &- b }
    @inline(__always) static func mul(_ a: Int32, _ b: Int32) -> Int32 { a &* b }
    @inline(__always) static func div(_ a: Int32, _ b: Int32) -> Int32 { a.dividedReportingOverflow(by: b).partialValue }
    @inline(__always) static func neg(_ a: Int32) -> Int32 { 0 &- a }
    @inline(__always) static func fromCount(_ v: Int) -> Int32 { Int32(truncatingIfNeeded: v) }
    static var hasIntegerDivision: Bool { true }
}

extension Int64: NumericElement {
    @inline(__always) static func add(_ a: Int64, _ b: Int64) -> Int64 { a &+ b }
    @inline(__always) static func sub(_ a: Int64, _ b: Int64) -> Int64 { a &- b }
    @inline(__always) static func mul(_ a: Int64, _ b: Int64) -> Int64 { a &* b }
    @inline(__always) static func div(_ a: Int64, _ b: Int64) -> Int64 { a.dividedReportingOverflow(by: b).partialValue }
    @inline(__always) static func neg(_ a: Int64) -> Int64 { 0 &- a }
    @inline(__always) static func fromCount(_ v: Int) -> Int64 { Int64(v) }
    static var hasIntegerDivision: Bool { true }
}

/// float and double, with the libm functions of the unary math operators.
protocol RealElement: NumericElement, FloatingTensorElement {
    static func naturalExp(_ x: Self) -> Self
    static func naturalLog(_ x: Self) -> Self
    static func power(_ x: Self, _ y: Self) -> Self
    /// A float argument (Caffe2's `scale`, `exponent`, `min`, `max` are floats) as `Self`.
    static func fromArgument(_ f: Float) -> Self
}

extension Float: RealElement {
    @inline(__always) static func naturalExp(_ x: Float) -> Float { expf(x) }
    @inline(__always) static func naturalLog(_ x: Float) -> Float { logf(x) }
    @inline(__always) static func power(_ x: Float, _ y: Float) -> Float { powf(x, y) }
    @inline(__always) static func fromArgument(_ f: Float) -> Float { f }
}

extension Double: RealElement {
    @inline(__always) static func naturalExp(_ x: Double) -> Double { Foundation.exp(x) }
    @inline(__always) static func naturalLog(_ x: Double) -> Double { Foundation.log(x) }
    @inline(__always) static func power(_ x: Double, _ y: Double) -> Double { Foundation.pow(x, y) }
    @inline(__always) static func fromArgument(_ f: Float) -> Double { Double(f) }
}

/// Caffe2's `NumericTypes`, in the order its docs list them.
let numericTypes: [DataType] = [.int32, .int64, .float, .double]

/// Throws unless `view` holds elements of `type` (Caffe2's typed `data<T>()` check).
func requireType(_ view: TensorView, _ type: DataType, like other: TensorView) throws {
    guard view.dataType == type else {
        throw Caffe2Error(
            .dataType,
            "input '\(view.name)' holds \(view.dataType) elements but '\(other.name)' holds \(type); they must have the same type",
            blob: view.name)
    }
}

/// Throws unless `view` has exactly `dims`.
func requireDims(_ view: TensorView, _ dims: [Int64], like other: TensorView) throws {
    guard view.dims == dims else {
        throw Caffe2Error(
            .shape,
            "input '\(view.name)' has dims \(view.dims) but must match '\(other.name)' \(dims)",
            blob: view.name)
    }
}

/// Throws if any element of an integer divisor is zero (C++ division by zero is undefined).
func requireNonZeroDivisor<T: NumericElement>(_ view: TensorView, _: T.Type) throws {
    guard T.hasIntegerDivision else { return }
    let p = view.pointer(T.self)
    for i in 0..<view.count where p[i] == T.zero {
        throw Caffe2Error(
            .runtime, "integer division by zero: element \(i) of divisor '\(view.name)' is 0", blob: view.name)
    }
}

// MARK: Broadcast arguments

/// The `broadcast`, `axis`, `axis_str` and `order` arguments of a binary
/// element-wise operator (Caffe2's `BinaryElementwiseWithArgsOp`), read once
/// at creation with Caffe2's checks.
struct BroadcastArguments: Sendable {
    /// `broadcast` non-zero: the legacy path, where only B is broadcast.
    let legacy: Bool
    /// Where B's dims start inside A on the legacy path (`-1`: at the end).
    let axis: Int
    /// Whether `axis` or `axis_str` was given (for Pow's stricter check).
    let axisGiven: Bool

    /// Parses the arguments; `alwaysLegacy` resolves `axis`/`axis_str` even
    /// without `broadcast` (SumReduceLike).
    init(_ args: Arguments, alwaysLegacy: Bool = false) throws {
        let broadcast = try args.single("broadcast", default: false)
        legacy = alwaysLegacy || broadcast
        var axis = try args.single("axis", default: -1)
        let axisString = try args.single("axis_str", default: "")
        let order = try args.single("order", default: "NCHW")
        axisGiven = axis != -1 || !axisString.isEmpty
        if legacy {
            if axis != -1 {
                guard axisString.isEmpty else {
                    throw Caffe2Error(.argument, "Args axis and axis_str cannot be used simultaneously.")
                }
            } else if !axisString.isEmpty {
                guard axisString.count == 1 else {
                    throw Caffe2Error(.argument, "Unsupported axis string \(axisString)")
                }
                guard let at = Array(order).firstIndex(of: axisString.first!) else {
                    throw Caffe2Error(
                        .argument, "Unrecognizable axis string \(axisString) from order string \(order)")
                }
                axis = at
            }
        }
        self.axis = axis
    }
}

/// The shapes a binary element-wise operator runs with.
struct BinaryShapes {
    /// The output's dims.
    let output: [Int64]
    /// A's and B's dims as the kernel sees them (numpy rules; the legacy
    /// path's `[pre, n, post]` / `[n, 1]` view).
    let a: [Int64]
    let b: [Int64]
    /// The walk over the kernel's output with operands `[a, b]`.
    let layout: BroadcastLayout

    /// Whether A and B have the same kernel dims (a plain element-wise map).
    var sameShape: Bool { a == b }

    /// Caffe2's forward shape rules for `C = A ⊕ B`, including its in-place
    /// checks: on the legacy path B must not be the output; on the numpy path
    /// an output that is also an input must keep that input's dims.
    init(
        _ ctx: OperatorContext, _ av: TensorView, _ bv: TensorView, _ args: BroadcastArguments,
        legacyInPlaceMessage: String = "In-place is allowed only with the first tensor when legacy-broadcasting"
    ) throws {
        if args.legacy {
            if ctx.inputCount > 1, ctx.outputCount > 0, ctx.isInPlace(input: 1, output: 0) {
                throw Caffe2Error(.schema, legacyInPlaceMessage, blob: bv.name)
            }
            let v = try legacyView(av, bv, axis: args.axis)
            output = av.dims
            a = v.a
            b = v.b
        } else {
            output = try numpyOutputDims(av, bv)
            a = av.dims
            b = bv.dims
            if ctx.outputCount > 0 {
                if ctx.isInPlace(input: 0, output: 0) && output != av.dims {
                    throw Caffe2Error(
                        .shape,
                        "output '\(av.name)' is computed in place over input A \(av.dims), but broadcasting with '\(bv.name)' \(bv.dims) gives \(output)",
                        blob: av.name)
                }
                if ctx.inputCount > 1 && ctx.isInPlace(input: 1, output: 0) && output != bv.dims {
                    throw Caffe2Error(
                        .shape,
                        "output '\(bv.name)' is computed in place over input B \(bv.dims), but broadcasting with '\(av.name)' \(av.dims) gives \(output)",
                        blob: bv.name)
                }
            }
        }
        layout = try BroadcastLayout(output: a == b ? a : try Broadcast.numpyDims(a, b), operands: [a, b])
    }
}

/// `numpyDims(A, B)` with the blob names in the message.
func numpyOutputDims(_ a: TensorView, _ b: TensorView) throws -> [Int64] {
    do {
        return try Broadcast.numpyDims(a.dims, b.dims)
    } catch let e as Caffe2Error {
        throw Caffe2Error(
            .shape, "inputs '\(a.name)' \(a.dims) and '\(b.name)' \(b.dims) cannot be broadcast: \(e.message)",
            blob: b.name)
    }
}

/// `legacyDims(A, B, axis)` with the blob names in the message.
func legacyView(_ a: TensorView, _ b: TensorView, axis: Int) throws -> (a: [Int64], b: [Int64]) {
    do {
        return try Broadcast.legacyDims(a.dims, b.dims, axis: axis)
    } catch let e as Caffe2Error {
        throw Caffe2Error(
            e.kind, "inputs '\(a.name)' \(a.dims) and '\(b.name)' \(b.dims) (broadcast=1): \(e.message)",
            blob: b.name)
    }
}

// MARK: Shape inference

/// Caffe2's `ElementwiseOpShapeInference`: output 0 has input 0's type, and
/// A's dims with `broadcast` set, else the numpy-broadcast dims of A and B.
func elementwiseOpShapeInference(_ def: OperatorDef, _ inputs: [TensorShape]) throws -> [TensorShape] {
    try binaryBroadcastInference(def, inputs, outputType: nil)
}

/// The dims of a binary element-wise op's output, typed `outputType` (input 0's type when nil).
func binaryBroadcastInference(_ def: OperatorDef, _ inputs: [TensorShape], outputType: DataType?) throws
    -> [TensorShape]
{
    guard inputs.count >= 2 else { throw inferenceInputError(def, 1) }
    let legacy = try Arguments(def).single("broadcast", default: false)
    let dims = legacy ? inputs[0].dims : try Broadcast.numpyDims(inputs[0].dims, inputs[1].dims)
    return [TensorShape(dims: dims, dataType: outputType ?? inputs[0].dataType)]
}

/// Caffe2's `ElementwiseGradientOpShapeInference`: the two outputs are shaped
/// like inputs 1 and 2.
func elementwiseGradientShapeInference(_ def: OperatorDef, _ inputs: [TensorShape]) throws -> [TensorShape] {
    guard inputs.count >= 3 else { throw inferenceInputError(def, 2) }
    return [inputs[1], inputs[2]]
}

extension OperatorSchema {
    /// The `broadcast`, `axis`, `axis_str` and `order` argument docs of binary element-wise ops.
    func broadcastArgumentDocs() -> OperatorSchema {
        self.arg("broadcast", "*(int, default 0)* Non-zero selects the legacy broadcast, where B's dims must match a contiguous run of A's dims starting at `axis`; without it, numpy-style broadcasting of either operand.")
            .arg("axis", "*(int, default -1)* Legacy broadcast only: the dim of A where B's dims start; -1 aligns B with A's last dims.")
            .arg("axis_str", "*(string)* Legacy broadcast only: the axis as one character of `order` (e.g. \"C\").")
            .arg("order", "*(string, default \"NCHW\")* Resolves `axis_str`.")
    }
}

// MARK: Transcendental maps

/// Elements per thread for maps that call `exp`, `log` or `pow` per element
/// (several times the work of an arithmetic element, so threads pay off sooner).
let transcendentalElementsPerThread = 16_384

/// `y[i] = f(x[i])` for maps that call a libm function; `y` may be `x`.
@inline(__always)
func mapUnaryTranscendental<T>(_ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>, _ n: Int, _ f: (T) -> T) {
    Parallel.forChunks(n, minPerThread: transcendentalElementsPerThread) { r in
        if x == UnsafePointer(y) {
            let p = y + r.lowerBound
            for i in 0..<r.count { p[i] = f(p[i]) }
        } else {
            let xp = x + r.lowerBound
            let yp = y + r.lowerBound
            for i in 0..<r.count { yp[i] = f(xp[i]) }
        }
    }
}

/// `z[i] = f(a[i], b[i])` for maps that call a libm function; `z` may be `a` or `b`
/// (each element is read before it is written).
@inline(__always)
func mapBinaryTranscendental<T>(
    _ a: UnsafePointer<T>, _ b: UnsafePointer<T>, _ z: UnsafeMutablePointer<T>, _ n: Int, _ f: (T, T) -> T
) {
    Parallel.forChunks(n, minPerThread: transcendentalElementsPerThread) { r in
        for i in r { z[i] = f(a[i], b[i]) }
    }
}

import Foundation

/// Utility operators: Copy (and its gradient helper CopyOnDeviceLike),
/// Cast, StopGradient, Alias, EnsureDense and Print.
///
/// Copy, StopGradient, Alias and EnsureDense pass the input's storage on
/// instead of copying it; copy-on-write makes that indistinguishable from
/// Caffe2's deep copy (a later write to either blob copies first).
enum UtilityOperators {
    static let definitions: [OperatorDefinition] = [
        copy, copyOnDeviceLike, cast, stopGradient, alias, ensureDense, printOp,
    ]

    /// A kernel that stores input 0, unchanged and shared, as output 0.
    static let passThrough = OperatorKernel { _, _ in
        { ctx in ctx.setOutput(0, try ctx.inputTensor(0)) }
    }

    // MARK: Copy

    static let copy = OperatorDefinition(
        schema: OperatorSchema("Copy")
            .numInputs(1).numOutputs(1)
            .identicalTypeAndShape()
            .allowInputsToCrossDevices()
            .types(DataType.tensorTypes)
            .doc("Copies the input into the output (any element type; on CPU the storage is shared copy-on-write).")
            .input(0, "input", "The input tensor.")
            .output(0, "output", "A copy of the input."),
        kernels: [passThrough],
        gradient: .make { g in
            try g.singleGradientDef("CopyOnDeviceLike", inputs: [g.GO(0), g.I(0)], outputs: [g.GI(0)])
        })

    static let copyOnDeviceLike = OperatorDefinition(
        schema: OperatorSchema("CopyOnDeviceLike")
            .numInputs(2).numOutputs(1)
            .identicalTypeAndShapeOfInput(0)
            .types(DataType.tensorTypes)
            .doc("Copies input 0 onto the device of input 1 (on CPU a plain copy). The gradient of Copy.")
            .input(0, "input", "The tensor to copy.")
            .input(1, "dst", "A tensor on the target device.")
            .output(0, "output", "A copy of input 0."),
        kernels: [passThrough])

    // MARK: StopGradient, Alias, EnsureDense

    static let stopGradient = OperatorDefinition(
        schema: OperatorSchema("StopGradient")
            .numInputs(1).numOutputs(1)
            .allowInplace([(0, 0)])
            .identicalTypeAndShape()
            .types(DataType.tensorTypes)
            .doc("Identity in the forward pass; no gradient flows back through it.")
            .input(0, "input", "The input tensor.")
            .output(0, "output", "The same tensor."),
        kernels: [passThrough],
        gradient: .noGradient)

    static let alias = OperatorDefinition(
        schema: OperatorSchema("Alias")
            .numInputs(1).numOutputs(1)
            .identicalTypeAndShape()
            .types(DataType.tensorTypes)
            .doc(
                """
                Makes the output share the input's storage. Here the sharing is copy-on-write: the first \
                write to either blob gives it its own copy (Caffe2 shares the memory for writes too).
                """
            )
            .input(0, "input", "Tensor whose storage is shared.")
            .output(0, "output", "Tensor of the same shape sharing the storage."),
        kernels: [passThrough])

    static let ensureDense = OperatorDefinition(
        schema: OperatorSchema("EnsureDense")
            .numInputs(1).numOutputs(1)
            .allowInplace([(0, 0)])
            .identicalTypeAndShape()
            .types(DataType.tensorTypes)
            .doc(
                """
                Identity on a dense tensor. Its gradient turns a sparse gradient into a dense one \
                (`SparseToDense`) and passes a dense gradient through.
                """
            )
            .input(0, "input", "The input tensor.")
            .output(0, "output", "The same tensor."),
        kernels: [passThrough],
        gradient: .make { g in
            if g.gradOut(0)?.isSparse == true {
                return try g.singleGradientDef(
                    "SparseToDense", inputs: [g.GO_I(0), g.GO_V(0), g.I(0)], outputs: [g.GI(0)])
            }
            try g.SetDense(0, g.GO(0))
            return []
        })

    // MARK: Cast

    /// Types Cast reads (Caffe2's CPU dispatch list).
    static let castSources: [DataType] = [.float, .int32, .bool, .uint8, .int8, .uint16, .int16, .int64, .double]

    /// A `to` / `from_type` argument: a `TensorProto.DataType` number, or its name (any case).
    static func castType(_ args: Arguments, _ name: String) throws -> DataType {
        try FillOperators.dataTypeArgument(args, name, default: .float)
    }

    /// Checks that Cast can produce `t` (Caffe2's `CastOp::SetBody`).
    static func checkCastDestination(_ t: DataType, argument: String = "to") throws {
        switch t {
        case .undefined: throw Caffe2Error(.argument, "Cast op must have 'to' argument of type DataType")
        case .byte: throw Caffe2Error(.argument, "BYTE is deprecated")
        case .float16: throw Caffe2Error(.dataType, "Casting to and from at::Half on CPU is not supported yet")
        case .string: return
        default:
            guard castSources.contains(t) else {
                throw Caffe2Error(.argument, "Unexpected '\(argument)' argument value: \(t.rawValue)")
            }
        }
    }

    static let cast = OperatorDefinition(
        schema: OperatorSchema("Cast")
            .numInputs(1).numOutputs(1)
            .tensorInference { def, inputs in
                var s = inputs[0]
                s.dataType = try castType(try Arguments(def), "to")
                return [s]
            }
            .types(castSources + [.string])
            .doc(
                """
                Converts every element to the type `to` (a `TensorProto.DataType` number or its name, any \
                case; default FLOAT), as C++ `static_cast`: floats to integers truncate toward zero \
                (out-of-range values saturate here, NaN becomes 0), non-zero becomes true, integers narrow \
                by wrapping. Reads float, double, int8/16/32/64, uint8/16 and bool; writes those and \
                STRING (decimal text, floats as `%f`). The gradient needs `from_type`: it is Cast back.
                """
            )
            .arg("to", "(int or string, default FLOAT) Destination type.")
            .arg("from_type", "(int or string) Source type; required for the gradient.")
            .input(0, "input", "Tensor to convert.")
            .output(0, "output", "Tensor of the same dims and type `to`."),
        kernels: [
            OperatorKernel { _, args in
                let to = try castType(args, "to")
                try checkCastDestination(to)
                return { ctx in try runCast(ctx, to: to) }
            }
        ],
        gradient: .make(copyArguments: false) { g in
            let args = try Arguments(g.def)
            let to = try castType(args, "to")
            guard let a = args["from_type"], a.i != nil || a.s != nil else {
                throw Caffe2Error(
                    .gradient, "Argument 'from_type' of type int or string is required to get the gradient of CastOp",
                    opType: g.def.type)
            }
            let from = try castType(args, "from_type")
            return try g.singleGradientDef(
                "Cast", inputs: [g.GO(0)], outputs: [g.GI(0)],
                args: [
                    Argument(name: "to", int: Int64(from.rawValue)),
                    Argument(name: "from_type", int: Int64(to.rawValue)),
                ])
        })

    static func runCast(_ ctx: OperatorContext, to: DataType) throws {
        let x = try ctx.input(0)
        guard castSources.contains(x.dataType) else { throw x.unsupportedType(castSources) }
        if x.dataType == to {
            ctx.setOutput(0, try ctx.inputTensor(0))
            return
        }
        if to == .string {
            ctx.setOutput(0, try Tensor(dims: x.dims, strings: castToStrings(x)))
            return
        }
        let y = try ctx.output(0, like: x, type: to)
        func into<D: CastDestination>(_: D.Type) {
            castLoop(x, y.pointer(D.self))
        }
        switch to {
        case .float: into(Float.self)
        case .double: into(Double.self)
        case .int32: into(Int32.self)
        case .int64: into(Int64.self)
        case .int16: into(Int16.self)
        case .int8: into(Int8.self)
        case .uint16: into(UInt16.self)
        case .uint8: into(UInt8.self)
        default: into(Bool.self)
        }
    }

    /// Converts every element of `x` (a Cast source type) into `out`.
    @inline(__always)
    static func castLoop<D: CastDestination>(_ x: TensorView, _ out: UnsafeMutablePointer<D>) {
        let n = x.count
        func signed<S: FixedWidthInteger & SignedInteger>(_: S.Type) {
            let p = x.pointer(S.self)
            for i in 0..<n { out[i] = D.cast(signed: Int64(p[i])) }
        }
        func unsigned<S: FixedWidthInteger & UnsignedInteger>(_: S.Type) {
            let p = x.pointer(S.self)
            for i in 0..<n { out[i] = D.cast(unsigned: UInt64(p[i])) }
        }
        switch x.dataType {
        case .float:
            let p = x.pointer(Float.self)
            for i in 0..<n { out[i] = D.cast(float: p[i]) }
        case .double:
            let p = x.pointer(Double.self)
            for i in 0..<n { out[i] = D.cast(double: p[i]) }
        case .bool:
            let p = x.pointer(Bool.self)
            for i in 0..<n { out[i] = D.cast(unsigned: p[i] ? 1 : 0) }
        case .int32: signed(Int32.self)
        case .int64: signed(Int64.self)
        case .int16: signed(Int16.self)
        case .int8: signed(Int8.self)
        case .uint16: unsigned(UInt16.self)
        default: unsigned(UInt8.self)
        }
    }

    /// Caffe2's `to_string` of each element (floats as `%f`, bool as 1/0).
    static func castToStrings(_ x: TensorView) -> [String] {
        let n = x.count
        switch x.dataType {
        case .float: return x.unsafeBuffer(Float.self).map { String(format: "%f", Double($0)) }
        case .double: return x.unsafeBuffer(Double.self).map { String(format: "%f", $0) }
        case .bool: return x.unsafeBuffer(Bool.self).map { $0 ? "1" : "0" }
        case .int32: return x.unsafeBuffer(Int32.self).map { String($0) }
        case .int64: return x.unsafeBuffer(Int64.self).map { String($0) }
        case .int16: return x.unsafeBuffer(Int16.self).map { String($0) }
        case .int8: return x.unsafeBuffer(Int8.self).map { String($0) }
        case .uint16: return x.unsafeBuffer(UInt16.self).map { String($0) }
        case .uint8: return x.unsafeBuffer(UInt8.self).map { String($0) }
        default: return Array(repeating: "", count: n)
        }
    }

    // MARK: Print

    /// Elements printed when `limit` is 0 (Caffe2's `k_limit_default`).
    static let defaultPrintLimit = 1000

    /// The line Print writes for `tensor`: `Tensor <name> of type <type>. Dims: (d0,d1,): v0,v1,…`.
    static func printLine(_ tensor: Tensor, name: String, limit: Int) -> String {
        var line = "Tensor \(name) of type \(tensor.dataType). Dims: ("
        for d in tensor.dims { line += "\(d)," }
        line += "): "
        let shown = min(tensor.count, limit > 0 ? limit : defaultPrintLimit)
        guard shown > 0 else { return line }
        var parts: [String] = []
        parts.reserveCapacity(shown)
        if tensor.dataType == .string {
            parts = Array(tensor.strings.prefix(shown))
        } else {
            func ints<T: FixedWidthInteger>(_: T.Type) {
                tensor.typedBuffer(T.self).prefix(shown).forEach { parts.append(String($0)) }
            }
            switch tensor.dataType {
            case .float: tensor.typedBuffer(Float.self).prefix(shown).forEach { parts.append(formatFloat(Double($0))) }
            case .double: tensor.typedBuffer(Double.self).prefix(shown).forEach { parts.append(formatFloat($0)) }
            case .float16: tensor.typedBuffer(Float16.self).prefix(shown).forEach { parts.append(formatFloat(Double($0))) }
            case .bool: tensor.typedBuffer(Bool.self).prefix(shown).forEach { parts.append($0 ? "1" : "0") }
            case .int32: ints(Int32.self)
            case .int64: ints(Int64.self)
            case .int16: ints(Int16.self)
            case .int8: ints(Int8.self)
            case .uint16: ints(UInt16.self)
            default: ints(UInt8.self)
            }
        }
        return line + parts.joined(separator: ",")
    }

    /// A float as C++ `operator<<` writes it (6 significant digits, `%g`).
    static func formatFloat(_ v: Double) -> String {
        if v.isNaN { return "nan" }
        if v.isInfinite { return v < 0 ? "-inf" : "inf" }
        return String(format: "%g", v)
    }

    /// Print's per-op state: run counter and the log file.
    final class PrintState {
        var runs = 0
        let file: FileHandle?
        init(file: FileHandle?) { self.file = file }
        deinit { try? file?.close() }
    }

    static let printOp = OperatorDefinition(
        schema: OperatorSchema("Print")
            .numInputs(1).numOutputs(0)
            .types(DataType.tensorTypes)
            .doc(
                """
                Writes the blob's name, type, dims and values (at most `limit`, 1000 when 0) as one line \
                `Tensor <name> of type <type>. Dims: (d0,d1,): v0,v1,...` to standard output, or with \
                `to_file=1` to the file `<blob name>.log` in the current directory (created afresh when \
                the op is created, appended on every printing run). Prints on runs 1, 1 + every_n, ...
                """
            )
            .arg("to_file", "(bool, default 0) Append to `<blob name>.log` instead of standard output.")
            .arg("limit", "(int, default 0) Most elements printed; 0 means 1000.")
            .arg("every_n", "(int, default 1) Print on every n-th run only (≥ 1).")
            .input(0, "tensor", "The tensor to print."),
        kernels: [
            OperatorKernel { def, args in
                let toFile = try args.single("to_file", default: false)
                let limit = try args.single("limit", default: 0)
                let everyN = try args.single("every_n", default: 1)
                guard everyN >= 1 else {
                    throw Caffe2Error(.argument, "every_n must be >= 1, got \(everyN)")
                }
                guard limit >= 0 else { throw Caffe2Error(.argument, "limit must be >= 0, got \(limit)") }
                var handle: FileHandle? = nil
                if toFile {
                    let path = def.input[0] + ".log"
                    guard FileManager.default.createFile(atPath: path, contents: nil),
                        let h = FileHandle(forWritingAtPath: path)
                    else {
                        throw Caffe2Error(.io, "Print: cannot create the log file '\(path)'")
                    }
                    handle = h
                }
                let state = PrintState(file: handle)
                return { ctx in
                    state.runs += 1
                    guard (state.runs - 1) % everyN == 0 else { return }
                    let line = printLine(try ctx.inputTensor(0), name: ctx.inputName(0), limit: limit) + "\n"
                    if let file = state.file {
                        do {
                            try file.seekToEnd()
                            try file.write(contentsOf: Data(line.utf8))
                        } catch {
                            throw Caffe2Error(.io, "Print: cannot write '\(ctx.inputName(0)).log': \(error)")
                        }
                    } else {
                        FileHandle.standardOutput.write(Data(line.utf8))
                    }
                }
            }
        ],
        gradient: .shouldNotDoGradient)
}

/// An element type Cast can write, built with C++ `static_cast` rules from
/// the four kinds of source value.
protocol CastDestination {
    static func cast(signed v: Int64) -> Self
    static func cast(unsigned v: UInt64) -> Self
    static func cast(float v: Float) -> Self
    static func cast(double v: Double) -> Self
}

extension Float: CastDestination {
    @inline(__always) static func cast(signed v: Int64) -> Self { Float(v) }
    @inline(__always) static func cast(unsigned v: UInt64) -> Self { Float(v) }
    @inline(__always) static func cast(float v: Float) -> Self { v }
    @inline(__always) static func cast(double v: Double) -> Self { Float(v) }
}

extension Double: CastDestination {
    @inline(__always) static func cast(signed v: Int64) -> Self { Double(v) }
    @inline(__always) static func cast(unsigned v: UInt64) -> Self { Double(v) }
    @inline(__always) static func cast(float v: Float) -> Self { Double(v) }
    @inline(__always) static func cast(double v: Double) -> Self { v }
}

extension Bool: CastDestination {
    @inline(__always) static func cast(signed v: Int64) -> Self { v != 0 }
    @inline(__always) static func cast(unsigned v: UInt64) -> Self { v != 0 }
    @inline(__always) static func cast(float v: Float) -> Self { v != 0 }
    @inline(__always) static func cast(double v: Double) -> Self { v != 0 }
}

/// Integer destinations: narrowing wraps (two's complement), floats
/// truncate toward zero and saturate (NaN ⇒ 0) where C++ leaves it undefined.
protocol IntegerCastDestination: CastDestination, FixedWidthInteger {}

extension IntegerCastDestination {
    @inline(__always) static func cast(signed v: Int64) -> Self { Self(truncatingIfNeeded: v) }
    @inline(__always) static func cast(unsigned v: UInt64) -> Self { Self(truncatingIfNeeded: v) }
    @inline(__always) static func cast(float v: Float) -> Self { cast(double: Double(v)) }
    @inline(__always) static func cast(double v: Double) -> Self {
        if v.isNaN { return 0 }
        if v >= Double(Self.max) { return Self.max }
        if v <= Double(Self.min) { return Self.min }
        return Self(v.rounded(.towardZero))
    }
}

extension Int8: IntegerCastDestination {}
extension Int16: IntegerCastDestination {}
extension Int32: IntegerCastDestination {}
extension Int64: IntegerCastDestination {}
extension UInt8: IntegerCastDestination {}
extension UInt16: IntegerCastDestination {}

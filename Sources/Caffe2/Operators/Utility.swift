import Foundation

/// Utility operators: Copy (and its gradient helper CopyOnDeviceLike),
/// Cast, StopGradient, Alias, EnsureDense, Print, LayerNorm and TopK (with
/// their gradient operators).
///
/// Copy, StopGradient, Alias and EnsureDense pass the input's storage on
/// instead of copying it; copy-on-write makes that indistinguishable from
/// Caffe2's deep copy (a later write to either blob copies first).
enum UtilityOperators {
    static let definitions: [OperatorDefinition] = [
        copy, copyOnDeviceLike, cast, stopGradient, alias, ensureDense, printOp,
        layerNorm, layerNormGradient, topK, topKGradient,
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
                        Swift.print(line, terminator: "")
                    }
                }
            }
        ],
        gradient: .shouldNotDoGradient)
}

extension UtilityOperators {
    // MARK: LayerNorm

    /// Rows × columns of a LayerNorm over `dims` from `axis`, and the dims of its statistics.
    static func layerNormGeometry(_ dims: [Int64], axis: Int) throws -> (rows: Int, cols: Int, statDims: [Int64]) {
        let a = try ShapeOperators.canonicalAxis(axis, rank: dims.count)
        return (ShapeOperators.product(dims[0..<a]), ShapeOperators.product(dims[a...]), Array(dims[0..<a]) + [1])
    }

    static let layerNorm = OperatorDefinition(
        schema: OperatorSchema("LayerNorm")
            .numInputs([1, 3]).numOutputs([1, 3])
            .tensorInference { def, inputs in
                let axis = try Arguments(def).single("axis", default: 1)
                let g = try layerNormGeometry(inputs[0].dims, axis: axis)
                let stats = TensorShape(dims: g.statDims, dataType: .float)
                return [TensorShape(dims: inputs[0].dims, dataType: .float)] + (def.output.count == 3 ? [stats, stats] : [])
            }
            .types([.float])
            .doc(
                """
                Layer normalisation: each row of the input seen as `[size_to_dim(axis), size_from_dim(axis)]` \
                is normalised, `Y = (X − mean) / σ` with `σ = √(var + epsilon)` (population variance). With \
                `elementwise_affine=1` the inputs `gamma` and `beta` (one value per column) scale and shift \
                the result. `mean` and `stddev` have dims `dims[0..<axis] + [1]`. Caffe2 requires all three \
                outputs; here `mean` and `stddev` may be left out (as Glow's test nets do), but the \
                gradient needs them.
                """
            )
            .arg("axis", "(int, default 1) First normalised dim.")
            .arg("epsilon", "(float, default 1e-5) Added to the variance.")
            .arg("elementwise_affine", "(bool, default false) Apply gamma and beta.")
            .input(0, "input", "float tensor to normalise.")
            .input(1, "gamma", "(with elementwise_affine) scale, one per column.")
            .input(2, "beta", "(with elementwise_affine) shift, one per column.")
            .output(0, "output", "Normalised values.")
            .output(1, "mean", "Mean of each row.")
            .output(2, "stddev", "√(var + epsilon) of each row."),
        kernels: [
            OperatorKernel { def, args in
                let axis = try args.single("axis", default: 1)
                let eps = Double(try args.single("epsilon", default: Float(1e-5)))
                let affine = try args.single("elementwise_affine", default: false)
                if affine && def.input.count != 3 {
                    throw Caffe2Error(.argument, "LayerNorm with elementwise_affine needs inputs (X, gamma, beta)")
                }
                return { ctx in
                    let x = try ctx.input(0)
                    let xs = try x.floats
                    let g = try layerNormGeometry(x.dims, axis: axis)
                    var gamma: UnsafeBufferPointer<Float>? = nil
                    var beta: UnsafeBufferPointer<Float>? = nil
                    if affine {
                        let gv = try ctx.input(1)
                        let bv = try ctx.input(2)
                        guard gv.count == g.cols, bv.count == g.cols else {
                            throw Caffe2Error(
                                .shape,
                                "LayerNorm: gamma '\(gv.name)' (\(gv.count)) and beta '\(bv.name)' (\(bv.count)) need \(g.cols) elements, one per column",
                                blob: gv.name)
                        }
                        gamma = try gv.floats
                        beta = try bv.floats
                    }
                    let stats = ctx.outputCount == 3
                    let mean = stats ? try ctx.output(1, dims: g.statDims, type: .float).floats : nil
                    let sigma = stats ? try ctx.output(2, dims: g.statDims, type: .float).floats : nil
                    let y = try ctx.output(0, like: x, type: .float).floats
                    let n = g.cols
                    for r in 0..<g.rows {
                        let row = r * n
                        var sum = 0.0
                        for j in 0..<n { sum += Double(xs[row + j]) }
                        let m = n > 0 ? sum / Double(n) : 0
                        var sq = 0.0
                        for j in 0..<n {
                            let d = Double(xs[row + j]) - m
                            sq += d * d
                        }
                        let s = ((n > 0 ? sq / Double(n) : 0) + eps).squareRoot()
                        mean?[r] = Float(m)
                        sigma?[r] = Float(s)
                        let inv = 1 / s
                        for j in 0..<n {
                            var v = (Double(xs[row + j]) - m) * inv
                            if let gamma, let beta { v = v * Double(gamma[j]) + Double(beta[j]) }
                            y[row + j] = Float(v)
                        }
                    }
                }
            }
        ],
        gradient: .make { g in
            guard g.def.output.count == 3 else {
                throw Caffe2Error(
                    .gradient, "The gradient of LayerNorm needs its mean and stddev outputs (3 outputs)",
                    opType: g.def.type)
            }
            let affine = try Arguments(g.def).single("elementwise_affine", default: false)
            if affine {
                return try g.singleGradientDef(
                    "LayerNormGradient", inputs: [g.GO(0), g.O(0), g.O(1), g.O(2), g.I(0), g.I(1)],
                    outputs: [g.GI(0), g.GI(1), g.GI(2)])
            }
            return try g.singleGradientDef(
                "LayerNormGradient", inputs: [g.GO(0), g.O(0), g.O(1), g.O(2), g.I(0)], outputs: [g.GI(0)])
        })

    static let layerNormGradient = OperatorDefinition(
        schema: OperatorSchema("LayerNormGradient")
            .numInputs([5, 6]).numOutputs([1, 3])
            .tensorInference { def, inputs in
                var out = [TensorShape(dims: inputs[4].dims, dataType: .float)]
                if def.output.count == 3, inputs.count == 6 {
                    out += [inputs[5], inputs[5]]
                }
                return out
            }
            .types([.float])
            .doc(
                """
                Gradient of LayerNorm. Inputs `(dY, Y, mean, stddev, X[, gamma])`, outputs \
                `dX[, dgamma, dbeta]`.
                """
            )
            .input(0, "dY", "Gradient of the output.")
            .input(1, "Y", "Forward output (unused, kept for Caffe2's signature).")
            .input(2, "mean", "Forward row means.")
            .input(3, "stddev", "Forward row standard deviations.")
            .input(4, "X", "Forward input.")
            .input(5, "gamma", "(with elementwise_affine) forward scale.")
            .output(0, "dX", "Gradient of the input.")
            .output(1, "dgamma", "(with elementwise_affine) gradient of gamma.")
            .output(2, "dbeta", "(with elementwise_affine) gradient of beta."),
        kernels: [
            OperatorKernel { def, args in
                let axis = try args.single("axis", default: 1)
                if (def.input.count == 6) != (def.output.count == 3) {
                    throw Caffe2Error(.argument, "LayerNormGradient: gamma (input 5) and (dgamma, dbeta) go together")
                }
                return { ctx in
                    let dyv = try ctx.input(0)
                    let xv = try ctx.input(4)
                    guard dyv.dims == xv.dims else {
                        throw Caffe2Error(
                            .shape, "LayerNormGradient: dY '\(dyv.name)' \(dyv.dims) and X '\(xv.name)' \(xv.dims) differ",
                            blob: dyv.name)
                    }
                    let geo = try layerNormGeometry(xv.dims, axis: axis)
                    let meanv = try ctx.input(2)
                    let sigmav = try ctx.input(3)
                    guard meanv.count == geo.rows, sigmav.count == geo.rows else {
                        throw Caffe2Error(
                            .shape, "LayerNormGradient: mean and stddev need \(geo.rows) elements (one per row)",
                            blob: meanv.name)
                    }
                    let dy = try dyv.floats
                    let x = try xv.floats
                    let mean = try meanv.floats
                    let sigma = try sigmav.floats
                    var gamma: UnsafeBufferPointer<Float>? = nil
                    if ctx.inputCount == 6 {
                        let gv = try ctx.input(5)
                        guard gv.count == geo.cols else {
                            throw Caffe2Error(.shape, "LayerNormGradient: gamma needs \(geo.cols) elements", blob: gv.name)
                        }
                        gamma = try gv.floats
                    }
                    let n = geo.cols
                    var dgamma = [Double](repeating: 0, count: gamma == nil ? 0 : n)
                    var dbeta = [Double](repeating: 0, count: gamma == nil ? 0 : n)
                    let dx = try ctx.output(0, like: xv, type: .float).floats
                    let scale = 1 / Double(max(n, 1))
                    for r in 0..<geo.rows {
                        let row = r * n
                        var ds = 0.0
                        var db = 0.0
                        for j in 0..<n {
                            let gj = gamma.map { Double($0[j]) } ?? 1
                            ds += Double(dy[row + j]) * Double(x[row + j]) * gj
                            db += Double(dy[row + j]) * gj
                        }
                        let m = Double(mean[r])
                        let rstd = 1 / Double(sigma[r])
                        let xScale = (db * m - ds) * rstd * rstd * rstd * scale
                        let bias = -xScale * m - db * rstd * scale
                        for j in 0..<n {
                            let gj = gamma.map { Double($0[j]) } ?? 1
                            dx[row + j] = Float(Double(dy[row + j]) * gj * rstd + Double(x[row + j]) * xScale + bias)
                        }
                        if gamma != nil {
                            for j in 0..<n {
                                dgamma[j] += Double(dy[row + j]) * (Double(x[row + j]) - m) * rstd
                                dbeta[j] += Double(dy[row + j])
                            }
                        }
                    }
                    if let gammaView = gamma, ctx.outputCount == 3 {
                        let gdims = try ctx.input(5).dims
                        let dg = try ctx.output(1, dims: gdims, type: .float).floats
                        let dbo = try ctx.output(2, dims: gdims, type: .float).floats
                        for j in 0..<gammaView.count {
                            dg[j] = Float(dgamma[j])
                            dbo[j] = Float(dbeta[j])
                        }
                    }
                }
            }
        ])

    // MARK: TopK

    static let topKTypes: [DataType] = [.float, .double, .int32, .int64]

    /// Output dims of TopK and the canonical axis.
    static func topKShape(_ dims: [Int64], k: Int, axis: Int, name: String) throws -> ([Int64], Int) {
        let a = try ShapeOperators.canonicalAxis(axis, rank: dims.count)
        var out = dims
        out[a] = Int64(k)
        return (out, a)
    }

    static let topK = OperatorDefinition(
        schema: OperatorSchema("TopK")
            .numInputs(1).numOutputs(2, 3)
            .tensorInference { def, inputs in
                let args = try Arguments(def)
                let k = try args.single("k", default: -1)
                guard k >= 1 else { throw Caffe2Error(.argument, "k argument must be >= 1, got \(k)") }
                let (dims, _) = try topKShape(inputs[0].dims, k: k, axis: try args.single("axis", default: -1), name: def.input[0])
                var out = [TensorShape(dims: dims, dataType: inputs[0].dataType), TensorShape(dims: dims, dataType: .int64)]
                if def.output.count > 2 {
                    out.append(TensorShape(dims: [Int64(ShapeOperators.product(dims[...]))], dataType: .int64))
                }
                return out
            }
            .types(topKTypes)
            .doc(
                """
                The `k` largest elements along `axis` (default the last), in descending order; equal values \
                keep the lower index first. Outputs the values, their int64 indices along the axis, and \
                optionally the indices into the flattened input. When the axis is shorter than `k` the \
                missing slots hold 0 and index -1. Caffe2 registers float only and its shape inference \
                reports int32 indices; the indices are int64.
                """
            )
            .arg("k", "(int, required, ≥ 1) How many elements to keep.")
            .arg("axis", "(int, default -1) Axis to search along.")
            .input(0, "X", "Input tensor.")
            .output(0, "Values", "The top-k values.")
            .output(1, "Indices", "int64 indices along the axis.")
            .output(2, "Flattened_indices", "(optional) int64 indices into the flattened input."),
        kernels: [
            OperatorKernel { _, args in
                let k = try args.single("k", default: -1)
                guard k >= 1 else { throw Caffe2Error(.argument, "k argument must be >= 1, got \(k)") }
                let axis = try args.single("axis", default: -1)
                return { ctx in
                    let x = try ctx.input(0)
                    let (dims, a) = try topKShape(x.dims, k: k, axis: axis, name: x.name)
                    func run<T: Comparable & TensorElement>(_: T.Type) throws {
                        let src = x.unsafeBuffer(T.self)
                        let values = try ctx.output(0, dims: dims, type: x.dataType).buffer(T.self)
                        let indices = try ctx.output(1, dims: dims, type: .int64).buffer(Int64.self)
                        let flat = ctx.outputCount > 2
                            ? try ctx.output(2, dims: [Int64(values.count)], type: .int64).buffer(Int64.self) : nil
                        let n = Int(x.dims[a])
                        let outer = ShapeOperators.product(x.dims[0..<a])
                        let inner = ShapeOperators.product(x.dims[(a + 1)...])
                        var slice: [(T, Int)] = []
                        slice.reserveCapacity(n)
                        for o in 0..<outer {
                            for i in 0..<inner {
                                let base = o * n * inner + i
                                slice.removeAll(keepingCapacity: true)
                                for j in 0..<n { slice.append((src[base + j * inner], j)) }
                                slice.sort { $0.0 > $1.0 || ($0.0 == $1.0 && $0.1 < $1.1) }
                                let dst = o * k * inner + i
                                for j in 0..<k {
                                    let p = dst + j * inner
                                    if j < n {
                                        values[p] = slice[j].0
                                        indices[p] = Int64(slice[j].1)
                                        flat?[p] = Int64(base + slice[j].1 * inner)
                                    } else {
                                        values[p] = T.zero
                                        indices[p] = -1
                                        flat?[p] = -1
                                    }
                                }
                            }
                        }
                    }
                    switch x.dataType {
                    case .float: try run(Float.self)
                    case .double: try run(Double.self)
                    case .int32: try run(Int32.self)
                    case .int64: try run(Int64.self)
                    default: throw x.unsupportedType(topKTypes)
                    }
                }
            }
        ],
        gradient: .make { g in
            try g.singleGradientDef("TopKGradient", inputs: [g.GO(0), g.O(1), g.I(0)], outputs: [g.GI(0)])
        })

    static let topKGradient = OperatorDefinition(
        schema: OperatorSchema("TopKGradient")
            .numInputs(3).numOutputs(1)
            .identicalTypeAndShapeOfInput(2)
            .types([.float, .double])
            .doc("Gradient of TopK: scatters dValues to the positions `Indices` names; zeros elsewhere.")
            .input(0, "dValues", "Gradient of the top-k values.")
            .input(1, "Indices", "int64 indices from the forward TopK.")
            .input(2, "X", "Forward input (gives the output dims).")
            .output(0, "dX", "Gradient of the input."),
        kernels: [
            OperatorKernel { _, args in
                let axis = try args.single("axis", default: -1)
                return { ctx in
                    let dv = try ctx.input(0)
                    let iv = try ctx.input(1)
                    let xv = try ctx.input(2)
                    guard dv.dims == iv.dims, dv.rank == xv.rank else {
                        throw Caffe2Error(
                            .shape,
                            "TopKGradient: dValues \(dv.dims), Indices \(iv.dims) and X \(xv.dims) do not fit",
                            blob: dv.name)
                    }
                    let a = try ShapeOperators.canonicalAxis(axis, rank: xv.rank)
                    let idx = try iv.buffer(Int64.self)
                    let k = Int(dv.dims[a])
                    let n = Int(xv.dims[a])
                    let outer = ShapeOperators.product(xv.dims[0..<a])
                    let inner = ShapeOperators.product(xv.dims[(a + 1)...])
                    func run<T: FloatingTensorElement>(_: T.Type) throws {
                        let d = try dv.buffer(T.self)
                        let out = try ctx.output(0, like: xv, type: dv.dataType).buffer(T.self)
                        for i in 0..<out.count { out[i] = 0 }
                        for o in 0..<outer {
                            for i in 0..<inner {
                                for j in 0..<k {
                                    let p = o * k * inner + j * inner + i
                                    let target = idx[p]
                                    guard target >= 0 else { continue }
                                    guard target < n else {
                                        throw Caffe2Error(.shape, "TopKGradient: index \(target) out of range 0..<\(n)", blob: iv.name)
                                    }
                                    out[o * n * inner + Int(target) * inner + i] = d[p]
                                }
                            }
                        }
                    }
                    switch dv.dataType {
                    case .float: try run(Float.self)
                    case .double: try run(Double.self)
                    default: throw dv.unsupportedType([.float, .double])
                    }
                }
            }
        ])
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

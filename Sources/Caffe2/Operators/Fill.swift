import Foundation

/// Filler operators: ConstantFill, the GivenTensor*Fill family, UniformFill,
/// UniformIntFill, GaussianFill, XavierFill and MSRAFill. All have no
/// gradient and may run in place (`{0, 0}`).
///
/// Shapes follow Caffe2's `FillerOp`: with no input the `shape` argument
/// gives the dims (none ⇒ a 0-d tensor of one element); with an input the
/// dims are the input's dims (or its int64 values with `input_as_shape`),
/// followed by `extra_shape`. Random fillers draw from a generator seeded by
/// the op's `device_option.random_seed` (see ``RandomKernels``), so a seeded
/// op is reproducible; successive runs of one op continue its stream.
enum FillOperators {
    static let definitions: [OperatorDefinition] = [
        constantFill,
        givenTensorFill(type: "GivenTensorFill", fixed: nil),
        givenTensorFill(type: "GivenTensorDoubleFill", fixed: .double),
        givenTensorFill(type: "GivenTensorIntFill", fixed: .int32),
        givenTensorFill(type: "GivenTensorInt64Fill", fixed: .int64),
        givenTensorFill(type: "GivenTensorInt16Fill", fixed: .int16),
        givenTensorFill(type: "GivenTensorBoolFill", fixed: .bool),
        givenTensorFill(type: "GivenTensorStringFill", fixed: .string),
        givenTensorByteStringToUInt8Fill,
        uniformFill(type: "UniformFill", dataType: .float),
        uniformFill(type: "UniformIntFill", dataType: .int32),
        gaussianFill, xavierFill, msraFill,
    ]

    // MARK: Shared filler shape rules

    /// The shape arguments of a filler, parsed and checked once (Caffe2's `FillerOp` constructor).
    struct ShapeRule: Sendable {
        var shape: [Int64]
        var extraShape: [Int64]
        var inputAsShape: Bool
        /// Whether input 0 gives the shape.
        var hasInput: Bool

        init(_ def: OperatorDef, _ args: Arguments) throws {
            shape = try args.repeated("shape")
            extraShape = try args.repeated("extra_shape")
            inputAsShape = try args.single("input_as_shape", default: false)
            hasInput = !def.input.isEmpty
            if hasInput {
                if !shape.isEmpty {
                    throw Caffe2Error(.argument, "Cannot set the shape argument and pass in an input at the same time")
                }
            } else {
                if !extraShape.isEmpty {
                    throw Caffe2Error(.argument, "Cannot set extra_shape when there is no input")
                }
                if inputAsShape {
                    throw Caffe2Error(.argument, "An input must be given if input_as_shape is true")
                }
                if shape.isEmpty, args["shape"]?.i != nil {
                    throw Caffe2Error(.argument, "Fill 'shape' argument was a scalar, list expected")
                }
            }
        }

        /// The output dims at run time.
        func dims(_ ctx: OperatorContext) throws -> [Int64] {
            guard hasInput else { return shape }
            let x = try ctx.input(0)
            var dims: [Int64]
            if inputAsShape {
                guard x.rank == 1, x.dataType == .int64 else {
                    throw Caffe2Error(
                        .shape,
                        "When input_as_shape is true, the input must be a 1D tensor of data type int64_t: '\(x.name)' is \(x.dataType) \(x.dims)",
                        blob: x.name)
                }
                guard x.count > 0 else {
                    throw Caffe2Error(.shape, "input_as_shape: shape input '\(x.name)' is empty", blob: x.name)
                }
                dims = Array(x.unsafeBuffer(Int64.self))
            } else {
                dims = x.dims
            }
            dims += extraShape
            _ = try Tensor.elementCount(dims)
            return dims
        }

        /// The dims shape inference can know: `nil` when they come from input values.
        func inferredDims(_ inputs: [TensorShape]) -> [Int64]? {
            guard hasInput else { return shape }
            if inputAsShape { return nil }
            guard let first = inputs.first else { return nil }
            return first.dims + extraShape
        }
    }

    /// Shape inference for a filler whose output type is `dataType(def)`.
    static func fillerInference(
        _ dataType: @escaping @Sendable (OperatorDef, Arguments) throws -> DataType
    ) -> ShapeInferenceFunction {
        { def, inputs in
            let args = try Arguments(def)
            let rule = try ShapeRule(def, args)
            let type = try dataType(def, args)
            guard let dims = rule.inferredDims(inputs) else {
                var s = TensorShape.unknown()
                s.dataType = type
                return [s]
            }
            return [TensorShape(dims: dims, dataType: type)]
        }
    }

    /// A type given as an int (`TensorProto.DataType`) or a name string, as Caffe2's `cast::GetCastDataType`.
    static func dataTypeArgument(_ args: Arguments, _ name: String, default defaultType: DataType) throws -> DataType {
        guard let a = args[name] else { return defaultType }
        if let s = a.stringValue {
            let upper = s.uppercased()
            guard let t = DataType.names.first(where: { $0.1 == upper })?.0 else {
                throw Caffe2Error(.argument, "Unknown '\(name)' argument: \(upper)")
            }
            return t
        }
        guard let i = a.i else {
            throw Caffe2Error(.argument, "Argument \(name) does not have the right field: expected field i or s")
        }
        guard let raw = Int32(exactly: i) else {
            throw Caffe2Error(.argument, "Unexpected '\(name)' argument value: \(i)")
        }
        return DataType(rawValue: raw)
    }

    // MARK: ConstantFill

    static let constantFillTypes: [DataType] = [
        .float, .double, .bool, .int8, .int16, .int32, .int64, .uint8, .uint16, .string,
    ]

    /// ConstantFill's element type: `dtype`, else the field `value` is stored in, else float.
    static func constantFillType(_ args: Arguments) throws -> DataType {
        if args.has("dtype") {
            let t = try DataType(rawValue: args.single("dtype", default: Int32(1)))
            if t == .undefined { throw Caffe2Error(.argument, "ConstantFill op cannot have undefined 'dtype' argument") }
            guard constantFillTypes.contains(t) else {
                throw Caffe2Error(.argument, "Unexpected 'dtype' argument value: \(t.rawValue) (\(t.name))")
            }
            return t
        }
        guard let v = args["value"] else { return .float }
        if v.f != nil { return .float }
        if v.i != nil { return .int64 }
        throw Caffe2Error(.argument, "Argument 'value' is of unexpected type")
    }

    /// The fill value as a tensor of `type` with one element (read like `GetSingleArgument<T>`).
    static func constantValue(_ args: Arguments, type: DataType) throws -> Tensor {
        func wrongField(_ field: String) -> Caffe2Error {
            Caffe2Error(
                .argument,
                "Argument value does not have the right field: expected field \(field) for dtype \(type.name)")
        }
        let a = args["value"]
        switch type {
        case .float:
            guard let a else { return Tensor(scalar: Float(0)) }
            guard let f = a.f else { throw wrongField("f") }
            return Tensor(scalar: f)
        case .double:
            guard let a else { return Tensor(scalar: Double(0)) }
            guard let f = a.f else { throw wrongField("f") }
            return Tensor(scalar: Double(f))
        case .string:
            guard let a else { return try Tensor(dims: [], strings: [""]) }
            guard let s = a.stringValue else { throw wrongField("s") }
            return try Tensor(dims: [], strings: [s])
        default:
            var i: Int64 = 0
            if let a {
                guard let v = a.i else { throw wrongField("i") }
                i = v
            }
            func exact<T: IntegerTensorElement>(_: T.Type) throws -> Tensor {
                guard let v = T(exactly: i) else {
                    throw Caffe2Error(
                        .argument, "Value \(i) of argument value cannot be represented correctly in a target type")
                }
                return Tensor(scalar: v)
            }
            switch type {
            case .bool: return Tensor(scalar: i != 0)
            case .int8: return try exact(Int8.self)
            case .int16: return try exact(Int16.self)
            case .int32: return try exact(Int32.self)
            case .int64: return Tensor(scalar: i)
            case .uint8: return try exact(UInt8.self)
            default: return try exact(UInt16.self)
            }
        }
    }

    /// Writes `count` copies of the single element of `value` into `out` (byte pattern copy).
    static func broadcastElement(_ value: UnsafeRawPointer, size: Int, to out: UnsafeMutableRawPointer, count: Int) {
        switch size {
        case 1: out.initializeMemory(as: UInt8.self, repeating: value.load(as: UInt8.self), count: count)
        case 2: out.initializeMemory(as: UInt16.self, repeating: value.load(as: UInt16.self), count: count)
        case 4: out.initializeMemory(as: UInt32.self, repeating: value.load(as: UInt32.self), count: count)
        default: out.initializeMemory(as: UInt64.self, repeating: value.load(as: UInt64.self), count: count)
        }
    }

    static let constantFill = OperatorDefinition(
        schema: OperatorSchema("ConstantFill")
            .numInputs(0, 2).numOutputs(1)
            .allowInplace([(0, 0)])
            .tensorInference("FillerTensorInference", fillerInference { _, args in
                try constantFillType(args)
            })
            .types(constantFillTypes)
            .doc(
                """
                Fills the output with `value`. The type is `dtype` (a `TensorProto.DataType` number); \
                without `dtype` it follows the field `value` is stored in (`f` ⇒ float, `i` ⇒ int64), and \
                float without either. With a second input (a one-element tensor of the output type), its \
                value replaces `value`. Shape rules as every filler: `shape`, or input 0's dims (its int64 \
                values with `input_as_shape`) followed by `extra_shape`.
                """
            )
            .arg("value", "(float, int or string, default 0) The value of every element.")
            .arg("dtype", "(int) Output type (TensorProto.DataType); default from `value`, else FLOAT.")
            .arg("shape", "(ints) Output dims when there is no input.")
            .arg("extra_shape", "(ints) Dims appended to the input-derived shape.")
            .arg("input_as_shape", "(bool, default false) Input 0 holds the shape as 1-D int64 values.")
            .input(0, "input", "(optional) Tensor whose dims (or values) give the output shape.")
            .input(1, "value", "(optional) One-element tensor overriding `value`.")
            .output(0, "output", "The filled tensor."),
        kernels: [
            OperatorKernel { def, args in
                let rule = try ShapeRule(def, args)
                let type = try constantFillType(args)
                let value = try constantValue(args, type: type)
                if type == .string && def.input.count == 2 {
                    throw Caffe2Error(.argument, "constant fill string from tensor is not supported")
                }
                let esize = type.elementSize ?? 0
                return { ctx in
                    let dims = try rule.dims(ctx)
                    var fillValue = value
                    if ctx.inputCount == 2 {
                        let v = try ctx.inputTensor(1)
                        guard v.count == 1 else {
                            throw Caffe2Error(
                                .shape, "value vector must have 1 element: '\(ctx.inputName(1))' has \(v.count)",
                                blob: ctx.inputName(1))
                        }
                        guard v.dataType == type else {
                            throw Caffe2Error(
                                .dataType,
                                "value input '\(ctx.inputName(1))' holds \(v.dataType) elements, expected \(type)",
                                blob: ctx.inputName(1))
                        }
                        fillValue = v
                    }
                    if type == .string {
                        let n = try Tensor.elementCount(dims)
                        ctx.setOutput(0, try Tensor(dims: dims, strings: Array(repeating: fillValue.strings[0], count: n)))
                        return
                    }
                    let y = try ctx.output(0, dims: dims, type: type)
                    fillValue.withUnsafeBytes { v in
                        broadcastElement(v.baseAddress!, size: esize, to: y.raw, count: y.count)
                    }
                }
            }
        ],
        gradient: .noGradient)

    // MARK: GivenTensorFill family

    /// The values of a GivenTensor*Fill as a 1-D tensor of `type`.
    static func givenValues(_ args: Arguments, type: DataType, op: String) throws -> Tensor {
        guard let a = args["values"] else {
            throw Caffe2Error(.argument, "\(op): argument 'values' is required")
        }
        func ints<T: IntegerTensorElement>(_: T.Type) throws -> Tensor {
            var out: [T] = []
            out.reserveCapacity(a.ints.count)
            for v in a.ints {
                guard let x = T(exactly: v) else {
                    throw Caffe2Error(
                        .argument, "Value \(v) of argument values cannot be represented correctly in a target type")
                }
                out.append(x)
            }
            return Tensor(out)
        }
        switch type {
        case .float: return Tensor(a.floats)
        case .double: return Tensor(a.floats.map { Double($0) })
        case .bool: return Tensor(a.ints.map { $0 != 0 })
        case .int16: return try ints(Int16.self)
        case .int32: return try ints(Int32.self)
        case .int64: return Tensor(a.ints)
        case .string:
            let s = a.stringValues
            return try Tensor(dims: [Int64(s.count)], strings: s)
        case .undefined: throw Caffe2Error(.argument, "Cannot have undefined 'dtype' argument")
        default: throw Caffe2Error(.argument, "Unexpected 'dtype' argument value: \(type.rawValue) (\(type.name))")
        }
    }

    /// The element type of a GivenTensor*Fill: fixed, or GivenTensorFill's `dtype` (float by default).
    static func givenType(_ args: Arguments, fixed: DataType?) throws -> DataType {
        if let fixed { return fixed }
        let t = try dataTypeArgument(args, "dtype", default: .float)
        if t == .undefined { throw Caffe2Error(.argument, "Cannot have undefined 'dtype' argument") }
        guard [.float, .double, .bool, .int16, .int32, .int64, .string].contains(t) else {
            throw Caffe2Error(.argument, "Unexpected 'dtype' argument value: \(t.rawValue) (\(t.name))")
        }
        return t
    }

    /// A kernel that outputs the prebuilt `values` reshaped to the filler's dims (no copy per run).
    static func givenKernel(type: String, values: @escaping @Sendable (OperatorDef, Arguments) throws -> Tensor)
        -> OperatorKernel
    {
        OperatorKernel { def, args in
            let rule = try ShapeRule(def, args)
            let v = try values(def, args)
            func checked(_ dims: [Int64], output: String) throws -> Tensor {
                let n = try Tensor.elementCount(dims)
                guard n == v.count else {
                    throw Caffe2Error(
                        .shape,
                        "\(type) '\(output)': shape \(dims) has \(n) elements but 'values' holds \(v.count)",
                        blob: output)
                }
                return try v.reshaped(to: dims)
            }
            // Without an input the output is known now: check it once.
            let fixed = rule.hasInput ? nil : try checked(rule.shape, output: def.output[0])
            return { ctx in
                if let fixed {
                    ctx.setOutput(0, fixed)
                } else {
                    ctx.setOutput(0, try checked(try rule.dims(ctx), output: ctx.outputName(0)))
                }
            }
        }
    }

    static func givenTensorFill(type: String, fixed: DataType?) -> OperatorDefinition {
        let field: String
        switch fixed {
        case nil: field = "floats (or the field matching `dtype`)"
        case .double?: field = "floats"
        case .string?: field = "strings"
        default: field = "ints"
        }
        let typeDoc = fixed.map { "\($0)" } ?? "float, or `dtype`"
        return OperatorDefinition(
            schema: OperatorSchema(type)
                .numInputs(0, 1).numOutputs(1)
                .allowInplace([(0, 0)])
                .tensorInference("FillerTensorInference", fillerInference { _, args in
                    try givenType(args, fixed: fixed)
                })
                .types(fixed.map { [$0] } ?? [.float, .double, .bool, .int16, .int32, .int64, .string])
                .doc(
                    """
                    Fills the output (\(typeDoc)) with `values` in row-major order; the number of values must \
                    equal the output's element count (with neither `shape` nor an input the output is 0-d, so \
                    exactly one value). The values are converted once, when the op is created.\
                    \(fixed == nil ? " `dtype` (number or name) selects FLOAT, DOUBLE, BOOL, INT16, INT32, INT64 or STRING; the values are read from the matching field." : "")
                    """
                )
                .arg("values", "(\(field), required) The elements, row-major.", required: true)
                .arg("shape", "(ints) Output dims when there is no input.")
                .arg("extra_shape", "(ints) Dims appended to the input-derived shape.")
                .arg("input_as_shape", "(bool, default false) Input 0 holds the shape as 1-D int64 values.")
                .input(0, "input", "(optional) Tensor whose dims (or values) give the output shape.")
                .output(0, "output", "The filled tensor."),
            kernels: [
                givenKernel(type: type) { _, args in
                    try givenValues(args, type: try givenType(args, fixed: fixed), op: type)
                }
            ],
            gradient: .noGradient)
    }

    static let givenTensorByteStringToUInt8Fill = OperatorDefinition(
        schema: OperatorSchema("GivenTensorByteStringToUInt8Fill")
            .numInputs(0, 1).numOutputs(1)
            .allowInplace([(0, 0)])
            .tensorInference("FillerTensorInference", fillerInference { _, _ in .uint8 })
            .types([.uint8])
            .doc(
                """
                Fills a uint8 output with the bytes of the single string in `values` (a compact encoding of \
                uint8 tensors in protobuf). The byte count must equal the output's element count. Caffe2's \
                shape inference reports STRING here; the output is uint8.
                """
            )
            .arg("values", "(one string, required) The bytes.", required: true)
            .arg("shape", "(ints) Output dims when there is no input.")
            .arg("extra_shape", "(ints) Dims appended to the input-derived shape.")
            .arg("input_as_shape", "(bool, default false) Input 0 holds the shape as 1-D int64 values.")
            .input(0, "input", "(optional) Tensor whose dims (or values) give the output shape.")
            .output(0, "output", "The filled uint8 tensor."),
        kernels: [
            givenKernel(type: "GivenTensorByteStringToUInt8Fill") { _, args in
                guard let a = args["values"] else {
                    throw Caffe2Error(.argument, "GivenTensorByteStringToUInt8Fill: argument 'values' is required")
                }
                let bytes: [UInt8]
                if a.strings.count == 1 {
                    bytes = a.strings[0]
                } else if a.strings.isEmpty, let s = a.s {
                    bytes = s
                } else {
                    throw Caffe2Error(
                        .argument,
                        "GivenTensorByteStringToUInt8Fill: argument 'values' must hold exactly one string, got \(a.strings.count)"
                    )
                }
                return Tensor(bytes)
            }
        ],
        gradient: .noGradient)

    // MARK: Random fillers

    /// Per-op generator state: successive runs continue the stream.
    final class GeneratorBox {
        var g: RandomStream
        init(_ g: RandomStream) { self.g = g }
    }

    static func uniformFill(type: String, dataType: DataType) -> OperatorDefinition {
        let isInt = dataType == .int32
        return OperatorDefinition(
            schema: OperatorSchema(type)
                .numInputs([0, 1, 3]).numOutputs(1)
                .allowInplace([(0, 0)])
                .tensorInference("FillerTensorInference", fillerInference { _, _ in dataType })
                .types([dataType])
                .doc(
                    isInt
                        ? """
                        Fills the output with int32 values uniform in the closed range [min, max]. With three \
                        inputs `(shape, min, max)`, min and max come from one-element int32 tensors (the `min` \
                        and `max` arguments must then be absent); if min > max the output's first dim becomes 0.
                        """
                        : """
                        Fills the output with floats uniform in [min, max). With three inputs \
                        `(shape, min, max)`, min and max come from one-element float tensors (the `min` and \
                        `max` arguments must then be absent); if min > max the output's first dim becomes 0.
                        """
                )
                .arg("min", "(\(isInt ? "int" : "float"), default 0) Lower bound.")
                .arg("max", "(\(isInt ? "int" : "float"), default 1) Upper bound; must exceed `min`.")
                .arg("shape", "(ints) Output dims when there is no input.")
                .arg("extra_shape", "(ints) Dims appended to the input-derived shape.")
                .arg("input_as_shape", "(bool, default false) Input 0 holds the shape as 1-D int64 values.")
                .input(0, "shape", "(optional) Tensor whose dims (or values) give the output shape.")
                .input(1, "min", "(optional) One-element tensor with the lower bound.")
                .input(2, "max", "(optional) One-element tensor with the upper bound.")
                .output(0, "output", "The filled tensor."),
            kernels: [
                OperatorKernel { def, args in
                    let rule = try ShapeRule(def, args)
                    let box = GeneratorBox(RandomKernels.generator(for: def))
                    let fromInputs = def.input.count == 3
                    var lo = 0.0
                    var hi = 1.0
                    if isInt {
                        if fromInputs {
                            if args.hasSingle("min", as: Int32.self) {
                                throw Caffe2Error(.argument, "Cannot set both min arg and min input blob")
                            }
                            if args.hasSingle("max", as: Int32.self) {
                                throw Caffe2Error(.argument, "Cannot set both max arg and max input blob")
                            }
                        } else {
                            lo = Double(try args.single("min", default: Int32(0)))
                            hi = Double(try args.single("max", default: Int32(1)))
                        }
                    } else {
                        if fromInputs {
                            if args.hasSingle("min", as: Float.self) {
                                throw Caffe2Error(.argument, "Cannot set both min arg and min input blob")
                            }
                            if args.hasSingle("max", as: Float.self) {
                                throw Caffe2Error(.argument, "Cannot set both max arg and max input blob")
                            }
                        } else {
                            lo = Double(try args.single("min", default: Float(0)))
                            hi = Double(try args.single("max", default: Float(1)))
                        }
                    }
                    if !fromInputs && !(lo < hi) {
                        throw Caffe2Error(.argument, "Max value should be bigger than min value: min = \(lo), max = \(hi)")
                    }
                    return { ctx in
                        var dims = try rule.dims(ctx)
                        var a = lo
                        var b = hi
                        if fromInputs {
                            func bound(_ i: Int, _ what: String) throws -> Double {
                                let t = try ctx.input(i)
                                guard t.count == 1 else {
                                    throw Caffe2Error(
                                        .shape, "\(what) blob must be scalar: '\(t.name)' has \(t.count) elements",
                                        blob: t.name)
                                }
                                return isInt ? Double(try t.buffer(Int32.self)[0]) : Double(try t.buffer(Float.self)[0])
                            }
                            a = try bound(1, "min")
                            b = try bound(2, "max")
                            if a > b {
                                guard !dims.isEmpty else {
                                    throw Caffe2Error(.shape, "min > max needs an output with at least one dim")
                                }
                                dims[0] = 0
                            }
                        }
                        let y = try ctx.output(0, dims: dims, type: dataType)
                        if isInt {
                            RandomKernels.uniformInt(
                                y.pointer(Int32.self), count: y.count, lo: Int32(a), hi: Int32(b), using: &box.g)
                        } else {
                            RandomKernels.uniform(
                                y.pointer(Float.self), count: y.count, lo: Float(a), hi: Float(b), using: &box.g)
                        }
                    }
                }
            ],
            gradient: .noGradient)
    }

    static let gaussianFill = OperatorDefinition(
        schema: OperatorSchema("GaussianFill")
            .numInputs(0, 1).numOutputs(1)
            .allowInplace([(0, 0)])
            .tensorInference("FillerTensorInference", fillerInference { _, _ in .float })
            .types([.float])
            .doc("Fills the output with floats drawn from the normal distribution N(mean, std²).")
            .arg("mean", "(float, default 0) Mean.")
            .arg("std", "(float, default 1) Standard deviation (≥ 0).")
            .arg("shape", "(ints) Output dims when there is no input.")
            .arg("extra_shape", "(ints) Dims appended to the input-derived shape.")
            .arg("input_as_shape", "(bool, default false) Input 0 holds the shape as 1-D int64 values.")
            .input(0, "input", "(optional) Tensor whose dims (or values) give the output shape.")
            .output(0, "output", "The filled tensor."),
        kernels: [
            OperatorKernel { def, args in
                let rule = try ShapeRule(def, args)
                let mean = try args.single("mean", default: Float(0))
                let std = try args.single("std", default: Float(1))
                guard std >= 0 else {
                    throw Caffe2Error(.argument, "Standard deviation should be nonnegative: std = \(std)")
                }
                let box = GeneratorBox(RandomKernels.generator(for: def))
                return { ctx in
                    let y = try ctx.output(0, dims: try rule.dims(ctx), type: .float)
                    RandomKernels.gaussian(y.pointer(Float.self), count: y.count, mean: mean, std: std, using: &box.g)
                }
            }
        ],
        gradient: .noGradient)

    static let xavierFill = OperatorDefinition(
        schema: OperatorSchema("XavierFill")
            .numInputs(0, 1).numOutputs(1)
            .allowInplace([(0, 0)])
            .tensorInference("FillerTensorInference", fillerInference { _, _ in .float })
            .types([.float])
            .doc(
                """
                Fills the output with floats uniform in [-s, s], `s = √(3 / fan_in)`, \
                `fan_in = numel / dims[0]` (Caffe's Xavier initialisation). The output needs rank ≥ 1.
                """
            )
            .arg("shape", "(ints) Output dims when there is no input.")
            .arg("extra_shape", "(ints) Dims appended to the input-derived shape.")
            .arg("input_as_shape", "(bool, default false) Input 0 holds the shape as 1-D int64 values.")
            .input(0, "input", "(optional) Tensor whose dims (or values) give the output shape.")
            .output(0, "output", "The filled tensor."),
        kernels: [
            OperatorKernel { def, args in
                let rule = try ShapeRule(def, args)
                let box = GeneratorBox(RandomKernels.generator(for: def))
                return { ctx in
                    let dims = try rule.dims(ctx)
                    guard !dims.isEmpty else {
                        throw Caffe2Error(.shape, "XavierFill needs an output of rank ≥ 1 (fan_in = numel / dims[0]), got \(dims)")
                    }
                    let y = try ctx.output(0, dims: dims, type: .float)
                    guard y.count > 0 else { return }
                    let scale = (Float(3) / Float(y.count / Int(dims[0]))).squareRoot()
                    RandomKernels.uniform(y.pointer(Float.self), count: y.count, lo: -scale, hi: scale, using: &box.g)
                }
            }
        ],
        gradient: .noGradient)

    static let msraFill = OperatorDefinition(
        schema: OperatorSchema("MSRAFill")
            .numInputs(0, 1).numOutputs(1)
            .allowInplace([(0, 0)])
            .tensorInference("FillerTensorInference", fillerInference { _, _ in .float })
            .types([.float])
            .doc(
                """
                Fills the output with floats from N(0, σ²), `σ = √(2 / fan_out)`, \
                `fan_out = numel / dims[1]` (He / MSRA initialisation). The output needs rank ≥ 2.
                """
            )
            .arg("shape", "(ints) Output dims when there is no input.")
            .arg("extra_shape", "(ints) Dims appended to the input-derived shape.")
            .arg("input_as_shape", "(bool, default false) Input 0 holds the shape as 1-D int64 values.")
            .input(0, "input", "(optional) Tensor whose dims (or values) give the output shape.")
            .output(0, "output", "The filled tensor."),
        kernels: [
            OperatorKernel { def, args in
                let rule = try ShapeRule(def, args)
                let box = GeneratorBox(RandomKernels.generator(for: def))
                return { ctx in
                    let dims = try rule.dims(ctx)
                    guard dims.count >= 2 else {
                        throw Caffe2Error(.shape, "MSRAFill needs an output of rank ≥ 2 (fan_out = numel / dims[1]), got \(dims)")
                    }
                    let y = try ctx.output(0, dims: dims, type: .float)
                    guard y.count > 0 else { return }
                    let sigma = (Float(2) / Float(y.count / Int(dims[1]))).squareRoot()
                    RandomKernels.gaussian(y.pointer(Float.self), count: y.count, mean: 0, std: sigma, using: &box.g)
                }
            }
        ],
        gradient: .noGradient)
}

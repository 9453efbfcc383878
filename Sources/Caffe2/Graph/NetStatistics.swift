// What `caffe2 inspect`, `caffe2 ops` and `caffe2 run` print, computed here so
// programs and tests can use it without the CLI.

/// A summary of a `NetDef`: operators by type, external blobs, arguments and,
/// for init nets, the parameters the fill operators create.
///
/// ```swift
/// let s = NetSummary(try NetDef(contentsOfFile: "init_net.pb"))
/// s.operatorCount        // 52
/// s.isInitNet            // true
/// s.parameterElements    // 1_235_496
/// s.parameterBytes       // 4_941_984
/// ```
public struct NetSummary: Codable, Equatable, Sendable {
    /// How many operators of one type the net has.
    public struct TypeCount: Codable, Equatable, Sendable {
        public var type: String
        public var count: Int
    }

    /// One tensor an init net's fill operator creates.
    public struct Parameter: Codable, Equatable, Sendable {
        public var name: String
        /// The operator that fills it.
        public var op: String
        /// `nil` when the shape comes from an input at run time.
        public var dims: [Int64]?
        public var dataType: String
        /// Elements (`nil` when the shape is not known statically).
        public var elements: Int?
        /// Bytes of element data (strings: their UTF-8 bytes).
        public var bytes: Int?
    }

    public var name: String
    /// The executor type (`simple` when absent).
    public var type: String
    public var operatorCount: Int
    /// Operator types, most frequent first (ties by name).
    public var operatorTypes: [TypeCount]
    public var externalInputs: [String]
    public var externalOutputs: [String]
    /// Arguments over all operators, plus the net's own.
    public var argumentCount: Int
    /// Distinct blob names the operators read or write.
    public var blobCount: Int
    /// Operators that name a blob as both input and output.
    public var inPlaceOperatorCount: Int
    /// Operators marked `is_gradient_op`.
    public var gradientOperatorCount: Int
    /// Engines requested by operators (sorted, without duplicates).
    public var engines: [String]
    /// Device types operators or the net ask for (sorted, `CPU` when none is given).
    public var devices: [String]
    /// A net whose operators all create tensors from their arguments alone (`*Fill` without inputs).
    public var isInitNet: Bool
    /// The tensors the fill operators create (init nets; empty otherwise).
    public var parameters: [Parameter]
    /// Sum of the known parameter element counts.
    public var parameterElements: Int
    /// Sum of the known parameter byte counts.
    public var parameterBytes: Int

    /// Summarises `net`.
    public init(_ net: NetDef) {
        name = net.name
        type = (net.type?.isEmpty ?? true) ? "simple" : net.type!
        operatorCount = net.op.count
        var counts: [String: Int] = [:]
        for op in net.op { counts[op.type, default: 0] += 1 }
        operatorTypes = counts.map { TypeCount(type: $0.key, count: $0.value) }
            .sorted { $0.count != $1.count ? $0.count > $1.count : $0.type < $1.type }
        externalInputs = net.externalInput
        externalOutputs = net.externalOutput
        argumentCount = net.arg.count + net.op.reduce(0) { $0 + $1.arg.count }
        var blobs = Set<String>()
        for op in net.op {
            blobs.formUnion(op.input)
            blobs.formUnion(op.output)
        }
        blobCount = blobs.count
        inPlaceOperatorCount = net.op.filter { !Set($0.input).isDisjoint(with: $0.output) }.count
        gradientOperatorCount = net.op.filter(\.isGradientOp).count
        engines = Set(net.op.compactMap { $0.engine }.flatMap { $0.split(separator: ",").map(String.init) })
            .filter { !$0.isEmpty }.sorted()
        var deviceSet = Set<String>()
        if let d = net.deviceOption { deviceSet.insert(d.deviceType.description) }
        for op in net.op { if let d = op.deviceOption { deviceSet.insert(d.deviceType.description) } }
        devices = deviceSet.isEmpty ? ["CPU"] : deviceSet.sorted()
        // ONNX exports list the parameters as the init net's external inputs too, so only the ops decide.
        isInitNet = !net.op.isEmpty && net.op.allSatisfy { NetSummary.isFill($0) && $0.input.isEmpty }
        parameters = []
        if isInitNet {
            for op in net.op {
                for output in op.output { parameters.append(NetSummary.parameter(output, of: op)) }
            }
        }
        parameterElements = parameters.reduce(0) { $0 + ($1.elements ?? 0) }
        parameterBytes = parameters.reduce(0) { $0 + ($1.bytes ?? 0) }
    }

    /// Whether `op` creates its outputs from its arguments (or an input's shape), as init nets do.
    static func isFill(_ op: OperatorDef) -> Bool {
        op.type.hasSuffix("Fill") || op.type == "GivenTensorByteStringToUInt8Fill" || op.type == "Load"
    }

    /// The element type a fill operator produces.
    static func fillType(_ op: OperatorDef) -> DataType {
        switch op.type {
        case "GivenTensorDoubleFill": return .double
        case "GivenTensorIntFill", "UniformIntFill": return .int32
        case "GivenTensorInt64Fill": return .int64
        case "GivenTensorInt16Fill": return .int16
        case "GivenTensorBoolFill": return .bool
        case "GivenTensorStringFill": return .string
        case "GivenTensorByteStringToUInt8Fill": return .uint8
        default:
            if let d = op.argument(named: "dtype")?.i { return DataType(rawValue: Int32(truncatingIfNeeded: d)) }
            if op.type == "ConstantFill", let v = op.argument(named: "value"), v.f == nil, v.i != nil {
                return .int64
            }
            return .float
        }
    }

    static func parameter(_ name: String, of op: OperatorDef) -> Parameter {
        let type = fillType(op)
        var dims: [Int64]?
        if !op.input.isEmpty {
            dims = nil  // the shape comes from the input at run time
        } else if let shape = op.argument(named: "shape") {
            dims = shape.ints
        } else if let values = op.argument(named: "values") {
            dims = [Int64(values.floats.count + values.ints.count + values.strings.count)]
        } else {
            dims = []  // Caffe2's fillers make a 0-d tensor when no shape is given
        }
        var elements: Int?
        var bytes: Int?
        if let dims, let n = try? Tensor.elementCount(dims) {
            elements = n
            if type == .string {
                bytes = op.argument(named: "values")?.strings.reduce(0) { $0 + $1.count }
            } else if let size = type.elementSize {
                bytes = n * size
            }
        }
        return Parameter(
            name: name, op: op.type, dims: dims, dataType: type.description, elements: elements, bytes: bytes)
    }
}

/// What the registry knows about one operator type (for `caffe2 ops` and generated docs).
///
/// ```swift
/// let info = OperatorInfo(type: "Reciprocal", registry: .standard)!
/// info.inputs         // "1"
/// info.inPlace        // "{0,0}"
/// info.gradient       // "yes"
/// ```
public struct OperatorInfo: Codable, Equatable, Sendable {
    public var type: String
    /// Devices with a kernel (`CPU`, ...).
    public var devices: [String]
    /// Named engines per device (`{"CPU": ["NNPACK"]}`); devices with only the default engine are left out.
    public var engines: [String: [String]]
    public var minInputs: Int
    /// `nil` when unbounded.
    public var maxInputs: Int?
    public var minOutputs: Int
    /// `nil` when unbounded.
    public var maxOutputs: Int?
    /// Allowed in-place pairs, `{input,output}`, `one-to-one` or `custom`; empty when none.
    public var inPlace: String
    /// In-place pairs that are required; empty when none.
    public var enforcedInPlace: String
    /// `yes` (a maker builds gradient ops), `no-gradient` (NO_GRADIENT), `should-not`
    /// (SHOULD_NOT_DO_GRADIENT), `not-implemented` or `none` (nothing registered).
    public var gradient: String
    /// The shape inference rule (`IdenticalTypeAndShape`, `custom`, or empty).
    public var shapeInference: String
    /// Element types the CPU kernels accept.
    public var types: [String]
    public var documentation: String
    public var arguments: [String]
    /// Documented inputs as `NAME: description`, in index order.
    public var inputDocs: [String]
    /// Documented outputs as `NAME: description`, in index order.
    public var outputDocs: [String]
    public var isGradientOperator: Bool

    /// `"1"`, `"1-3"` or `"2+"`.
    public var inputs: String { Self.range(minInputs, maxInputs) }
    /// `"1"`, `"1-3"` or `"2+"`.
    public var outputs: String { Self.range(minOutputs, maxOutputs) }

    static func range(_ lo: Int, _ hi: Int?) -> String {
        guard let hi else { return "\(lo)+" }
        return lo == hi ? "\(lo)" : "\(lo)-\(hi)"
    }

    /// The entry for `type`, or `nil` when no schema is registered.
    public init?(type: String, registry: OperatorRegistry = .standard) {
        guard let s = registry.schema(type) else { return nil }
        self.type = type
        let devs = registry.devices(for: type)
        devices = devs.map(\.description)
        var engines: [String: [String]] = [:]
        for d in devs {
            let e = registry.engines(for: type, device: d)
            if !e.isEmpty { engines[d.description] = e }
        }
        self.engines = engines
        minInputs = s.minInputs
        maxInputs = s.maxInputs == Int.max ? nil : s.maxInputs
        minOutputs = s.minOutputs
        maxOutputs = s.maxOutputs == Int.max ? nil : s.maxOutputs
        inPlace = s.allowedInplace.summary
        enforcedInPlace = s.enforcedInplace.summary
        if let g = registry.gradientMaker(type) {
            switch g.kind {
            case .make: gradient = "yes"
            case .noGradient: gradient = "no-gradient"
            case .shouldNotDoGradient: gradient = "should-not"
            case .notImplementedYet: gradient = "not-implemented"
            }
        } else {
            gradient = "none"
        }
        shapeInference = s.inference == nil ? "" : s.inferenceSummary
        types = s.supportedTypes.map(\.description)
        documentation = s.documentation
        arguments = s.arguments.map { ($0.required ? "\($0.name) (required)" : $0.name) + ($0.description.isEmpty ? "" : ": \($0.description)") }
        inputDocs = s.inputDocs.sorted { $0.index < $1.index }.map { "\($0.name): \($0.description)" }
        outputDocs = s.outputDocs.sorted { $0.index < $1.index }.map { "\($0.name): \($0.description)" }
        isGradientOperator = type.hasSuffix("Gradient") || type.hasSuffix("Grad")
    }

    /// Every registered operator type, sorted; with `device`, only types that have a kernel there.
    public static func all(registry: OperatorRegistry = .standard, device: DeviceType? = nil) -> [OperatorInfo] {
        registry.operatorTypes
            .filter { device == nil || registry.hasKernel($0, device: device!) }
            .compactMap { OperatorInfo(type: $0, registry: registry) }
    }
}

/// Minimum, maximum and mean of a numeric tensor, as `caffe2 run` prints them.
///
/// NaNs are counted and left out of the other figures.
///
/// ```swift
/// let s = TensorStatistics(Tensor([1, 2, .nan] as [Float]))
/// (s.min, s.max, s.mean, s.nanCount)   // (1, 2, 1.5, 1)
/// ```
public struct TensorStatistics: Codable, Equatable, Sendable {
    public var count: Int
    /// `nil` for empty, string or all-NaN tensors.
    public var min: Double?
    public var max: Double?
    public var mean: Double?
    public var nanCount: Int

    public init(_ t: Tensor) {
        count = t.count
        nanCount = 0
        guard t.dataType != .string, t.count > 0 else { return }
        var lo = Double.infinity
        var hi = -Double.infinity
        var sum = 0.0
        var n = 0
        for v in t.doubleValues() {
            if v.isNaN {
                nanCount += 1
                continue
            }
            lo = Swift.min(lo, v)
            hi = Swift.max(hi, v)
            sum += v
            n += 1
        }
        if n > 0 {
            min = lo
            max = hi
            mean = sum / Double(n)
        }
    }
}

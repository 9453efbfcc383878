// Swift value types for the messages of Protos/caffe2.proto.
//
// Naming follows the proto field names in lowerCamelCase (as swift-protobuf
// does): `input`, `output`, `arg`, `externalInput`, `floatData`, ...
// Repeated fields are arrays. Optional fields that the runtime branches on are
// Swift optionals; the other optional fields use `ProtoField`, which reads as
// the default when absent and keeps presence in `$field`.

/// Caffe2's `DeviceOption`: where an operator or net runs.
public struct DeviceOption: Equatable, Hashable, Sendable {
    /// Field 1 (`int32` on the wire), default CPU.
    @ProtoField(default: .cpu) public var deviceType: DeviceType
    /// Field 2 (`cuda_gpu_id` before the PyTorch era).
    @ProtoField(default: 0) public var deviceID: Int32
    @ProtoField(default: 0) public var randomSeed: UInt32
    /// Must be empty at execution time.
    @ProtoField(default: "") public var nodeName: String
    @ProtoField(default: 0) public var numaNodeID: Int32
    public var extraInfo: [String] = []

    /// A device option; arguments left `nil` stay absent.
    public init(
        deviceType: DeviceType? = nil, deviceID: Int32? = nil, randomSeed: UInt32? = nil,
        nodeName: String? = nil, numaNodeID: Int32? = nil, extraInfo: [String] = []
    ) {
        _deviceType = ProtoField(deviceType, default: .cpu)
        _deviceID = ProtoField(deviceID, default: 0)
        _randomSeed = ProtoField(randomSeed, default: 0)
        _nodeName = ProtoField(nodeName, default: "")
        _numaNodeID = ProtoField(numaNodeID, default: 0)
        self.extraInfo = extraInfo
    }

    public func hash(into h: inout Hasher) {
        h.combine($deviceType?.rawValue)
        h.combine($deviceID)
        h.combine($randomSeed)
        h.combine($nodeName)
        h.combine($numaNodeID)
        h.combine(extraInfo)
    }
}

/// Caffe2's `TensorProto`: a serialised tensor.
public struct TensorProto: Equatable, Sendable {
    /// `TensorProto.DataType`.
    public typealias DataType = Caffe2.DataType

    /// `TensorProto.Segment`: the element range `[begin, end)` of a chunk.
    public struct Segment: Equatable, Sendable {
        public var begin: Int64
        public var end: Int64
        public init(begin: Int64, end: Int64) {
            self.begin = begin
            self.end = end
        }
    }

    public var dims: [Int64] = []
    @ProtoField(default: .float) public var dataType: DataType
    @ProtoField(default: 0) public var dataFormat: UInt32
    public var floatData: [Float] = []
    public var int32Data: [Int32] = []
    @ProtoField(default: []) public var byteData: [UInt8]
    public var stringData: [[UInt8]] = []
    public var doubleData: [Double] = []
    public var int64Data: [Int64] = []
    @ProtoField(default: []) public var rawData: [UInt8]
    @ProtoField(default: "") public var name: String
    public var deviceDetail: DeviceOption?
    public var segment: Segment?

    /// An empty message (every optional field absent).
    public init() {}

    /// A tensor proto with the given dims and type; payload fields start empty.
    public init(name: String? = nil, dims: [Int64], dataType: DataType? = nil) {
        self.dims = dims
        _dataType = ProtoField(dataType, default: .float)
        _name = ProtoField(name, default: "")
    }
}

/// Caffe2's `QTensorProto`: a quantised tensor.
public struct QTensorProto: Equatable, Sendable {
    public var dims: [Int64] = []
    public var precision: Int32 = 0
    public var scale: Double = 0
    public var bias: Double = 0
    public var isSigned: Bool = false
    public var data: [Int32] = []
    @ProtoField(default: "") public var name: String
    @ProtoField(default: .int32) public var dataType: DataType
    public var scales: [Double] = []
    public var biases: [Double] = []
    @ProtoField(default: 0) public var axis: Int32
    @ProtoField(default: false) public var isMultiparam: Bool

    public init() {}
}

/// Caffe2's `TensorProtos`: several tensors in one message.
public struct TensorProtos: Equatable, Sendable {
    public var protos: [TensorProto]
    public init(protos: [TensorProto] = []) { self.protos = protos }
}

/// Caffe2's `TensorShape`: dims and type of a blob, as shape inference reports them.
public struct TensorShape: Equatable, Sendable {
    public var dims: [Int64] = []
    @ProtoField(default: .float) public var dataType: DataType
    /// Indices of dims whose size is unknown.
    public var unknownDims: [Int32] = []
    @ProtoField(default: false) public var unknownShape: Bool
    @ProtoField(default: "") public var name: String

    public init() {}

    /// A known shape.
    public init(dims: [Int64], dataType: DataType = .float, name: String? = nil) {
        self.dims = dims
        self.dataType = dataType
        _name = ProtoField(name, default: "")
    }

    /// A shape marked unknown.
    public static func unknown(name: String? = nil) -> TensorShape {
        var s = TensorShape()
        s.unknownShape = true
        if let name { s.name = name }
        return s
    }
}

/// Caffe2's `TensorShapes`.
public struct TensorShapes: Equatable, Sendable {
    public var shapes: [TensorShape]
    public init(shapes: [TensorShape] = []) { self.shapes = shapes }
}

/// Caffe2's `Argument`: a named operator or net argument.
///
/// Exactly one of the single-value fields (`f`, `i`, `s`, `t`, `n`) or the
/// repeated fields is normally set.
///
/// ```swift
/// Argument(name: "kernel", int: 3)
/// Argument(name: "order", string: "NCHW")
/// Argument(name: "shape", ints: [1, 3, 224, 224])
/// ```
public struct Argument: Equatable, Sendable {
    /// The rarely used fields, kept out of line so the common argument stays small and cheap to copy.
    struct Rare: Equatable, Sendable {
        var t: TensorProto?
        var n: NetDef?
        var tensors: [TensorProto] = []
        var nets: [NetDef] = []
        var qtensors: [QTensorProto] = []

        var isEmpty: Bool { t == nil && n == nil && tensors.isEmpty && nets.isEmpty && qtensors.isEmpty }
    }

    @ProtoField(default: "") public var name: String
    public var f: Float?
    public var i: Int64?
    public var s: [UInt8]?
    public var floats: [Float] = []
    public var ints: [Int64] = []
    public var strings: [[UInt8]] = []
    /// Zero or one element (an array so the recursive `NetDef` fits in a struct).
    private var rare: [Rare] = []

    private var rareFields: Rare {
        get { rare.first ?? Rare() }
        set { rare = newValue.isEmpty ? [] : [newValue] }
    }

    /// Field 10: a single tensor.
    public var t: TensorProto? {
        get { rare.first?.t }
        set { rareFields.t = newValue }
    }

    /// Field 8: a single sub-net (control-flow ops such as `If`).
    public var n: NetDef? {
        get { rare.first?.n }
        set { rareFields.n = newValue }
    }

    /// Field 11.
    public var tensors: [TensorProto] {
        get { rare.first?.tensors ?? [] }
        set { rareFields.tensors = newValue }
    }

    /// Field 9.
    public var nets: [NetDef] {
        get { rare.first?.nets ?? [] }
        set { rareFields.nets = newValue }
    }

    /// Field 12.
    public var qtensors: [QTensorProto] {
        get { rare.first?.qtensors ?? [] }
        set { rareFields.qtensors = newValue }
    }

    /// An argument with only a name (or nothing) set.
    public init(name: String? = nil) { _name = ProtoField(name, default: "") }

    public init(name: String, float: Float) {
        self.init(name: name)
        f = float
    }

    public init(name: String, int: Int64) {
        self.init(name: name)
        i = int
    }

    public init(name: String, int: Int) { self.init(name: name, int: Int64(int)) }

    public init(name: String, bool: Bool) { self.init(name: name, int: bool ? 1 : 0) }

    public init(name: String, string: String) {
        self.init(name: name)
        s = Array(string.utf8)
    }

    public init(name: String, bytes: [UInt8]) {
        self.init(name: name)
        s = bytes
    }

    public init(name: String, floats: [Float]) {
        self.init(name: name)
        self.floats = floats
    }

    public init(name: String, ints: [Int64]) {
        self.init(name: name)
        self.ints = ints
    }

    public init(name: String, ints: [Int]) { self.init(name: name, ints: ints.map(Int64.init)) }

    public init(name: String, strings: [String]) {
        self.init(name: name)
        self.strings = strings.map { Array($0.utf8) }
    }

    public init(name: String, net: NetDef) {
        self.init(name: name)
        n = net
    }

    public init(name: String, nets: [NetDef]) {
        self.init(name: name)
        self.nets = nets
    }

    public init(name: String, tensor: TensorProto) {
        self.init(name: name)
        t = tensor
    }

    /// `s` decoded as UTF-8 (invalid bytes are repaired).
    public var stringValue: String? { s.map { String(decoding: $0, as: UTF8.self) } }

    /// `strings` decoded as UTF-8.
    public var stringValues: [String] { strings.map { String(decoding: $0, as: UTF8.self) } }
}

/// Caffe2's `OperatorDef`.
///
/// ```swift
/// let op = OperatorDef(type: "Reciprocal", input: ["X"], output: ["Y"])
/// ```
public struct OperatorDef: Equatable, Sendable {
    public var input: [String] = []
    public var output: [String] = []
    @ProtoField(default: "") public var name: String
    @ProtoField(default: "") public var type: String
    public var arg: [Argument] = []
    public var deviceOption: DeviceOption?
    /// A comma-separated list of preferred engines.
    public var engine: String?
    public var controlInput: [String] = []
    @ProtoField(default: false) public var isGradientOp: Bool
    @ProtoField(default: "") public var debugInfo: String
    @ProtoField(default: "") public var domain: String
    @ProtoField(default: 0) public var opVersion: Int64

    /// An empty message.
    public init() {}

    /// An operator; `name` is left absent unless given.
    public init(
        type: String, input: [String] = [], output: [String] = [], name: String? = nil,
        arg: [Argument] = [], deviceOption: DeviceOption? = nil, engine: String? = nil
    ) {
        self.input = input
        self.output = output
        _name = ProtoField(name, default: "")
        self.type = type
        self.arg = arg
        self.deviceOption = deviceOption
        self.engine = engine
    }

    /// The first argument called `name`, if any.
    public func argument(named name: String) -> Argument? { arg.first { $0.name == name } }
}

/// Caffe2's `MapFieldEntry`.
public struct MapFieldEntry: Equatable, Sendable {
    public var key: String
    public var val: String
    public init(key: String, val: String) {
        self.key = key
        self.val = val
    }
}

/// Caffe2's `BackendOptions`.
public struct BackendOptions: Equatable, Sendable {
    public var backendName: String
    public var option: [MapFieldEntry]
    public init(backendName: String, option: [MapFieldEntry] = []) {
        self.backendName = backendName
        self.option = option
    }
}

/// Caffe2's `PartitionInfo` (PyTorch era).
public struct PartitionInfo: Equatable, Sendable {
    public var name: String
    public var deviceID: [Int32] = []
    @ProtoField(default: "") public var extraInfo: String
    public var backendOptions: [BackendOptions] = []
    public init(name: String) { self.name = name }
}

/// Caffe2's `NetDef`: a list of operators and the blobs they exchange.
///
/// ```swift
/// var net = NetDef(name: "inv")
/// net.op.append(OperatorDef(type: "Reciprocal", input: ["X"], output: ["Y"]))
/// net.externalInput = ["X"]
/// net.externalOutput = ["Y"]
/// ```
public struct NetDef: Equatable, Sendable {
    @ProtoField(default: "") public var name: String
    public var op: [OperatorDef] = []
    /// Executor type; absent or `"simple"` runs the ops in order.
    public var type: String?
    public var numWorkers: Int32?
    public var deviceOption: DeviceOption?
    public var arg: [Argument] = []
    public var externalInput: [String] = []
    public var externalOutput: [String] = []
    public var partitionInfo: [PartitionInfo] = []

    /// An empty message.
    public init() {}

    /// A net; `name` is left absent unless given.
    public init(
        name: String? = nil, op: [OperatorDef] = [], externalInput: [String] = [], externalOutput: [String] = []
    ) {
        _name = ProtoField(name, default: "")
        self.op = op
        self.externalInput = externalInput
        self.externalOutput = externalOutput
    }
}

/// Caffe2's `ExecutionStep`: one step of a plan.
public struct ExecutionStep: Equatable, Sendable {
    @ProtoField(default: "") public var name: String
    public var substep: [ExecutionStep] = []
    public var network: [String] = []
    /// Iterations; Caffe2 runs a step once when this is absent.
    @ProtoField(default: 0) public var numIter: Int64
    @ProtoField(default: "") public var criteriaNetwork: String
    @ProtoField(default: "") public var reportNet: String
    @ProtoField(default: 0) public var reportInterval: Int32
    @ProtoField(default: 0) public var runEveryMs: Int64
    @ProtoField(default: false) public var concurrentSubsteps: Bool
    @ProtoField(default: "") public var shouldStopBlob: String
    @ProtoField(default: false) public var onlyOnce: Bool
    @ProtoField(default: false) public var createWorkspace: Bool
    @ProtoField(default: 0) public var numConcurrentInstances: Int32

    public init() {}

    /// A step running the named nets.
    public init(name: String? = nil, network: [String], numIter: Int64? = nil) {
        _name = ProtoField(name, default: "")
        self.network = network
        _numIter = ProtoField(numIter, default: 0)
    }
}

/// Caffe2's `PlanDef`: nets plus the steps that run them.
public struct PlanDef: Equatable, Sendable {
    @ProtoField(default: "") public var name: String
    public var network: [NetDef] = []
    public var executionStep: [ExecutionStep] = []
    public init() {}
}

/// Caffe2's `BlobProto`: one serialised blob.
public struct BlobProto: Equatable, Sendable {
    @ProtoField(default: "") public var name: String
    /// `"Tensor"` for tensors.
    @ProtoField(default: "") public var type: String
    public var tensor: TensorProto?
    @ProtoField(default: []) public var content: [UInt8]
    public var qtensor: QTensorProto?
    @ProtoField(default: 0) public var contentNumChunks: Int32
    @ProtoField(default: 0) public var contentChunkID: Int32

    public init() {}

    /// A tensor blob as Caffe2 writes it: `{name, type: "Tensor", tensor}`.
    public init(name: String, tensor: TensorProto) {
        self.name = name
        self.type = "Tensor"
        self.tensor = tensor
    }
}

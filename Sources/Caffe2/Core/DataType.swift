/// An element type, numbered exactly as Caffe2's `TensorProto.DataType`.
///
/// A `DataType` is a thin wrapper over the wire value, so values that this
/// version does not know (written by a newer Caffe2) survive a round trip.
///
/// ```swift
/// let t = Tensor(dims: [2], values: [1, 2] as [Float])
/// t.dataType == .float          // true
/// DataType.float.rawValue       // 1
/// DataType(name: "INT64")       // .int64
/// ```
public struct DataType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: Int32

    @inlinable
    public init(rawValue: Int32) { self.rawValue = rawValue }

    public static let undefined = DataType(rawValue: 0)
    public static let float = DataType(rawValue: 1)
    public static let int32 = DataType(rawValue: 2)
    /// Serialised bytes; deserialised by Caffe2 as `uint8`.
    public static let byte = DataType(rawValue: 3)
    public static let string = DataType(rawValue: 4)
    public static let bool = DataType(rawValue: 5)
    public static let uint8 = DataType(rawValue: 6)
    public static let int8 = DataType(rawValue: 7)
    public static let uint16 = DataType(rawValue: 8)
    public static let int16 = DataType(rawValue: 9)
    public static let int64 = DataType(rawValue: 10)
    public static let float16 = DataType(rawValue: 12)
    public static let double = DataType(rawValue: 13)
    public static let zeroCollisionHash = DataType(rawValue: 14)
    public static let rebatchingBuffer = DataType(rawValue: 15)

    /// Every type a ``Tensor`` can hold.
    public static let tensorTypes: [DataType] = [
        .float, .double, .int32, .int64, .bool, .uint8, .int8, .uint16, .int16, .float16, .string,
    ]

    static let names: [(DataType, String)] = [
        (.undefined, "UNDEFINED"), (.float, "FLOAT"), (.int32, "INT32"), (.byte, "BYTE"), (.string, "STRING"),
        (.bool, "BOOL"), (.uint8, "UINT8"), (.int8, "INT8"), (.uint16, "UINT16"), (.int16, "INT16"),
        (.int64, "INT64"), (.float16, "FLOAT16"), (.double, "DOUBLE"),
        (.zeroCollisionHash, "ZERO_COLLISION_HASH"), (.rebatchingBuffer, "REBATCHING_BUFFER"),
    ]

    /// The proto enum name (`"FLOAT"`), or the number for unknown values.
    public var name: String {
        Self.names.first { $0.0 == self }?.1 ?? String(rawValue)
    }

    /// Looks a type up by its proto enum name (`"FLOAT"`) or by a short
    /// lower-case spelling (`"float"`, `"f32"`, `"int64"`, `"i64"`, ...).
    public init?(name: String) {
        if let hit = Self.names.first(where: { $0.1 == name }) {
            self = hit.0
            return
        }
        switch name.lowercased() {
        case "float", "float32", "f32", "f4": self = .float
        case "double", "float64", "f64", "f8": self = .double
        case "int32", "i32", "int", "i4": self = .int32
        case "int64", "i64", "long", "i8": self = .int64
        case "bool", "b1": self = .bool
        case "uint8", "u8", "u1": self = .uint8
        case "int8", "i1": self = .int8
        case "uint16", "u16", "u2": self = .uint16
        case "int16", "i16", "i2": self = .int16
        case "float16", "half", "f16", "f2": self = .float16
        case "string", "str": self = .string
        default: return nil
        }
    }

    /// Bytes per element for fixed-size types; `nil` for strings and non-tensor types.
    public var elementSize: Int? {
        switch self {
        case .float, .int32: return 4
        case .double, .int64: return 8
        case .bool, .uint8, .int8, .byte: return 1
        case .uint16, .int16, .float16: return 2
        default: return nil
        }
    }

    /// Whether a ``Tensor`` can hold elements of this type.
    public var isTensorType: Bool { self == .string || (elementSize != nil && self != .byte) }

    /// Floating-point types (float, double, float16).
    public var isFloatingPoint: Bool { self == .float || self == .double || self == .float16 }

    /// Lower-case display name used in messages and the CLI (`float`, `int64`, ...).
    public var description: String {
        switch self {
        case .float: return "float"
        case .double: return "double"
        case .int32: return "int32"
        case .int64: return "int64"
        case .bool: return "bool"
        case .uint8: return "uint8"
        case .int8: return "int8"
        case .uint16: return "uint16"
        case .int16: return "int16"
        case .float16: return "float16"
        case .string: return "string"
        case .byte: return "byte"
        case .undefined: return "undefined"
        default: return name
        }
    }
}

/// A device type, numbered as Caffe2's `DeviceTypeProto` (stored as `int32` on the wire).
public struct DeviceType: RawRepresentable, Hashable, Sendable, CustomStringConvertible, Comparable {
    public let rawValue: Int32

    @inlinable
    public init(rawValue: Int32) { self.rawValue = rawValue }

    public static let cpu = DeviceType(rawValue: 0)
    public static let cuda = DeviceType(rawValue: 1)
    public static let mkldnn = DeviceType(rawValue: 2)
    public static let opengl = DeviceType(rawValue: 3)
    public static let opencl = DeviceType(rawValue: 4)
    public static let ideep = DeviceType(rawValue: 5)
    public static let hip = DeviceType(rawValue: 6)
    public static let fpga = DeviceType(rawValue: 7)
    public static let msnpu = DeviceType(rawValue: 8)
    public static let xla = DeviceType(rawValue: 9)
    public static let mlc = DeviceType(rawValue: 10)
    /// Upstream's `ONLY_FOR_TEST` device, used by tests of device handling.
    public static let onlyForTest = DeviceType(rawValue: 20_901_701)

    static let names: [Int32: String] = [
        0: "CPU", 1: "CUDA", 2: "MKLDNN", 3: "OPENGL", 4: "OPENCL", 5: "IDEEP", 6: "HIP", 7: "FPGA",
        8: "MSNPU", 9: "XLA", 10: "MLC", 20_901_701: "ONLY_FOR_TEST",
    ]

    /// Caffe2's `DeviceTypeName`: `"CPU"`, `"CUDA"`, ...
    public var description: String { Self.names[rawValue] ?? "DEVICE_\(rawValue)" }

    /// Parses `cpu`, `CPU`, `cuda`, `PROTO_CUDA` or a number.
    public init?(name: String) {
        var n = name.uppercased()
        if n.hasPrefix("PROTO_") { n.removeFirst(6) }
        if let hit = Self.names.first(where: { $0.value == n }) {
            self.init(rawValue: hit.key)
        } else if let v = Int32(name) {
            self.init(rawValue: v)
        } else {
            return nil
        }
    }

    public static func < (a: DeviceType, b: DeviceType) -> Bool { a.rawValue < b.rawValue }
}

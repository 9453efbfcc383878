import CCaffe2Proto

/// A Caffe2 protobuf message with binary and text encodings.
///
/// The binary format goes through protobuf-c with the field numbers of
/// upstream `caffe2.proto`; the text format (`.pbtxt`) is swift-caffe2's own
/// codec, written over protobuf-c's descriptors.
///
/// ```swift
/// let net = try NetDef(serializedBytes: bytes)        // binary
/// let same = try NetDef(textFormat: net.textFormatString())
/// assert(net == same)
/// ```
public protocol ProtoMessage: Equatable, Sendable {
    /// The fully qualified message name, e.g. `"caffe2.NetDef"`.
    static var protoMessageName: String { get }
    /// Decodes the protobuf binary format; throws ``Caffe2Error`` (kind `.parse`) with the byte offset.
    init(serializedBytes: [UInt8]) throws
    /// Encodes the protobuf binary format.
    func serializedBytes() -> [UInt8]
    /// Decodes the protobuf text format; throws ``Caffe2Error`` (kind `.parse`) with line:column.
    init(textFormat: String) throws
    /// Encodes the protobuf text format, two-space indented, fields in number order.
    func textFormatString() -> String
}

// MARK: - Binary codec over protobuf-c

func decodeBinary<M: CMessageBridge>(_ bytes: UnsafeRawBufferPointer, as _: M.Type) throws -> M {
    let d = M.cDescriptor
    do {
        try WireScanner.check(bytes, d)
    } catch {
        throw Caffe2Error(.parse, "not a valid \(String(cString: d.pointee.name)) at byte \(error.offset): \(error.message)")
    }
    var empty: UInt8 = 0
    let msg = withUnsafeMutablePointer(to: &empty) { dummy in
        protobuf_c_message_unpack(
            d, nil, bytes.count, bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? UnsafePointer(dummy))
    }
    guard let msg else {
        throw Caffe2Error(.parse, "protobuf-c could not unpack \(bytes.count) bytes as \(String(cString: d.pointee.name))")
    }
    defer { protobuf_c_message_free_unpacked(msg, nil) }
    return M(c: UnsafeRawPointer(msg).assumingMemoryBound(to: M.CMessage.self))
}

func decodeBinary<M: CMessageBridge>(_ bytes: [UInt8], as type: M.Type) throws -> M {
    try bytes.withUnsafeBytes { try decodeBinary($0, as: type) }
}

func encodeBinary<M: CMessageBridge>(_ message: M) -> [UInt8] {
    let arena = CArena()
    let c = message.makeC(in: arena)
    return withExtendedLifetime(arena) {
        let msg = UnsafeRawPointer(c).assumingMemoryBound(to: ProtobufCMessage.self)
        let size = protobuf_c_message_get_packed_size(msg)
        guard size > 0 else { return [] }
        return [UInt8](unsafeUninitializedCapacity: size) { buf, n in
            n = protobuf_c_message_pack(msg, buf.baseAddress!)
        }
    }
}

/// Runs `body` with the message built as a protobuf-c struct (for the text writer).
func withCMessage<M: CMessageBridge, R>(_ message: M, _ body: (UnsafePointer<ProtobufCMessage>) throws -> R) rethrows
    -> R
{
    let arena = CArena()
    let c = message.makeC(in: arena)
    return try withExtendedLifetime(arena) {
        try body(UnsafeRawPointer(c).assumingMemoryBound(to: ProtobufCMessage.self))
    }
}

// MARK: - Conformances

extension NetDef: ProtoMessage {
    public static let protoMessageName = "caffe2.NetDef"
    public init(serializedBytes bytes: [UInt8]) throws { self = try decodeBinary(bytes, as: Self.self) }
    public func serializedBytes() -> [UInt8] { encodeBinary(self) }
    public init(textFormat text: String) throws { self = try decodeText(text, as: Self.self) }
    public func textFormatString() -> String { encodeText(self) }
}

extension OperatorDef: ProtoMessage {
    public static let protoMessageName = "caffe2.OperatorDef"
    public init(serializedBytes bytes: [UInt8]) throws { self = try decodeBinary(bytes, as: Self.self) }
    public func serializedBytes() -> [UInt8] { encodeBinary(self) }
    public init(textFormat text: String) throws { self = try decodeText(text, as: Self.self) }
    public func textFormatString() -> String { encodeText(self) }
}

extension Argument: ProtoMessage {
    public static let protoMessageName = "caffe2.Argument"
    public init(serializedBytes bytes: [UInt8]) throws { self = try decodeBinary(bytes, as: Self.self) }
    public func serializedBytes() -> [UInt8] { encodeBinary(self) }
    public init(textFormat text: String) throws { self = try decodeText(text, as: Self.self) }
    public func textFormatString() -> String { encodeText(self) }
}

extension DeviceOption: ProtoMessage {
    public static let protoMessageName = "caffe2.DeviceOption"
    public init(serializedBytes bytes: [UInt8]) throws { self = try decodeBinary(bytes, as: Self.self) }
    public func serializedBytes() -> [UInt8] { encodeBinary(self) }
    public init(textFormat text: String) throws { self = try decodeText(text, as: Self.self) }
    public func textFormatString() -> String { encodeText(self) }
}

extension TensorProto: ProtoMessage {
    public static let protoMessageName = "caffe2.TensorProto"
    public init(serializedBytes bytes: [UInt8]) throws { self = try decodeBinary(bytes, as: Self.self) }
    public func serializedBytes() -> [UInt8] { encodeBinary(self) }
    public init(textFormat text: String) throws { self = try decodeText(text, as: Self.self) }
    public func textFormatString() -> String { encodeText(self) }
}

extension TensorProtos: ProtoMessage {
    public static let protoMessageName = "caffe2.TensorProtos"
    public init(serializedBytes bytes: [UInt8]) throws { self = try decodeBinary(bytes, as: Self.self) }
    public func serializedBytes() -> [UInt8] { encodeBinary(self) }
    public init(textFormat text: String) throws { self = try decodeText(text, as: Self.self) }
    public func textFormatString() -> String { encodeText(self) }
}

extension QTensorProto: ProtoMessage {
    public static let protoMessageName = "caffe2.QTensorProto"
    public init(serializedBytes bytes: [UInt8]) throws { self = try decodeBinary(bytes, as: Self.self) }
    public func serializedBytes() -> [UInt8] { encodeBinary(self) }
    public init(textFormat text: String) throws { self = try decodeText(text, as: Self.self) }
    public func textFormatString() -> String { encodeText(self) }
}

extension TensorShape: ProtoMessage {
    public static let protoMessageName = "caffe2.TensorShape"
    public init(serializedBytes bytes: [UInt8]) throws { self = try decodeBinary(bytes, as: Self.self) }
    public func serializedBytes() -> [UInt8] { encodeBinary(self) }
    public init(textFormat text: String) throws { self = try decodeText(text, as: Self.self) }
    public func textFormatString() -> String { encodeText(self) }
}

extension TensorShapes: ProtoMessage {
    public static let protoMessageName = "caffe2.TensorShapes"
    public init(serializedBytes bytes: [UInt8]) throws { self = try decodeBinary(bytes, as: Self.self) }
    public func serializedBytes() -> [UInt8] { encodeBinary(self) }
    public init(textFormat text: String) throws { self = try decodeText(text, as: Self.self) }
    public func textFormatString() -> String { encodeText(self) }
}

extension BlobProto: ProtoMessage {
    public static let protoMessageName = "caffe2.BlobProto"
    public init(serializedBytes bytes: [UInt8]) throws { self = try decodeBinary(bytes, as: Self.self) }
    public func serializedBytes() -> [UInt8] { encodeBinary(self) }
    public init(textFormat text: String) throws { self = try decodeText(text, as: Self.self) }
    public func textFormatString() -> String { encodeText(self) }
}

extension PlanDef: ProtoMessage {
    public static let protoMessageName = "caffe2.PlanDef"
    public init(serializedBytes bytes: [UInt8]) throws { self = try decodeBinary(bytes, as: Self.self) }
    public func serializedBytes() -> [UInt8] { encodeBinary(self) }
    public init(textFormat text: String) throws { self = try decodeText(text, as: Self.self) }
    public func textFormatString() -> String { encodeText(self) }
}

extension ExecutionStep: ProtoMessage {
    public static let protoMessageName = "caffe2.ExecutionStep"
    public init(serializedBytes bytes: [UInt8]) throws { self = try decodeBinary(bytes, as: Self.self) }
    public func serializedBytes() -> [UInt8] { encodeBinary(self) }
    public init(textFormat text: String) throws { self = try decodeText(text, as: Self.self) }
    public func textFormatString() -> String { encodeText(self) }
}

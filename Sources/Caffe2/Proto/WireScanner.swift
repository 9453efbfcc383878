import CCaffe2Proto

/// A structural check of protobuf wire bytes against a protobuf-c descriptor.
///
/// protobuf-c's unpack only says yes or no. This scanner walks the same bytes
/// first and reports the first problem with its byte offset and field path
/// (`NetDef.op[3].arg[0].floats`), so a user can tell a truncated download
/// from a text file from a file of the wrong message type. It also bounds the
/// nesting depth, which protobuf-c does not.
struct WireScanner {
    struct Failure: Error {
        var offset: Int
        var message: String
    }

    static let maxDepth = 100

    let base: UnsafePointer<UInt8>
    let end: Int
    /// Builds field paths for messages. The fast pass leaves this off and a
    /// failure is rescanned with it on, so good data pays for no strings.
    let detailed: Bool

    init(_ bytes: UnsafeRawBufferPointer, detailed: Bool = false) {
        self.detailed = detailed
        // An empty buffer may have a nil base address; use a dummy that is never read.
        base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? UnsafePointer(bitPattern: 1)!
        end = bytes.count
    }

    /// Checks a whole message; throws the first problem found, with its field path.
    static func check(_ bytes: UnsafeRawBufferPointer, _ d: UnsafePointer<ProtobufCMessageDescriptor>) throws(Failure) {
        do {
            try WireScanner(bytes).scanMessage(d, from: 0, to: bytes.count, depth: 0, path: "")
        } catch {
            let slow = WireScanner(bytes, detailed: true)
            try slow.scanMessage(d, from: 0, to: bytes.count, depth: 0, path: String(cString: d.pointee.short_name))
            throw error  // not reached: the detailed pass fails at the same place
        }
    }

    private func readVarint(_ pos: inout Int, limit: Int, what: @autoclosure () -> String) throws(Failure) -> UInt64 {
        let start = pos
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard pos < limit else {
                throw Failure(offset: start, message: "\(what()) runs past the end of the data")
            }
            let b = base[pos]
            pos += 1
            if shift == 63 && b > 1 {
                throw Failure(offset: start, message: "\(what()) is longer than 10 bytes (a varint that never ends)")
            }
            result |= UInt64(b & 0x7f) << shift
            if b & 0x80 == 0 { return result }
            shift += 7
            if shift > 63 {
                throw Failure(offset: start, message: "\(what()) is longer than 10 bytes (a varint that never ends)")
            }
        }
    }

    private func fieldIndex(_ d: UnsafePointer<ProtobufCMessageDescriptor>, number: UInt32) -> Int? {
        let m = d.pointee
        // Fields are sorted by number; a binary search keeps long messages fast.
        var lo = 0
        var hi = Int(m.n_fields) - 1
        while lo <= hi {
            let mid = (lo + hi) / 2
            let f = m.fields[mid]
            if f.id == number { return mid }
            if f.id < number { lo = mid + 1 } else { hi = mid - 1 }
        }
        return nil
    }

    fileprivate func scanMessage(
        _ d: UnsafePointer<ProtobufCMessageDescriptor>, from start: Int, to limit: Int, depth: Int, path: String
    ) throws(Failure) {
        guard depth <= Self.maxDepth else {
            throw Failure(offset: start, message: "messages nested deeper than \(Self.maxDepth) levels at \(path)")
        }
        var seenRequired: UInt64 = 0
        var counts: [UInt32: Int] = [:]
        let fieldsBase = d.pointee.fields!
        var pos = start
        while pos < limit {
            let tagOffset = pos
            let key = try readVarint(&pos, limit: limit, what: "field tag in \(path)")
            let number = key >> 3
            let wire = Int(key & 7)
            guard number != 0, number <= 536_870_911 else {
                throw Failure(offset: tagOffset, message: "invalid field number \(number) in \(path)")
            }
            guard let fi = fieldIndex(d, number: UInt32(number)) else {
                try skipUnknown(wire: wire, number: number, pos: &pos, limit: limit, tagOffset: tagOffset, path: path)
                continue
            }
            let f = fieldsBase[fi]
            var fpath = ""
            if detailed {
                let fname = String(cString: f.name)
                let index = counts[f.id, default: 0]
                counts[f.id] = index + 1
                fpath = f.label == PROTOBUF_C_LABEL_REPEATED ? "\(path).\(fname)[\(index)]" : "\(path).\(fname)"
            }
            if f.label == PROTOBUF_C_LABEL_REQUIRED && fi < 64 { seenRequired |= 1 << UInt64(fi) }
            try scanField(f, wire: wire, pos: &pos, limit: limit, tagOffset: tagOffset, depth: depth, path: fpath)
        }
        let m = d.pointee
        for i in 0..<min(Int(m.n_fields), 64) where m.fields[i].label == PROTOBUF_C_LABEL_REQUIRED {
            if seenRequired & (1 << UInt64(i)) == 0 {
                throw Failure(
                    offset: start,
                    message: "required field '\(String(cString: m.fields[i].name))' of \(path) is missing")
            }
        }
    }

    private static func expectedWire(_ type: ProtobufCType) -> Int {
        switch type {
        case PROTOBUF_C_TYPE_SFIXED32, PROTOBUF_C_TYPE_FIXED32, PROTOBUF_C_TYPE_FLOAT: return 5
        case PROTOBUF_C_TYPE_SFIXED64, PROTOBUF_C_TYPE_FIXED64, PROTOBUF_C_TYPE_DOUBLE: return 1
        case PROTOBUF_C_TYPE_STRING, PROTOBUF_C_TYPE_BYTES, PROTOBUF_C_TYPE_MESSAGE: return 2
        default: return 0
        }
    }

    static func typeName(_ f: ProtobufCFieldDescriptor) -> String {
        switch f.type {
        case PROTOBUF_C_TYPE_INT32: return "int32"
        case PROTOBUF_C_TYPE_SINT32: return "sint32"
        case PROTOBUF_C_TYPE_SFIXED32: return "sfixed32"
        case PROTOBUF_C_TYPE_INT64: return "int64"
        case PROTOBUF_C_TYPE_SINT64: return "sint64"
        case PROTOBUF_C_TYPE_SFIXED64: return "sfixed64"
        case PROTOBUF_C_TYPE_UINT32: return "uint32"
        case PROTOBUF_C_TYPE_FIXED32: return "fixed32"
        case PROTOBUF_C_TYPE_UINT64: return "uint64"
        case PROTOBUF_C_TYPE_FIXED64: return "fixed64"
        case PROTOBUF_C_TYPE_FLOAT: return "float"
        case PROTOBUF_C_TYPE_DOUBLE: return "double"
        case PROTOBUF_C_TYPE_BOOL: return "bool"
        case PROTOBUF_C_TYPE_ENUM: return "enum"
        case PROTOBUF_C_TYPE_STRING: return "string"
        case PROTOBUF_C_TYPE_BYTES: return "bytes"
        default:
            let md = f.descriptor!.assumingMemoryBound(to: ProtobufCMessageDescriptor.self)
            return String(cString: md.pointee.name)
        }
    }

    private static let wireNames = ["varint", "64-bit", "length-delimited", "start-group", "end-group", "32-bit"]

    private func scanField(
        _ f: ProtobufCFieldDescriptor, wire: Int, pos: inout Int, limit: Int, tagOffset: Int, depth: Int, path: String
    ) throws(Failure) {
        let expected = Self.expectedWire(f.type)
        let packable = f.label == PROTOBUF_C_LABEL_REPEATED && expected != 2
        if wire != expected && !(packable && wire == 2) {
            let got = wire < Self.wireNames.count ? Self.wireNames[wire] : "invalid (\(wire))"
            throw Failure(
                offset: tagOffset,
                message:
                    "field \(path) (#\(f.id), \(Self.typeName(f))) has wire type \(got), expected \(Self.wireNames[expected])"
            )
        }
        switch wire {
        case 0:
            _ = try readVarint(&pos, limit: limit, what: "value of \(path)")
        case 1, 5:
            let size = wire == 1 ? 8 : 4
            guard pos + size <= limit else {
                throw Failure(offset: pos, message: "\(size)-byte value of \(path) runs past the end of the data")
            }
            pos += size
        default:
            let lenOffset = pos
            let len = try readVarint(&pos, limit: limit, what: "length of \(path)")
            guard len <= UInt64(limit - pos) else {
                throw Failure(
                    offset: lenOffset,
                    message: "length \(len) of \(path) runs past the end of the data (\(limit - pos) bytes left)")
            }
            let stop = pos + Int(len)
            if f.type == PROTOBUF_C_TYPE_MESSAGE {
                let md = f.descriptor!.assumingMemoryBound(to: ProtobufCMessageDescriptor.self)
                try scanMessage(md, from: pos, to: stop, depth: depth + 1, path: path)
            } else if packable {
                switch expected {
                case 0:
                    var p = pos
                    while p < stop { _ = try readVarint(&p, limit: stop, what: "packed element of \(path)") }
                default:
                    let size = expected == 1 ? 8 : 4
                    guard len % UInt64(size) == 0 else {
                        throw Failure(
                            offset: lenOffset,
                            message: "packed \(Self.typeName(f)) field \(path) has \(len) bytes, not a multiple of \(size)"
                        )
                    }
                }
            }
            pos = stop
        }
    }

    private func skipUnknown(
        wire: Int, number: UInt64, pos: inout Int, limit: Int, tagOffset: Int, path: String
    ) throws(Failure) {
        switch wire {
        case 0:
            _ = try readVarint(&pos, limit: limit, what: "unknown field #\(number) in \(path)")
        case 1, 5:
            let size = wire == 1 ? 8 : 4
            guard pos + size <= limit else {
                throw Failure(offset: pos, message: "unknown field #\(number) in \(path) runs past the end of the data")
            }
            pos += size
        case 2:
            let lenOffset = pos
            let len = try readVarint(&pos, limit: limit, what: "length of unknown field #\(number) in \(path)")
            guard len <= UInt64(limit - pos) else {
                throw Failure(
                    offset: lenOffset,
                    message:
                        "length \(len) of unknown field #\(number) in \(path) runs past the end of the data (\(limit - pos) bytes left)"
                )
            }
            pos += Int(len)
        default:
            throw Failure(
                offset: tagOffset,
                message: "field #\(number) in \(path) has wire type \(wire), which protobuf-c cannot read")
        }
    }
}

import CCaffe2Proto
import Synchronization

/// A structural check of protobuf wire bytes against a protobuf-c descriptor.
///
/// protobuf-c's unpack only says yes or no. This scanner walks the same bytes
/// first and reports the first problem with its byte offset and field path
/// (`NetDef.op[3].arg[0].floats`), so a user can tell a truncated download
/// from a text file from a file of the wrong message type. It also bounds the
/// nesting depth, which protobuf-c does not (a deeply nested file would
/// otherwise overflow the stack inside protobuf-c).
///
/// The fast pass works from a precomputed ``ScanPlan`` per message type and
/// builds no strings; only when it finds a problem does a second, detailed
/// pass run to name the field path.
struct WireScanner {
    struct Failure: Error {
        var offset: Int
        var message: String
    }

    static let maxDepth = 100

    let base: UnsafePointer<UInt8>
    /// Builds field paths for messages (the slow pass after a failure).
    let detailed: Bool

    private init(_ bytes: UnsafeRawBufferPointer, detailed: Bool) {
        self.detailed = detailed
        // An empty buffer may have a nil base address; it is never read then.
        base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? UnsafePointer(bitPattern: 1)!
    }

    /// Checks a whole message; throws the first problem found, with its field path.
    static func check(_ bytes: UnsafeRawBufferPointer, _ d: UnsafePointer<ProtobufCMessageDescriptor>) throws(Failure) {
        let plan = ScanPlan.for(d)
        do {
            try WireScanner(bytes, detailed: false).scanMessage(plan, from: 0, to: bytes.count, depth: 0, path: "")
        } catch {
            let slow = WireScanner(bytes, detailed: true)
            try slow.scanMessage(plan, from: 0, to: bytes.count, depth: 0, path: plan.name)
            throw error  // not reached: the detailed pass fails at the same place
        }
    }

    @inline(__always)
    private func readVarint(_ pos: inout Int, limit: Int, what: @autoclosure () -> String) throws(Failure) -> UInt64 {
        // One-byte fast path (tags and short lengths).
        if pos < limit, base[pos] < 0x80 {
            pos += 1
            return UInt64(base[pos - 1])
        }
        return try readVarintSlow(&pos, limit: limit, what: what())
    }

    private func readVarintSlow(_ pos: inout Int, limit: Int, what: @autoclosure () -> String) throws(Failure)
        -> UInt64
    {
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

    fileprivate func scanMessage(_ plan: ScanPlan, from start: Int, to limit: Int, depth: Int, path: String)
        throws(Failure)
    {
        guard depth <= Self.maxDepth else {
            throw Failure(offset: start, message: "messages nested deeper than \(Self.maxDepth) levels at \(path)")
        }
        var seenRequired: UInt64 = 0
        var counts: [Int: Int] = [:]
        var pos = start
        while pos < limit {
            let tagOffset = pos
            let key = try readVarint(&pos, limit: limit, what: "field tag in \(path)")
            let number = key >> 3
            let wire = Int(key & 7)
            guard number != 0, number <= 536_870_911 else {
                throw Failure(offset: tagOffset, message: "invalid field number \(number) in \(path)")
            }
            guard let fi = plan.fieldIndex(Int(number)) else {
                try skipUnknown(wire: wire, number: number, pos: &pos, limit: limit, tagOffset: tagOffset, path: path)
                continue
            }
            let f = plan.hot[fi]
            var fpath = ""
            if detailed {
                let index = counts[fi, default: 0]
                counts[fi] = index + 1
                let name = plan.fields[fi].name
                fpath = f.repeated ? "\(path).\(name)[\(index)]" : "\(path).\(name)"
            }
            if f.required { seenRequired |= 1 << UInt64(fi & 63) }
            if wire != f.wire && !(f.packable && wire == 2) {
                throw wireTypeMismatch(plan.fields[fi], wire: wire, tagOffset: tagOffset, path: fpath)
            }
            try scanField(
                plan, fi, f, wire: wire, pos: &pos, limit: limit, tagOffset: tagOffset, depth: depth, path: fpath)
        }
        if seenRequired & plan.requiredMask != plan.requiredMask {
            for (i, f) in plan.fields.enumerated() where f.required && seenRequired & (1 << UInt64(i & 63)) == 0 {
                throw Failure(offset: start, message: "required field '\(f.name)' of \(path) is missing")
            }
        }
    }

    private static let wireNames = ["varint", "64-bit", "length-delimited", "start-group", "end-group", "32-bit"]

    private func wireTypeMismatch(_ f: ScanPlan.Field, wire: Int, tagOffset: Int, path: String) -> Failure {
        let got = wire < Self.wireNames.count ? Self.wireNames[wire] : "invalid (\(wire))"
        return Failure(
            offset: tagOffset,
            message: "field \(path) (#\(f.number), \(f.typeName)) has wire type \(got), expected \(Self.wireNames[f.wire])")
    }

    @inline(__always)
    private func scanField(
        _ plan: ScanPlan, _ fi: Int, _ f: ScanPlan.Hot, wire: Int, pos: inout Int, limit: Int, tagOffset: Int,
        depth: Int, path: String
    ) throws(Failure) {
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
            if f.isMessage {
                try scanMessage(plan.fields[fi].message!, from: pos, to: stop, depth: depth + 1, path: path)
            } else if f.packable {
                if f.wire == 0 {
                    var p = pos
                    while p < stop { _ = try readVarint(&p, limit: stop, what: "packed element of \(path)") }
                } else {
                    let size = f.wire == 1 ? 8 : 4
                    guard len % UInt64(size) == 0 else {
                        throw Failure(
                            offset: lenOffset,
                            message:
                                "packed \(plan.fields[fi].typeName) field \(path) has \(len) bytes, not a multiple of \(size)"
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

    /// The protobuf type name of a field (for messages).
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
}

/// What the scanner needs to know about one message type, computed once from its descriptor.
final class ScanPlan: @unchecked Sendable {
    struct Field {
        var number: Int
        var name: String
        var typeName: String
        /// The wire type of one element (0 varint, 1 fixed64, 2 length-delimited, 5 fixed32).
        var wire: Int
        /// A repeated scalar, which may also arrive packed (wire type 2).
        var packable: Bool
        var repeated: Bool
        var required: Bool
        /// Set (after construction, since message types are recursive) for message fields.
        var message: ScanPlan?
    }

    /// The per-field facts the fast pass needs, as plain values (no reference counting).
    struct Hot {
        var wire: Int
        var packable: Bool
        var repeated: Bool
        var required: Bool
        var isMessage: Bool
    }

    let name: String
    @exclusivity(unchecked) private(set) var fields: [Field] = []
    @exclusivity(unchecked) private(set) var hot: [Hot] = []
    /// Field number → index in `fields` (-1 if none), for numbers up to `byNumber.count - 1`.
    @exclusivity(unchecked) private var byNumber: [Int] = []
    @exclusivity(unchecked) private(set) var requiredMask: UInt64 = 0

    private init(name: String) { self.name = name }

    @inline(__always)
    func fieldIndex(_ number: Int) -> Int? {
        if number < byNumber.count {
            let i = byNumber[number]
            return i >= 0 ? i : nil
        }
        return nil
    }

    private static let cache = Mutex<[UInt: ScanPlan]>([:])

    /// The plan for `d` and every message type reachable from it (built once per process).
    static func `for`(_ d: UnsafePointer<ProtobufCMessageDescriptor>) -> ScanPlan {
        cache.withLock { cache in build(d, &cache) }
    }

    private static func build(
        _ d: UnsafePointer<ProtobufCMessageDescriptor>, _ cache: inout [UInt: ScanPlan]
    ) -> ScanPlan {
        if let p = cache[UInt(bitPattern: d)] { return p }
        let plan = ScanPlan(name: String(cString: d.pointee.short_name))
        cache[UInt(bitPattern: d)] = plan
        let m = d.pointee
        var maxNumber = 0
        var subs: [(Int, UnsafePointer<ProtobufCMessageDescriptor>)] = []
        for i in 0..<Int(m.n_fields) {
            let f = m.fields[i]
            let wire: Int
            switch f.type {
            case PROTOBUF_C_TYPE_SFIXED32, PROTOBUF_C_TYPE_FIXED32, PROTOBUF_C_TYPE_FLOAT: wire = 5
            case PROTOBUF_C_TYPE_SFIXED64, PROTOBUF_C_TYPE_FIXED64, PROTOBUF_C_TYPE_DOUBLE: wire = 1
            case PROTOBUF_C_TYPE_STRING, PROTOBUF_C_TYPE_BYTES, PROTOBUF_C_TYPE_MESSAGE: wire = 2
            default: wire = 0
            }
            let repeated = f.label == PROTOBUF_C_LABEL_REPEATED
            plan.fields.append(
                Field(
                    number: Int(f.id), name: String(cString: f.name), typeName: WireScanner.typeName(f), wire: wire,
                    packable: repeated && wire != 2, repeated: repeated, required: f.label == PROTOBUF_C_LABEL_REQUIRED,
                    message: nil))
            if f.label == PROTOBUF_C_LABEL_REQUIRED && i < 64 { plan.requiredMask |= 1 << UInt64(i) }
            if f.type == PROTOBUF_C_TYPE_MESSAGE {
                subs.append((i, f.descriptor!.assumingMemoryBound(to: ProtobufCMessageDescriptor.self)))
            }
            maxNumber = max(maxNumber, Int(f.id))
        }
        plan.hot = plan.fields.map {
            Hot(wire: $0.wire, packable: $0.packable, repeated: $0.repeated, required: $0.required, isMessage: false)
        }
        for (i, _) in subs { plan.hot[i].isMessage = true }
        plan.byNumber = Array(repeating: -1, count: min(maxNumber, 4096) + 1)
        for (i, f) in plan.fields.enumerated() where f.number < plan.byNumber.count { plan.byNumber[f.number] = i }
        for (i, sd) in subs { plan.fields[i].message = build(sd, &cache) }
        return plan
    }
}

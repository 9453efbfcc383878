import CCaffe2Proto

// The protobuf text format (`.pbtxt`), written once over protobuf-c descriptors.
//
// Reading transcodes text straight into protobuf wire bytes, looking up each
// field name in the message descriptor, and then decodes those bytes with the
// binary codec. Writing walks the C struct tree of a message (built by
// `withCMessage`) through the same descriptors. No code here knows any
// particular message: a field added to caffe2.proto is read and written as
// soon as protoc-c has regenerated the descriptors.
//
// The accepted syntax is Google's TextFormat (what `protoc --decode` prints,
// what Caffe2's `ReadProtoFromTextFile` reads):
//
//   # comment
//   name: "resnet"                       scalar fields need the colon
//   op { type: "Relu" }                  messages: colon optional, {} or <>
//   arg < name: "shape" ints: [1, 2] >   list syntax for repeated fields
//   s: "a" 'b' "\x41\101\n"              adjacent strings concatenate
//   f: -inf  f: 1.5e-3f  i: 0x1F  i: 017 numbers as in C
//
// Floats are printed in the shortest form that reads back to the same bits
// (`nan` for every NaN), strings and bytes with C escapes (octal for bytes
// outside printable ASCII), enums by name (by number when the value has no
// name), fields in field-number order.

// MARK: - Entry points

/// Decodes text format into `M`; throws ``Caffe2Error`` (kind `.parse`) with `line:column`.
func decodeText<M: CMessageBridge>(_ text: String, as type: M.Type) throws -> M {
    var text = text
    return try text.withUTF8 { try decodeText(utf8: UnsafeRawBufferPointer($0), as: type) }
}

/// Decodes text format given as UTF-8 bytes (bytes inside string literals are kept as they are).
func decodeText<M: CMessageBridge>(utf8 text: UnsafeRawBufferPointer, as type: M.Type) throws -> M {
    let wire = try transcodeText(text, M.cDescriptor)
    do {
        return try decodeBinary(wire, as: type)
    } catch let error as Caffe2Error {
        // The text parser checks everything the binary decoder checks (nesting
        // depth, required fields, ranges), so this is a bug in one of the two.
        throw Caffe2Error(.parse, "the text parsed, but its binary form was rejected: \(error.message)")
    }
}

/// Transcodes text format for message `descriptor` into protobuf wire bytes.
///
/// Repeated scalars are written unpacked (one tag per element), which every
/// protobuf reader accepts for packed fields too.
func transcodeText(_ text: UnsafeRawBufferPointer, _ descriptor: UnsafePointer<ProtobufCMessageDescriptor>) throws
    -> [UInt8]
{
    var parser = TextParser(text)
    try parser.parseDocument(descriptor)
    return parser.out
}

/// Encodes `message` in text format: two-space indentation, fields in field-number order.
func encodeText<M: CMessageBridge>(_ message: M) -> String {
    withCMessage(message) { msg in
        var writer = TextWriter()
        writer.writeFields(UnsafeRawPointer(msg), msg.pointee.descriptor, indent: 0)
        return String(decoding: writer.out, as: UTF8.self)
    }
}

// MARK: - Descriptor helpers

private typealias MessageDescriptor = UnsafePointer<ProtobufCMessageDescriptor>

extension ProtobufCFieldDescriptor {
    fileprivate var isRepeated: Bool { label == PROTOBUF_C_LABEL_REPEATED }

    fileprivate var nameString: String { String(cString: name) }

    fileprivate var messageDescriptor: MessageDescriptor? {
        guard type == PROTOBUF_C_TYPE_MESSAGE, let d = descriptor else { return nil }
        return d.assumingMemoryBound(to: ProtobufCMessageDescriptor.self)
    }

    fileprivate var enumDescriptor: UnsafePointer<ProtobufCEnumDescriptor>? {
        guard type == PROTOBUF_C_TYPE_ENUM, let d = descriptor else { return nil }
        return d.assumingMemoryBound(to: ProtobufCEnumDescriptor.self)
    }

    /// `int32`, `string`, `caffe2.NetDef`, `enum caffe2.TensorProto.DataType`, ...
    fileprivate var typeDescription: String {
        if let m = messageDescriptor { return String(cString: m.pointee.name) }
        if let e = enumDescriptor { return "enum " + String(cString: e.pointee.name) }
        return WireScanner.typeName(self)
    }
}

private func messageName(_ d: MessageDescriptor) -> String { String(cString: d.pointee.name) }

// MARK: - Reader

extension UInt8 {
    fileprivate static let quote = UInt8(ascii: "\"")
    fileprivate static let apostrophe = UInt8(ascii: "'")
    fileprivate static let backslash = UInt8(ascii: "\\")
    fileprivate static let newline = UInt8(ascii: "\n")
    fileprivate static let minus = UInt8(ascii: "-")
    fileprivate static let plus = UInt8(ascii: "+")
    fileprivate static let dot = UInt8(ascii: ".")
    fileprivate static let colon = UInt8(ascii: ":")
    fileprivate static let comma = UInt8(ascii: ",")
    fileprivate static let semicolon = UInt8(ascii: ";")
    fileprivate static let openBrace = UInt8(ascii: "{")
    fileprivate static let closeBrace = UInt8(ascii: "}")
    fileprivate static let openAngle = UInt8(ascii: "<")
    fileprivate static let closeAngle = UInt8(ascii: ">")
    fileprivate static let openBracket = UInt8(ascii: "[")
    fileprivate static let closeBracket = UInt8(ascii: "]")
    fileprivate static let hash = UInt8(ascii: "#")
    fileprivate static let zero = UInt8(ascii: "0")

    fileprivate var isDigit: Bool { self &- 0x30 < 10 }
    fileprivate var isOctalDigit: Bool { self &- 0x30 < 8 }
    fileprivate var isHexDigit: Bool { isDigit || (self | 0x20) &- 0x61 < 6 }
    fileprivate var isLetter: Bool { (self | 0x20) &- 0x61 < 26 || self == 0x5F }  // A-Z a-z _
    fileprivate var isIdentifierByte: Bool { isLetter || isDigit }
    fileprivate var isSpace: Bool { self == 0x20 || (self >= 0x09 && self <= 0x0D) }
    fileprivate var hexValue: UInt32 { isDigit ? UInt32(self &- 0x30) : UInt32((self | 0x20) &- 0x61 + 10) }
}

/// A tokenizer and recursive-descent parser that writes protobuf wire bytes.
struct TextParser {
    enum Kind: Equatable {
        case identifier, integer, float, string, symbol, end
    }

    struct Token {
        var kind: Kind
        var start: Int
        var end: Int
    }

    let text: UnsafeBufferPointer<UInt8>
    var pos = 0
    var tok = Token(kind: .end, start: 0, end: 0)
    /// The wire bytes written so far.
    var out: [UInt8] = []
    /// Unescaped string bytes of the value being parsed.
    private var scratch: [UInt8] = []

    init(_ text: UnsafeRawBufferPointer) {
        self.text = text.bindMemory(to: UInt8.self)
        out.reserveCapacity(text.count / 2)
        // A UTF-8 byte order mark is not part of the text.
        if text.count >= 3 && self.text[0] == 0xEF && self.text[1] == 0xBB && self.text[2] == 0xBF { pos = 3 }
    }

    // MARK: Locations and errors

    /// 1-based line and column (in characters) of a byte offset.
    func location(_ offset: Int) -> (line: Int, column: Int) {
        var line = 1
        var column = 1
        var i = 0
        let stop = min(offset, text.count)
        while i < stop {
            let b = text[i]
            if b == .newline {
                line += 1
                column = 1
            } else if b & 0xC0 != 0x80 {
                column += 1
            }
            i += 1
        }
        return (line, column)
    }

    func locationString(_ offset: Int) -> String {
        let (line, column) = location(offset)
        return "\(line):\(column)"
    }

    func error(at offset: Int, _ message: String) -> Caffe2Error {
        Caffe2Error(.parse, "\(locationString(offset)): \(message)")
    }

    func tokenText(_ t: Token) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: text[t.start..<t.end]), as: UTF8.self)
    }

    /// The current token as an error message shows it.
    func describe(_ t: Token) -> String {
        switch t.kind {
        case .end: return "end of text"
        case .identifier: return "'\(tokenText(t))'"
        case .integer: return "integer \(tokenText(t))"
        case .float: return "number \(tokenText(t))"
        case .symbol: return "'\(tokenText(t))'"
        case .string:
            let s = tokenText(t)
            return s.count > 40 ? "string \(s.prefix(37))...\"" : "string \(s)"
        }
    }

    func unexpected(_ expected: String) -> Caffe2Error {
        error(at: tok.start, "expected \(expected), got \(describe(tok))")
    }

    // MARK: Tokenizer

    func isSymbol(_ c: UInt8) -> Bool { tok.kind == .symbol && text[tok.start] == c }

    /// Moves to the next token, skipping whitespace and `#` comments.
    mutating func advance() throws {
        let count = text.count
        while pos < count {
            let c = text[pos]
            if c.isSpace {
                pos += 1
            } else if c == .hash {
                while pos < count && text[pos] != .newline { pos += 1 }
            } else {
                break
            }
        }
        let start = pos
        guard pos < count else {
            tok = Token(kind: .end, start: count, end: count)
            return
        }
        let c = text[pos]
        let kind: Kind
        if c.isLetter {
            pos += 1
            while pos < count && text[pos].isIdentifierByte { pos += 1 }
            kind = .identifier
        } else if c.isDigit || (c == .dot && pos + 1 < count && text[pos + 1].isDigit) {
            kind = try scanNumber()
        } else if c == .quote || c == .apostrophe {
            try scanString(quote: c)
            kind = .string
        } else if c > 0x20 && c < 0x7F {
            pos += 1
            kind = .symbol
        } else if c >= 0x80 {
            throw error(at: start, "unexpected non-ASCII character outside a string (byte 0x\(hex(c)))")
        } else {
            throw error(at: start, "unexpected control character (byte 0x\(hex(c)))")
        }
        tok = Token(kind: kind, start: start, end: pos)
    }

    private func hex(_ b: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return String([digits[Int(b >> 4)], digits[Int(b & 15)]])
    }

    private mutating func skipDigits() {
        while pos < text.count && text[pos].isDigit { pos += 1 }
    }

    /// Scans a number as Google's tokenizer does: hex, octal, decimal, floats with `f` suffix.
    private mutating func scanNumber() throws -> Kind {
        let count = text.count
        let start = pos
        var isFloat = false
        var isHexOrOctal = false
        let c0 = text[pos]
        if c0 == .zero && pos + 1 < count && text[pos + 1] | 0x20 == UInt8(ascii: "x") {
            pos += 2
            let digits = pos
            while pos < count && text[pos].isHexDigit { pos += 1 }
            if pos == digits { throw error(at: start, "'0x' must be followed by hex digits") }
            isHexOrOctal = true
        } else if c0 == .zero && pos + 1 < count && text[pos + 1].isDigit {
            pos += 1
            while pos < count && text[pos].isOctalDigit { pos += 1 }
            if pos < count && text[pos].isDigit {
                throw error(at: start, "numbers starting with a leading zero are octal and may use digits 0-7 only")
            }
            isHexOrOctal = true
        } else {
            if c0 == .dot {
                isFloat = true
                pos += 1
                skipDigits()
            } else {
                skipDigits()
                if pos < count && text[pos] == .dot {
                    isFloat = true
                    pos += 1
                    skipDigits()
                }
            }
            if pos < count && text[pos] | 0x20 == UInt8(ascii: "e") {
                isFloat = true
                pos += 1
                if pos < count && (text[pos] == .minus || text[pos] == .plus) { pos += 1 }
                guard pos < count && text[pos].isDigit else {
                    throw error(at: start, "expected digits after the exponent 'e' in a number")
                }
                skipDigits()
            }
            if pos < count && text[pos] | 0x20 == UInt8(ascii: "f") {
                isFloat = true
                pos += 1
            }
        }
        if pos < count && text[pos].isLetter {
            throw error(at: pos, "expected a space between a number and an identifier")
        }
        if pos < count && text[pos] == .dot {
            throw error(
                at: pos,
                isFloat
                    ? "a number may have only one decimal point or exponent"
                    : isHexOrOctal ? "hex and octal numbers must be integers" : "unexpected '.' after a number")
        }
        return isFloat ? .float : .integer
    }

    /// Finds the end of a quoted string; escapes are checked when the value is read.
    private mutating func scanString(quote: UInt8) throws {
        let start = pos
        let count = text.count
        pos += 1
        while true {
            guard pos < count else {
                throw error(
                    at: start, "string literal is not terminated (expected a closing \(quote == .quote ? "\"" : "'"))")
            }
            let b = text[pos]
            if b == quote {
                pos += 1
                return
            }
            if b == .newline {
                throw error(at: pos, "string literal cannot cross line boundaries (use \\n for a newline)")
            }
            if b == .backslash && pos + 1 < count && text[pos + 1] != .newline {
                pos += 2
            } else {
                pos += 1
            }
        }
    }

    // MARK: Wire output

    @inline(__always)
    mutating func putVarint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            out.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
    }

    @inline(__always)
    mutating func putTag(_ number: UInt32, _ wire: UInt32) {
        putVarint(UInt64(number) << 3 | UInt64(wire))
    }

    @inline(__always)
    mutating func putFixed32(_ v: UInt32) {
        for i in 0..<4 { out.append(UInt8(truncatingIfNeeded: v >> (8 * UInt32(i)))) }
    }

    @inline(__always)
    mutating func putFixed64(_ v: UInt64) {
        for i in 0..<8 { out.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(i)))) }
    }

    // MARK: Messages

    /// Parses a whole document: the fields of the top-level message, then end of text.
    mutating func parseDocument(_ d: UnsafePointer<ProtobufCMessageDescriptor>) throws {
        try advance()
        try parseFields(d, depth: 0, close: nil, openedAt: 0)
    }

    /// Parses fields up to `close` (or the end of the text for the top-level message).
    private mutating func parseFields(_ d: MessageDescriptor, depth: Int, close: UInt8?, openedAt: Int) throws {
        let fields = d.pointee.fields!
        var seen: UInt64 = 0
        var seenHigh: Set<Int> = []  // field indices from 64 up, for very wide messages
        while true {
            if tok.kind == .end {
                if let close {
                    throw error(
                        at: tok.start,
                        "expected '\(Character(Unicode.Scalar(close)))' to close the \(messageName(d)) message opened at \(locationString(openedAt)), got end of text"
                    )
                }
                break
            }
            if tok.kind == .symbol {
                if let close, text[tok.start] == close {
                    break
                }
                if close == nil && (isSymbol(.closeBrace) || isSymbol(.closeAngle)) {
                    throw error(at: tok.start, "unexpected '\(tokenText(tok))': no message is open here")
                }
                throw unexpected(
                    close.map { "a field name of \(messageName(d)) or '\(Character(Unicode.Scalar($0)))'" }
                        ?? "a field name of \(messageName(d))")
            }
            guard tok.kind == .identifier else {
                throw unexpected("a field name of \(messageName(d))")
            }
            guard let index = fieldIndex(d, tok) else {
                throw error(at: tok.start, unknownFieldMessage(d, tokenText(tok)))
            }
            let field = fields[index]
            let already = index < 64 ? seen & (1 << UInt64(index)) != 0 : seenHigh.contains(index)
            if already && !field.isRepeated {
                throw error(
                    at: tok.start,
                    "non-repeated field '\(field.nameString)' of \(messageName(d)) is specified more than once")
            }
            if index < 64 { seen |= 1 << UInt64(index) } else { seenHigh.insert(index) }
            try advance()
            try parseFieldValue(field, depth: depth)
            if isSymbol(.semicolon) || isSymbol(.comma) { try advance() }
        }
        let closeAt = tok.start
        if close != nil { try advance() }
        try checkRequired(
            d, seen: seen, seenHigh: seenHigh, openedAt: openedAt, closedAt: closeAt, topLevel: close == nil)
    }

    private func checkRequired(
        _ d: MessageDescriptor, seen: UInt64, seenHigh: Set<Int>, openedAt: Int, closedAt: Int, topLevel: Bool
    ) throws {
        let fields = d.pointee.fields!
        var missing: [String] = []
        for i in 0..<Int(d.pointee.n_fields) where fields[i].label == PROTOBUF_C_LABEL_REQUIRED {
            let present = i < 64 ? seen & (1 << UInt64(i)) != 0 : seenHigh.contains(i)
            if !present { missing.append("'\(fields[i].nameString)'") }
        }
        guard !missing.isEmpty else { return }
        let which = missing.count == 1 ? "field" : "fields"
        let what = topLevel ? messageName(d) : "the \(messageName(d)) message opened at \(locationString(openedAt))"
        throw error(at: closedAt, "\(what) is missing required \(which) \(missing.joined(separator: ", "))")
    }

    /// After the field name: `: value`, `: [values]`, or for messages `[:] {...}` / `[:] [{...}, ...]`.
    private mutating func parseFieldValue(_ field: ProtobufCFieldDescriptor, depth: Int) throws {
        if let md = field.messageDescriptor {
            if isSymbol(.colon) { try advance() }
            if isSymbol(.openBracket) {
                try parseList(field) { p in try p.parseMessageValue(field, md, depth: depth) }
            } else {
                try parseMessageValue(field, md, depth: depth)
            }
            return
        }
        guard isSymbol(.colon) else {
            throw unexpected("':' after field name '\(field.nameString)'")
        }
        try advance()
        if isSymbol(.openBracket) {
            try parseList(field) { p in try p.parseScalar(field) }
        } else {
            try parseScalar(field)
        }
    }

    /// `[a, b, c]` (possibly empty) for a repeated field.
    private mutating func parseList(_ field: ProtobufCFieldDescriptor, element: (inout TextParser) throws -> Void)
        throws
    {
        guard field.isRepeated else {
            throw error(
                at: tok.start,
                "field '\(field.nameString)' is not repeated; list syntax [...] is only for repeated fields")
        }
        try advance()
        if isSymbol(.closeBracket) {
            try advance()
            return
        }
        while true {
            try element(&self)
            if isSymbol(.closeBracket) {
                try advance()
                return
            }
            guard isSymbol(.comma) else {
                throw unexpected("',' or ']' in the list of field '\(field.nameString)'")
            }
            try advance()
        }
    }

    /// `{ fields }` or `< fields >`, written as a length-delimited field.
    private mutating func parseMessageValue(_ field: ProtobufCFieldDescriptor, _ md: MessageDescriptor, depth: Int)
        throws
    {
        let close: UInt8
        if isSymbol(.openBrace) {
            close = .closeBrace
        } else if isSymbol(.openAngle) {
            close = .closeAngle
        } else {
            throw unexpected("'{' or '<' to start message field '\(field.nameString)' (\(messageName(md)))")
        }
        let openedAt = tok.start
        guard depth < WireScanner.maxDepth else {
            throw error(
                at: openedAt,
                "messages nested deeper than \(WireScanner.maxDepth) levels (at field '\(field.nameString)')")
        }
        try advance()
        putTag(field.id, 2)
        // One byte for the length, widened afterwards in the rare case it is 128 or more.
        let lengthAt = out.count
        out.append(0)
        try parseFields(md, depth: depth + 1, close: close, openedAt: openedAt)
        let length = out.count - lengthAt - 1
        if length < 0x80 {
            out[lengthAt] = UInt8(length)
        } else {
            var varint: [UInt8] = []
            var v = length
            while v >= 0x80 {
                varint.append(UInt8(truncatingIfNeeded: v) | 0x80)
                v >>= 7
            }
            varint.append(UInt8(v))
            out[lengthAt] = varint[0]
            out.insert(contentsOf: varint[1...], at: lengthAt + 1)
        }
    }

    // MARK: Field lookup

    /// Binary search of `fields_sorted_by_name` for the token's bytes.
    private func fieldIndex(_ d: MessageDescriptor, _ t: Token) -> Int? {
        let m = d.pointee
        guard let sorted = m.fields_sorted_by_name, let fields = m.fields else { return nil }
        var lo = 0
        var hi = Int(m.n_fields) - 1
        while lo <= hi {
            let mid = (lo + hi) / 2
            let index = Int(sorted[mid])
            let c = compare(t, fields[index].name)
            if c == 0 { return index }
            if c < 0 { hi = mid - 1 } else { lo = mid + 1 }
        }
        return nil
    }

    /// strcmp of the token's bytes against a C string.
    private func compare(_ t: Token, _ name: UnsafePointer<CChar>) -> Int {
        var i = 0
        let n = t.end - t.start
        while true {
            let b = UInt8(bitPattern: name[i])
            if i == n { return b == 0 ? 0 : -1 }
            if b == 0 { return 1 }
            let a = text[t.start + i]
            if a != b { return a < b ? -1 : 1 }
            i += 1
        }
    }

    private func unknownFieldMessage(_ d: MessageDescriptor, _ name: String) -> String {
        let names = (0..<Int(d.pointee.n_fields)).map { d.pointee.fields[$0].nameString }
        var message = "unknown field '\(name)' in \(messageName(d))"
        let scored = names.map { ($0, Self.editDistance(name.lowercased(), $0)) }
        if let best = scored.min(by: { $0.1 < $1.1 }), best.1 <= max(1, name.count / 3) {
            message += "; did you mean '\(best.0)'?"
        } else {
            message += "; expected one of: \(names.joined(separator: ", "))"
        }
        return message
    }

    // MARK: Scalars

    /// Reads one scalar value for `field` and writes it with its tag.
    private mutating func parseScalar(_ field: ProtobufCFieldDescriptor) throws {
        let id = field.id
        switch field.type {
        case PROTOBUF_C_TYPE_INT32:
            let v = try parseSigned(field, min: Int64(Int32.min), max: Int64(Int32.max))
            putTag(id, 0)
            putVarint(UInt64(bitPattern: v))
        case PROTOBUF_C_TYPE_SINT32:
            let v = Int32(try parseSigned(field, min: Int64(Int32.min), max: Int64(Int32.max)))
            putTag(id, 0)
            putVarint(UInt64(UInt32(bitPattern: (v << 1) ^ (v >> 31))))
        case PROTOBUF_C_TYPE_SFIXED32:
            let v = Int32(try parseSigned(field, min: Int64(Int32.min), max: Int64(Int32.max)))
            putTag(id, 5)
            putFixed32(UInt32(bitPattern: v))
        case PROTOBUF_C_TYPE_INT64:
            let v = try parseSigned(field, min: Int64.min, max: Int64.max)
            putTag(id, 0)
            putVarint(UInt64(bitPattern: v))
        case PROTOBUF_C_TYPE_SINT64:
            let v = try parseSigned(field, min: Int64.min, max: Int64.max)
            putTag(id, 0)
            putVarint(UInt64(bitPattern: (v << 1) ^ (v >> 63)))
        case PROTOBUF_C_TYPE_SFIXED64:
            let v = try parseSigned(field, min: Int64.min, max: Int64.max)
            putTag(id, 1)
            putFixed64(UInt64(bitPattern: v))
        case PROTOBUF_C_TYPE_UINT32:
            let v = try parseUnsigned(field, max: UInt64(UInt32.max))
            putTag(id, 0)
            putVarint(v)
        case PROTOBUF_C_TYPE_FIXED32:
            let v = try parseUnsigned(field, max: UInt64(UInt32.max))
            putTag(id, 5)
            putFixed32(UInt32(v))
        case PROTOBUF_C_TYPE_UINT64:
            let v = try parseUnsigned(field, max: UInt64.max)
            putTag(id, 0)
            putVarint(v)
        case PROTOBUF_C_TYPE_FIXED64:
            let v = try parseUnsigned(field, max: UInt64.max)
            putTag(id, 1)
            putFixed64(v)
        case PROTOBUF_C_TYPE_FLOAT:
            let v = try parseFloatingPoint(field, single: true)
            putTag(id, 5)
            putFixed32(Float(v).bitPattern)
        case PROTOBUF_C_TYPE_DOUBLE:
            let v = try parseFloatingPoint(field, single: false)
            putTag(id, 1)
            putFixed64(v.bitPattern)
        case PROTOBUF_C_TYPE_BOOL:
            let v = try parseBool(field)
            putTag(id, 0)
            out.append(v ? 1 : 0)
        case PROTOBUF_C_TYPE_ENUM:
            let v = try parseEnum(field)
            putTag(id, 0)
            putVarint(UInt64(bitPattern: Int64(v)))
        case PROTOBUF_C_TYPE_STRING, PROTOBUF_C_TYPE_BYTES:
            try parseStrings(field)
            putTag(id, 2)
            putVarint(UInt64(scratch.count))
            out.append(contentsOf: scratch)
        default:
            throw error(at: tok.start, "field '\(field.nameString)' has a type this reader does not know")
        }
    }

    /// Consumes a leading `-`; returns whether there was one.
    private mutating func consumeMinus() throws -> Bool {
        guard isSymbol(.minus) else { return false }
        try advance()
        return true
    }

    /// The magnitude of an integer token (decimal, `0x` hex or `0` octal); nil when it exceeds 64 bits.
    private func integerMagnitude(_ t: Token) -> UInt64? {
        var i = t.start
        var base: UInt64 = 10
        if t.end - t.start > 1 && text[i] == .zero {
            if text[i + 1] | 0x20 == UInt8(ascii: "x") {
                base = 16
                i += 2
            } else {
                base = 8
                i += 1
            }
        }
        var value: UInt64 = 0
        while i < t.end {
            let digit = UInt64(text[i].hexValue)
            let (m, o1) = value.multipliedReportingOverflow(by: base)
            let (s, o2) = m.addingReportingOverflow(digit)
            if o1 || o2 { return nil }
            value = s
            i += 1
        }
        return value
    }

    private func isHexOrOctal(_ t: Token) -> Bool {
        t.kind == .integer && t.end - t.start > 1 && text[t.start] == .zero
    }

    private func rangeError(_ field: ProtobufCFieldDescriptor, _ shown: String, _ range: String) -> Caffe2Error {
        error(
            at: tok.start,
            "integer \(shown) is out of range for field '\(field.nameString)' (\(field.typeDescription): \(range))")
    }

    private mutating func parseSigned(_ field: ProtobufCFieldDescriptor, min: Int64, max: Int64) throws -> Int64 {
        let minusAt = tok.start
        let negative = try consumeMinus()
        guard tok.kind == .integer else {
            throw unexpected("an integer for field '\(field.nameString)' (\(field.typeDescription))")
        }
        let shown = (negative ? "-" : "") + tokenText(tok)
        let range = "\(min) to \(max)"
        guard let magnitude = integerMagnitude(tok) else {
            throw error(
                at: negative ? minusAt : tok.start,
                "integer \(shown) is out of range for field '\(field.nameString)' (\(field.typeDescription): \(range))")
        }
        let value: Int64
        if negative {
            guard magnitude <= min.magnitude else {
                throw error(
                    at: minusAt,
                    "integer \(shown) is out of range for field '\(field.nameString)' (\(field.typeDescription): \(range))"
                )
            }
            value = Int64(bitPattern: 0 &- magnitude)
        } else {
            guard magnitude <= UInt64(max) else { throw rangeError(field, shown, range) }
            value = Int64(magnitude)
        }
        try advance()
        return value
    }

    private mutating func parseUnsigned(_ field: ProtobufCFieldDescriptor, max: UInt64) throws -> UInt64 {
        if isSymbol(.minus) {
            throw error(
                at: tok.start,
                "expected a non-negative integer for field '\(field.nameString)' (\(field.typeDescription)), got '-'")
        }
        guard tok.kind == .integer else {
            throw unexpected("an integer for field '\(field.nameString)' (\(field.typeDescription))")
        }
        guard let v = integerMagnitude(tok), v <= max else {
            throw rangeError(field, tokenText(tok), "0 to \(max)")
        }
        try advance()
        return v
    }

    /// A float or double value: decimal numbers (optional `f` suffix), `inf`, `infinity`, `nan`.
    private mutating func parseFloatingPoint(_ field: ProtobufCFieldDescriptor, single: Bool) throws -> Double {
        let negative = try consumeMinus()
        var value: Double
        switch tok.kind {
        case .integer, .float:
            if isHexOrOctal(tok) {
                throw error(
                    at: tok.start,
                    "expected a decimal number for field '\(field.nameString)' (\(field.typeDescription)), got \(tokenText(tok)) (hex and octal are for integers)"
                )
            }
            var end = tok.end
            if text[end - 1] | 0x20 == UInt8(ascii: "f") { end -= 1 }
            let s = String(decoding: UnsafeBufferPointer(rebasing: text[tok.start..<end]), as: UTF8.self)
            if single {
                // Parsed as Float directly: correctly rounded, so printed floats read back bit-exactly.
                guard let f = Float(s) else { throw unexpected("a number for field '\(field.nameString)'") }
                value = Double(f)
            } else {
                guard let d = Double(s) else { throw unexpected("a number for field '\(field.nameString)'") }
                value = d
            }
        case .identifier:
            switch tokenText(tok).lowercased() {
            case "inf", "infinity": value = .infinity
            case "nan": value = .nan
            default:
                throw unexpected("a number, 'inf' or 'nan' for field '\(field.nameString)' (\(field.typeDescription))")
            }
        default:
            throw unexpected("a number for field '\(field.nameString)' (\(field.typeDescription))")
        }
        try advance()
        if negative { value = -value }
        return value
    }

    private mutating func parseBool(_ field: ProtobufCFieldDescriptor) throws -> Bool {
        let expected = "true, false, t, f, 1 or 0 for field '\(field.nameString)' (bool)"
        let value: Bool
        switch tok.kind {
        case .identifier:
            switch tokenText(tok) {
            case "true", "True", "t": value = true
            case "false", "False", "f": value = false
            default: throw unexpected(expected)
            }
        case .integer:
            switch integerMagnitude(tok) {
            case 0: value = false
            case 1: value = true
            default: throw unexpected(expected)
            }
        default:
            throw unexpected(expected)
        }
        try advance()
        return value
    }

    private mutating func parseEnum(_ field: ProtobufCFieldDescriptor) throws -> Int32 {
        guard let e = field.enumDescriptor else {
            throw error(at: tok.start, "field '\(field.nameString)' has no enum descriptor")
        }
        if tok.kind == .identifier {
            let name = tokenText(tok)
            guard let v = protobuf_c_enum_descriptor_get_value_by_name(e, name) else {
                let names = (0..<Int(e.pointee.n_values)).map { String(cString: e.pointee.values[$0].name) }
                throw error(
                    at: tok.start,
                    "unknown value '\(name)' for field '\(field.nameString)' (\(field.typeDescription)); expected one of \(names.joined(separator: ", ")) or a number"
                )
            }
            try advance()
            return v.pointee.value
        }
        if tok.kind == .integer || isSymbol(.minus) {
            // Numbers are accepted even without a name, so values from newer schemas survive a round trip.
            return Int32(try parseSigned(field, min: Int64(Int32.min), max: Int64(Int32.max)))
        }
        throw unexpected("an enum value name or number for field '\(field.nameString)' (\(field.typeDescription))")
    }

    /// One or more adjacent string literals, unescaped and concatenated into `scratch`.
    private mutating func parseStrings(_ field: ProtobufCFieldDescriptor) throws {
        guard tok.kind == .string else {
            throw unexpected("a quoted string for field '\(field.nameString)' (\(field.typeDescription))")
        }
        scratch.removeAll(keepingCapacity: true)
        while tok.kind == .string {
            try unescape(from: tok.start + 1, to: tok.end - 1)
            try advance()
        }
    }

    /// C escapes: `\n \t \r \" \' \\ \a \b \f \v \?`, octal `\123`, hex `\x41`, `\u00e9`, `\U0001F600`.
    private mutating func unescape(from start: Int, to end: Int) throws {
        var i = start
        while i < end {
            let b = text[i]
            if b != .backslash {
                scratch.append(b)
                i += 1
                continue
            }
            let escapeAt = i
            i += 1
            guard i < end else { throw error(at: escapeAt, "a string may not end with a lone backslash") }
            let c = text[i]
            i += 1
            switch c {
            case UInt8(ascii: "n"): scratch.append(0x0A)
            case UInt8(ascii: "t"): scratch.append(0x09)
            case UInt8(ascii: "r"): scratch.append(0x0D)
            case UInt8(ascii: "a"): scratch.append(0x07)
            case UInt8(ascii: "b"): scratch.append(0x08)
            case UInt8(ascii: "f"): scratch.append(0x0C)
            case UInt8(ascii: "v"): scratch.append(0x0B)
            case .backslash, .quote, .apostrophe, UInt8(ascii: "?"): scratch.append(c)
            case UInt8(ascii: "0")...UInt8(ascii: "7"):
                var v = UInt32(c &- 0x30)
                var digits = 1
                while digits < 3 && i < end && text[i].isOctalDigit {
                    v = v * 8 + UInt32(text[i] &- 0x30)
                    i += 1
                    digits += 1
                }
                guard v <= 0xFF else {
                    throw error(
                        at: escapeAt, "octal escape \\\(String(v, radix: 8)) is out of range (largest is \\377)")
                }
                scratch.append(UInt8(v))
            case UInt8(ascii: "x"):
                guard i < end && text[i].isHexDigit else {
                    throw error(at: escapeAt, "'\\x' must be followed by one or two hex digits")
                }
                var v = text[i].hexValue
                i += 1
                if i < end && text[i].isHexDigit {
                    v = v * 16 + text[i].hexValue
                    i += 1
                }
                scratch.append(UInt8(v))
            case UInt8(ascii: "u"), UInt8(ascii: "U"):
                let digits = c == UInt8(ascii: "u") ? 4 : 8
                var v = try hexDigits(&i, end: end, count: digits, escapeAt: escapeAt)
                if (0xD800..<0xDC00).contains(v) {
                    // A surrogate pair written as two \u escapes.
                    guard i + 1 < end, text[i] == .backslash, text[i + 1] == UInt8(ascii: "u") else {
                        throw error(at: escapeAt, "unpaired surrogate \\u\(String(v, radix: 16)) in string")
                    }
                    var j = i + 2
                    let low = try hexDigits(&j, end: end, count: 4, escapeAt: i)
                    guard (0xDC00..<0xE000).contains(low) else {
                        throw error(at: escapeAt, "unpaired surrogate \\u\(String(v, radix: 16)) in string")
                    }
                    i = j
                    v = 0x10000 + ((v - 0xD800) << 10) + (low - 0xDC00)
                }
                guard let scalar = Unicode.Scalar(v) else {
                    throw error(at: escapeAt, "\\\(Character(Unicode.Scalar(c))) escape is not a Unicode scalar value")
                }
                scratch.append(contentsOf: String(Character(scalar)).utf8)
            default:
                let shown = c >= 0x20 && c < 0x7F ? String(Character(Unicode.Scalar(c))) : "byte 0x\(hex(c))"
                throw error(
                    at: escapeAt,
                    "invalid escape '\\\(shown)' in string; expected one of \\n \\t \\r \\\" \\' \\\\ \\a \\b \\f \\v \\?, octal \\123 or hex \\x41"
                )
            }
        }
    }

    private func hexDigits(_ i: inout Int, end: Int, count: Int, escapeAt: Int) throws -> UInt32 {
        var v: UInt32 = 0
        for _ in 0..<count {
            guard i < end, text[i].isHexDigit else {
                throw error(at: escapeAt, "expected \(count) hex digits in a \\\(count == 4 ? "u" : "U") escape")
            }
            v = v << 4 | text[i].hexValue
            i += 1
        }
        return v
    }
}

extension TextParser {
    /// Edit distance counting insertions, deletions, substitutions and swaps of neighbours
    /// (optimal string alignment), for "did you mean" suggestions.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a.utf8)
        let b = Array(b.utf8)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var d = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { d[i][0] = i }
        for j in 0...b.count { d[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
                if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                    d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
                }
            }
        }
        return d[a.count][b.count]
    }
}

// MARK: - Writer

/// Prints a protobuf-c message tree through its descriptors.
struct TextWriter {
    var out: [UInt8] = []

    /// Writes every present field of the message at `m`, in field-number order.
    mutating func writeFields(_ m: UnsafeRawPointer, _ d: UnsafePointer<ProtobufCMessageDescriptor>, indent: Int) {
        guard let fields = d.pointee.fields else { return }
        for i in 0..<Int(d.pointee.n_fields) {
            let f = fields[i]
            if f.isRepeated {
                let n = m.load(fromByteOffset: Int(f.quantifier_offset), as: Int.self)
                guard n > 0, let array = m.load(fromByteOffset: Int(f.offset), as: UnsafeRawPointer?.self) else {
                    continue
                }
                let stride = Self.elementSize(f)
                for j in 0..<n { writeField(f, array + j * stride, indent: indent) }
            } else if isPresent(f, m) {
                writeField(f, m + Int(f.offset), indent: indent)
            }
        }
    }

    /// Presence as protobuf-c's packer decides it.
    private func isPresent(_ f: ProtobufCFieldDescriptor, _ m: UnsafeRawPointer) -> Bool {
        if f.flags & UInt32(PROTOBUF_C_FIELD_FLAG_ONEOF.rawValue) != 0 {
            return m.load(fromByteOffset: Int(f.quantifier_offset), as: UInt32.self) == f.id
        }
        let value = m + Int(f.offset)
        switch f.type {
        case PROTOBUF_C_TYPE_STRING, PROTOBUF_C_TYPE_MESSAGE:
            guard let p = value.load(as: UnsafeRawPointer?.self) else { return false }
            return f.label == PROTOBUF_C_LABEL_REQUIRED || p != f.default_value
        default:
            switch f.label {
            case PROTOBUF_C_LABEL_REQUIRED:
                return true
            case PROTOBUF_C_LABEL_OPTIONAL:
                return m.load(fromByteOffset: Int(f.quantifier_offset), as: protobuf_c_boolean.self) != 0
            default:
                // proto3 implicit presence: printed when not zero.
                if f.type == PROTOBUF_C_TYPE_BYTES { return value.load(as: ProtobufCBinaryData.self).len > 0 }
                let size = Self.elementSize(f)
                return (0..<size).contains { value.load(fromByteOffset: $0, as: UInt8.self) != 0 }
            }
        }
    }

    static func elementSize(_ f: ProtobufCFieldDescriptor) -> Int {
        switch f.type {
        case PROTOBUF_C_TYPE_INT64, PROTOBUF_C_TYPE_SINT64, PROTOBUF_C_TYPE_SFIXED64, PROTOBUF_C_TYPE_UINT64,
            PROTOBUF_C_TYPE_FIXED64, PROTOBUF_C_TYPE_DOUBLE:
            return 8
        case PROTOBUF_C_TYPE_STRING, PROTOBUF_C_TYPE_MESSAGE:
            return MemoryLayout<UnsafeRawPointer>.stride
        case PROTOBUF_C_TYPE_BYTES:
            return MemoryLayout<ProtobufCBinaryData>.stride
        case PROTOBUF_C_TYPE_BOOL:
            return MemoryLayout<protobuf_c_boolean>.stride
        default:
            return 4
        }
    }

    private mutating func writeIndent(_ n: Int) {
        for _ in 0..<n { out.append(0x20) }
    }

    private mutating func writeCString(_ p: UnsafePointer<CChar>) {
        var i = 0
        while p[i] != 0 {
            out.append(UInt8(bitPattern: p[i]))
            i += 1
        }
    }

    private mutating func write(_ s: String) { out.append(contentsOf: s.utf8) }

    /// One field value at `p` (the value itself, or the message pointer).
    private mutating func writeField(_ f: ProtobufCFieldDescriptor, _ p: UnsafeRawPointer, indent: Int) {
        if let md = f.messageDescriptor {
            guard let sub = p.load(as: UnsafeRawPointer?.self) else { return }
            writeIndent(indent)
            writeCString(f.name)
            write(" {\n")
            writeFields(sub, md, indent: indent + 2)
            writeIndent(indent)
            write("}\n")
            return
        }
        writeIndent(indent)
        writeCString(f.name)
        write(": ")
        switch f.type {
        case PROTOBUF_C_TYPE_INT32, PROTOBUF_C_TYPE_SINT32, PROTOBUF_C_TYPE_SFIXED32:
            write(String(p.load(as: Int32.self)))
        case PROTOBUF_C_TYPE_INT64, PROTOBUF_C_TYPE_SINT64, PROTOBUF_C_TYPE_SFIXED64:
            write(String(p.load(as: Int64.self)))
        case PROTOBUF_C_TYPE_UINT32, PROTOBUF_C_TYPE_FIXED32:
            write(String(p.load(as: UInt32.self)))
        case PROTOBUF_C_TYPE_UINT64, PROTOBUF_C_TYPE_FIXED64:
            write(String(p.load(as: UInt64.self)))
        case PROTOBUF_C_TYPE_FLOAT:
            write(Self.format(p.load(as: Float.self)))
        case PROTOBUF_C_TYPE_DOUBLE:
            write(Self.format(p.load(as: Double.self)))
        case PROTOBUF_C_TYPE_BOOL:
            write(p.load(as: protobuf_c_boolean.self) != 0 ? "true" : "false")
        case PROTOBUF_C_TYPE_ENUM:
            let v = p.load(as: Int32.self)
            if let e = f.enumDescriptor, let value = protobuf_c_enum_descriptor_get_value(e, Int32(v)) {
                writeCString(value.pointee.name)
            } else {
                write(String(v))
            }
        case PROTOBUF_C_TYPE_STRING:
            out.append(.quote)
            if let s = p.load(as: UnsafePointer<UInt8>?.self) {
                var i = 0
                while s[i] != 0 {
                    appendEscaped(s[i])
                    i += 1
                }
            }
            out.append(.quote)
        case PROTOBUF_C_TYPE_BYTES:
            let b = p.load(as: ProtobufCBinaryData.self)
            out.append(.quote)
            if let data = b.data {
                for i in 0..<b.len { appendEscaped(data[i]) }
            }
            out.append(.quote)
        default:
            write("0")
        }
        out.append(.newline)
    }

    /// C-escapes one byte as Google's `CEscape` does: `\n \r \t \" \' \\`, octal outside printable ASCII.
    @inline(__always)
    private mutating func appendEscaped(_ b: UInt8) {
        switch b {
        case 0x0A: out.append(contentsOf: [.backslash, UInt8(ascii: "n")])
        case 0x0D: out.append(contentsOf: [.backslash, UInt8(ascii: "r")])
        case 0x09: out.append(contentsOf: [.backslash, UInt8(ascii: "t")])
        case .quote, .apostrophe, .backslash: out.append(contentsOf: [.backslash, b])
        case 0x20..<0x7F: out.append(b)
        default:
            out.append(contentsOf: [.backslash, 0x30 + (b >> 6), 0x30 + ((b >> 3) & 7), 0x30 + (b & 7)])
        }
    }
}

extension TextWriter {
    /// The shortest text that reads back as exactly `f`: `1`, `0.1`, `1e-05`, `-0`, `inf`, `nan`.
    ///
    /// Google's C++ reader parses a double and narrows it to float, and some
    /// versions turn anything above `Float.greatestFiniteMagnitude` into
    /// infinity (`3.4028235e+38`, the shortest text of the largest float, is
    /// above it). Where that route would not give the same bits, the float is
    /// printed with the digits of its exact double value instead, which every
    /// reader maps back to the same float.
    static func format(_ f: Float) -> String {
        if f.isNaN { return "nan" }
        if f.isInfinite { return f < 0 ? "-inf" : "inf" }
        var s = trimmedDescription(f.description)
        if let d = Double(s), Float(d).bitPattern != f.bitPattern || d.magnitude > Double(Float.greatestFiniteMagnitude)
        {
            s = trimmedDescription(Double(f).description)
        }
        return s
    }

    /// The shortest text that reads back as exactly `d`.
    static func format(_ d: Double) -> String {
        if d.isNaN { return "nan" }
        if d.isInfinite { return d < 0 ? "-inf" : "inf" }
        return trimmedDescription(d.description)
    }

    /// `"1.0"` → `"1"`, as Google prints whole numbers.
    private static func trimmedDescription(_ s: String) -> String {
        s.hasSuffix(".0") ? String(s.dropLast(2)) : s
    }
}

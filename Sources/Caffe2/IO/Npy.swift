// NumPy's .npy format: a magic string, a version, a Python-literal header
// dict ('descr', 'fortran_order', 'shape') padded to 64 bytes, then the raw
// elements. Specification: numpy/lib/format.py (format versions 1.0, 2.0, 3.0).

/// The header of a `.npy` file: element type, byte order, memory order and shape.
///
/// ```swift
/// let header = try NpyHeader(parsing: bytes)
/// header.descr          // "<f4"
/// header.shape          // [2, 3]
/// header.fortranOrder   // false
/// header.dataOffset     // 128: where the elements start
/// ```
public struct NpyHeader: Equatable, Sendable {
    /// The format version, `(1, 0)`, `(2, 0)` or `(3, 0)`.
    public var version: (major: UInt8, minor: UInt8)
    /// NumPy's type string: byte order (`<`, `>`, `|`, `=`), kind and size, e.g. `"<f4"`.
    public var descr: String
    /// Whether the elements are stored column-major.
    public var fortranOrder: Bool
    /// The dimensions, outermost first (empty for a 0-d array).
    public var shape: [Int64]
    /// The byte offset of the first element.
    public var dataOffset: Int

    /// The six bytes every `.npy` file starts with: `\x93NUMPY`.
    public static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]

    public static func == (a: NpyHeader, b: NpyHeader) -> Bool {
        a.version == b.version && a.descr == b.descr && a.fortranOrder == b.fortranOrder && a.shape == b.shape
            && a.dataOffset == b.dataOffset
    }

    /// Parses the magic string, version and header dict at the start of `bytes`.
    ///
    /// - Throws: ``Caffe2Error`` of kind `.parse` saying what is wrong and at which byte.
    public init(parsing bytes: [UInt8]) throws {
        try self.init(parsing: bytes[...])
    }

    init(parsing bytes: ArraySlice<UInt8>) throws {
        let b = bytes.startIndex
        guard bytes.count >= 8 else {
            throw Caffe2Error(.parse, "not a .npy file: \(bytes.count) bytes is shorter than the 8-byte preamble")
        }
        guard Array(bytes[b..<b + 6]) == Self.magic else {
            let shown = bytes[b..<b + 6].map { String($0, radix: 16) }.joined(separator: " ")
            throw Caffe2Error(.parse, "not a .npy file: bad magic string at byte 0 (found hex \(shown), expected 93 4e 55 4d 50 59 = \"\\x93NUMPY\")")
        }
        let major = bytes[b + 6]
        let minor = bytes[b + 7]
        version = (major, minor)
        let headerLength: Int
        let lengthSize: Int
        switch (major, minor) {
        case (1, 0):
            lengthSize = 2
        case (2, 0), (3, 0):
            lengthSize = 4
        default:
            throw Caffe2Error(.parse, "unsupported .npy format version \(major).\(minor) at byte 6 (this reader knows 1.0, 2.0 and 3.0)")
        }
        guard bytes.count >= 8 + lengthSize else {
            throw Caffe2Error(.parse, ".npy file ends inside the header length field at byte 8 (file has \(bytes.count) bytes)")
        }
        var length = 0
        for k in 0..<lengthSize { length |= Int(bytes[b + 8 + k]) << (8 * k) }
        headerLength = length
        let start = 8 + lengthSize
        guard bytes.count - start >= headerLength else {
            throw Caffe2Error(
                .parse,
                ".npy header is truncated: the header length field says \(headerLength) bytes from byte \(start), but the file has only \(bytes.count - start) more"
            )
        }
        let headerBytes = bytes[(b + start)..<(b + start + headerLength)]
        let text: [Unicode.Scalar]
        if major == 3 {
            text = Array(String(decoding: headerBytes, as: UTF8.self).unicodeScalars)
        } else {
            text = headerBytes.map { Unicode.Scalar($0) }  // latin-1
        }
        var parser = PyLiteralParser(text: text, baseOffset: start)
        let dict = try parser.parseHeaderDict()
        func field(_ key: String) throws -> PyLiteral {
            guard let v = dict.first(where: { $0.0 == key })?.1 else {
                throw Caffe2Error(.parse, ".npy header dict has no '\(key)' key (keys: \(dict.map { "'\($0.0)'" }.joined(separator: ", ")))")
            }
            return v
        }
        for (key, _) in dict where !["descr", "fortran_order", "shape"].contains(key) {
            throw Caffe2Error(.parse, ".npy header dict has an unexpected key '\(key)' (expected 'descr', 'fortran_order', 'shape')")
        }
        guard case .string(let d) = try field("descr") else {
            throw Caffe2Error(
                .parse,
                ".npy header 'descr' is not a type string (structured dtypes are not supported): \(try field("descr"))")
        }
        descr = d
        guard case .bool(let f) = try field("fortran_order") else {
            throw Caffe2Error(.parse, ".npy header 'fortran_order' must be True or False, got \(try field("fortran_order"))")
        }
        fortranOrder = f
        guard case .tuple(let items) = try field("shape") else {
            throw Caffe2Error(.parse, ".npy header 'shape' must be a tuple of integers, got \(try field("shape"))")
        }
        var dims: [Int64] = []
        for item in items {
            guard case .int(let v) = item, v >= 0 else {
                throw Caffe2Error(.parse, ".npy header 'shape' must hold non-negative integers, got \(PyLiteral.tuple(items))")
            }
            dims.append(v)
        }
        shape = dims
        dataOffset = start + headerLength
    }

    /// The element type and whether the bytes are big-endian, for the supported type strings.
    func elementType() throws -> (DataType, bigEndian: Bool) {
        var s = Substring(descr)
        var order: Character = "="
        if let c = s.first, "<>|=".contains(c) {
            order = c
            s = s.dropFirst()
        }
        let type: DataType
        switch s {
        case "f2", "e": type = .float16
        case "f4", "f": type = .float
        case "f8", "d": type = .double
        case "i1", "b": type = .int8
        case "i2", "h": type = .int16
        case "i4", "i": type = .int32
        case "i8", "q": type = .int64
        case "u1", "B": type = .uint8
        case "u2", "H": type = .uint16
        case "b1", "?": type = .bool
        default:
            throw Caffe2Error(
                .dataType,
                ".npy dtype '\(descr)' is not supported (supported: float16 f2, float32 f4, float64 f8, int8 i1, int16 i2, int32 i4, int64 i8, uint8 u1, uint16 u2, bool b1)"
            )
        }
        return (type, order == ">")
    }
}

/// Reading and writing NumPy `.npy` files.
///
/// Reads format versions 1.0, 2.0 and 3.0 with the element types
/// `f2 f4 f8 i1 i2 i4 i8 u1 u2 b1` in either byte order (big-endian data is
/// byte-swapped) and either memory order (Fortran-order data is transposed to
/// row-major). Writes version 1.0 (2.0 when the header needs more than 65,535
/// bytes), little-endian, C order, with the same header bytes as `numpy.save`.
///
/// ```swift
/// let x = try Tensor(npyFile: "input.npy")
/// try y.writeNpy(toFile: "output.npy")
/// let bytes = try Npy.encode(y)             // the file's bytes
/// let back = try Npy.decode(bytes)
/// ```
public enum Npy {
    /// Decodes the bytes of a `.npy` file into a tensor.
    ///
    /// - Throws: ``Caffe2Error`` (`.parse` for a bad magic string, version,
    ///   header dict or a truncated body; `.dataType` for an unsupported dtype),
    ///   naming the byte offset and what was expected.
    public static func decode(_ bytes: [UInt8]) throws -> Tensor {
        let header = try NpyHeader(parsing: bytes)
        let (type, bigEndian) = try header.elementType()
        let count = try Tensor.elementCount(header.shape)
        let esize = type.elementSize!
        let (bodySize, overflow) = count.multipliedReportingOverflow(by: esize)
        let available = bytes.count - header.dataOffset
        guard !overflow, bodySize <= available else {
            throw Caffe2Error(
                .parse,
                ".npy body is truncated: shape \(header.shape) of '\(header.descr)' needs \(bodySize) bytes from byte \(header.dataOffset), the file has \(available)"
            )
        }
        guard bodySize == available else {
            throw Caffe2Error(
                .parse,
                ".npy file has \(available - bodySize) unexpected bytes after the array data (shape \(header.shape) of '\(header.descr)' ends at byte \(header.dataOffset + bodySize))"
            )
        }
        let t = try Tensor.uninitialized(dims: header.shape, dataType: type)
        let dst = t.storage.bytes
        bytes.withUnsafeBytes { raw in
            let src = raw.baseAddress! + header.dataOffset
            if header.fortranOrder && header.shape.count > 1 {
                copyFortranToC(src, dst, dims: header.shape.map { Int($0) }, elementSize: esize)
            } else if bodySize > 0 {
                dst.copyMemory(from: src, byteCount: bodySize)
            }
        }
        if bigEndian && esize > 1 { byteSwap(dst, count: count, elementSize: esize) }
        if type == .bool {
            // Only 0 and 1 are valid Bool bytes; numpy treats any non-zero byte as True.
            let p = dst.assumingMemoryBound(to: UInt8.self)
            for i in 0..<count where p[i] > 1 { p[i] = 1 }
        }
        return t
    }

    /// The bytes of a `.npy` file holding `tensor`: version 1.0 (2.0 for a
    /// header over 65,535 bytes), little-endian, C order, header as `numpy.save` writes it.
    ///
    /// - Throws: ``Caffe2Error`` of kind `.dataType` for string tensors.
    public static func encode(_ tensor: Tensor) throws -> [UInt8] {
        let descr: String
        switch tensor.dataType {
        case .float: descr = "<f4"
        case .double: descr = "<f8"
        case .float16: descr = "<f2"
        case .int8: descr = "|i1"
        case .int16: descr = "<i2"
        case .int32: descr = "<i4"
        case .int64: descr = "<i8"
        case .uint8: descr = "|u1"
        case .uint16: descr = "<u2"
        case .bool: descr = "|b1"
        default:
            throw Caffe2Error(.dataType, "cannot write a \(tensor.dataType) tensor as .npy (numeric and bool tensors only)")
        }
        let shapeRepr: String
        switch tensor.dims.count {
        case 0: shapeRepr = "()"
        case 1: shapeRepr = "(\(tensor.dims[0]),)"
        default: shapeRepr = "(" + tensor.dims.map(String.init).joined(separator: ", ") + ")"
        }
        var dict = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shapeRepr), }"
        // numpy leaves room to grow the first axis in place (GROWTH_AXIS_MAX_DIGITS = 21).
        if let first = tensor.dims.first {
            dict += String(repeating: " ", count: max(0, 21 - String(first).count))
        }
        var headerText = Array(dict.utf8)
        var major: UInt8 = 1
        var lengthSize = 2
        // Pad with spaces and end with a newline so the data starts on a 64-byte boundary.
        func padded(_ lengthSize: Int) -> Int {
            let hlen = headerText.count + 1
            return hlen + (64 - (8 + lengthSize + hlen) % 64)
        }
        if padded(2) > 0xFFFF {
            major = 2
            lengthSize = 4
        }
        let total = padded(lengthSize)
        headerText += Array(repeating: UInt8(ascii: " "), count: total - headerText.count - 1)
        headerText.append(UInt8(ascii: "\n"))
        var out = NpyHeader.magic
        out.reserveCapacity(8 + lengthSize + total + tensor.byteCount)
        out += [major, 0]
        for k in 0..<lengthSize { out.append(UInt8(truncatingIfNeeded: total >> (8 * k))) }
        out += headerText
        tensor.withUnsafeBytes { out += $0 }
        return out
    }

    /// Copies column-major elements at `src` into row-major order at `dst`.
    static func copyFortranToC(
        _ src: UnsafeRawPointer, _ dst: UnsafeMutableRawPointer, dims: [Int], elementSize esize: Int
    ) {
        let rank = dims.count
        let count = dims.reduce(1, *)
        guard count > 0 else { return }
        // Column-major strides in elements.
        var fstride = [Int](repeating: 1, count: rank)
        for k in 1..<rank { fstride[k] = fstride[k - 1] * dims[k - 1] }
        var index = [Int](repeating: 0, count: rank)
        var offset = 0
        let last = rank - 1
        for i in 0..<count {
            (dst + i * esize).copyMemory(from: src + offset * esize, byteCount: esize)
            // Advance the row-major index (last dim fastest) and the column-major offset.
            var k = last
            while k >= 0 {
                index[k] += 1
                offset += fstride[k]
                if index[k] < dims[k] { break }
                offset -= fstride[k] * dims[k]
                index[k] = 0
                k -= 1
            }
        }
    }

    /// Reverses the bytes of every element in place.
    static func byteSwap(_ p: UnsafeMutableRawPointer, count: Int, elementSize: Int) {
        switch elementSize {
        case 2:
            let q = p.assumingMemoryBound(to: UInt16.self)
            for i in 0..<count { q[i] = q[i].byteSwapped }
        case 4:
            let q = p.assumingMemoryBound(to: UInt32.self)
            for i in 0..<count { q[i] = q[i].byteSwapped }
        case 8:
            let q = p.assumingMemoryBound(to: UInt64.self)
            for i in 0..<count { q[i] = q[i].byteSwapped }
        default:
            break
        }
    }
}

extension Tensor {
    /// Reads a tensor from a NumPy `.npy` file (see ``Npy``).
    ///
    /// ```swift
    /// let image = try Tensor(npyFile: "image.npy")   // e.g. float [1, 3, 224, 224]
    /// ```
    ///
    /// - Throws: ``Caffe2Error`` naming the file: `.io` if it cannot be read,
    ///   `.parse` / `.dataType` if it is not a supported `.npy` file.
    public init(npyFile path: String) throws {
        let bytes = try readWholeFile(path)
        do {
            self = try Npy.decode(bytes)
        } catch let e as Caffe2Error {
            throw e.inFile(path)
        }
    }

    /// Writes the tensor to a NumPy `.npy` file, atomically (see ``Npy/encode(_:)``).
    ///
    /// ```swift
    /// try output.writeNpy(toFile: "prob.npy")   // numpy.load("prob.npy")
    /// ```
    public func writeNpy(toFile path: String) throws {
        let bytes: [UInt8]
        do {
            bytes = try Npy.encode(self)
        } catch let e as Caffe2Error {
            throw e.inFile(path)
        }
        try writeFileAtomically(bytes, to: path)
    }
}

// MARK: - The header's Python literal

/// The Python literals a `.npy` header dict may contain.
enum PyLiteral: CustomStringConvertible {
    case string(String)
    case int(Int64)
    case bool(Bool)
    case none
    case tuple([PyLiteral])
    case list([PyLiteral])
    case dict([(String, PyLiteral)])

    var description: String {
        switch self {
        case .string(let s): return "'\(s)'"
        case .int(let v): return String(v)
        case .bool(let b): return b ? "True" : "False"
        case .none: return "None"
        case .tuple(let xs): return "(" + xs.map(\.description).joined(separator: ", ") + (xs.count == 1 ? ",)" : ")")
        case .list(let xs): return "[" + xs.map(\.description).joined(separator: ", ") + "]"
        case .dict(let kv): return "{" + kv.map { "'\($0.0)': \($0.1)" }.joined(separator: ", ") + "}"
        }
    }
}

/// A recursive-descent parser for the subset of Python literals `numpy.save` writes.
struct PyLiteralParser {
    let text: [Unicode.Scalar]
    /// Byte offset of the header text in the file, for messages.
    let baseOffset: Int
    var pos = 0
    var depth = 0

    init(text: [Unicode.Scalar], baseOffset: Int) {
        self.text = text
        self.baseOffset = baseOffset
    }

    func error(_ what: String) -> Caffe2Error {
        Caffe2Error(.parse, ".npy header dict: \(what) at byte \(baseOffset + pos)")
    }

    mutating func skipSpace() {
        while pos < text.count, [" ", "\t", "\n", "\r"].contains(text[pos]) { pos += 1 }
    }

    /// The whole header: one dict with string keys, then only whitespace.
    mutating func parseHeaderDict() throws -> [(String, PyLiteral)] {
        skipSpace()
        guard pos < text.count, text[pos] == "{" else { throw error("expected '{'") }
        guard case .dict(let kv) = try parseValue() else { throw error("expected a dict") }
        skipSpace()
        guard pos == text.count else { throw error("unexpected text after the dict") }
        return kv
    }

    mutating func parseValue() throws -> PyLiteral {
        skipSpace()
        guard pos < text.count else { throw error("unexpected end of header") }
        depth += 1
        defer { depth -= 1 }
        guard depth < 32 else { throw error("nesting too deep") }
        let c = text[pos]
        switch c {
        case "{":
            pos += 1
            var kv: [(String, PyLiteral)] = []
            while true {
                skipSpace()
                if pos < text.count, text[pos] == "}" {
                    pos += 1
                    return .dict(kv)
                }
                guard case .string(let key) = try parseValue() else { throw error("dict keys must be strings") }
                skipSpace()
                guard pos < text.count, text[pos] == ":" else { throw error("expected ':' after key '\(key)'") }
                pos += 1
                let value = try parseValue()
                if kv.contains(where: { $0.0 == key }) { throw error("duplicate key '\(key)'") }
                kv.append((key, value))
                skipSpace()
                guard pos < text.count else { throw error("unterminated dict") }
                if text[pos] == "," {
                    pos += 1
                } else if text[pos] != "}" {
                    throw error("expected ',' or '}' in dict")
                }
            }
        case "(", "[":
            let close: Unicode.Scalar = c == "(" ? ")" : "]"
            pos += 1
            var items: [PyLiteral] = []
            var sawComma = false
            while true {
                skipSpace()
                if pos < text.count, text[pos] == close {
                    pos += 1
                    // `(3)` is just 3 in Python; only `(3,)` is a tuple.
                    if close == ")" && items.count == 1 && !sawComma { return items[0] }
                    return close == ")" ? .tuple(items) : .list(items)
                }
                items.append(try parseValue())
                skipSpace()
                guard pos < text.count else { throw error("unterminated \(c == "(" ? "tuple" : "list")") }
                if text[pos] == "," {
                    pos += 1
                    sawComma = true
                } else if text[pos] != close {
                    throw error("expected ',' or '\(close)'")
                }
            }
        case "'", "\"":
            pos += 1
            var s = ""
            while true {
                guard pos < text.count else { throw error("unterminated string") }
                let ch = text[pos]
                pos += 1
                if ch == c { break }
                if ch == "\\" {
                    guard pos < text.count else { throw error("unterminated string") }
                    let e = text[pos]
                    pos += 1
                    switch e {
                    case "n": s.unicodeScalars.append("\n")
                    case "t": s.unicodeScalars.append("\t")
                    default: s.unicodeScalars.append(e)
                    }
                } else {
                    s.unicodeScalars.append(ch)
                }
            }
            return .string(s)
        default:
            if c == "-" || c == "+" || ("0"..."9").contains(c) {
                let start = pos
                pos += 1
                while pos < text.count, ("0"..."9").contains(text[pos]) { pos += 1 }
                let digits = String(String.UnicodeScalarView(text[start..<pos]))
                // Python 2 numpy wrote long integers with an `L` suffix.
                if pos < text.count, text[pos] == "L" || text[pos] == "l" { pos += 1 }
                guard let v = Int64(digits) else {
                    pos = start
                    throw error("'\(digits)' is not an integer that fits in 64 bits")
                }
                return .int(v)
            }
            var word = ""
            while pos < text.count, text[pos].properties.isAlphabetic || text[pos] == "_" {
                word.unicodeScalars.append(text[pos])
                pos += 1
            }
            switch word {
            case "True": return .bool(true)
            case "False": return .bool(false)
            case "None": return .none
            default:
                if word.isEmpty { throw error("unexpected character '\(c)'") }
                throw error("unexpected name '\(word)'")
            }
        }
    }
}

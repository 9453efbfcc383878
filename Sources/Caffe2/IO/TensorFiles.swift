// Tensors from files (.npy, TensorProto, BlobProto) and from inline generators
// (`zeros:1,3,224,224`), and tensors written back to files. The `caffe2` CLI's
// `--input NAME=VALUE` and `--output NAME=FILE` are built on these.

import Foundation

/// A tensor made from a short description instead of a file.
///
/// The spelling is `KIND:DIMS[:DTYPE][:LOW..HIGH]`:
///
/// | kind | values |
/// |---|---|
/// | `zeros` | all 0 |
/// | `ones` | all 1 |
/// | `range` | 0, 1, 2, … in row-major order (booleans alternate false, true) |
/// | `random` | uniform in `[LOW, HIGH)`, default `[0, 1)` for floating types and `[0, 10)` for integers; seeded |
///
/// `DIMS` are comma-separated (`1,3,224,224`; `x` works too: `1x3x224x224`);
/// empty `DIMS` make a 0-d scalar. `DTYPE` is `float` (the default), `double`,
/// `float16`, `int8`, `int16`, `int32`, `int64`, `uint8`, `uint16` or `bool`
/// (short spellings such as `f32`, `i64`, `u8` also work).
///
/// ```swift
/// let g = try TensorGenerator(parsing: "range:2,3:int64")
/// let t = try g.makeTensor(seed: 0)         // int64 [2, 3] [0, 1, 2, 3, 4, 5]
/// try TensorGenerator(parsing: "random:8:int32:0..2").makeTensor(seed: 7)   // eight 0s and 1s
/// ```
public struct TensorGenerator: Equatable, Sendable, CustomStringConvertible {
    /// What the elements are.
    public enum Kind: String, Sendable, CaseIterable {
        case zeros, ones, range, random
    }

    public var kind: Kind
    public var dims: [Int64]
    public var dataType: DataType
    /// `[low, high)` for ``Kind/random``; `nil` for the type's default.
    public var bounds: (low: Double, high: Double)?

    public static func == (a: TensorGenerator, b: TensorGenerator) -> Bool {
        a.kind == b.kind && a.dims == b.dims && a.dataType == b.dataType && a.bounds?.low == b.bounds?.low
            && a.bounds?.high == b.bounds?.high
    }

    public init(kind: Kind, dims: [Int64], dataType: DataType = .float, bounds: (low: Double, high: Double)? = nil) {
        self.kind = kind
        self.dims = dims
        self.dataType = dataType
        self.bounds = bounds
    }

    /// Whether `text` starts with a generator kind and a colon (`zeros:`, `ones:`, `range:`, `random:`).
    public static func looksLikeGenerator(_ text: String) -> Bool {
        guard let colon = text.firstIndex(of: ":") else { return false }
        return Kind(rawValue: String(text[..<colon])) != nil
    }

    /// Parses `KIND:DIMS[:DTYPE][:LOW..HIGH]`.
    ///
    /// - Throws: ``Caffe2Error`` (`.invalidInput`) saying which part does not parse.
    public init(parsing text: String) throws {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard let kind = Kind(rawValue: parts[0]), parts.count >= 2 else {
            throw Caffe2Error(
                .invalidInput,
                "'\(text)' is not a generator: expected zeros:DIMS, ones:DIMS, range:DIMS or random:DIMS (e.g. zeros:1,3,224,224)")
        }
        self.kind = kind
        dims = try parseDims(parts[1], in: text)
        dataType = .float
        bounds = nil
        var sawType = false
        for part in parts.dropFirst(2) {
            if let r = part.range(of: "..") {
                guard kind == .random else {
                    throw Caffe2Error(.invalidInput, "'\(text)': bounds \(part) only apply to random:")
                }
                guard let lo = Double(part[..<r.lowerBound]), let hi = Double(part[r.upperBound...]), lo < hi,
                    lo.isFinite, hi.isFinite
                else {
                    throw Caffe2Error(.invalidInput, "'\(text)': bounds '\(part)' must be LOW..HIGH with LOW < HIGH (e.g. -1..1)")
                }
                bounds = (lo, hi)
            } else {
                guard !sawType else {
                    throw Caffe2Error(.invalidInput, "'\(text)': more than one element type (\(dataType) and \(part))")
                }
                guard let t = DataType(name: part), t.isTensorType, t != .string else {
                    throw Caffe2Error(
                        .invalidInput,
                        "'\(text)': '\(part)' is not an element type (float, double, float16, int8, int16, int32, int64, uint8, uint16, bool)"
                    )
                }
                dataType = t
                sawType = true
            }
        }
        _ = try Tensor.elementCount(dims)
    }

    public var description: String {
        var s = "\(kind.rawValue):\(dims.map(String.init).joined(separator: ","))"
        if dataType != .float { s += ":\(dataType)" }
        if let b = bounds { s += ":\(b.low)..\(b.high)" }
        return s
    }

    /// Makes the tensor; `random` draws from a generator seeded with `seed`.
    public func makeTensor(seed: UInt64 = 0) throws -> Tensor {
        let n = try Tensor.elementCount(dims)
        var rng = SplitMix64(state: seed)
        let (lo, hi) = bounds ?? (0, dataType.isFloatingPoint ? 1 : 10)
        func value(_ i: Int) -> Double {
            switch kind {
            case .zeros: return 0
            case .ones: return 1
            case .range: return dataType == .bool ? Double(i % 2) : Double(i)
            case .random:
                let u = Double(rng.next() >> 11) * 0x1p-53
                if dataType.isFloatingPoint { return lo + (hi - lo) * u }
                if dataType == .bool { return u < 0.5 ? 0 : 1 }
                // Integers: uniform over the whole numbers in [lo, hi).
                let first = lo.rounded(.up)
                let count = max(1, (hi.rounded(.up) - first))
                return first + (u * count).rounded(.down)
            }
        }
        func fill<T: TensorElement>(_: T.Type) throws -> Tensor {
            try Tensor(dims: dims, values: (0..<n).map { T(fromDouble: value($0)) })
        }
        func fillFloating<T: TensorElement & BinaryFloatingPoint>(_: T.Type) throws -> Tensor {
            // Rounding to a narrower type can reach `hi`; keep random values strictly below it.
            let below = T(hi) > T(lo) ? T(hi).nextDown : T(lo)
            return try Tensor(
                dims: dims, values: (0..<n).map { i -> T in
                    let v = T(fromDouble: value(i))
                    return kind == .random && v >= T(hi) ? below : v
                })
        }
        switch dataType {
        case .float: return try fillFloating(Float.self)
        case .double: return try fillFloating(Double.self)
        case .float16: return try fillFloating(Float16.self)
        case .int8: return try fill(Int8.self)
        case .int16: return try fill(Int16.self)
        case .int32: return try fill(Int32.self)
        case .int64: return try fill(Int64.self)
        case .uint8: return try fill(UInt8.self)
        case .uint16: return try fill(UInt16.self)
        case .bool: return try fill(Bool.self)
        default: throw Caffe2Error(.invalidInput, "cannot generate \(dataType) tensors")
        }
    }
}

/// Parses `1,3,224,224` (or `1x3x224x224`; empty for a 0-d shape).
func parseDims(_ s: String, in whole: String) throws -> [Int64] {
    let trimmed = s.trimmingCharacters(in: .whitespaces)
    if trimmed.isEmpty { return [] }
    let separator: Character = trimmed.contains(",") ? "," : "x"
    var dims: [Int64] = []
    for part in trimmed.split(separator: separator, omittingEmptySubsequences: false) {
        guard let d = Int64(part.trimmingCharacters(in: .whitespaces)), d >= 0 else {
            throw Caffe2Error(
                .invalidInput,
                "'\(whole)': dims '\(s)' must be non-negative integers separated by commas (e.g. 1,3,224,224)")
        }
        dims.append(d)
    }
    return dims
}

extension TensorShape {
    /// Parses `DIMS[:DTYPE]` as the `caffe2 shapes --input` option spells it:
    /// `1,3,224,224`, `1,3,224,224:float`, `64:int32`, `:int64` (0-d).
    ///
    /// ```swift
    /// try TensorShape(spec: "1,3,227,227")       // float [1, 3, 227, 227]
    /// try TensorShape(spec: "64:int32").dataType  // .int32
    /// ```
    public init(spec: String) throws {
        let parts = spec.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count <= 2 else {
            throw Caffe2Error(.invalidInput, "'\(spec)' is not a shape: expected DIMS[:DTYPE], e.g. 1,3,224,224:float")
        }
        let dims = try parseDims(parts[0], in: spec)
        var type = DataType.float
        if parts.count == 2 {
            guard let t = DataType(name: parts[1]), t.isTensorType else {
                throw Caffe2Error(.invalidInput, "'\(spec)': '\(parts[1])' is not an element type (float, double, int32, int64, ...)")
            }
            type = t
        }
        self.init(dims: dims, dataType: type)
    }
}

/// Where a tensor comes from: a file or a generator.
///
/// ```swift
/// try TensorSource(parsing: "image.npy").load()
/// try TensorSource(parsing: "zeros:1,3,227,227").load()
/// try TensorSource(parsing: "random:2,2", ).load(seed: 42)
/// ```
public enum TensorSource: Equatable, Sendable, CustomStringConvertible {
    /// A `.npy`, TensorProto, BlobProto or one-tensor TensorProtos file (binary or text).
    case file(String)
    /// An inline generator.
    case generator(TensorGenerator)

    /// A generator if `text` starts with `zeros:`, `ones:`, `range:` or `random:`, otherwise a file path.
    public init(parsing text: String) throws {
        if TensorGenerator.looksLikeGenerator(text) {
            self = .generator(try TensorGenerator(parsing: text))
        } else {
            guard !text.isEmpty else {
                throw Caffe2Error(.invalidInput, "empty tensor value: give a file (.npy, .pb) or a generator such as zeros:1,3,224,224")
            }
            self = .file(text)
        }
    }

    public var description: String {
        switch self {
        case .file(let p): return p
        case .generator(let g): return g.description
        }
    }

    /// Reads the file or runs the generator (`random` seeded with `seed`).
    public func load(seed: UInt64 = 0) throws -> Tensor {
        switch self {
        case .file(let path): return try TensorFile.read(path)
        case .generator(let g): return try g.makeTensor(seed: seed)
        }
    }
}

/// Reading and writing single tensors in the file formats Caffe2 users meet.
///
/// ```swift
/// let x = try TensorFile.read("input.npy")           // NumPy
/// let w = try TensorFile.read("conv1_w.pb")          // TensorProto or BlobProto, binary or text
/// try TensorFile.write(y, name: "prob", to: "prob.npy")
/// try TensorFile.write(y, name: "prob", to: "prob.pbtxt")   // TensorProto, text
/// ```
public enum TensorFile {
    /// The formats ``write(_:name:to:)`` picks from a file name.
    public enum Format: String, Sendable {
        /// NumPy `.npy`.
        case npy
        /// A binary `TensorProto` (`.pb` and any other extension that is not text).
        case binaryProto
        /// A text `TensorProto` (`.pbtxt`, `.prototxt`, ...).
        case textProto

        /// The format a path's extension implies: `.npy`, text extensions (see
        /// ``ProtoFileFormat/textExtensions``), `.pb`; `nil` for anything else.
        public init?(path: String) {
            let name = path.split(separator: "/").last.map(String.init) ?? path
            guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return nil }
            let ext = name[name.index(after: dot)...].lowercased()
            if ext == "npy" {
                self = .npy
            } else if ext == "pb" {
                self = .binaryProto
            } else if ProtoFileFormat.textExtensions.contains(ext) {
                self = .textProto
            } else {
                return nil
            }
        }
    }

    /// Reads one tensor from a `.npy` file, an MNIST-style IDX file (plain or
    /// gzip-compressed), or from a `TensorProto`, a tensor
    /// `BlobProto` or a `TensorProtos` holding exactly one tensor, in binary or
    /// text format (Caffe2's `--input_file` uses BlobProto files).
    ///
    /// The kind is recognised from the content: `.npy` by its magic string;
    /// then a BlobProto of type `Tensor`, a TensorProtos (in binary only when
    /// it re-encodes to the same bytes, since a TensorProto's bytes can also
    /// decode as one), then a TensorProto. Files named as text are tried as
    /// text first.
    ///
    /// - Throws: ``Caffe2Error`` naming the file and why each kind did not fit.
    public static func read(_ path: String) throws -> Tensor {
        let bytes = try readWholeFile(path)
        if Format(path: path) == .npy || bytes.starts(with: NpyHeader.magic) {
            do {
                return try Npy.decode(bytes)
            } catch let e as Caffe2Error {
                throw e.inFile(path)
            }
        }
        // MNIST-style IDX files, plain or gzip-compressed (`t10k-images-idx3-ubyte.gz`).
        if bytes.starts(with: [0x1F, 0x8B]) || (path.contains("idx") && bytes.starts(with: [0, 0])) {
            return try IDXFile.parse(try IDXFile.gunzipIfNeeded(bytes, path: path), path: path)
        }
        var reasons: [String] = []
        let order: [ProtoFileFormat] = ProtoFileFormat(path: path) == .text ? [.text, .binary] : [.binary, .text]
        do {
            for format in order {
                if let t = try tensor(fromProto: bytes, format: format, reasons: &reasons) { return t }
            }
        } catch let e as Caffe2Error {
            throw e.inFile(path)
        }
        throw Caffe2Error(
            .parse, "not a tensor file (.npy, TensorProto, BlobProto or TensorProtos): \(reasons.joined(separator: "; "))",
            file: path)
    }

    /// The tensor in `bytes` read as a BlobProto, TensorProtos or TensorProto; `nil` if none decodes.
    static func tensor(fromProto bytes: [UInt8], format: ProtoFileFormat, reasons: inout [String]) throws -> Tensor? {
        func decode<M: ProtoMessage>(_: M.Type) -> M? {
            let kind = "\(format) \(M.protoMessageName.dropFirst("caffe2.".count))"
            do {
                switch format {
                case .binary: return try M(serializedBytes: bytes)
                case .text: return try M(textFormat: String(decoding: bytes, as: UTF8.self))
                }
            } catch let e as Caffe2Error {
                reasons.append("as \(kind): \(e.message)")
            } catch {
                reasons.append("as \(kind): \(error)")
            }
            return nil
        }
        if let blob = decode(BlobProto.self) {
            if blob.type == "Tensor", let t = blob.tensor { return try Tensor(proto: t) }
            reasons.append("as \(format) BlobProto: it holds \(blob.type.isEmpty ? "no tensor" : "a '\(blob.type)' blob, not a Tensor")")
        }
        if let protos = decode(TensorProtos.self), !protos.protos.isEmpty,
            format == .text || protos.serializedBytes() == bytes
        {
            guard protos.protos.count == 1 else {
                throw Caffe2Error(
                    .invalidInput,
                    "TensorProtos file holds \(protos.protos.count) tensors (\(protos.protos.map { "'\($0.name)'" }.joined(separator: ", "))); give a file with one tensor"
                )
            }
            return try Tensor(proto: protos.protos[0])
        }
        if let proto = decode(TensorProto.self) { return try Tensor(proto: proto) }
        return nil
    }

    /// Writes `tensor` in the format the extension of `path` names (see
    /// ``Format/init(path:)``), atomically: a failure leaves no file behind.
    /// Proto files hold a `TensorProto` called `name`.
    public static func write(_ tensor: Tensor, name: String, to path: String) throws {
        try writeFileAtomically(try encode(tensor, name: name, for: path), to: path)
    }

    /// The bytes ``write(_:name:to:)`` would write, so several files can be checked before any is written.
    public static func encode(_ tensor: Tensor, name: String, for path: String) throws -> [UInt8] {
        guard let format = Format(path: path) else {
            throw Caffe2Error(
                .invalidInput, "cannot tell the output format from the file name: use .npy, .pb (TensorProto) or .pbtxt",
                file: path)
        }
        do {
            switch format {
            case .npy: return try Npy.encode(tensor)
            case .binaryProto: return tensor.proto(name: name).serializedBytes()
            case .textProto: return Array(tensor.proto(name: name).textFormatString().utf8)
            }
        } catch let e as Caffe2Error {
            throw e.inFile(path)
        }
    }
}

/// SplitMix64: the generators' seeded stream (fixed, so a seed gives the same tensor everywhere).
private struct SplitMix64 {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

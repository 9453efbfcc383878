import Foundation
import Testing

@testable import Caffe2

/// The `.npy` fixtures written by numpy (Scripts/testdata/npy.py) and their manifest.
enum NpyFixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Data/npy").path

    struct Entry: Decodable {
        var dtype: String?
        var shape: [Int64]?
        var values: [String]?
        var descr: String?
        var fortran_order: Bool?
        var version: [UInt8]?
        var error: String?
    }

    struct Manifest: Decodable {
        var numpy: String
        var files: [String: Entry]
    }

    static let manifest: Manifest = {
        let url = URL(fileURLWithPath: directory + "/expected.json")
        do {
            return try JSONDecoder().decode(Manifest.self, from: Data(contentsOf: url))
        } catch {
            fatalError("cannot read \(url.path): \(error); run python3 Scripts/testdata/npy.py")
        }
    }()

    static var readable: [String] { manifest.files.filter { $0.value.error == nil }.keys.sorted() }
    static var rejected: [String] { manifest.files.filter { $0.value.error != nil }.keys.sorted() }
    static var littleEndianV1COrder: [String] {
        manifest.files.filter {
            $0.value.error == nil && $0.value.version == [1, 0] && $0.value.fortran_order == false
                && !($0.value.descr ?? "").hasPrefix(">")
        }.keys.sorted()
    }

    static func bytes(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: directory + "/" + name)))
    }
}

/// Compares a tensor with numpy's values (Python reprs) exactly, bit for bit for floats (NaN as NaN, -0.0 as -0.0).
func expectSameValues(_ t: Tensor, _ expected: [String], _ file: String) throws {
    #expect(t.count == expected.count, "\(file): element count")
    func floats<T: BinaryFloatingPoint & TensorElement>(_: T.Type, _ convert: (Double) -> T) throws {
        let got = try t.values(as: T.self)
        for (i, (g, s)) in zip(got, expected).enumerated() {
            let e = convert(try #require(Double(s), "\(file): bad expected value \(s)"))
            if e.isNaN {
                #expect(g.isNaN, "\(file)[\(i)]: expected nan, got \(g)")
            } else {
                #expect(g == e && g.sign == e.sign, "\(file)[\(i)]: expected \(s), got \(g)")
            }
        }
    }
    func ints<T: FixedWidthInteger & TensorElement>(_: T.Type) throws {
        let got = try t.values(as: T.self)
        let want = try expected.map { try #require(T($0), "\(file): bad expected value \($0)") }
        #expect(got == want, "\(file)")
    }
    switch t.dataType {
    case .float: try floats(Float.self) { Float($0) }
    case .double: try floats(Double.self) { $0 }
    case .float16: try floats(Float16.self) { Float16($0) }
    case .int8: try ints(Int8.self)
    case .int16: try ints(Int16.self)
    case .int32: try ints(Int32.self)
    case .int64: try ints(Int64.self)
    case .uint8: try ints(UInt8.self)
    case .uint16: try ints(UInt16.self)
    case .bool:
        #expect(try t.values(as: Bool.self) == expected.map { $0 == "True" }, "\(file)")
    default:
        Issue.record("\(file): unexpected type \(t.dataType)")
    }
}

@Suite struct NpyTests {
    @Test func fixturesCoverEveryCase() {
        let files = NpyFixtures.manifest.files
        // Every dtype little- and big-endian (1-byte types have no byte order), v1/v2/v3, Fortran, 0-d, empty.
        for code in ["f2", "f4", "f8", "i1", "i2", "i4", "i8", "u1", "u2", "b1"] {
            #expect(files["\(code)_le.npy"] != nil)
        }
        #expect(files.values.contains { $0.version == [2, 0] })
        #expect(files.values.contains { $0.version == [3, 0] })
        #expect(files.values.contains { $0.fortran_order == true && ($0.shape?.count ?? 0) >= 3 })
        #expect(files.values.contains { $0.descr?.hasPrefix(">") == true && $0.fortran_order == true })
        #expect(files.values.contains { $0.shape == [] })
        #expect(files.values.contains { $0.shape?.contains(0) == true })
    }

    @Test(arguments: NpyFixtures.readable)
    func readsWhatNumpyWrote(_ name: String) throws {
        let entry = try #require(NpyFixtures.manifest.files[name])
        let t = try Tensor(npyFile: NpyFixtures.directory + "/" + name)
        #expect(t.dims == entry.shape, "\(name)")
        #expect(t.dataType.description == entry.dtype, "\(name)")
        try expectSameValues(t, try #require(entry.values), name)
        let header = try NpyHeader(parsing: try NpyFixtures.bytes(name))
        #expect(header.descr == entry.descr)
        #expect(header.fortranOrder == entry.fortran_order)
        #expect([header.version.major, header.version.minor] == entry.version)
    }

    /// numpy reads our files: for the cases `numpy.save` writes by default our bytes are identical to numpy's.
    @Test(arguments: NpyFixtures.littleEndianV1COrder)
    func writesTheBytesNumpyWrites(_ name: String) throws {
        let original = try NpyFixtures.bytes(name)
        let t = try Npy.decode(original)
        #expect(try Npy.encode(t) == original, "\(name)")
    }

    /// Big-endian, Fortran-order and v2/v3 files come back as the little-endian C-order v1 file of the same array.
    @Test func normalisesByteOrderMemoryOrderAndVersion() throws {
        let pairs = [
            ("f4_be.npy", "f4_le.npy"), ("i8_be.npy", "i8_le.npy"), ("f2_be.npy", "f2_le.npy"),
            ("u2_be.npy", "u2_le.npy"), ("i2_be.npy", "i2_le.npy"),
        ]
        for (be, le) in pairs {
            let a = try Npy.decode(try NpyFixtures.bytes(be))
            #expect(try Npy.encode(a) == (try NpyFixtures.bytes(le)), "\(be) vs \(le)")
        }
        // Fortran order: element (i, j, k) of a 2x3x4 array written column-major.
        let f = try Npy.decode(try NpyFixtures.bytes("u1_fortran.npy"))
        #expect(f.dims == [2, 3, 4])
        #expect(try f.values(as: UInt8.self) == (0..<24).map { UInt8($0) })
    }

    @Test(arguments: NpyFixtures.rejected)
    func rejectsUnsupportedDtypesClearly(_ name: String) throws {
        let entry = try #require(NpyFixtures.manifest.files[name])
        let path = NpyFixtures.directory + "/" + name
        let error = try #require(throws: Caffe2Error.self) { try Tensor(npyFile: path) }
        #expect(error.description.contains(try #require(entry.error)), "\(error)")
        #expect(error.file == path)
    }

    @Test func roundTripsEveryWritableType() throws {
        let tensors: [Tensor] = [
            try Tensor(dims: [2, 2], values: [1, -2, .infinity, 0.5] as [Float]),
            try Tensor(dims: [3], values: [1e300, -0.0, .nan] as [Double]),
            try Tensor(dims: [1, 2], values: [Float16(1.5), Float16(-65504)]),
            try Tensor(dims: [2], values: [Int8.min, Int8.max]),
            try Tensor(dims: [2], values: [Int16.min, Int16.max]),
            try Tensor(dims: [2], values: [Int32.min, Int32.max]),
            try Tensor(dims: [2], values: [Int64.min, Int64.max]),
            try Tensor(dims: [2], values: [UInt8.min, UInt8.max]),
            try Tensor(dims: [2], values: [UInt16.min, UInt16.max]),
            try Tensor(dims: [3], values: [true, false, true]),
            Tensor(scalar: Float(7)),
            try Tensor(dims: [0, 5], dataType: .int32),
        ]
        for t in tensors {
            let bytes = try Npy.encode(t)
            #expect(bytes.count % 64 == t.byteCount % 64, "data starts on a 64-byte boundary")
            #expect(try Npy.decode(bytes) == t, "\(t)")
        }
    }

    @Test func headerMatchesNumpyByteForByte() throws {
        // numpy.save(np.zeros((2, 3), np.float32)): 118-byte dict + padding, data at byte 128.
        let t = try Tensor(dims: [2, 3], dataType: .float)
        let bytes = try Npy.encode(t)
        #expect(bytes.count == 128 + 24)
        #expect(Array(bytes[0..<10]) == [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, 118, 0])
        let text = String(decoding: bytes[10..<128], as: UTF8.self)
        #expect(text.hasPrefix("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"))
        #expect(text.hasSuffix(" \n"))
    }

    @Test func largeHeaderSwitchesToVersion2() throws {
        // A 30,000-d array of one element needs a header longer than 65,535 bytes.
        let dims = [Int64](repeating: 1, count: 30_000)
        let t = try Tensor(dims: dims, values: [Float(3)])
        let bytes = try Npy.encode(t)
        #expect(bytes[6] == 2 && bytes[7] == 0)
        let back = try Npy.decode(bytes)
        #expect(back == t)
    }

    @Test func stringTensorsCannotBeWritten() throws {
        let t = try Tensor(dims: [1], strings: ["a"])
        let e = try #require(throws: Caffe2Error.self) { try Npy.encode(t) }
        #expect(e.kind == .dataType)
    }

    // MARK: Malformed files

    static let good: [UInt8] = {
        // float32 [3] = [1, 2, 3]
        (try? Npy.encode(Tensor([1, 2, 3] as [Float]))) ?? []
    }()

    static func withHeader(_ dict: String, body: [UInt8] = [], version: UInt8 = 1) -> [UInt8] {
        let text = Array((dict + "\n").utf8)
        var out = NpyHeader.magic + [version, 0]
        if version == 1 {
            out += [UInt8(text.count & 0xFF), UInt8(text.count >> 8)]
        } else {
            out += [UInt8(text.count & 0xFF), UInt8(text.count >> 8), 0, 0]
        }
        return out + text + body
    }

    static let malformed: [(String, [UInt8], String)] = [
        ("empty", [], "shorter than the 8-byte preamble"),
        ("bad magic", Array("PK\u{3}\u{4}abcdefghij".utf8), "bad magic string at byte 0"),
        ("bad version", NpyHeader.magic + [4, 0, 0, 0], "unsupported .npy format version 4.0 at byte 6"),
        ("truncated header", Array(good[0..<40]), "header is truncated"),
        ("truncated body", Array(good.dropLast(5)), "body is truncated: shape [3] of '<f4' needs 12 bytes from byte 128, the file has 7"),
        ("trailing bytes", good + [0, 0, 0, 0], "4 unexpected bytes after the array data"),
        ("not a dict", withHeader("['descr', '<f4']"), "expected '{' at byte 10"),
        ("unterminated dict", withHeader("{'descr': '<f4', 'shape': (3,)"), "unterminated dict"),
        ("missing shape", withHeader("{'descr': '<f4', 'fortran_order': False}"), "has no 'shape' key"),
        ("negative dim", withHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (-3,)}"), "non-negative integers"),
        ("shape is a string", withHeader("{'descr': '<f4', 'fortran_order': False, 'shape': '3'}"), "'shape' must be a tuple"),
        ("fortran_order not bool", withHeader("{'descr': '<f4', 'fortran_order': 0, 'shape': ()}"), "must be True or False"),
        ("extra key", withHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (), 'x': 1}"), "unexpected key 'x'"),
        ("garbage value", withHeader("{'descr': <f4, 'fortran_order': False, 'shape': ()}"), "unexpected character '<' at byte 20"),
        ("unknown name", withHeader("{'descr': '<f4', 'fortran_order': Maybe, 'shape': ()}"), "unexpected name 'Maybe'"),
        ("huge dim", withHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,)}"), "is not an integer that fits in 64 bits"),
        ("too many elements", withHeader("{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296)}"), "more elements than can be stored"),
    ]

    @Test(arguments: malformed.indices)
    func rejectsMalformedBytes(_ i: Int) throws {
        let (what, bytes, message) = Self.malformed[i]
        let e = try #require(throws: Caffe2Error.self, "\(what)") { try Npy.decode(bytes) }
        #expect(e.description.contains(message), "\(what): \(e)")
    }

    @Test func errorsNameTheFile() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("npy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("cut.npy").path
        try Data(Self.good.dropLast(1)).write(to: URL(fileURLWithPath: path))
        let e = try #require(throws: Caffe2Error.self) { try Tensor(npyFile: path) }
        #expect(e.description.hasPrefix(path + ": .npy body is truncated"))
        let missing = try #require(throws: Caffe2Error.self) { try Tensor(npyFile: dir.path + "/nope.npy") }
        #expect(missing.kind == .io && missing.description.contains("No such file"))
    }

    @Test func writeIsAtomicAndLeavesNothingOnFailure() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("npy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("s.npy").path
        #expect(throws: Caffe2Error.self) { try Tensor(dims: [1], strings: ["x"]).writeNpy(toFile: path) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
        let t = try Tensor(dims: [2, 2], values: [1, 2, 3, 4] as [Int64])
        try t.writeNpy(toFile: path)
        #expect(try Tensor(npyFile: path) == t)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["s.npy"])
    }
}

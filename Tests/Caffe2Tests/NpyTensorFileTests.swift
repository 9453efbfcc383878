import Foundation
import Testing

@testable import Caffe2

/// Tensor files (.npy, TensorProto, BlobProto, TensorProtos) and inline generators.
@Suite struct NpyTensorFileTests {
    // MARK: Generators

    @Test func generatorsParseAndFill() throws {
        #expect(try TensorGenerator(parsing: "zeros:1,3,2,2").makeTensor() == (try Tensor(dims: [1, 3, 2, 2], dataType: .float)))
        #expect(try TensorGenerator(parsing: "ones:2x2:int64").makeTensor() == (try Tensor(dims: [2, 2], values: [Int64](repeating: 1, count: 4))))
        #expect(try TensorGenerator(parsing: "range:2,3").makeTensor().values(as: Float.self) == [0, 1, 2, 3, 4, 5])
        #expect(try TensorGenerator(parsing: "range:4:bool").makeTensor().values(as: Bool.self) == [false, true, false, true])
        #expect(try TensorGenerator(parsing: "range:3:u8").makeTensor().values(as: UInt8.self) == [0, 1, 2])
        let scalar = try TensorGenerator(parsing: "ones:").makeTensor()
        #expect(scalar.dims == [])
        #expect(try scalar.values(as: Float.self) == [1])
        let empty = try TensorGenerator(parsing: "zeros:0,4:double").makeTensor()
        #expect(empty.dims == [0, 4] && empty.count == 0 && empty.dataType == .double)
        #expect(try TensorGenerator(parsing: "random:3:f16:-2..2").description == "random:3:float16:-2.0..2.0")
    }

    @Test func randomIsSeededAndBounded() throws {
        let g = try TensorGenerator(parsing: "random:1000")
        let a = try g.makeTensor(seed: 1).values(as: Float.self)
        #expect(try g.makeTensor(seed: 1).values(as: Float.self) == a)
        #expect(try g.makeTensor(seed: 2).values(as: Float.self) != a)
        #expect(a.allSatisfy { $0 >= 0 && $0 < 1 })
        // A uniform sample of 1000: the mean is within 0.05 of 0.5 (about 5.5 standard errors).
        #expect(abs(a.reduce(0, +) / 1000 - 0.5) < 0.05)
        let b = try TensorGenerator(parsing: "random:1000:-3..-1").makeTensor(seed: 3).values(as: Float.self)
        #expect(b.allSatisfy { $0 >= -3 && $0 < -1 })
        // float16 has 11 significant bits: about 1 in 4096 uniform doubles in [0, 1) round up to 1.
        let halves = try TensorGenerator(parsing: "random:20000:float16").makeTensor(seed: 9).values(as: Float16.self)
        #expect(halves.allSatisfy { $0 >= 0 && $0 < 1 })
        #expect(halves.contains(Float16(1).nextDown), "the top of the range is reached")
        let ints = try TensorGenerator(parsing: "random:1000:int32:0..3").makeTensor(seed: 4).values(as: Int32.self)
        #expect(Set(ints) == [0, 1, 2])
        let defaults = try TensorGenerator(parsing: "random:1000:int64").makeTensor(seed: 5).values(as: Int64.self)
        #expect(Set(defaults) == Set(0..<10))
        let bools = try TensorGenerator(parsing: "random:100:bool").makeTensor(seed: 6).values(as: Bool.self)
        #expect(bools.contains(true) && bools.contains(false))
    }

    @Test(arguments: [
        ("zeros", "is not a generator"),
        ("twos:3", "is not a generator"),
        ("zeros:3,-1", "dims '3,-1' must be non-negative integers"),
        ("zeros:3,,4", "must be non-negative integers"),
        ("ones:2:complex64", "'complex64' is not an element type"),
        ("ones:2:string", "'string' is not an element type"),
        ("ones:2:int32:int64", "more than one element type (int32 and int64)"),
        ("range:3:0..1", "bounds 0..1 only apply to random:"),
        ("random:3:2..1", "bounds '2..1' must be LOW..HIGH with LOW < HIGH"),
        ("zeros:4294967296,4294967296", "more elements than can be stored"),
    ])
    func generatorErrors(_ text: String, _ message: String) throws {
        let e = try #require(throws: Caffe2Error.self) { try TensorGenerator(parsing: text) }
        #expect(e.description.contains(message), "\(e)")
    }

    @Test func shapeSpecs() throws {
        #expect(try TensorShape(spec: "1,3,224,224") == TensorShape(dims: [1, 3, 224, 224]))
        #expect(try TensorShape(spec: "64:int32") == TensorShape(dims: [64], dataType: .int32))
        #expect(try TensorShape(spec: ":int64") == TensorShape(dims: [], dataType: .int64))
        #expect(throws: Caffe2Error.self) { try TensorShape(spec: "1,2:float:x") }
        #expect(throws: Caffe2Error.self) { try TensorShape(spec: "1,a") }
        #expect(throws: Caffe2Error.self) { try TensorShape(spec: "3:notatype") }
    }

    @Test func sourcesAreGeneratorsOrFiles() throws {
        #expect(try TensorSource(parsing: "zeros:2") == .generator(TensorGenerator(kind: .zeros, dims: [2])))
        #expect(try TensorSource(parsing: "data/zeros.npy") == .file("data/zeros.npy"))
        #expect(try TensorSource(parsing: "C:/x.npy") == .file("C:/x.npy"))
        #expect(throws: Caffe2Error.self) { try TensorSource(parsing: "") }
    }

    // MARK: Files

    @Test func readsEveryTensorFileKind() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tf-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let t = try Tensor(dims: [2, 2], values: [1, -2, 3.5, 0] as [Float])
        try TensorFile.write(t, name: "t", to: dir + "/t.npy")
        try TensorFile.write(t, name: "t", to: dir + "/t.pb")
        try TensorFile.write(t, name: "t", to: dir + "/t.pbtxt")
        try BlobProto(name: "t", tensor: t.proto(name: "t")).write(toFile: dir + "/blob.pb")
        try BlobProto(name: "t", tensor: t.proto(name: "t")).write(toFile: dir + "/blob.pbtxt")
        try TensorProtos(protos: [t.proto(name: "t")]).write(toFile: dir + "/one.pb")
        // A .npy file without the extension is still recognised by its magic string.
        try Data(try Npy.encode(t)).write(to: URL(fileURLWithPath: dir + "/npy.bin"))
        for f in ["t.npy", "t.pb", "t.pbtxt", "blob.pb", "blob.pbtxt", "one.pb", "npy.bin"] {
            #expect(try TensorFile.read(dir + "/" + f) == t, "\(f)")
        }
        #expect(try String(contentsOfFile: dir + "/t.pbtxt", encoding: .utf8).contains("name: \"t\""))

        try TensorProtos(protos: [t.proto(name: "a"), t.proto(name: "b")]).write(toFile: dir + "/two.pb")
        let two = try #require(throws: Caffe2Error.self) { try TensorFile.read(dir + "/two.pb") }
        #expect(two.description.contains("holds 2 tensors ('a', 'b')"))

        var netBlob = BlobProto()
        netBlob.name = "n"
        netBlob.type = "std::string"
        netBlob.content = Array("x".utf8)
        try netBlob.write(toFile: dir + "/string.pb")
        #expect(throws: Caffe2Error.self) { try TensorFile.read(dir + "/string.pb") }

        try Data("hello {".utf8).write(to: URL(fileURLWithPath: dir + "/junk.pb"))
        let junk = try #require(throws: Caffe2Error.self) { try TensorFile.read(dir + "/junk.pb") }
        #expect(junk.description.hasPrefix(dir + "/junk.pb: not a tensor file (.npy, TensorProto, BlobProto or TensorProtos): as binary BlobProto: "))
        #expect(junk.description.contains("; as binary TensorProto: ") && junk.description.contains("; as text TensorProtos: 1:1: "))

        let missing = try #require(throws: Caffe2Error.self) { try TensorFile.read(dir + "/none.pb") }
        #expect(missing.kind == .io)
    }

    @Test func writeFormatsComeFromTheExtension() throws {
        #expect(TensorFile.Format(path: "a/b.npy") == .npy)
        #expect(TensorFile.Format(path: "b.NPY") == .npy)
        #expect(TensorFile.Format(path: "b.pb") == .binaryProto)
        #expect(TensorFile.Format(path: "b.pbtxt") == .textProto)
        #expect(TensorFile.Format(path: "b.prototxt") == .textProto)
        #expect(TensorFile.Format(path: "b.bin") == nil)
        #expect(TensorFile.Format(path: "npy") == nil)
        let t = Tensor([1, 2] as [Int32])
        let e = try #require(throws: Caffe2Error.self) { try TensorFile.encode(t, name: "t", for: "x.csv") }
        #expect(e.file == "x.csv" && e.description.contains("use .npy, .pb (TensorProto) or .pbtxt"))
        #expect(try TensorProto(serializedBytes: TensorFile.encode(t, name: "t", for: "x.pb")).int32Data == [1, 2])
    }
}

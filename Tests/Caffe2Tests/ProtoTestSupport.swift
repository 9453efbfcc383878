import Foundation
import Testing

@testable import Caffe2

// Shared helpers for the protobuf tests: model files, protoc, seeded random messages.

/// Files and tools the protobuf tests use.
enum ProtoFixtures {
    /// The real model files, relative to the package root (the working directory of `swift test`).
    static let modelsDirectory = "../shared/models"

    static var modelsAvailable: Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: modelsDirectory, isDirectory: &isDirectory)
            && isDirectory.boolValue
    }

    /// Paths of every model file with one of `extensions`, sorted.
    static func models(withExtensions extensions: Set<String>) -> [String] {
        guard modelsAvailable, let e = FileManager.default.enumerator(atPath: modelsDirectory) else { return [] }
        var out: [String] = []
        while let p = e.nextObject() as? String {
            if extensions.contains((p as NSString).pathExtension) { out.append(modelsDirectory + "/" + p) }
        }
        return out.sorted()
    }

    static var binaryModels: [String] { models(withExtensions: ["pb"]) }
    static var textModels: [String] { models(withExtensions: ["pbtxt"]) }

    static func bytes(_ path: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// The package root, found from this file's path.
    static let packageRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// Committed test data under Tests/Caffe2Tests/Data.
    static let dataDirectory = packageRoot + "/Tests/Caffe2Tests/Data"

    static let protoc = findExecutable("protoc")
    static let protocC = findExecutable("protoc-c")

    /// An executable found on PATH, or nil.
    static func findExecutable(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for dir in path.split(separator: ":") {
            let candidate = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Runs a program in the package root with `input` on stdin; returns (status, stdout, stderr).
    static func run(_ executable: String, _ arguments: [String], input: [UInt8] = []) throws -> (
        status: Int32, stdout: [UInt8], stderr: String
    ) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: packageRoot)
        let stdin = Pipe()
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        // Feed stdin and drain stderr on other threads so a large message cannot deadlock on a full pipe.
        let input = Data(input)
        let stdinHandle = stdin.fileHandleForWriting
        Thread {
            stdinHandle.write(input)
            try? stdinHandle.close()
        }.start()
        let errBox = DataBox()
        let errDone = DispatchSemaphore(value: 0)
        let stderrHandle = stderr.fileHandleForReading
        Thread {
            errBox.data = stderrHandle.readDataToEndOfFile()
            errDone.signal()
        }.start()
        let outData = stdout.fileHandleForReading.readDataToEndOfFile()
        errDone.wait()
        process.waitUntilExit()
        return (process.terminationStatus, [UInt8](outData), String(decoding: errBox.data, as: UTF8.self))
    }

    private final class DataBox: @unchecked Sendable {
        var data = Data()
    }

    /// `protoc --decode=caffe2.<type>`: Google's reading of our binary, as Google's text.
    static func protocDecode(_ bytes: [UInt8], as messageName: String) throws -> String {
        guard let protoc else { throw Caffe2Error(.io, "protoc not installed") }
        let r = try run(protoc, ["--decode=\(messageName)", "-I", "Protos", "Protos/caffe2.proto"], input: bytes)
        guard r.status == 0 else { throw Caffe2Error(.parse, "protoc --decode failed: \(r.stderr)") }
        return String(decoding: r.stdout, as: UTF8.self)
    }

    /// `protoc --encode=caffe2.<type>`: Google's reading of our text, as Google's binary.
    static func protocEncode(_ text: String, as messageName: String) throws -> [UInt8] {
        guard let protoc else { throw Caffe2Error(.io, "protoc not installed") }
        let r = try run(
            protoc, ["--encode=\(messageName)", "-I", "Protos", "Protos/caffe2.proto"], input: Array(text.utf8))
        guard r.status == 0 else { throw Caffe2Error(.parse, "protoc --encode failed: \(r.stderr)") }
        return r.stdout
    }
}

enum ProtoExpect {
    /// The same message, compared bit for bit too (Swift's `==` calls -0.0 and 0.0 equal).
    static func identical<M: ProtoMessage>(
        _ a: M, _ b: M, _ comment: Comment? = nil, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(a == b, comment, sourceLocation: sourceLocation)
        #expect(a.serializedBytes() == b.serializedBytes(), comment, sourceLocation: sourceLocation)
    }

    /// Asserts `body` throws a `Caffe2Error` of `kind` whose description contains each of `fragments`.
    @discardableResult
    static func error(
        _ kind: Caffe2Error.Kind, containing fragments: [String], sourceLocation: SourceLocation = #_sourceLocation,
        _ body: () throws -> Void
    ) -> Caffe2Error? {
        do {
            try body()
            Issue.record(
                "expected a Caffe2Error(.\(kind)) containing \(fragments), but nothing was thrown",
                sourceLocation: sourceLocation)
            return nil
        } catch let error as Caffe2Error {
            #expect(error.kind == kind, "\(error)", sourceLocation: sourceLocation)
            for f in fragments {
                #expect(
                    error.description.contains(f), "'\(f)' not in: \(error.description)", sourceLocation: sourceLocation
                )
            }
            return error
        } catch {
            Issue.record("expected a Caffe2Error, got \(error)", sourceLocation: sourceLocation)
            return nil
        }
    }
}

// MARK: - Seeded random messages

/// SplitMix64: a small, fast, seedable generator (the same sequence on every platform).
struct ProtoTestRNG: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Random messages that set every kind of field, with presence, edge values and awkward strings.
///
/// NaN is left out (Swift's `==` is false for NaN); the NaN tests check it by hand.
struct RandomMessageGenerator {
    var rng: ProtoTestRNG
    /// Only enum values with names (Google's text parser rejects unnamed numbers).
    var namedEnumsOnly = false

    init(seed: UInt64, namedEnumsOnly: Bool = false) {
        rng = ProtoTestRNG(seed: seed)
        self.namedEnumsOnly = namedEnumsOnly
    }

    mutating func chance(_ p: Double = 0.5) -> Bool { Double.random(in: 0..<1, using: &rng) < p }
    mutating func count(_ max: Int) -> Int { Int.random(in: 0...max, using: &rng) }

    mutating func string() -> String {
        let pieces = [
            "relu", "gpu_0/conv1_w", "", " ", "\"", "'", "\\", "\n", "\t", "\r", "é", "中文", "😀", "\u{7F}", "\u{1}",
            "a b", "#not a comment", "{", "}", "<", ">", ":", "x\u{10FFFF}",
        ]
        var s = ""
        for _ in 0..<count(4) { s += pieces[Int.random(in: 0..<pieces.count, using: &rng)] }
        return s
    }

    mutating func bytes() -> [UInt8] {
        (0..<count(12)).map { _ in UInt8.random(in: 0...255, using: &rng) }
    }

    mutating func float() -> Float {
        let specials: [Float] = [
            0, -0.0, 1, -1, 0.1, 1e-5, .infinity, -.infinity, .greatestFiniteMagnitude, -.greatestFiniteMagnitude,
            .leastNonzeroMagnitude, .leastNormalMagnitude, 3.4028235e38, 16_777_215, 1e20, 123456.789,
        ]
        if chance(0.3) { return specials[Int.random(in: 0..<specials.count, using: &rng)] }
        while true {
            let f = Float(bitPattern: UInt32.random(in: 0...UInt32.max, using: &rng))
            if !f.isNaN { return f }
        }
    }

    mutating func double() -> Double {
        let specials: [Double] = [
            0, -0.0, 0.1, 1e300, -.infinity, .infinity, .greatestFiniteMagnitude, .leastNonzeroMagnitude, 1 / 3,
        ]
        if chance(0.3) { return specials[Int.random(in: 0..<specials.count, using: &rng)] }
        while true {
            let d = Double(bitPattern: UInt64.random(in: 0...UInt64.max, using: &rng))
            if !d.isNaN { return d }
        }
    }

    mutating func int64() -> Int64 {
        let specials: [Int64] = [0, 1, -1, .max, .min, 127, 128, -129, 1 << 32, Int64(Int32.min)]
        if chance(0.4) { return specials[Int.random(in: 0..<specials.count, using: &rng)] }
        return Int64.random(in: .min ... .max, using: &rng) >> Int64.random(in: 0...63, using: &rng)
    }

    mutating func int32() -> Int32 {
        chance(0.3) ? [0, -1, .max, .min][count(3)] : Int32.random(in: .min ... .max, using: &rng)
    }

    mutating func dataType() -> DataType {
        if !namedEnumsOnly && chance(0.1) { return DataType(rawValue: [11, 99, -5, Int32.max][count(3)]) }
        let named: [Int32] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 13, 14, 15]
        return DataType(rawValue: named[Int.random(in: 0..<named.count, using: &rng)])
    }

    mutating func strings() -> [String] { (0..<count(3)).map { _ in string() } }

    mutating func deviceOption() -> DeviceOption {
        var d = DeviceOption()
        if chance() { d.$deviceType = DeviceType(rawValue: chance() ? 1 : int32()) }
        if chance() { d.$deviceID = int32() }
        if chance() { d.$randomSeed = UInt32.random(in: 0...UInt32.max, using: &rng) }
        if chance() { d.$nodeName = string() }
        if chance() { d.$numaNodeID = int32() }
        d.extraInfo = strings()
        return d
    }

    mutating func tensor() -> TensorProto {
        var t = TensorProto()
        t.dims = (0..<count(4)).map { _ in int64() }
        if chance() { t.$dataType = dataType() }
        if chance(0.3) { t.$dataFormat = UInt32.random(in: 0...UInt32.max, using: &rng) }
        t.floatData = (0..<count(5)).map { _ in float() }
        t.int32Data = (0..<count(3)).map { _ in int32() }
        if chance(0.3) { t.$byteData = bytes() }
        t.stringData = (0..<count(2)).map { _ in bytes() }
        t.doubleData = (0..<count(3)).map { _ in double() }
        t.int64Data = (0..<count(3)).map { _ in int64() }
        if chance(0.3) { t.$rawData = bytes() }
        if chance() { t.$name = string() }
        if chance(0.3) { t.deviceDetail = deviceOption() }
        if chance(0.3) { t.segment = .init(begin: int64(), end: int64()) }
        return t
    }

    mutating func qtensor() -> QTensorProto {
        var q = QTensorProto()
        q.dims = (0..<count(3)).map { _ in int64() }
        q.precision = int32()
        q.scale = double()
        q.bias = double()
        q.isSigned = chance()
        q.data = (0..<count(4)).map { _ in int32() }
        if chance() { q.$name = string() }
        if chance() { q.$dataType = dataType() }
        q.scales = (0..<count(2)).map { _ in double() }
        q.biases = (0..<count(2)).map { _ in double() }
        if chance() { q.$axis = int32() }
        if chance() { q.$isMultiparam = chance() }
        return q
    }

    mutating func argument(depth: Int) -> Argument {
        var a = Argument()
        if chance(0.9) { a.$name = string() }
        if chance(0.3) { a.f = float() }
        if chance(0.3) { a.i = int64() }
        if chance(0.3) { a.s = bytes() }
        if chance(0.15) { a.t = tensor() }
        if depth > 0 && chance(0.2) { a.n = net(depth: depth - 1) }
        a.floats = (0..<count(4)).map { _ in float() }
        a.ints = (0..<count(4)).map { _ in int64() }
        a.strings = (0..<count(2)).map { _ in bytes() }
        if chance(0.2) { a.tensors = (0..<count(2)).map { _ in tensor() } }
        if depth > 0 && chance(0.15) { a.nets = (0..<count(2)).map { _ in net(depth: depth - 1) } }
        if chance(0.15) { a.qtensors = (0..<count(2)).map { _ in qtensor() } }
        return a
    }

    mutating func op(depth: Int) -> OperatorDef {
        var o = OperatorDef()
        o.input = strings()
        o.output = strings()
        if chance() { o.$name = string() }
        if chance(0.9) { o.$type = string() }
        o.arg = (0..<count(3)).map { _ in argument(depth: depth) }
        if chance(0.3) { o.deviceOption = deviceOption() }
        if chance(0.3) { o.engine = string() }
        o.controlInput = chance(0.2) ? strings() : []
        if chance(0.3) { o.$isGradientOp = chance() }
        if chance(0.3) { o.$debugInfo = string() }
        if chance(0.2) { o.$domain = string() }
        if chance(0.2) { o.$opVersion = int64() }
        return o
    }

    mutating func partitionInfo() -> PartitionInfo {
        var p = PartitionInfo(name: string())
        p.deviceID = (0..<count(3)).map { _ in int32() }
        if chance() { p.$extraInfo = string() }
        p.backendOptions = (0..<count(2)).map { _ in
            BackendOptions(
                backendName: string(), option: (0..<count(2)).map { _ in MapFieldEntry(key: string(), val: string()) })
        }
        return p
    }

    mutating func net(depth: Int = 2) -> NetDef {
        var n = NetDef()
        if chance(0.8) { n.$name = string() }
        n.op = (0..<count(4)).map { _ in op(depth: depth) }
        if chance(0.3) { n.type = chance() ? "dag" : string() }
        if chance(0.3) { n.numWorkers = int32() }
        if chance(0.3) { n.deviceOption = deviceOption() }
        n.arg = (0..<count(2)).map { _ in argument(depth: depth) }
        n.externalInput = strings()
        n.externalOutput = strings()
        if chance(0.2) { n.partitionInfo = (0..<count(2)).map { _ in partitionInfo() } }
        return n
    }

    mutating func executionStep(depth: Int) -> ExecutionStep {
        var s = ExecutionStep()
        if chance() { s.$name = string() }
        if depth > 0 { s.substep = (0..<count(2)).map { _ in executionStep(depth: depth - 1) } }
        s.network = strings()
        if chance() { s.$numIter = int64() }
        if chance(0.2) { s.$criteriaNetwork = string() }
        if chance(0.2) { s.$reportNet = string() }
        if chance(0.2) { s.$reportInterval = int32() }
        if chance(0.2) { s.$runEveryMs = int64() }
        if chance(0.2) { s.$concurrentSubsteps = chance() }
        if chance(0.2) { s.$shouldStopBlob = string() }
        if chance(0.2) { s.$onlyOnce = chance() }
        if chance(0.2) { s.$createWorkspace = chance() }
        if chance(0.2) { s.$numConcurrentInstances = int32() }
        return s
    }

    mutating func plan() -> PlanDef {
        var p = PlanDef()
        if chance() { p.$name = string() }
        p.network = (0..<count(2)).map { _ in net(depth: 1) }
        p.executionStep = (0..<count(2)).map { _ in executionStep(depth: 2) }
        return p
    }

    mutating func blob() -> BlobProto {
        var b = BlobProto()
        if chance() { b.$name = string() }
        if chance() { b.$type = string() }
        if chance() { b.tensor = tensor() }
        if chance(0.3) { b.$content = bytes() }
        if chance(0.3) { b.qtensor = qtensor() }
        if chance(0.3) { b.$contentNumChunks = int32() }
        if chance(0.3) { b.$contentChunkID = int32() }
        return b
    }

    mutating func shape() -> TensorShape {
        var s = TensorShape()
        s.dims = (0..<count(4)).map { _ in int64() }
        if chance() { s.$dataType = dataType() }
        s.unknownDims = (0..<count(2)).map { _ in int32() }
        if chance() { s.$unknownShape = chance() }
        if chance() { s.$name = string() }
        return s
    }
}

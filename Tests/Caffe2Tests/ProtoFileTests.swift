import Foundation
import Testing

@testable import Caffe2

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Loading (format detection, errors) and atomic saving of message files.
@Suite struct ProtoFileTests {
    /// A fresh empty directory, removed when `body` returns.
    func withTemporaryDirectory(_ body: (String) throws -> Void) throws {
        let path = NSTemporaryDirectory() + "/caffe2-protofile-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        defer {
            chmod(path, 0o755)
            try? FileManager.default.removeItem(atPath: path)
        }
        try body(path)
    }

    func listing(_ directory: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
    }

    static let sample: NetDef = {
        var net = NetDef(name: "sample")
        net.op = [
            OperatorDef(
                type: "Conv", input: ["X", "W"], output: ["Y"],
                arg: [Argument(name: "kernel", int: 3), Argument(name: "alpha", float: -0.0)])
        ]
        net.externalInput = ["X", "W"]
        net.externalOutput = ["Y"]
        return net
    }()

    @Test func formatFromPath() {
        let cases: [(String, ProtoFileFormat)] = [
            ("init_net.pb", .binary), ("predict_net.pbtxt", .text), ("deploy.prototxt", .text), ("a/b.PBTXT", .text),
            ("x.textproto", .text), ("x.txtpb", .text), ("x.textpb", .text), ("net.pb.txt", .text), ("model", .binary),
            ("dir.pbtxt/model", .binary), (".pbtxt", .binary), ("weights.bin", .binary), ("", .binary),
        ]
        for (path, format) in cases {
            #expect(ProtoFileFormat(path: path) == format, "\(path)")
        }
    }

    @Test func writeAndReadBothFormats() throws {
        try withTemporaryDirectory { dir in
            let binary = dir + "/net.pb"
            let text = dir + "/net.pbtxt"
            try Self.sample.write(toFile: binary)
            try Self.sample.write(toFile: text)
            #expect(try ProtoFixtures.bytes(binary) == Self.sample.serializedBytes())
            #expect(String(decoding: try ProtoFixtures.bytes(text), as: UTF8.self) == Self.sample.textFormatString())
            ProtoExpect.identical(try NetDef(contentsOfFile: binary), Self.sample)
            ProtoExpect.identical(try NetDef(contentsOfFile: text), Self.sample)
            ProtoExpect.identical(try loadProto(NetDef.self, from: text), Self.sample)
            #expect(try listing(dir) == ["net.pb", "net.pbtxt"])
        }
    }

    @Test func explicitFormatOverridesTheExtension() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/net.dat"
            try Self.sample.write(toFile: path, format: .text)
            #expect(try ProtoFixtures.bytes(path) == Array(Self.sample.textFormatString().utf8))
            #expect(try NetDef(contentsOfFile: path, format: .text) == Self.sample)
            ProtoExpect.error(.parse, containing: ["not a binary caffe2.NetDef", "at byte"]) {
                _ = try NetDef(contentsOfFile: path, format: .binary)
            }
            try Self.sample.write(toFile: dir + "/net.pbtxt", format: .binary)
            // The binary starts 0x0A (a newline in text), then 0x06: a control character on line 2.
            ProtoExpect.error(.parse, containing: ["not a text caffe2.NetDef", "2:1", "control character"]) {
                _ = try NetDef(contentsOfFile: dir + "/net.pbtxt", format: .text)
            }
        }
    }

    /// Caffe2's ReadProtoFromFile accepts either format whatever the name; so do we.
    @Test func detectionIgnoresMisleadingNames() throws {
        try withTemporaryDirectory { dir in
            try Self.sample.write(toFile: dir + "/really_binary.pbtxt", format: .binary)
            try Self.sample.write(toFile: dir + "/really_text.pb", format: .text)
            #expect(try NetDef(contentsOfFile: dir + "/really_binary.pbtxt") == Self.sample)
            #expect(try NetDef(contentsOfFile: dir + "/really_text.pb") == Self.sample)
        }
    }

    @Test func otherMessageTypes() throws {
        try withTemporaryDirectory { dir in
            var generator = RandomMessageGenerator(seed: 3)
            let tensor = generator.tensor()
            let plan = generator.plan()
            try tensor.write(toFile: dir + "/t.pb")
            try plan.write(toFile: dir + "/p.pbtxt")
            ProtoExpect.identical(try TensorProto(contentsOfFile: dir + "/t.pb"), tensor)
            ProtoExpect.identical(try PlanDef(contentsOfFile: dir + "/p.pbtxt"), plan)
        }
    }

    @Test func emptyFileIsAnEmptyMessage() throws {
        try withTemporaryDirectory { dir throws in
            _ = FileManager.default.createFile(atPath: dir + "/empty.pb", contents: Data())
            #expect(try NetDef(contentsOfFile: dir + "/empty.pb") == NetDef())
        }
    }

    @Test(.enabled(if: ProtoFixtures.modelsAvailable, "../shared/models is missing: real-model loading skipped"))
    func realModelsLoad() throws {
        for path in ProtoFixtures.binaryModels {
            let direct = try NetDef(serializedBytes: try ProtoFixtures.bytes(path))
            #expect(try NetDef(contentsOfFile: path) == direct, "\(path)")
        }
        for path in ProtoFixtures.textModels {
            let direct = try NetDef(textFormat: String(decoding: try ProtoFixtures.bytes(path), as: UTF8.self))
            #expect(try NetDef(contentsOfFile: path) == direct, "\(path)")
        }
    }

    // MARK: Errors

    @Test func missingFile() {
        let path = "/nonexistent-dir-\(UUID().uuidString)/net.pb"
        let error = ProtoExpect.error(.io, containing: [path, "cannot open file", "No such file or directory"]) {
            _ = try NetDef(contentsOfFile: path)
        }
        #expect(error?.file == path)
    }

    @Test func directoryIsNotAFile() throws {
        try withTemporaryDirectory { dir in
            ProtoExpect.error(.io, containing: [dir, "is a directory"]) { _ = try NetDef(contentsOfFile: dir) }
        }
    }

    /// Neither binary nor text: one error naming the file and both reasons, with byte offset and line:column.
    @Test func neitherBinaryNorText() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/garbage.pb"
            // Binary: an op (field 2) of 80 bytes with 1 byte left. Text: a control character.
            _ = FileManager.default.createFile(atPath: path, contents: Data([0x12, 0x50, 0x7B]))
            let error = ProtoExpect.error(
                .parse,
                containing: [
                    path, "not a caffe2.NetDef in binary or text format", "as binary:", "at byte 1",
                    "as text: 1:1:", "control character",
                ]
            ) { _ = try NetDef(contentsOfFile: path) }
            #expect(error?.file == path)
            // With a text name the text attempt comes first; both are still reported.
            let textPath = dir + "/garbage.pbtxt"
            _ = FileManager.default.createFile(atPath: textPath, contents: Data("op { type: \"Relu\"\n".utf8))
            let textError = ProtoExpect.error(
                .parse, containing: [textPath, "as text: 2:1:", "expected '}'", "as binary:", "at byte"]
            ) {
                _ = try NetDef(contentsOfFile: textPath)
            }
            if let message = textError?.message, let t = message.range(of: "as text"),
                let b = message.range(of: "as binary")
            {
                #expect(t.lowerBound < b.lowerBound)
            }
        }
    }

    @Test func tensorFileLoadedAsNetDef() throws {
        try withTemporaryDirectory { dir in
            var t = TensorProto(name: "w", dims: [2, 3])
            t.floatData = [1, 2, 3, 4, 5, 6]
            try t.write(toFile: dir + "/tensor.pb")
            ProtoExpect.error(.parse, containing: ["tensor.pb", "as binary:", "at byte 0", "wire type", "as text:"]) {
                _ = try NetDef(contentsOfFile: dir + "/tensor.pb")
            }
        }
    }

    // MARK: Atomic writes

    @Test func overwriteReplacesTheWholeFileAndLeavesNoTemporaries() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/net.pbtxt"
            var big = NetDef(name: "big")
            big.externalInput = (0..<1000).map { "input_\($0)" }
            try big.write(toFile: path)
            try Self.sample.write(toFile: path)
            #expect(try NetDef(contentsOfFile: path) == Self.sample)
            #expect(try listing(dir) == ["net.pbtxt"])
        }
    }

    // A bare file name resolves against the working directory (the package root in tests),
    // which another user may not be allowed to write.
    @Test(.enabled(if: access(".", W_OK) == 0, "the working directory is not writable"))
    func relativePathInTheCurrentDirectory() throws {
        let name = "caffe2-protofile-test-\(UUID().uuidString).pb"
        defer { try? FileManager.default.removeItem(atPath: name) }
        try Self.sample.write(toFile: name)
        #expect(try NetDef(contentsOfFile: name) == Self.sample)
    }

    @Test func missingDirectoryFailsCleanly() throws {
        try withTemporaryDirectory { dir throws in
            let path = dir + "/no/such/dir/net.pb"
            ProtoExpect.error(.io, containing: [path, "cannot create a temporary file", "No such file or directory"]) {
                try Self.sample.write(toFile: path)
            }
            #expect(try listing(dir) == [])
        }
    }

    /// The rename fails after the temporary file is written: it is removed and the target survives.
    @Test func failedRenameLeavesTargetAndNoTemporary() throws {
        try withTemporaryDirectory { dir in
            let target = dir + "/net.pb"
            try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: false)
            _ = FileManager.default.createFile(atPath: target + "/keep", contents: Data("precious".utf8))
            ProtoExpect.error(.io, containing: [target, "cannot replace file"]) {
                try Self.sample.write(toFile: target)
            }
            #expect(try listing(dir) == ["net.pb"])
            #expect(try listing(target) == ["keep"])
            #expect(try ProtoFixtures.bytes(target + "/keep") == Array("precious".utf8))
        }
    }

    @Test func emptyPathAndDirectoryPath() throws {
        ProtoExpect.error(.io, containing: ["empty path"]) { try Self.sample.write(toFile: "") }
        try withTemporaryDirectory { dir in
            ProtoExpect.error(.io, containing: ["names a directory"]) { try Self.sample.write(toFile: dir + "/") }
        }
    }

    // Root ignores directory permissions, so this check only means something for other users.
    @Test(.enabled(if: geteuid() != 0, "running as root, which may write into read-only directories"))
    func readOnlyDirectoryKeepsTheOldFile() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/net.pb"
            try Self.sample.write(toFile: path)
            let before = try ProtoFixtures.bytes(path)
            chmod(dir, 0o555)
            defer { chmod(dir, 0o755) }
            ProtoExpect.error(.io, containing: [path, "Permission denied"]) {
                try NetDef(name: "other").write(toFile: path)
            }
            #expect(try ProtoFixtures.bytes(path) == before)
            #expect(try listing(dir) == ["net.pb"])
        }
    }

    @Test func overwriteKeepsPermissions() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/net.pb"
            try Self.sample.write(toFile: path)
            #expect(chmod(path, 0o600) == 0)
            try NetDef(name: "second").write(toFile: path)
            var info = stat()
            #expect(stat(path, &info) == 0)
            #expect(info.st_mode & 0o777 == 0o600)
            #expect(try NetDef(contentsOfFile: path).name == "second")
        }
    }

    /// Text files are read as bytes: raw non-UTF-8 bytes inside a string literal are kept.
    @Test func rawBytesInTextFilesAreKept() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/arg.pbtxt"
            let content: [UInt8] = Array("name: \"x\" s: \"".utf8) + [0xFF, 0xC3, 0xA9] + Array("\"\n".utf8)
            #expect(FileManager.default.createFile(atPath: path, contents: Data(content)))
            let arg = try Argument(contentsOfFile: path)
            #expect(arg.s == [0xFF, 0xC3, 0xA9])
        }
    }

    @Test func newFilesGetTheUsualPermissions() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/net.pb"
            try Self.sample.write(toFile: path)
            var info = stat()
            #expect(stat(path, &info) == 0)
            let mask = umask(0o022)
            umask(mask)
            #expect(info.st_mode & 0o777 == 0o666 & ~mask)
        }
    }
}

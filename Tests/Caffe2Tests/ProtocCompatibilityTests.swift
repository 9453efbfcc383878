import Foundation
import Testing

@testable import Caffe2

/// Cross-checks with Google's implementation through the `protoc` command line.
///
/// Our binary goes into `protoc --decode` and Google's text must read back as the
/// same message; our text goes into `protoc --encode` and Google's bytes must decode
/// as the same message (and equal our own bytes). Needs `protoc` (Debian:
/// protobuf-compiler); without it the suite is reported as skipped.
@Suite(.enabled(if: ProtoFixtures.protoc != nil, "protoc is not installed: Google cross-checks skipped"))
struct ProtocCompatibilityTests {
    /// Both directions for one message.
    static func crossCheck<M: ProtoMessage>(_ message: M, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let ours = message.serializedBytes()
        let googleText = try ProtoFixtures.protocDecode(ours, as: M.protoMessageName)
        ProtoExpect.identical(
            try M(textFormat: googleText), message, "reading protoc's text", sourceLocation: sourceLocation)
        // The line-by-line layout check costs seconds on the multi-megabyte init nets in debug builds;
        // their values are still checked both ways.
        if googleText.utf8.count < 1 << 20 {
            Self.expectSameTextExceptFloatSpelling(
                message.textFormatString(), googleText, sourceLocation: sourceLocation)
        }

        let googleBytes = try ProtoFixtures.protocEncode(message.textFormatString(), as: M.protoMessageName)
        #expect(googleBytes == ours, "protoc's encoding of our text", sourceLocation: sourceLocation)
        ProtoExpect.identical(
            try M(serializedBytes: googleBytes), message, "decoding protoc's bytes", sourceLocation: sourceLocation)
    }

    /// Our writer lays text out as Google's does; only the spelling of floats may differ
    /// (Google prints 6 or 9 significant digits, we print the shortest exact form).
    static func expectSameTextExceptFloatSpelling(
        _ ours: String, _ google: String, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let a = ours.split(separator: "\n", omittingEmptySubsequences: false)
        let b = google.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(a.count == b.count, "line counts differ", sourceLocation: sourceLocation)
        var shown = 0
        for (x, y) in zip(a, b) where x != y {
            let sameNumber: Bool = {
                guard let cx = x.range(of: ": "), let cy = y.range(of: ": "), x[..<cx.lowerBound] == y[..<cy.lowerBound]
                else { return false }
                guard let fx = Self.number(x[cx.upperBound...]), let fy = Self.number(y[cy.upperBound...]) else {
                    return false
                }
                return fx == fy || Float(fx) == Float(fy)
            }()
            if !sameNumber && shown < 5 {
                shown += 1
                Issue.record("text differs: ours '\(x)', protoc '\(y)'", sourceLocation: sourceLocation)
            }
        }
    }

    static func number(_ s: Substring) -> Double? {
        switch s {
        case "inf": return .infinity
        case "-inf": return -.infinity
        default: return Double(s)
        }
    }

    @Test(
        .enabled(if: ProtoFixtures.modelsAvailable, "../shared/models is missing: real-model cross-checks skipped"),
        arguments: ProtoFixtures.binaryModels)
    func binaryModels(_ path: String) throws {
        try Self.crossCheck(try NetDef(serializedBytes: try ProtoFixtures.bytes(path)))
    }

    /// Google's parser and ours agree on every real text file.
    @Test(
        .enabled(if: ProtoFixtures.modelsAvailable, "../shared/models is missing: real-model cross-checks skipped"),
        arguments: ProtoFixtures.textModels)
    func textModels(_ path: String) throws {
        let text = String(decoding: try ProtoFixtures.bytes(path), as: UTF8.self)
        let ours = try NetDef(textFormat: text)
        let googleBytes = try ProtoFixtures.protocEncode(text, as: NetDef.protoMessageName)
        ProtoExpect.identical(try NetDef(serializedBytes: googleBytes), ours)
        #expect(ours.serializedBytes() == googleBytes)
        try Self.crossCheck(ours)
    }

    @Test(arguments: 0..<40)
    func randomNetDefs(seed: UInt64) throws {
        var generator = RandomMessageGenerator(seed: 50_000 + seed, namedEnumsOnly: true)
        try Self.crossCheck(generator.net(depth: 2))
    }

    @Test(arguments: 0..<10)
    func randomOtherMessages(seed: UInt64) throws {
        var generator = RandomMessageGenerator(seed: 60_000 + seed, namedEnumsOnly: true)
        try Self.crossCheck(generator.tensor())
        try Self.crossCheck(generator.qtensor())
        try Self.crossCheck(TensorShapes(shapes: [generator.shape()]))
        try Self.crossCheck(generator.plan())
        try Self.crossCheck(generator.blob())
    }

    /// Hand-written text in every syntax variant: Google and we read the same message.
    @Test func syntaxVariantsAgreeWithGoogle() throws {
        let text = #"""
            # comment
            name: "n" 'm' "\x41\101\n\t\"\'\\\a\b\f\v\?"
            op < type: "A"; arg { name: "f" f: -1.5e-3f } arg { name: "i" i: 0x1F } arg { name: "o" i: -017 } >
            op: { type: "B", arg [{ name: "l" ints: [1, 2, 3] floats: [inf, -inf, 2.5, 1e10, 7] }] }
            num_workers: -4
            external_input: ["a", "b"]
            arg { name: "n" n { name: "sub" op { is_gradient_op: t } } }
            device_option { random_seed: 4294967295 device_type: 1 }
            """#
        let ours = try NetDef(textFormat: text)
        let google = try NetDef(serializedBytes: try ProtoFixtures.protocEncode(text, as: NetDef.protoMessageName))
        ProtoExpect.identical(ours, google)
    }

    @Test func edgeFloatsAgreeWithGoogle() throws {
        var arg = Argument(name: "edges")
        arg.floats = [
            .greatestFiniteMagnitude, -.greatestFiniteMagnitude, .leastNonzeroMagnitude, .leastNormalMagnitude,
            Float(bitPattern: 0x7F7F_FFFE), 0.1, 1.0e-7, 16_777_215, -0.0,
        ]
        try Self.crossCheck(arg)
    }

    /// The committed protoc-c output is what Scripts/generate-protos.sh makes from Protos/caffe2.proto.
    @Test(.enabled(if: ProtoFixtures.protocC != nil, "protoc-c is not installed: generated-code check skipped"))
    func generatedCodeIsUpToDate() throws {
        let tmp = NSTemporaryDirectory() + "/caffe2-protoc-c-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: tmp, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let result = try ProtoFixtures.run("/bin/bash", ["Scripts/generate-protos.sh", tmp])
        #expect(result.status == 0, "generate-protos.sh failed: \(result.stderr)")
        for file in ["caffe2.pb-c.c", "include/caffe2.pb-c.h"] {
            let committed = try ProtoFixtures.bytes(ProtoFixtures.packageRoot + "/Sources/CCaffe2Proto/" + file)
            let fresh = try ProtoFixtures.bytes(tmp + "/" + file)
            #expect(fresh == committed, "Sources/CCaffe2Proto/\(file) is stale: run Scripts/generate-protos.sh")
        }
    }
}

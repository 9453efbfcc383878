import Foundation
import Testing

@testable import Caffe2

/// The text format reader and writer, on hand-written inputs with exact expected values.
@Suite struct TextFormatTests {
    // MARK: Syntax

    @Test func commentsAndSeparators() throws {
        let text = """
            # a comment on its own line
            name: "n"   # a comment after a field
            external_input: "a", external_input: "b"; external_output: "c"
            #last line without newline
            """
        var expected = NetDef(name: "n")
        expected.externalInput = ["a", "b"]
        expected.externalOutput = ["c"]
        #expect(try NetDef(textFormat: text) == expected)
    }

    @Test func whitespaceOfEveryKindAndByteOrderMark() throws {
        let text = "\u{FEFF}name:\t\"n\"\r\nop\u{0B}{\u{0C}type:\"A\"}\r\n"
        var expected = NetDef(name: "n")
        expected.op = [OperatorDef(type: "A")]
        #expect(try NetDef(textFormat: text) == expected)
    }

    @Test func messageBracesAndOptionalColon() throws {
        let text = #"op { type: "A" } op < type: "B" > op: { type: "C" } op: < type: "D" > op{type:"E"}"#
        let net = try NetDef(textFormat: text)
        #expect(net.op.map(\.type) == ["A", "B", "C", "D", "E"])
    }

    @Test func nestedBracesMayMix() throws {
        let net = try NetDef(textFormat: #"op < arg { name: "k" i: 3 } type: "Conv" >"#)
        #expect(net.op == [OperatorDef(type: "Conv", arg: [Argument(name: "k", int: 3)])])
    }

    @Test func listSyntaxForScalarsAndMessages() throws {
        let text = """
            external_input: ["a", "b"]
            external_input: "c"
            external_output: []
            arg { name: "x" ints: [1, -2, 0x10, 010] floats: [1.5, -inf, 2] strings: ["p" "q", 'r'] }
            op [ { type: "A" }, < type: "B" > ]
            op: [{ type: "C" }]
            op []
            """
        let net = try NetDef(textFormat: text)
        #expect(net.externalInput == ["a", "b", "c"])
        #expect(net.externalOutput == [])
        #expect(net.arg.count == 1)
        #expect(net.arg[0].ints == [1, -2, 16, 8])
        #expect(net.arg[0].floats == [1.5, -.infinity, 2])
        #expect(net.arg[0].strings == [Array("pq".utf8), Array("r".utf8)])
        #expect(net.op.map(\.type) == ["A", "B", "C"])
    }

    @Test func repeatedFieldsAccumulateInOrder() throws {
        let net = try NetDef(
            textFormat: #"external_input: "a" name: "n" external_input: "b" external_input: ["c", "d"]"#)
        #expect(net.externalInput == ["a", "b", "c", "d"])
    }

    // MARK: Strings

    @Test func simpleEscapes() throws {
        let arg = try Argument(textFormat: #"s: "\n\t\r\"\'\\\a\b\f\v\?""#)
        #expect(arg.s == [10, 9, 13, 34, 39, 92, 7, 8, 12, 11, 63])
    }

    @Test func octalAndHexEscapes() throws {
        #expect(try Argument(textFormat: #"s: "\101\60\0\377\1234""#).s == [65, 48, 0, 255, 0o123, 0x34])
        #expect(try Argument(textFormat: #"s: "\x41\x4a\x7\xffg""#).s == [0x41, 0x4A, 0x07, 0xFF, 0x67])
    }

    @Test func unicodeEscapesAndRawUTF8() throws {
        #expect(try Argument(textFormat: #"s: "\u00e9\U0001F600\ud83d\ude00""#).s == Array("é😀😀".utf8))
        #expect(try Argument(textFormat: "s: \"中文 é\"").s == Array("中文 é".utf8))
        #expect(try NetDef(textFormat: "name: \"caf\\303\\251\"").name == "café")
    }

    @Test func singleQuotesAndConcatenation() throws {
        #expect(try Argument(textFormat: #"s: 'say "hi"'"#).s == Array(#"say "hi""#.utf8))
        #expect(try Argument(textFormat: #"s: "a" 'b'   "c""#).s == Array("abc".utf8))
        #expect(try NetDef(textFormat: "name: \"multi\"\n  \"line\"").name == "multiline")
        #expect(try Argument(textFormat: #"s: """#).s == [])
    }

    @Test func emptyStringIsPresent() throws {
        let op = try OperatorDef(textFormat: #"name: "" type: "Relu""#)
        #expect(op.$name == "")
        #expect(try OperatorDef(textFormat: #"type: "Relu""#).$name == nil)
    }

    // MARK: Numbers

    @Test func floats() throws {
        let cases: [(String, Float)] = [
            ("1.5e3", 1500), ("-2.5E-2", -0.025), (".5", 0.5), ("5.", 5), ("1e10f", 1e10), ("2F", 2), ("3", 3),
            ("0.1", 0.1), ("1.5f", 1.5), ("-7", -7), ("1e-45", .leastNonzeroMagnitude), ("1e50", .infinity),
            ("inf", .infinity), ("-inf", -.infinity), ("Infinity", .infinity), ("-INFINITY", -.infinity),
            ("INF", .infinity), ("- 4", -4), ("0.5", 0.5), ("3.4028234663852886e+38", .greatestFiniteMagnitude),
        ]
        for (text, value) in cases {
            let arg = try Argument(textFormat: "f: \(text)")
            #expect(arg.f?.bitPattern == value.bitPattern, "f: \(text) gave \(String(describing: arg.f))")
        }
    }

    @Test func nanAndNegativeZero() throws {
        for text in ["nan", "NaN", "NAN", "-nan"] {
            #expect(try Argument(textFormat: "f: \(text)").f?.isNaN == true)
        }
        let zero = try Argument(textFormat: "f: -0 floats: [-0.0, 0]")
        #expect(zero.f?.bitPattern == (-0.0 as Float).bitPattern)
        #expect(zero.floats.map(\.bitPattern) == [(-0.0 as Float).bitPattern, 0])
    }

    @Test func doubles() throws {
        let q = try QTensorProto(
            textFormat:
                "precision: 8 scale: 0.1 bias: -1e300 is_signed: true scales: [4.9e-324, inf, -0.0, 12345678901234567890]"
        )
        #expect(q.scale == 0.1)
        #expect(q.bias == -1e300)
        let expected: [Double] = [.leastNonzeroMagnitude, .infinity, -0.0, 12_345_678_901_234_567_168]
        #expect(q.scales.map(\.bitPattern) == expected.map(\.bitPattern))
    }

    @Test func integersInEveryBase() throws {
        let cases: [(String, Int64)] = [
            ("0", 0), ("42", 42), ("-42", -42), ("0x1F", 31), ("0X1f", 31), ("017", 15), ("-017", -15),
            ("0x7fffffffffffffff", .max), ("-0x8000000000000000", .min), ("9223372036854775807", .max),
            ("-9223372036854775808", .min), ("00", 0),
        ]
        for (text, value) in cases {
            #expect(try Argument(textFormat: "i: \(text)").i == value, "i: \(text)")
        }
    }

    @Test func integerWidths() throws {
        let d = try DeviceOption(
            textFormat:
                "device_type: -2147483648 device_id: 2147483647 random_seed: 4294967295 numa_node_id: 0x7fffffff")
        #expect(d.deviceType.rawValue == Int32.min)
        #expect(d.deviceID == Int32.max)
        #expect(d.randomSeed == UInt32.max)
        #expect(d.numaNodeID == Int32.max)
        #expect(try TensorProto(textFormat: "data_format: 0xffffffff").dataFormat == UInt32.max)
    }

    @Test func bools() throws {
        let cases: [(String, Bool)] = [
            ("true", true), ("false", false), ("t", true), ("f", false), ("1", true), ("0", false), ("True", true),
            ("False", false),
        ]
        for (text, value) in cases {
            let op = try OperatorDef(textFormat: "is_gradient_op: \(text)")
            #expect(op.$isGradientOp == value, "is_gradient_op: \(text)")
        }
    }

    @Test func enumsByNameAndNumber() throws {
        #expect(try TensorProto(textFormat: "data_type: INT64").dataType == .int64)
        #expect(try TensorProto(textFormat: "data_type: 10").dataType == .int64)
        #expect(try TensorProto(textFormat: "data_type: 0xd").dataType == .double)
        // A number without a name (from a newer schema) is kept and printed back as a number.
        let unknown = try TensorProto(textFormat: "data_type: 99")
        #expect(unknown.dataType.rawValue == 99)
        #expect(unknown.textFormatString() == "data_type: 99\n")
        #expect(try TensorShape(textFormat: "data_type: FLOAT16").dataType == .float16)
    }

    // MARK: Nesting and presence

    @Test func nestedArgumentNets() throws {
        let text = """
            op {
              type: "If"
              arg {
                name: "then_net"
                n {
                  name: "then"
                  op { type: "Relu" arg { name: "deeper" n { op { type: "Deep" } } } }
                }
              }
              arg { name: "branches" nets { name: "a" } nets < name: "b" > }
            }
            """
        let net = try NetDef(textFormat: text)
        let thenNet = try #require(net.op.first?.argument(named: "then_net")?.n)
        #expect(thenNet.name == "then")
        #expect(thenNet.op.first?.argument(named: "deeper")?.n?.op.first?.type == "Deep")
        #expect(net.op.first?.argument(named: "branches")?.nets.map(\.name) == ["a", "b"])
    }

    @Test func emptyMessagesArePresent() throws {
        let op = try OperatorDef(textFormat: "device_option {} type: \"X\"")
        #expect(op.deviceOption == DeviceOption())
        #expect(try OperatorDef(textFormat: "type: \"X\"").deviceOption == nil)
        #expect(op.textFormatString() == "type: \"X\"\ndevice_option {\n}\n")
    }

    @Test func emptyTextIsAnEmptyMessage() throws {
        #expect(try NetDef(textFormat: "") == NetDef())
        #expect(try NetDef(textFormat: "  \n# only a comment\n") == NetDef())
    }

    @Test func requiredFieldsOfNestedMessages() throws {
        let t = try TensorProto(textFormat: "segment { begin: 0 end: 6 }")
        #expect(t.segment == TensorProto.Segment(begin: 0, end: 6))
        let q = try QTensorProto(textFormat: "precision: 8 scale: 0.5 bias: 0 is_signed: false")
        #expect(q.precision == 8 && q.scale == 0.5 && q.bias == 0 && !q.isSigned)
    }

    @Test func editDistanceCountsSwapsAsOne() {
        #expect(TextParser.editDistance("nmae", "name") == 1)
        #expect(TextParser.editDistance("kitten", "sitting") == 3)
        #expect(TextParser.editDistance("", "ab") == 2)
        #expect(TextParser.editDistance("externalinput", "external_input") == 1)
    }

    // MARK: Writer

    @Test func writerLayout() {
        var net = NetDef(name: "net")
        var op = OperatorDef(type: "Conv", input: ["X", "W"], output: ["Y"], name: "")
        var arg = Argument(name: "every")
        arg.f = 0.1
        arg.i = -3
        arg.s = Array("a\"b'c\\d\ne\tf\r".utf8) + [0, 0x7F, 0xC3, 0xA9]
        arg.floats = [1, -0.0, .infinity, -.infinity, .nan, 1e-5, .greatestFiniteMagnitude]
        arg.ints = [Int64.min]
        arg.strings = [[], [1]]
        arg.n = NetDef(name: "sub")
        arg.t = TensorProto(name: "t", dims: [2], dataType: .int64)
        op.arg = [arg]
        op.deviceOption = DeviceOption(deviceType: .cuda, deviceID: 1)
        op.isGradientOp = true
        net.op = [op]
        net.externalInput = ["X"]
        let expected = #"""
            name: "net"
            op {
              input: "X"
              input: "W"
              output: "Y"
              name: ""
              type: "Conv"
              arg {
                name: "every"
                f: 0.1
                i: -3
                s: "a\"b\'c\\d\ne\tf\r\000\177\303\251"
                floats: 1
                floats: -0
                floats: inf
                floats: -inf
                floats: nan
                floats: 1e-05
                floats: 3.4028234663852886e+38
                ints: -9223372036854775808
                strings: ""
                strings: "\001"
                n {
                  name: "sub"
                }
                t {
                  dims: 2
                  data_type: INT64
                  name: "t"
                }
              }
              device_option {
                device_type: 1
                device_id: 1
              }
              is_gradient_op: true
            }
            external_input: "X"

            """#
        #expect(net.textFormatString() == expected)
    }

    @Test func writerOrdersFieldsByNumber() {
        // Argument declares n = 8 before floats = 5; the writer follows the numbers.
        var arg = Argument(name: "a")
        arg.n = NetDef()
        arg.floats = [2]
        arg.i = 1
        #expect(arg.textFormatString() == "name: \"a\"\ni: 1\nfloats: 2\nn {\n}\n")
        #expect(NetDef().textFormatString() == "")
    }

    @Test func floatFormatting() {
        let cases: [(Float, String)] = [
            (1, "1"), (0.1, "0.1"), (1e-5, "1e-05"), (-0.0, "-0"), (.infinity, "inf"), (-.infinity, "-inf"),
            (.nan, "nan"), (-Float.nan, "nan"), (16_777_216, "16777216"), (1e20, "1e+20"), (123456.79, "123456.79"),
            (.leastNonzeroMagnitude, "1e-45"), (.greatestFiniteMagnitude, "3.4028234663852886e+38"),
            (-.greatestFiniteMagnitude, "-3.4028234663852886e+38"),
        ]
        for (value, text) in cases {
            #expect(TextWriter.format(value) == text)
        }
        #expect(TextWriter.format(0.1) == "0.1")
        #expect(TextWriter.format(1e300) == "1e+300")
        #expect(TextWriter.format(-0.0) == "-0")
        #expect(TextWriter.format(Double.leastNonzeroMagnitude) == "5e-324")
    }

    /// Every printed float reads back to the same bits, in our reader and through Google's
    /// route (parse as double, narrow to float).
    @Test func floatsRoundTripBitExactly() throws {
        var rng = ProtoTestRNG(seed: 7)
        var values: [Float] = [.greatestFiniteMagnitude, .leastNonzeroMagnitude, .leastNormalMagnitude, 3.4028233e38]
        for _ in 0..<20_000 {
            let f = Float(bitPattern: UInt32.random(in: 0...UInt32.max, using: &rng))
            if !f.isNaN { values.append(f) }
        }
        var arg = Argument(name: "x")
        arg.floats = values
        let back = try Argument(textFormat: arg.textFormatString())
        #expect(back.floats.map(\.bitPattern) == values.map(\.bitPattern))
        for f in values {
            let text = TextWriter.format(f)
            let viaDouble = Double(text).map {
                $0.magnitude > Double(Float.greatestFiniteMagnitude) ? .infinity : Float($0)
            }
            #expect(viaDouble?.bitPattern == f.bitPattern || (f.isInfinite && viaDouble?.isInfinite == true), "\(text)")
        }
    }

    @Test func doublesRoundTripBitExactly() throws {
        var rng = ProtoTestRNG(seed: 8)
        var q = QTensorProto()
        for _ in 0..<5_000 {
            let d = Double(bitPattern: UInt64.random(in: 0...UInt64.max, using: &rng))
            if !d.isNaN { q.scales.append(d) }
        }
        let back = try QTensorProto(textFormat: q.textFormatString())
        #expect(back.scales.map(\.bitPattern) == q.scales.map(\.bitPattern))
    }

    @Test func stringsWithEveryByteRoundTrip() throws {
        var arg = Argument(name: "bytes")
        arg.s = Array(0...255)
        arg.strings = (0...255).map { [UInt8($0)] }
        let text = arg.textFormatString()
        #expect(text.utf8.allSatisfy { $0 == 0x0A || (0x20..<0x7F).contains($0) }, "output is printable ASCII")
        #expect(try Argument(textFormat: text) == arg)
        let net = NetDef(name: "é \"中\" \\ 😀\n\t")
        #expect(try NetDef(textFormat: net.textFormatString()) == net)
    }

    // MARK: Real models and Google's own text

    @Test(
        .enabled(if: ProtoFixtures.modelsAvailable, "../shared/models is missing: real-model checks skipped"),
        arguments: ProtoFixtures.textModels)
    func realTextModelsReadAndRoundTrip(_ path: String) throws {
        let text = String(decoding: try ProtoFixtures.bytes(path), as: UTF8.self)
        let net = try NetDef(textFormat: text)
        if text.isEmpty {
            #expect(net == NetDef())  // Glow's empty_init_net.pbtxt
        } else {
            #expect(net != NetDef())
        }
        ProtoExpect.identical(try NetDef(textFormat: net.textFormatString()), net)
    }

    @Test(
        .enabled(if: ProtoFixtures.modelsAvailable, "../shared/models is missing: real-model checks skipped"),
        arguments: ProtoFixtures.binaryModels)
    func realBinaryModelsRoundTripThroughText(_ path: String) throws {
        let net = try NetDef(serializedBytes: try ProtoFixtures.bytes(path))
        ProtoExpect.identical(try NetDef(textFormat: net.textFormatString()), net)
    }

    @Test(.enabled(if: ProtoFixtures.modelsAvailable, "../shared/models is missing"))
    func resnetValues() throws {
        let net = try NetDef(contentsOfFile: ProtoFixtures.modelsDirectory + "/zoo-resnet50/predict_net.pbtxt")
        #expect(net.name == "resnet50")
        #expect(net.op.count == 175)
        let conv = net.op[0]
        #expect(conv.type == "Conv" && conv.input == ["gpu_0/data", "gpu_0/conv1_w"] && conv.output == ["gpu_0/conv1"])
        #expect(conv.argument(named: "kernel")?.i == 7)
        #expect(conv.argument(named: "order")?.stringValue == "NCHW")
        #expect(conv.deviceOption == DeviceOption())  // `device_option {}` is present
        #expect(conv.engine == "")
        #expect(net.op[1].argument(named: "epsilon")?.f == Float("1.00000006569e-05"))
    }

    /// Parsing ResNet-50's 63 KB of text stays well inside interactive budgets (a few ms in release).
    @Test(.enabled(if: ProtoFixtures.modelsAvailable, "../shared/models is missing"))
    func parseSpeed() throws {
        let text = String(
            decoding: try ProtoFixtures.bytes(ProtoFixtures.modelsDirectory + "/zoo-resnet50/predict_net.pbtxt"),
            as: UTF8.self)
        let clock = ContinuousClock()
        var best = Duration.seconds(1000)
        for _ in 0..<5 {
            let elapsed = try clock.measure { _ = try NetDef(textFormat: text) }
            best = min(best, elapsed)
        }
        // Generous: debug builds are several times slower than release.
        #expect(best < .milliseconds(500), "ResNet-50 text parse took \(best)")
    }

    /// Text written by Google's Python printer (default, one-line and `<>` styles) reads as the
    /// message in Google's binary, and our binary encoding equals Google's byte for byte.
    @Test(arguments: GoogleData.entries)
    func googlePythonData(_ entry: GoogleData.Entry) throws {
        switch entry.type {
        case "caffe2.NetDef": try GoogleData.check(entry, as: NetDef.self)
        case "caffe2.Argument": try GoogleData.check(entry, as: Argument.self)
        case "caffe2.TensorProto": try GoogleData.check(entry, as: TensorProto.self)
        case "caffe2.QTensorProto": try GoogleData.check(entry, as: QTensorProto.self)
        case "caffe2.PlanDef": try GoogleData.check(entry, as: PlanDef.self)
        case "caffe2.BlobProto": try GoogleData.check(entry, as: BlobProto.self)
        case "caffe2.TensorShapes": try GoogleData.check(entry, as: TensorShapes.self)
        default: Issue.record("unexpected message type \(entry.type) in manifest")
        }
    }

    @Test func googlePythonDataIsThere() {
        #expect(GoogleData.entries.count == 15)
    }

    @Test func googleNaNValues() throws {
        let arg = try Argument(contentsOfFile: GoogleData.directory + "/nan_values.pbtxt")
        #expect(arg.f?.isNaN == true)
        #expect(arg.floats.count == 3 && arg.floats[0].isNaN && arg.floats[1].isNaN && arg.floats[2] == 1)
    }
}

/// Test data written by Scripts/generate-text-format-data.py with Google's Python protobuf.
enum GoogleData {
    struct Entry: Sendable, CustomTestStringConvertible {
        var name: String
        var type: String
        var testDescription: String { name }
    }

    static let directory = ProtoFixtures.dataDirectory + "/google"

    static let entries: [Entry] = {
        guard let manifest = try? String(contentsOfFile: directory + "/manifest.txt", encoding: .utf8) else {
            return []
        }
        return manifest.split(separator: "\n").compactMap { line in
            let parts = line.split(separator: " ")
            return parts.count == 2 ? Entry(name: String(parts[0]), type: String(parts[1])) : nil
        }
    }()

    static func check<M: ProtoMessage>(_ entry: Entry, as _: M.Type) throws {
        let binary = try ProtoFixtures.bytes(directory + "/\(entry.name).pb")
        let message = try M(serializedBytes: binary)
        let hasNaN = entry.name.contains("nan")
        if !hasNaN {
            #expect(message.serializedBytes() == binary, "our encoding differs from Google's")
        }
        let texts = (try FileManager.default.contentsOfDirectory(atPath: directory))
            .filter { $0.hasPrefix(entry.name + ".") && $0.hasSuffix(".pbtxt") }.sorted()
        #expect(!texts.isEmpty)
        for file in texts {
            let parsed = try M(textFormat: String(contentsOfFile: directory + "/" + file, encoding: .utf8))
            if hasNaN {
                // NaN != NaN, so compare the wire forms (Google and we both write the quiet NaN).
                #expect(parsed.serializedBytes().count == binary.count, "\(file)")
            } else {
                ProtoExpect.identical(parsed, message, "\(file)")
            }
        }
        if !hasNaN {
            ProtoExpect.identical(try M(textFormat: message.textFormatString()), message)
        }
    }
}

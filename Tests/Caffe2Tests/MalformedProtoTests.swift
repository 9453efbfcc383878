import Foundation
import Testing

@testable import Caffe2

/// Bad input of every kind: each gives a `.parse` error that says where and what was expected.
@Suite struct MalformedProtoTests {
    // MARK: Binary

    /// The byte offsets where a top-level field of `bytes` ends (a cut there is a valid, shorter message).
    static func topLevelBoundaries(_ bytes: [UInt8]) -> Set<Int> {
        var boundaries: Set<Int> = [0]
        var pos = 0
        func varint() -> UInt64? {
            var v: UInt64 = 0
            var shift: UInt64 = 0
            while pos < bytes.count && shift < 64 {
                let b = bytes[pos]
                pos += 1
                v |= UInt64(b & 0x7F) << shift
                if b & 0x80 == 0 { return v }
                shift += 7
            }
            return nil
        }
        while pos < bytes.count {
            guard let key = varint() else { break }
            switch key & 7 {
            case 0: _ = varint()
            case 1: pos += 8
            case 5: pos += 4
            case 2:
                guard let len = varint() else { return boundaries }
                pos += Int(len)
            default: return boundaries
            }
            boundaries.insert(pos)
        }
        return boundaries
    }

    @Test(.enabled(if: ProtoFixtures.modelsAvailable, "../shared/models is missing: truncation test skipped"))
    func truncatedRealModels() throws {
        for name in ["squeezenet-v1.1-predict-only/squeeze_predict_net.pb", "mtcnn-pnet/init_net.pb"] {
            let bytes = try ProtoFixtures.bytes(ProtoFixtures.modelsDirectory + "/" + name)
            let boundaries = Self.topLevelBoundaries(bytes)
            var failures = 0
            for cut in stride(from: 1, to: bytes.count, by: max(1, bytes.count / 97)) {
                let prefix = Array(bytes[..<cut])
                if boundaries.contains(cut) {
                    #expect(throws: Never.self) { try NetDef(serializedBytes: prefix) }
                } else {
                    failures += 1
                    let error = ProtoExpect.error(.parse, containing: ["NetDef", "at byte"]) {
                        _ = try NetDef(serializedBytes: prefix)
                    }
                    // The problem is reported inside the data (or at its very end), never past it.
                    if let error, let offset = Self.byteOffset(in: error.message) {
                        #expect(offset <= cut, "\(error.message)")
                    }
                }
            }
            #expect(failures > 50)
        }
    }

    /// The `N` of "at byte N" in a message.
    static func byteOffset(in message: String) -> Int? {
        guard let r = message.range(of: "at byte ") else { return nil }
        return Int(message[r.upperBound...].prefix { $0.isNumber })
    }

    @Test func truncationInsideNestedMessageNamesThePath() {
        var net = NetDef(name: "n")
        net.op = [OperatorDef(type: "Relu", input: ["X"], output: ["Y"], arg: [Argument(name: "alpha", float: 0.5)])]
        let bytes = net.serializedBytes()
        ProtoExpect.error(.parse, containing: ["at byte", "runs past the end"]) {
            _ = try NetDef(serializedBytes: Array(bytes.dropLast(2)))
        }
    }

    @Test func randomBytesNeverCrash() {
        var rng = ProtoTestRNG(seed: 2024)
        var rejected = 0
        for _ in 0..<3000 {
            let count = Int.random(in: 1...96, using: &rng)
            let bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }
            do {
                _ = try NetDef(serializedBytes: bytes)
            } catch let error as Caffe2Error {
                rejected += 1
                #expect(error.kind == .parse)
                #expect(error.message.contains("at byte"), "\(error.message)")
            } catch {
                Issue.record("unexpected error type \(error)")
            }
        }
        #expect(rejected > 2500)
    }

    /// Single-byte corruptions of a real message: decoded or rejected with an offset, never a crash.
    @Test func corruptedBytesNeverCrash() throws {
        var generator = RandomMessageGenerator(seed: 5)
        let bytes = generator.net().serializedBytes()
        var rng = ProtoTestRNG(seed: 6)
        for _ in 0..<2000 {
            var corrupt = bytes
            guard !corrupt.isEmpty else { break }
            let i = Int.random(in: 0..<corrupt.count, using: &rng)
            corrupt[i] = UInt8.random(in: 0...255, using: &rng)
            do {
                let decoded = try NetDef(serializedBytes: corrupt)
                _ = decoded.textFormatString()
            } catch let error as Caffe2Error {
                #expect(error.kind == .parse && error.message.contains("at byte"), "\(error.message)")
            }
        }
    }

    @Test func tensorProtoBytesAreNotANetDef() {
        var t = TensorProto(name: "w", dims: [2, 3])
        t.floatData = [1, 2, 3, 4, 5, 6]
        let bytes = t.serializedBytes()
        // TensorProto starts with dims (field 1, varint); NetDef's field 1 is name (a string).
        ProtoExpect.error(.parse, containing: ["NetDef", "at byte 0", "wire type varint", "expected length-delimited"])
        {
            _ = try NetDef(serializedBytes: bytes)
        }
    }

    @Test(.enabled(if: ProtoFixtures.modelsAvailable, "../shared/models is missing"))
    func netDefFileIsNotATensorProto() throws {
        let bytes = try ProtoFixtures.bytes(ProtoFixtures.modelsDirectory + "/mtcnn-pnet/predict_net.pb")
        ProtoExpect.error(.parse, containing: ["TensorProto", "at byte", "wire type"]) {
            _ = try TensorProto(serializedBytes: bytes)
        }
    }

    @Test func wrongWireType() {
        // Field 1 (NetDef.name, a string) sent as a varint.
        ProtoExpect.error(
            .parse, containing: ["at byte 0", "NetDef.name", "wire type varint", "expected length-delimited"]
        ) {
            _ = try NetDef(serializedBytes: [0x08, 0x01])
        }
        // Argument.f (float, 32-bit) sent as 64-bit.
        ProtoExpect.error(.parse, containing: ["at byte 0", "Argument.f", "64-bit", "expected 32-bit"]) {
            _ = try Argument(serializedBytes: [0x11, 0, 0, 0, 0, 0, 0, 0, 0])
        }
        // Groups (wire types 3 and 4) are not readable by protobuf-c.
        ProtoExpect.error(.parse, containing: ["at byte 0", "wire type"]) {
            _ = try NetDef(serializedBytes: [0x0B, 0x0C])
        }
    }

    @Test func varintThatNeverEnds() {
        // num_workers (field 4, varint) followed by eleven continuation bytes.
        ProtoExpect.error(.parse, containing: ["at byte 1", "longer than 10 bytes"]) {
            _ = try NetDef(serializedBytes: [0x20] + [UInt8](repeating: 0xFF, count: 11) + [0x01])
        }
        ProtoExpect.error(.parse, containing: ["at byte 1", "runs past the end"]) {
            _ = try NetDef(serializedBytes: [0x20, 0xFF, 0xFF])
        }
        ProtoExpect.error(.parse, containing: ["at byte 0", "field tag"]) {
            _ = try NetDef(serializedBytes: [UInt8](repeating: 0x80, count: 12))
        }
    }

    @Test func lengthPastTheEnd() {
        ProtoExpect.error(.parse, containing: ["at byte 1", "length 5", "runs past the end", "1 bytes left"]) {
            _ = try NetDef(serializedBytes: [0x0A, 0x05, 0x61])
        }
    }

    @Test func absurdLength() {
        var bytes: [UInt8] = [0x12]  // op, length-delimited
        var v: UInt64 = 1 << 62
        while v >= 0x80 {
            bytes.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
        ProtoExpect.error(.parse, containing: ["at byte 1", "length 4611686018427387904", "runs past the end"]) {
            _ = try NetDef(serializedBytes: bytes)
        }
    }

    /// `levels` NetDef/Argument messages nested through NetDef.arg and Argument.n.
    static func nestedBinary(levels: Int) -> [UInt8] {
        var inner: [UInt8] = []
        for level in stride(from: levels, to: 0, by: -1) {
            // At odd depth we are inside an Argument (NetDef.arg = 6), at even depth inside a NetDef (Argument.n = 8).
            let tag: UInt8 = level % 2 == 1 ? 0x32 : 0x42
            var length: [UInt8] = []
            var v = inner.count
            while v >= 0x80 {
                length.append(UInt8(v & 0x7F) | 0x80)
                v >>= 7
            }
            length.append(UInt8(v))
            inner = [tag] + length + inner
        }
        return inner
    }

    @Test func deepNestingInBinary() throws {
        let ok = try NetDef(serializedBytes: Self.nestedBinary(levels: WireScanner.maxDepth))
        #expect(ok.arg.count == 1)
        ProtoExpect.error(.parse, containing: ["nested deeper than 100 levels", "at byte"]) {
            _ = try NetDef(serializedBytes: Self.nestedBinary(levels: WireScanner.maxDepth + 1))
        }
        ProtoExpect.error(.parse, containing: ["nested deeper than 100 levels"]) {
            _ = try NetDef(serializedBytes: Self.nestedBinary(levels: 5000))
        }
    }

    @Test func missingRequiredFieldInBinary() {
        // TensorProto.segment with only `begin`.
        ProtoExpect.error(.parse, containing: ["required field 'end'", "at byte"]) {
            _ = try TensorProto(serializedBytes: [0x5A, 0x02, 0x08, 0x00])
        }
    }

    // MARK: Text

    /// Asserts the text fails for `M` with `location` and each fragment in the message.
    static func textError<M: ProtoMessage>(
        _ text: String, as _: M.Type = NetDef.self, at location: String, _ fragments: String...,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let error = ProtoExpect.error(.parse, containing: fragments, sourceLocation: sourceLocation) {
            _ = try M(textFormat: text)
        }
        if let error {
            #expect(error.message.hasPrefix(location + ": "), "\(error.message)", sourceLocation: sourceLocation)
        }
    }

    @Test func unbalancedBraces() {
        Self.textError(
            "op {\n  type: \"Relu\"\n", at: "3:1", "expected '}' to close the caffe2.OperatorDef message opened at 1:4",
            "got end of text")
        Self.textError("name: \"x\" }", at: "1:11", "unexpected '}'", "no message is open")
        Self.textError(
            "op { type: \"A\" >", at: "1:16", "expected a field name of caffe2.OperatorDef or '}'", "got '>'")
        Self.textError("op < type: \"A\" }", at: "1:16", "or '>'", "got '}'")
        Self.textError("op { arg { name: \"x\" }", at: "1:23", "opened at 1:4")
        Self.textError("op {{}}", at: "1:5", "expected a field name of caffe2.OperatorDef", "got '{'")
        Self.textError("op }", at: "1:4", "expected '{' or '<' to start message field 'op'", "got '}'")
    }

    @Test func unknownFieldNames() {
        Self.textError("nmae: \"x\"", at: "1:1", "unknown field 'nmae' in caffe2.NetDef", "did you mean 'name'?")
        Self.textError("op {\n  tpye: \"Relu\"\n}", at: "2:3", "unknown field 'tpye' in caffe2.OperatorDef", "'type'")
        Self.textError("externalInput: \"x\"", at: "1:1", "did you mean 'external_input'?")
        Self.textError(
            "zzzzzzzzzzzzzzzz: 1", at: "1:1", "unknown field 'zzzzzzzzzzzzzzzz'",
            "expected one of: name, op, type, num_workers, device_option, arg, external_input, external_output")
        Self.textError("name: \"é\" nmae: 1", at: "1:11", "unknown field 'nmae'")  // columns count characters
        // Nothing close: no guess, the list instead.
        Self.textError("foo: 1", at: "1:1", "unknown field 'foo'", "expected one of: name, op,")
        Self.textError("op { typ: \"A\" }", at: "1:6", "did you mean 'type'?")
    }

    @Test func badEscapes() {
        Self.textError(#"name: "a\qb""#, at: "1:9", "invalid escape '\\q'", "expected one of")
        Self.textError(#"name: "\400""#, at: "1:8", "octal escape \\400 is out of range")
        Self.textError(#"name: "\xg""#, at: "1:8", "'\\x' must be followed by one or two hex digits")
        Self.textError(#"name: "\u12""#, at: "1:8", "expected 4 hex digits")
        Self.textError(#"name: "\ud800""#, at: "1:8", "unpaired surrogate")
        Self.textError("name: \"abc", at: "1:7", "string literal is not terminated")
        Self.textError("name: 'abc\"", at: "1:7", "not terminated", "expected a closing '")
        Self.textError("name: \"ab\ncd\"", at: "1:10", "cannot cross line boundaries")
        Self.textError("name: \"ab\\\ncd\"", at: "1:11", "cannot cross line boundaries")
    }

    @Test func outOfRangeIntegers() {
        Self.textError(
            "num_workers: 2147483648", at: "1:14", "integer 2147483648 is out of range", "int32",
            "-2147483648 to 2147483647")
        Self.textError("num_workers: -2147483649", at: "1:14", "integer -2147483649 is out of range")
        Self.textError("num_workers: 0x80000000", at: "1:14", "out of range")
        Self.textError("i: 9223372036854775808", as: Argument.self, at: "1:4", "out of range", "int64")
        Self.textError("i: -9223372036854775809", as: Argument.self, at: "1:4", "out of range")
        Self.textError("i: 99999999999999999999999", as: Argument.self, at: "1:4", "out of range")
        Self.textError(
            "random_seed: -1", as: DeviceOption.self, at: "1:14", "expected a non-negative integer", "uint32")
        Self.textError("random_seed: 4294967296", as: DeviceOption.self, at: "1:14", "out of range", "0 to 4294967295")
        Self.textError("data_type: 2147483648", as: TensorProto.self, at: "1:12", "out of range")
    }

    @Test func wrongValueKinds() {
        Self.textError("name: 5", at: "1:7", "expected a quoted string for field 'name'", "got integer 5")
        Self.textError("name: x", at: "1:7", "expected a quoted string", "got 'x'")
        Self.textError(
            "num_workers: 1.5", at: "1:14", "expected an integer for field 'num_workers' (int32)", "got number 1.5")
        Self.textError("num_workers: \"3\"", at: "1:14", "expected an integer", "got string \"3\"")
        Self.textError("is_gradient_op: yes", as: OperatorDef.self, at: "1:17", "expected true, false, t, f, 1 or 0")
        Self.textError("is_gradient_op: 2", as: OperatorDef.self, at: "1:17", "expected true, false")
        Self.textError("data_type: FLOATY", as: TensorProto.self, at: "1:12", "unknown value 'FLOATY'", "FLOAT, INT32")
        Self.textError("data_type: 1.0", as: TensorProto.self, at: "1:12", "expected an enum value name or number")
        Self.textError("f: abc", as: Argument.self, at: "1:4", "expected a number, 'inf' or 'nan'")
        Self.textError("f: \"1\"", as: Argument.self, at: "1:4", "expected a number for field 'f' (float)")
        Self.textError("f: 0x10", as: Argument.self, at: "1:4", "expected a decimal number")
        Self.textError("f: 017", as: Argument.self, at: "1:4", "expected a decimal number")
        Self.textError("op: 5", at: "1:5", "expected '{' or '<'", "caffe2.OperatorDef")
        Self.textError("name \"x\"", at: "1:6", "expected ':' after field name 'name'")
        Self.textError("5: 1", at: "1:1", "expected a field name of caffe2.NetDef", "got integer 5")
        Self.textError("random_seed: -x", as: DeviceOption.self, at: "1:14", "non-negative")
        Self.textError("i: -x", as: Argument.self, at: "1:5", "expected an integer", "got 'x'")
    }

    @Test func malformedNumbers() {
        Self.textError("i: 08", as: Argument.self, at: "1:4", "leading zero are octal")
        Self.textError("i: 0x", as: Argument.self, at: "1:4", "'0x' must be followed by hex digits")
        Self.textError("f: 1.5.3", as: Argument.self, at: "1:7", "only one decimal point")
        Self.textError("i: 12abc", as: Argument.self, at: "1:6", "space between a number and an identifier")
        Self.textError("f: 1e", as: Argument.self, at: "1:4", "digits after the exponent")
        Self.textError("f: 00.5", as: Argument.self, at: "1:6", "hex and octal numbers must be integers")
    }

    @Test func listErrors() {
        Self.textError("name: [\"a\"]", at: "1:7", "field 'name' is not repeated", "list syntax")
        Self.textError("device_option [{}]", at: "1:15", "field 'device_option' is not repeated")
        Self.textError("arg { ints: [1 2] }", at: "1:16", "expected ',' or ']' in the list of field 'ints'")
        Self.textError("arg { ints: [1, ] }", at: "1:17", "expected an integer")
        Self.textError("external_input: [\"a\"", at: "1:21", "expected ',' or ']'", "got end of text")
    }

    @Test func nonRepeatedFieldTwice() {
        Self.textError(
            "name: \"a\"\nname: \"b\"", at: "2:1",
            "non-repeated field 'name' of caffe2.NetDef is specified more than once")
        Self.textError("op { device_option {} device_option {} }", at: "1:23", "'device_option'", "more than once")
        Self.textError("f: 1 f: 2", as: Argument.self, at: "1:6", "'f'", "more than once")
    }

    @Test func missingRequiredFieldsInText() {
        Self.textError(
            "precision: 8 bias: 0", as: QTensorProto.self, at: "1:21",
            "caffe2.QTensorProto is missing required fields 'scale', 'is_signed'")
        Self.textError(
            "segment {\n  begin: 1\n}", as: TensorProto.self, at: "3:1",
            "the caffe2.TensorProto.Segment message opened at 1:9 is missing required field 'end'")
    }

    @Test func strayCharacters() {
        Self.textError("name: \"x\" \u{1}", at: "1:11", "unexpected control character")
        Self.textError("é: 1", at: "1:1", "non-ASCII")
        Self.textError("name: \"x\" @", at: "1:11", "expected a field name of caffe2.NetDef", "got '@'")
        Self.textError("[caffe2.ext] { }", at: "1:1", "expected a field name")
    }

    /// `levels` messages nested as `arg { n { arg { n { ...`.
    static func nestedText(levels: Int) -> String {
        var open = ""
        var close = ""
        for level in 1...levels {
            open += level % 2 == 1 ? "arg { " : "n { "
            close += "} "
        }
        return open + close
    }

    @Test func deepNestingInText() throws {
        let ok = try NetDef(textFormat: Self.nestedText(levels: WireScanner.maxDepth))
        #expect(ok.arg.count == 1)
        // The same depth as the binary limit, so anything one format accepts the other does too.
        #expect(try NetDef(serializedBytes: ok.serializedBytes()) == ok)
        Self.textError(Self.nestedText(levels: WireScanner.maxDepth + 1), at: "1:505", "nested deeper than 100 levels")
        // Far deeper input stops at the limit instead of exhausting the stack.
        ProtoExpect.error(.parse, containing: ["nested deeper than 100 levels"]) {
            _ = try NetDef(textFormat: Self.nestedText(levels: 100_000))
        }
    }

    /// Whether a message starts with `line:column: `.
    static func startsWithLocation(_ message: String) -> Bool {
        let parts = message.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
        return parts.count == 3 && !parts[0].isEmpty && parts[0].allSatisfy(\.isNumber) && !parts[1].isEmpty
            && parts[1].allSatisfy(\.isNumber) && parts[2].hasPrefix(" ")
    }

    @Test func randomTextNeverCrashes() {
        var rng = ProtoTestRNG(seed: 99)
        let alphabet = Array("op{}<>[]:;,\"'\\#-.0123456789xefinatrug_ \n\té".unicodeScalars)
        for _ in 0..<3000 {
            let count = Int.random(in: 0...60, using: &rng)
            var s = ""
            for _ in 0..<count { s.unicodeScalars.append(alphabet[Int.random(in: 0..<alphabet.count, using: &rng)]) }
            do {
                _ = try NetDef(textFormat: s)
            } catch let error as Caffe2Error {
                #expect(error.kind == .parse)
                #expect(Self.startsWithLocation(error.message), "\(error.message)")
            } catch {
                Issue.record("unexpected error type \(error)")
            }
        }
    }

    /// Cuts and single-character edits of a real text: read or rejected with line:column.
    @Test func mutatedTextNeverCrashes() throws {
        var generator = RandomMessageGenerator(seed: 11)
        let text = Array(generator.net().textFormatString().unicodeScalars)
        var rng = ProtoTestRNG(seed: 12)
        let replacements = Array("{}<>[]:\"'\\#-. x0".unicodeScalars)
        for _ in 0..<1500 {
            var edited = text
            if !edited.isEmpty {
                let i = Int.random(in: 0..<edited.count, using: &rng)
                switch Int.random(in: 0..<3, using: &rng) {
                case 0: edited.removeSubrange(i...)
                case 1: edited.remove(at: i)
                default: edited[i] = replacements[Int.random(in: 0..<replacements.count, using: &rng)]
                }
            }
            var s = ""
            s.unicodeScalars.append(contentsOf: edited)
            do {
                _ = try NetDef(textFormat: s)
            } catch let error as Caffe2Error {
                #expect(error.kind == .parse && Self.startsWithLocation(error.message), "\(error.message)")
            }
        }
    }
}

import Foundation
import Testing

@testable import Caffe2

/// Runs the built `caffe2` executable.
///
/// The binary is looked up next to the test bundle (where `swift build` and
/// `swift test` put products), then in `.build/debug` of the package, or at
/// `$CAFFE2_CLI`. Run `swift build` before `swift test` so it exists and is current.
enum CLI {
    /// The package root (three levels above this file).
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    static let binary: String? = {
        let fm = FileManager.default
        var candidates: [String] = []
        if let env = ProcessInfo.processInfo.environment["CAFFE2_CLI"], !env.isEmpty { candidates.append(env) }
        let exe = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        // Linux: .build/<triple>/debug/<package>PackageTests.xctest; macOS: ...xctest/Contents/MacOS/<name>.
        var dir = exe.deletingLastPathComponent()
        for _ in 0..<4 {
            candidates.append(dir.appendingPathComponent("caffe2").path)
            dir = dir.deletingLastPathComponent()
        }
        candidates.append(Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("caffe2").path)
        candidates.append(packageRoot + "/.build/debug/caffe2")
        candidates.append(packageRoot + "/.build/release/caffe2")
        return candidates.first { path in
            var isDir: ObjCBool = false
            return fm.fileExists(atPath: path, isDirectory: &isDir) && !isDir.boolValue && fm.isExecutableFile(atPath: path)
        }
    }()

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs `caffe2 args...` in `directory` (the package root by default).
    static func run(_ args: [String], in directory: String = packageRoot) throws -> Result {
        guard let binary else {
            Issue.record("the caffe2 executable was not found next to the tests or in .build/debug: run `swift build` before `swift test`")
            throw CancellationError()
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = args
        p.currentDirectoryURL = URL(fileURLWithPath: directory)
        let out = Pipe()
        let err = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        try p.run()
        let box = OutputBox()
        let group = DispatchGroup()
        DispatchQueue.global().async(group: group) { box.out = out.fileHandleForReading.readDataToEndOfFile() }
        DispatchQueue.global().async(group: group) { box.err = err.fileHandleForReading.readDataToEndOfFile() }
        p.waitUntilExit()
        group.wait()
        return Result(
            status: p.terminationStatus, stdout: String(decoding: box.out, as: UTF8.self),
            stderr: String(decoding: box.err, as: UTF8.self))
    }

    static func run(_ args: String..., in directory: String = packageRoot) throws -> Result {
        try run(args, in: directory)
    }

    /// A fresh empty directory, removed by the caller.
    static func temporaryDirectory() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("caffe2-cli-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    static func files(in dir: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted()
    }

    static func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    /// Expects a failure: non-zero exit, nothing on stdout, one `error: ...` line on stderr containing `message`.
    static func expectFailure(
        _ args: [String], _ message: String, in directory: String = packageRoot,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let r = try run(args, in: directory)
        #expect(r.status != 0, "\(args) should fail", sourceLocation: sourceLocation)
        #expect(r.stdout.isEmpty, "\(args) printed to stdout: \(r.stdout)", sourceLocation: sourceLocation)
        let lines = r.stderr.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 2 && lines[1].isEmpty, "one line on stderr: \(r.stderr)", sourceLocation: sourceLocation)
        #expect(r.stderr.hasPrefix("error: "), "\(r.stderr)", sourceLocation: sourceLocation)
        #expect(r.stderr.contains(message), "expected '\(message)' in: \(r.stderr)", sourceLocation: sourceLocation)
    }
}

final class OutputBox: @unchecked Sendable {
    var out = Data()
    var err = Data()
}

let reciprocalNet = "Examples/reciprocal.pbtxt"

/// X -> Reciprocal -> Y -> AveragedLoss -> loss: a net `caffe2 backward` turns into a training net.
let lossNetText = """
    name: "lossnet"
    op { input: "X" output: "Y" type: "Reciprocal" }
    op { input: "Y" output: "loss" type: "AveragedLoss" }
    external_input: "X"
    external_output: "loss"
    """

@Suite(.serialized) struct CLITests {
    @Test func binaryIsBuilt() {
        #expect(CLI.binary != nil, "run `swift build` before `swift test`: the CLI tests run the built caffe2 executable")
    }

    // MARK: run

    @Test func runPrintsOutputsReadably() throws {
        let r = try CLI.run("run", reciprocalNet, "--input", "X=range:2,3")
        #expect(r.status == 0)
        #expect(r.stderr.isEmpty, "no progress bar when stderr is not a terminal")
        #expect(
            r.stdout == """
                Y: float [2, 3]  min=0 max=5 mean=2.5
                  [0, 1, 2, 3, 4, 5]
                Z: float [2, 3]  min=0.2 max=inf mean=inf
                  [inf, 1, 0.5, 0.333333, 0.25, 0.2]

                """)
    }

    @Test func runShowsOnlyTheFirstValues() throws {
        let r = try CLI.run("run", reciprocalNet, "--input", "X=ones:3,4:double", "--output", "Z", "--show", "3")
        #expect(r.status == 0)
        #expect(r.stdout == "Z: double [3, 4]  min=1 max=1 mean=1\n  [1, 1, 1, ...]  (3 of 12 shown)\n")
    }

    @Test func runWritesNpyAndTensorProtoFiles() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try CLI.run(
            "run", reciprocalNet, "--input", "X=range:2,2", "--output", "Z=\(dir)/z.npy", "--output", "Y=\(dir)/y.pb",
            "--output", "Z=\(dir)/z.pbtxt")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("Z: float [2, 2] -> \(dir)/z.npy"))
        let z = try Tensor(npyFile: dir + "/z.npy")
        #expect(z.dims == [2, 2])
        #expect(try z.values(as: Float.self) == [.infinity, 1, 0.5, Float(1) / 3])
        let y = try TensorFile.read(dir + "/y.pb")
        #expect(try y.values(as: Float.self) == [0, 1, 2, 3])
        let proto = try TensorProto(contentsOfFile: dir + "/z.pbtxt")
        #expect(proto.name == "Z")
        #expect(try Tensor(proto: proto) == z)
        #expect(CLI.files(in: dir) == ["y.pb", "z.npy", "z.pbtxt"])
    }

    @Test func runReadsInputFilesOfEveryKind() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let x = try Tensor(dims: [2], values: [4, -0.5] as [Float])
        try x.writeNpy(toFile: dir + "/x.npy")
        try x.proto(name: "X").write(toFile: dir + "/x.pb")
        try x.proto(name: "X").write(toFile: dir + "/x.pbtxt")
        try BlobProto(name: "X", tensor: x.proto(name: "X")).write(toFile: dir + "/blob.pb")
        try TensorProtos(protos: [x.proto(name: "X")]).write(toFile: dir + "/protos.pbtxt")
        for file in ["x.npy", "x.pb", "x.pbtxt", "blob.pb", "protos.pbtxt"] {
            let r = try CLI.run("run", reciprocalNet, "--input", "X=\(dir)/\(file)", "--output", "Z", "--json")
            #expect(r.status == 0, "\(file): \(r.stderr)")
            let json = try CLI.json(r.stdout)
            let outputs = try #require(json["outputs"] as? [[String: Any]])
            #expect(outputs.count == 1)
            #expect(outputs[0]["name"] as? String == "Z")
            #expect(outputs[0]["dims"] as? [Int] == [2])
            #expect(outputs[0]["values"] as? [Double] == [0.25, -2], "\(file)")
            #expect(outputs[0]["min"] as? Double == -2)
        }
    }

    @Test func runJSONIsParseable() throws {
        let r = try CLI.run("run", reciprocalNet, "--input", "X=range:3", "--json")
        #expect(r.status == 0)
        let json = try CLI.json(r.stdout)
        #expect(json["net"] as? String == "reciprocal")
        #expect(json["iterations"] as? Int == 1)
        #expect(json["losses"] == nil, "no losses key when nothing was logged")
        let outputs = try #require(json["outputs"] as? [[String: Any]])
        #expect(outputs.map { $0["name"] as? String } == ["Y", "Z"])
        // 1/0 = inf is written as the string "inf".
        #expect(outputs[1]["max"] as? String == "inf")
        #expect((outputs[1]["values"] as? [Any])?.first as? String == "inf")
        #expect(outputs[1]["dtype"] as? String == "float")
    }

    @Test func randomInputsAreSeeded() throws {
        let a = try CLI.run("run", reciprocalNet, "--input", "X=random:4:1..2", "--output", "Y", "--seed", "7", "--json")
        let b = try CLI.run("run", reciprocalNet, "--input", "X=random:4:1..2", "--output", "Y", "--seed", "7", "--json")
        let c = try CLI.run("run", reciprocalNet, "--input", "X=random:4:1..2", "--output", "Y", "--seed", "8", "--json")
        #expect(a.stdout == b.stdout)
        #expect(a.stdout != c.stdout)
        let values = try #require((try CLI.json(a.stdout)["outputs"] as? [[String: Any]])?.first?["values"] as? [Double])
        #expect(values.count == 4 && values.allSatisfy { $0 >= 1 && $0 < 2 })
    }

    @Test func runPrintsLossesWhileIterating() throws {
        let r = try CLI.run(
            "run", reciprocalNet, "--input", "X=ones:", "--iterations", "3", "--loss", "Z", "--log-every", "1", "--output",
            "Z")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(
            r.stdout == """
                iteration 1/3: Z=1
                iteration 2/3: Z=1
                iteration 3/3: Z=1
                Z: float []  min=1 max=1 mean=1
                  [1]

                """)
    }

    @Test func backwardThenRunATrainingNetPrintsItsLoss() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try lossNetText.write(toFile: dir + "/forward.pbtxt", atomically: true, encoding: .utf8)
        let b = try CLI.run("backward", dir + "/forward.pbtxt", "--loss", "loss", "-o", dir + "/train.pbtxt")
        #expect(b.status == 0, "\(b.stderr)")
        // X = [1, 2, 4, 8]: Y = [1, .5, .25, .125], loss = mean(Y) = 0.46875.
        try Tensor(dims: [4], values: [1, 2, 4, 8] as [Float]).writeNpy(toFile: dir + "/x.npy")
        let r = try CLI.run("run", dir + "/train.pbtxt", "--input", "X=\(dir)/x.npy", "--iterations", "2", "--output", "X_grad")
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first == "iteration 1/2: loss=0.46875")
        #expect(lines.dropFirst().first == "iteration 2/2: loss=0.46875")
        // dX = -dY / X² with dY = 1/4: [-0.25, -0.0625, -0.015625, -0.00390625].
        #expect(lines.last == "  [-0.25, -0.0625, -0.015625, -0.00390625]")
    }

    @Test func runFailuresSayWhatAndWhereAndWriteNothing() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let good = try Npy.encode(try Tensor(dims: [2], values: [1, 2] as [Float]))
        try Data(good.dropLast(3)).write(to: URL(fileURLWithPath: dir + "/cut.npy"))
        var badHeader = good
        badHeader[20] = UInt8(ascii: "?")
        try Data(badHeader).write(to: URL(fileURLWithPath: dir + "/header.npy"))
        try Data("not a net {".utf8).write(to: URL(fileURLWithPath: dir + "/junk.pbtxt"))
        let out = "Z=\(dir)/z.npy"
        let cases: [([String], String)] = [
            (["run", dir + "/missing.pb"], "\(dir)/missing.pb: cannot open file for reading: No such file or directory"),
            (["run", dir + "/junk.pbtxt"], "\(dir)/junk.pbtxt: not a caffe2.NetDef"),
            (["run", dir + "/cut.npy"], "not a caffe2.NetDef in binary or text format"),
            (["run", reciprocalNet, "--input", "Q=zeros:2", "--output", out], "net 'reciprocal' has no input 'Q'; its inputs are: X"),
            (["run", reciprocalNet, "--input", "X=zeros:2,x", "--output", out], "dims '2,x' must be non-negative integers"),
            (["run", reciprocalNet, "--input", "X=zeros:2:complex", "--output", out], "'complex' is not an element type"),
            (["run", reciprocalNet, "--input", "X=\(dir)/cut.npy", "--output", out], "\(dir)/cut.npy: .npy body is truncated"),
            (["run", reciprocalNet, "--input", "X=\(dir)/header.npy", "--output", out], "\(dir)/header.npy: .npy header dict"),
            (["run", reciprocalNet, "--input", "X=\(dir)/none.npy", "--output", out], "none.npy: cannot open file"),
            (["run", reciprocalNet, "--input", "X=zeros:2", "--output", "W=\(dir)/w.npy"], "--output W: the net never produces a blob 'W'"),
            (["run", reciprocalNet, "--input", "X=zeros:2", "--iterations", "0", "--output", out], "--iterations must be at least 1, got 0"),
            (["run", reciprocalNet, "--input", "X=zeros:2", "--iterations", "-2", "--output", out], "--iterations must be at least 1, got -2"),
            (["run", reciprocalNet, "--output", out], "input 'X' has no value; give --input X="),
            (["run", reciprocalNet, "--input", "X", "--output", out], "--input X: give a value"),
            (["run", reciprocalNet, "--input", "X=zeros:2", "--input", "X=ones:2", "--output", out], "--input X is given twice"),
            (["run", reciprocalNet, "--input", "X=zeros:2", "--output", "Z=\(dir)/z.csv"], "cannot tell the format from the file name"),
            (["run", reciprocalNet, "--input", "X=zeros:2", "--output", "Z=\(dir)/no/z.npy"], "directory '\(dir)/no' does not exist"),
            // Fails while running: Reciprocal has no int32 kernel. Nothing may be written.
            (["run", reciprocalNet, "--input", "X=ones:2:int32", "--output", out], "op #0 (Reciprocal \"inv\"): "),
            (["run", reciprocalNet, "--input", "X=zeros:2", "--loss", "nope", "--output", out], "--loss nope: the net never produces"),
            (["run"], "Missing expected argument '<net>' (see 'caffe2 run --help')"),
            (["frobnicate"], "Unexpected argument 'frobnicate'"),
        ]
        let before = CLI.files(in: dir)
        for (args, message) in cases {
            try CLI.expectFailure(args, message)
        }
        #expect(CLI.files(in: dir) == before, "failed runs must not write files")
    }

    /// Under a pseudo-terminal (util-linux `script`) bench draws a progress bar on stderr and clears it.
    @Test func progressBarOnlyOnATerminal() throws {
        guard TestSupport.haveTool("script"), let binary = CLI.binary else { return }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        let command = "'\(binary)' bench \(reciprocalNet) --input X=zeros:10 --iterations 5 --warmup 0"
        p.arguments = ["script", "-qec", command, "/dev/null"]
        p.currentDirectoryURL = URL(fileURLWithPath: CLI.packageRoot)
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        p.standardInput = FileHandle.nullDevice
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        #expect(p.terminationStatus == 0, "\(text)")
        #expect(text.contains("\rbench [######                        ] 1/5"))
        #expect(text.contains("\rbench [##############################] 5/5"))
        #expect(text.contains("\r\u{1B}[Knet 'reciprocal': 3 operators, 5 timed runs after 0 warm-up"))
    }

    // MARK: shapes

    @Test func shapesPrintsEveryBlobOpByOp() throws {
        let r = try CLI.run("shapes", reciprocalNet, "--input", "X=2,3:double")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(
            r.stdout == """
                #0 Reciprocal "inv"
                  in   X     double [2, 3]
                  out  Y     double [2, 3]
                #1 Reciprocal "inv_inplace"
                  in   Y     double [2, 3]
                  out  Y     double [2, 3]
                #2 Reciprocal "inv_again"
                  in   Y     double [2, 3]
                  out  Z     double [2, 3]
                blobs: 3 (3 known, 0 unknown)

                """)
    }

    @Test func shapesTakesShapesFromTensorsAndReportsUnknowns() throws {
        let npy = NpyFixtures.directory + "/f4_image_1x3x4x5.npy"
        let r = try CLI.run("shapes", reciprocalNet, "--input", "X=\(npy)", "--json")
        #expect(r.status == 0, "\(r.stderr)")
        let json = try CLI.json(r.stdout)
        let blobs = try #require(json["blobs"] as? [[String: Any]])
        #expect(blobs.map { $0["name"] as? String } == ["X", "Y", "Z"])
        #expect(blobs.allSatisfy { $0["dims"] as? [Int] == [1, 3, 4, 5] })
        #expect((json["steps"] as? [Any])?.count == 3)
        #expect((json["errors"] as? [Any])?.isEmpty == true)

        let u = try CLI.run("shapes", reciprocalNet)
        #expect(u.status == 0)
        #expect(u.stdout.contains("  out  Y     unknown  (input 'X' has no known shape)"))
        #expect(u.stdout.contains("note: no shape given for 1 input (X); use --input NAME=DIMS"))
    }

    @Test func shapesFailures() throws {
        try CLI.expectFailure(["shapes", reciprocalNet, "--input", "X=2;3"], "--input X: '2;3': dims '2;3' must be non-negative integers")
        try CLI.expectFailure(["shapes", reciprocalNet, "--input", "X=2,3:quux"], "'quux' is not an element type")
        try CLI.expectFailure(["shapes", reciprocalNet, "--input", "data=1,2"], "has no input 'data'")
        // A schema violation (two inputs to Reciprocal) is reported and fails the command.
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try """
        op { input: "X" input: "X" output: "Y" type: "Reciprocal" }
        external_input: "X"
        """.write(toFile: dir + "/bad.pbtxt", atomically: true, encoding: .utf8)
        let r = try CLI.run("shapes", dir + "/bad.pbtxt", "--input", "X=2")
        #expect(r.status != 0)
        #expect(r.stderr.hasPrefix("error: shape inference failed: op #0 (Reciprocal): Operator def did not pass schema checking: Input size 2"))
    }

    // MARK: ops

    @Test func opsListsTheRegistry() throws {
        let r = try CLI.run("ops")
        #expect(r.status == 0)
        let lines = r.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("TYPE") == true)
        let row = try #require(lines.first { $0.hasPrefix("Reciprocal ") })
        #expect(row.split(separator: " ", omittingEmptySubsequences: true) == ["Reciprocal", "CPU", "-", "1", "1", "{0,0}", "yes"])
        let grad = try #require(lines.first { $0.hasPrefix("ReciprocalGradient ") })
        #expect(grad.split(separator: " ", omittingEmptySubsequences: true) == ["ReciprocalGradient", "CPU", "-", "2", "1", "{1,0}", "none"])
        #expect(lines.last == "\(OperatorRegistry.standard.operatorTypes.count) operators")

        let j = try CLI.run("ops", "--device", "cpu", "--json")
        let all = try #require(try JSONSerialization.jsonObject(with: Data(j.stdout.utf8)) as? [[String: Any]])
        let rec = try #require(all.first { $0["type"] as? String == "Reciprocal" })
        #expect(rec["devices"] as? [String] == ["CPU"])
        #expect(rec["minInputs"] as? Int == 1 && rec["maxInputs"] as? Int == 1)
        #expect(rec["inPlace"] as? String == "{0,0}")
        #expect(rec["gradient"] as? String == "yes")

        let none = try CLI.run("ops", "--device", "cuda")
        #expect(none.stdout.hasSuffix("0 operators\n"))
    }

    @Test func opsDescribesOneOperator() throws {
        let r = try CLI.run("ops", "Reciprocal")
        #expect(r.status == 0)
        #expect(r.stdout.hasPrefix("Reciprocal\n  devices: CPU\n  engines: default only\n  inputs: 1  outputs: 1\n  in-place: {0,0}\n  gradient: yes\n"))
        #expect(r.stdout.contains("    0 X: "))
        try CLI.expectFailure(["ops", "Recip"], "no operator 'Recip' is registered; did you mean 'Reciprocal'")
        try CLI.expectFailure(["ops", "--device", "tpu"], "--device tpu: unknown device")
    }

    // MARK: bench

    @Test func benchReportsRunAndOperatorTimes() throws {
        let r = try CLI.run("bench", reciprocalNet, "--input", "X=random:64,64", "--iterations", "4", "--per-op")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.isEmpty)
        let lines = r.stdout.split(separator: "\n").map(String.init)
        #expect(lines[0] == "net 'reciprocal': 3 operators, 4 timed runs after 1 warm-up")
        #expect(lines[1].hasPrefix("per run: mean "))
        #expect(lines.contains("per operator type:"))
        #expect(lines.contains { $0.hasPrefix("  #1    Reciprocal inv_inplace") })

        let j = try CLI.run("bench", reciprocalNet, "--input", "X=random:64,64", "--iterations", "5", "--warmup", "0", "--per-op", "--json")
        let json = try CLI.json(j.stdout)
        #expect(json["iterations"] as? Int == 5 && json["warmup"] as? Int == 0)
        let perRun = try #require(json["perRun"] as? [String: Double])
        let (mean, median, p90, lo, hi) = (perRun["meanMs"]!, perRun["medianMs"]!, perRun["p90Ms"]!, perRun["minMs"]!, perRun["maxMs"]!)
        #expect(lo > 0 && lo <= median && median <= p90 && p90 <= hi && lo <= mean && mean <= hi)
        let ops = try #require(json["perOperator"] as? [[String: Any]])
        #expect(ops.map { $0["name"] as? String } == ["inv", "inv_inplace", "inv_again"])
        let shares = ops.compactMap { $0["share"] as? Double }
        #expect(abs(shares.reduce(0, +) - 100) < 1e-6)
        let types = try #require(json["perType"] as? [[String: Any]])
        #expect(types.count == 1 && types[0]["count"] as? Int == 3)

        try CLI.expectFailure(["bench", reciprocalNet, "--input", "X=zeros:2", "--iterations", "0"], "--iterations must be at least 1")
        try CLI.expectFailure(["bench", reciprocalNet, "--input", "X=zeros:2", "--warmup", "-1"], "--warmup must be 0 or more")
        try CLI.expectFailure(["bench", reciprocalNet], "input 'X' has no value")
    }

    // MARK: convert and inspect

    @Test func convertRoundTripsBinaryAndText() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let a = try CLI.run("convert", reciprocalNet, dir + "/r.pb")
        #expect(a.status == 0, "\(a.stderr)")
        #expect(a.stdout.hasPrefix("wrote \(dir)/r.pb (binary NetDef, "))
        let b = try CLI.run("convert", dir + "/r.pb", dir + "/r.pbtxt")
        #expect(b.status == 0)
        let original = try NetDef(contentsOfFile: CLI.packageRoot + "/" + reciprocalNet)
        #expect(try NetDef(serializedBytes: Array(Data(contentsOf: URL(fileURLWithPath: dir + "/r.pb")))) == original)
        #expect(try NetDef(textFormat: String(contentsOfFile: dir + "/r.pbtxt", encoding: .utf8)) == original)

        // Tensors: .npy -> TensorProto -> .npy gives numpy's bytes back; BlobProto too.
        let npy = NpyFixtures.directory + "/i8_le.npy"
        #expect(try CLI.run("convert", npy, dir + "/t.pbtxt").status == 0)
        #expect(try CLI.run("convert", dir + "/t.pbtxt", dir + "/t.npy").status == 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: dir + "/t.npy")) == Data(contentsOf: URL(fileURLWithPath: npy)))
        #expect(try CLI.run("convert", "--type", "BlobProto", npy, dir + "/b.pb").status == 0)
        #expect(try BlobProto(contentsOfFile: dir + "/b.pb").tensor?.int64Data.count == 12)

        let before = CLI.files(in: dir)
        try CLI.expectFailure(["convert", dir + "/missing.pb", dir + "/x.pbtxt"], "missing.pb: cannot open file")
        try CLI.expectFailure(["convert", npy, dir + "/x.pb", "--type", "NetDef"], "a .npy tensor converts to TensorProto")
        try CLI.expectFailure(["convert", NpyFixtures.directory + "/u4_unsupported.npy", dir + "/x.pb"], "'<u4' is not supported")
        try CLI.expectFailure(["convert", "--type", "Nope", reciprocalNet, dir + "/x.pb"], "'Nope'")
        #expect(CLI.files(in: dir) == before)
    }

    @Test func inspectSummarisesNetsAndInitNets() throws {
        let r = try CLI.run("inspect", reciprocalNet)
        #expect(r.status == 0)
        #expect(
            r.stdout == """
                name: reciprocal
                type: simple
                operators: 3
                  Reciprocal  3
                external inputs (1): X
                external outputs (2): Y, Z
                arguments: 0
                blobs: 3
                in-place operators: 1
                devices: CPU

                """)
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try """
        name: "init"
        op { output: "w" type: "GivenTensorFill" arg { name: "shape" ints: 2 ints: 3 } arg { name: "values" floats: [1, 2, 3, 4, 5, 6] } }
        op { output: "b" type: "GivenTensorInt64Fill" arg { name: "shape" ints: 2 } arg { name: "values" ints: [7, 8] } }
        op { output: "c" type: "ConstantFill" arg { name: "shape" ints: [4, 5] } arg { name: "dtype" i: 13 } }
        """.write(toFile: dir + "/init.pbtxt", atomically: true, encoding: .utf8)
        let i = try CLI.run("inspect", dir + "/init.pbtxt")
        #expect(i.status == 0, "\(i.stderr)")
        #expect(i.stdout.contains("parameters: 3 tensors, 28 elements, 200 bytes (0.00 MiB)\n"))
        #expect(i.stdout.contains("  w  float [2, 3]  6\n  b  int64 [2]  2\n  c  double [4, 5]  20\n"))
        let j = try CLI.json(try CLI.run("inspect", dir + "/init.pbtxt", "--json").stdout)
        #expect(j["isInitNet"] as? Bool == true)
        #expect(j["parameterBytes"] as? Int == 200)
        try CLI.expectFailure(["inspect", NpyFixtures.directory + "/f4_le.npy"], "not a caffe2.NetDef")
    }

    // MARK: graph

    @Test func graphWritesDOTAndRendersIt() throws {
        let r = try CLI.run("graph", reciprocalNet)
        #expect(r.status == 0)
        #expect(r.stdout.hasPrefix("digraph \"reciprocal\" {\n"))
        #expect(r.stdout.contains("op1 -> blob2 [color=\"#DB4437\", penwidth=2, label=\"in-place\"];"))
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(try CLI.run("graph", reciprocalNet, "-o", dir + "/r.dot", "--rankdir", "LR").status == 0)
        let dot = try String(contentsOfFile: dir + "/r.dot", encoding: .utf8)
        #expect(dot.contains("rankdir=LR;"))
        if TestSupport.haveTool("dot") {
            let s = try CLI.run("graph", reciprocalNet, "-o", dir + "/r.svg")
            #expect(s.status == 0, "\(s.stderr)")
            let svg = try String(contentsOfFile: dir + "/r.svg", encoding: .utf8)
            #expect(svg.contains("<svg") && svg.contains("inv_inplace"))
        }
        try CLI.expectFailure(["graph", reciprocalNet, "-o", dir + "/r.jpeg"], "use a .dot, .gv, .svg, .png or .pdf file name")
        try CLI.expectFailure(["graph", reciprocalNet, "--rankdir", "UP"], "--rankdir UP")
        try CLI.expectFailure(["graph", reciprocalNet, "--hide-parameters"], "--hide-parameters needs --init")
    }

    // MARK: backward

    @Test func backwardPrintsTheGradientMapAndWritesTheNet() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try lossNetText.write(toFile: dir + "/f.pbtxt", atomically: true, encoding: .utf8)
        let r = try CLI.run("backward", dir + "/f.pbtxt", "--loss", "loss")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(
            r.stdout == """
                gradients (3):
                  X    -> X_grad
                  Y    -> Y_grad
                  loss -> loss_autogen_grad
                gradient operators (3):
                  #2 ConstantFill(loss) -> loss_autogen_grad
                  #3 AveragedLossGradient(Y, loss_autogen_grad) -> Y_grad
                  #4 ReciprocalGradient(Y, Y_grad) -> X_grad

                """)
        let w = try CLI.run("backward", dir + "/f.pbtxt", "--loss", "loss", "-o", dir + "/b.pb", "--json")
        #expect(w.status == 0)
        let json = try CLI.json(w.stdout)
        #expect(json["gradients"] as? [String: String] == ["X": "X_grad", "Y": "Y_grad", "loss": "loss_autogen_grad"])
        let net = try NetDef(contentsOfFile: dir + "/b.pb")
        #expect(net.op.map(\.type) == ["Reciprocal", "AveragedLoss", "ConstantFill", "AveragedLossGradient", "ReciprocalGradient"])

        try CLI.expectFailure(["backward", dir + "/f.pbtxt"], "give at least one --loss BLOB")
        try CLI.expectFailure(["backward", dir + "/f.pbtxt", "--loss", "nope"], "--loss nope: the net never produces a blob 'nope'")
        // Reciprocal's gradient reads its output, which the in-place op overwrote: Caffe2's version check.
        try CLI.expectFailure(["backward", reciprocalNet, "--loss", "Z", "-o", dir + "/x.pb"], "Gradient operator needs output \"Y\" at version 0")
        #expect(!FileManager.default.fileExists(atPath: dir + "/x.pb"))
    }

    // MARK: help

    @Test(arguments: ["run", "bench", "shapes", "ops", "backward", "convert", "inspect", "graph"])
    func everySubcommandHasHelpWithAnExample(_ sub: String) throws {
        let r = try CLI.run(sub, "--help")
        #expect(r.status == 0)
        #expect(r.stdout.contains("Examples:\n  caffe2 \(sub)"), "\(sub) --help")
        #expect(r.stdout.contains("USAGE: caffe2 \(sub)"))
    }

    // MARK: models

    @Test func runsAndShapesRealModels() throws {
        guard TestSupport.haveModels else { return }
        let lenet = TestSupport.model("lenet-mnist-onnx")
        let r = try CLI.run(
            "run", lenet + "/predict_net.pb", "--init", lenet + "/init_net.pb", "--input", "1=zeros:1,1,28,28", "--json")
        #expect(r.status == 0, "\(r.stderr)")
        let out = try #require((try CLI.json(r.stdout)["outputs"] as? [[String: Any]])?.first)
        #expect(out["name"] as? String == "26" && out["dims"] as? [Int] == [1, 10])

        let s = try CLI.run("shapes", lenet + "/predict_net.pb", "--init", lenet + "/init_net.pb", "--input", "1=1,1,28,28")
        #expect(s.status == 0, "\(s.stderr)")
        #expect(s.stdout.split(separator: "\n").contains { $0.hasPrefix("  out  26 ") && $0.hasSuffix("float [1, 10]") })

        let mtcnn = TestSupport.model("mtcnn-pnet")
        try CLI.expectFailure(["run", mtcnn + "/predict_net.pb", "--init", mtcnn + "/init_net.pb", "--input", "image=zeros:1"], "has no input 'image'; its inputs are: data (and 13 from the init net)")
    }
}

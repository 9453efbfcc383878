import ArgumentParser
import Caffe2
import Foundation

extension Caffe2Command {
    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run a net and print or save its outputs.",
            discussion: """
                Runs the init net once (--init), feeds the inputs, runs the net --iterations \
                times and prints each output (default: the net's external_output) as its type, \
                shape, min / max / mean and first values, or writes it to a file.

                Input values (--input NAME=VALUE):
                  FILE.npy                 a NumPy array
                  FILE.pb / FILE.pbtxt     a TensorProto, tensor BlobProto or 1-tensor TensorProtos
                  zeros:DIMS ones:DIMS     constant tensors, e.g. zeros:1,3,227,227
                  range:DIMS               0, 1, 2, ... in row-major order
                  random:DIMS              uniform [0, 1) (integers: [0, 10)), seeded by --seed
                Add :DTYPE for another element type (range:6:int64, ones:2,2:double) and, \
                for random, :LOW..HIGH for other bounds (random:64:int32:0..10).
                Inputs the init net created (parameters) may be overridden.

                Outputs (--output NAME or --output NAME=FILE): FILE ending in .npy is a NumPy \
                array, .pb a binary TensorProto, .pbtxt a text TensorProto. Files are written \
                only when the whole run succeeded.

                A training net (one with gradient operators) or a run with --loss prints its \
                loss blobs while iterating.

                Examples:
                  caffe2 run Examples/reciprocal.pbtxt --input X=range:2,3
                  caffe2 run predict_net.pb --init init_net.pb \\
                      --input data=image.npy --output softmaxout=prob.npy
                  caffe2 run train_net.pbtxt --init init.pbtxt --iterations 100 --loss loss
                """
        )

        @OptionGroup var options: RunOptions

        @Option(
            name: .customLong("output"),
            help: ArgumentHelp(
                "An output to print (NAME) or to save (NAME=FILE.npy|.pb|.pbtxt); default: the net's external outputs.",
                valueName: "name[=file]"))
        var outputs: [Assignment] = []

        @Option(parsing: .unconditional, help: "How many times to run the net.")
        var iterations: Int = 1

        @Option(parsing: .unconditional, help: "How many values of each output to print.")
        var show: Int = 10

        @Option(name: .customLong("loss"), help: "A loss blob to print while iterating (repeatable).")
        var losses: [String] = []

        @Option(parsing: .unconditional, help: "Print losses every N iterations (default: about 10 lines per run).")
        var logEvery: Int?

        @Flag(help: "Print the outputs as JSON.")
        var json = false

        func validate() throws {
            guard iterations >= 1 else { throw ValidationError("--iterations must be at least 1, got \(iterations)") }
            guard show >= 0 else { throw ValidationError("--show must be 0 or more, got \(show)") }
            if let n = logEvery, n < 1 { throw ValidationError("--log-every must be at least 1, got \(n)") }
        }

        struct OutputReport: Encodable {
            var name: String
            var dtype: String
            var dims: [Int64]
            var count: Int
            var min: Double?
            var max: Double?
            var mean: Double?
            var nanCount: Int
            var values: [Double]
            var strings: [String]?
            var file: String?
        }

        struct LossReport: Encodable {
            var iteration: Int
            var values: [String: Double]
        }

        struct Report: Encodable {
            var net: String
            var iterations: Int
            var outputs: [OutputReport]
            /// Loss values while iterating; left out when the run printed none.
            var losses: [LossReport]?
        }

        func run() throws {
            // Check output names and files before doing any work.
            let rawNet = try CLI.loadNet(options.net)
            var produced = Set<String>()
            for op in rawNet.op { produced.formUnion(op.output) }
            var requested: [(name: String, file: String?)] = outputs.map { ($0.name, $0.value) }
            if requested.isEmpty {
                let names = rawNet.externalOutput.isEmpty ? (rawNet.op.last?.output ?? []) : rawNet.externalOutput
                requested = names.map { ($0, nil) }
            }
            for (name, file) in requested {
                guard produced.contains(name) else {
                    let declared = rawNet.externalOutput.isEmpty ? "" : " (its external outputs: \(rawNet.externalOutput.joined(separator: ", ")))"
                    throw CLIError("--output \(name): the net never produces a blob '\(name)'\(declared)")
                }
                if let file {
                    guard !file.isEmpty else { throw CLIError("--output \(name)=: give a file name, e.g. \(name)=\(name).npy") }
                    guard TensorFile.Format(path: file) != nil else {
                        throw CLIError("--output \(name)=\(file): cannot tell the format from the file name; use .npy, .pb (TensorProto) or .pbtxt")
                    }
                    let dir = (file as NSString).deletingLastPathComponent
                    var isDir: ObjCBool = false
                    if !dir.isEmpty, !FileManager.default.fileExists(atPath: dir, isDirectory: &isDir) || !isDir.boolValue {
                        throw CLIError("--output \(name)=\(file): directory '\(dir)' does not exist")
                    }
                }
            }
            for l in losses where !produced.contains(l) {
                throw CLIError("--loss \(l): the net never produces a blob '\(l)'")
            }

            let prepared = try PreparedNet.prepare(options, loaded: rawNet)
            let ws = prepared.workspace
            let lossBlobs = losses.isEmpty ? Self.automaticLosses(prepared.def) : losses
            let every = logEvery ?? max(1, iterations / 10)
            var lossReports: [LossReport] = []
            var progress = ProgressBar(total: iterations, label: "run")
            for i in 1...iterations {
                try prepared.net.run()
                if !lossBlobs.isEmpty && (i % every == 0 || i == iterations || i == 1) {
                    var values: [(String, Double)] = []
                    for name in lossBlobs {
                        if let t = try? ws.fetchBlob(name), t.count == 1, t.dataType != .string {
                            values.append((name, t.doubleValues()[0]))
                        }
                    }
                    if !values.isEmpty {
                        lossReports.append(LossReport(iteration: i, values: Dictionary(uniqueKeysWithValues: values)))
                        if !json {
                            progress.finish()
                            let shown = values.map { "\($0.0)=\(CLI.format($0.1, .float))" }.joined(separator: " ")
                            print("iteration \(i)/\(iterations): \(shown)")
                        }
                    }
                }
                progress.update(i)
            }
            progress.finish()

            // Fetch every output and encode every file before writing any.
            var reports: [OutputReport] = []
            var files: [(String, [UInt8])] = []
            for (name, file) in requested {
                let t: Tensor
                do {
                    t = try ws.fetchBlob(name)
                } catch let e as Caffe2Error {
                    throw CLIError("--output \(name): \(e.message)")
                }
                let stats = TensorStatistics(t)
                let values = Array(t.doubleValues().prefix(show))
                reports.append(
                    OutputReport(
                        name: name, dtype: t.dataType.description, dims: t.dims, count: t.count, min: stats.min,
                        max: stats.max, mean: stats.mean, nanCount: stats.nanCount, values: values,
                        strings: t.dataType == .string ? Array(t.strings.prefix(show)) : nil, file: file))
                if let file { files.append((file, try TensorFile.encode(t, name: name, for: file))) }
            }
            for (file, bytes) in files { try CLI.writeAtomically(bytes, to: file) }

            if json {
                try CLI.printJSON(
                    Report(
                        net: prepared.def.name, iterations: iterations, outputs: reports,
                        losses: lossReports.isEmpty ? nil : lossReports))
                return
            }
            for r in reports { Self.printOutput(r) }
        }

        static func printOutput(_ r: OutputReport) {
            let type = DataType(name: r.dtype) ?? .float
            var line = "\(r.name): \(r.dtype) \(CLI.dims(r.dims))"
            if let file = r.file {
                print(line + " -> \(file)")
                return
            }
            if let lo = r.min, let hi = r.max, let mean = r.mean {
                line += "  min=\(CLI.format(lo, type)) max=\(CLI.format(hi, type)) mean=\(CLI.format(mean, .double))"
            }
            if r.nanCount > 0 { line += " nan=\(r.nanCount)" }
            print(line)
            let shown: [String] = r.strings.map { $0.map { "\"\($0)\"" } } ?? r.values.map { CLI.format($0, type) }
            if !shown.isEmpty {
                let more = r.count > shown.count ? ", ...]  (\(shown.count) of \(r.count) shown)" : "]"
                print("  [" + shown.joined(separator: ", ") + more)
            }
        }

        /// Loss blobs of a training net: scalar outputs of forward `*Loss*` operators, when the net has gradient ops.
        static func automaticLosses(_ net: NetDef) -> [String] {
            let training = net.op.contains { $0.isGradientOp || $0.type.hasSuffix("Gradient") }
            guard training else { return [] }
            var names: [String] = []
            for op in net.op where !op.isGradientOp && !op.type.hasSuffix("Gradient") && op.type.contains("Loss") {
                // SoftmaxWithLoss: (softmax, loss); the loss is the last output.
                if let last = op.output.last, !names.contains(last) { names.append(last) }
            }
            return names
        }
    }
}

import ArgumentParser
import Caffe2
import Foundation

extension Caffe2Command {
    struct Shapes: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Infer every blob's shape and type, op by op, without running the net.",
            discussion: """
                Give the shape of each data input as --input NAME=DIMS[:DTYPE] (DTYPE defaults \
                to float), or NAME=FILE / NAME=GENERATOR to take the shape of that tensor. \
                With --init, the parameters' shapes come from the init net. Operators whose \
                inputs are unknown, or that have no shape inference, leave their outputs \
                unknown; nothing is guessed. Schema violations and shape mismatches are \
                reported and make the command fail.

                Examples:
                  caffe2 shapes Examples/reciprocal.pbtxt --input X=2,3
                  caffe2 shapes predict_net.pb --init init_net.pb --input data=1,3,227,227
                  caffe2 shapes predict_net.pb --init init_net.pb --input data=1,1,28,28 --json
                """
        )

        @ArgumentParser.Argument(help: "The net (NetDef, .pb or .pbtxt).", completion: .file())
        var net: String

        @Option(name: .customLong("init"), help: "An init net whose outputs give the parameters' shapes.", completion: .file())
        var initNet: String?

        @Option(
            name: .customLong("input"),
            help: ArgumentHelp("An input shape: NAME=DIMS[:DTYPE] (e.g. data=1,3,224,224), or NAME=FILE / NAME=GENERATOR.", valueName: "name=dims"))
        var inputs: [Assignment] = []

        @Flag(help: "Print the result as JSON.")
        var json = false

        struct BlobShape: Encodable {
            var name: String
            var dtype: String?
            var dims: [Int64]?
        }

        struct Step: Encodable {
            var index: Int
            var type: String
            var name: String
            var inputs: [BlobShape]
            var outputs: [BlobShape]
            var note: String?
        }

        struct Report: Encodable {
            var steps: [Step]
            var blobs: [BlobShape]
            var errors: [String]
        }

        static func describe(_ s: TensorShape) -> String {
            if s.unknownShape { return "unknown" }
            var parts = s.dims.map(String.init)
            for i in s.unknownDims where Int(i) < parts.count && i >= 0 { parts[Int(i)] = "?" }
            return "\(s.dataType) [\(parts.joined(separator: ", "))]"
        }

        static func blob(_ name: String, _ s: TensorShape) -> BlobShape {
            s.unknownShape ? BlobShape(name: name) : BlobShape(name: name, dtype: s.dataType.description, dims: s.dims)
        }

        func run() throws {
            let def = try CLI.loadNet(net)
            let initDef = try initNet.map { try CLI.loadNet($0) }
            let netInputs = NetInputs(net: def, initNet: initDef)
            var seeds: [String: TensorShape] = [:]
            if let initDef {
                // A one-element placeholder the init net makes for a data input is not its shape.
                seeds = try Self.initShapes(initDef, path: initNet!).filter { !netInputs.placeholders.contains($0.key) }
            }
            var seen = Set<String>()
            for a in inputs {
                try netInputs.check(a.name, net: def)
                guard seen.insert(a.name).inserted else { throw CLIError("--input \(a.name) is given twice") }
                guard let value = a.value, !value.isEmpty else {
                    throw CLIError("--input \(a.name): give a shape, e.g. \(a.name)=1,3,224,224 or \(a.name)=1,3,224,224:float")
                }
                seeds[a.name] = try Self.shape(of: value, input: a.name)
            }
            let result = inferShapes(of: def, inputs: seeds)

            let unseeded = netInputs.all.filter { seeds[$0] == nil }
            var steps: [Step] = []
            for s in result.steps {
                steps.append(
                    Step(
                        index: s.opIndex, type: s.opType, name: s.opName,
                        inputs: s.inputs.map { Self.blob($0.name, $0.shape) },
                        outputs: s.outputs.map { Self.blob($0.name, $0.shape) }, note: s.note))
            }
            var names = Set(result.shapes.keys)
            for op in def.op {
                names.formUnion(op.input)
                names.formUnion(op.output)
            }
            let blobs = names.sorted().map { Self.blob($0, result.shapes[$0] ?? TensorShape.unknown()) }
            let errors = result.errors.map(\.description)
            if json {
                try CLI.printJSON(Report(steps: steps, blobs: blobs, errors: errors))
            } else {
                let width = max(4, result.steps.flatMap { $0.inputs.map(\.name.count) + $0.outputs.map(\.name.count) }.max() ?? 0)
                func pad(_ s: String) -> String { s + String(repeating: " ", count: max(0, width - s.count)) }
                for s in result.steps {
                    print("#\(s.opIndex) \(s.opType)" + (s.opName.isEmpty ? "" : " \"\(s.opName)\""))
                    for i in s.inputs { print("  in   \(pad(i.name))  \(Self.describe(i.shape))") }
                    for o in s.outputs {
                        var line = "  out  \(pad(o.name))  \(Self.describe(o.shape))"
                        if o.shape.unknownShape, let note = s.note { line += "  (\(note))" }
                        print(line)
                    }
                }
                let known = blobs.filter { $0.dims != nil }.count
                print("blobs: \(blobs.count) (\(known) known, \(blobs.count - known) unknown)")
                if !unseeded.isEmpty {
                    let shown = unseeded.prefix(5).joined(separator: ", ") + (unseeded.count > 5 ? ", ..." : "")
                    print(
                        "note: no shape given for \(unseeded.count) input\(unseeded.count == 1 ? "" : "s") (\(shown)); use --input NAME=DIMS"
                            + (initDef == nil && unseeded.count > 1 ? " or --init INIT_NET" : ""))
                }
            }
            if let first = result.errors.first {
                let more = result.errors.count > 1 ? " (and \(result.errors.count - 1) more)" : ""
                throw CLIError("shape inference failed: \(first.description)\(more)")
            }
        }

        /// A shape spec (`1,3,224,224[:float]`), or the shape of a tensor file or generator.
        static func shape(of value: String, input: String) throws -> TensorShape {
            do {
                return try TensorShape(spec: value)
            } catch let specError as Caffe2Error {
                guard TensorGenerator.looksLikeGenerator(value) || FileManager.default.fileExists(atPath: value) else {
                    throw CLIError("--input \(input): \(specError.message) (or give an existing tensor file)")
                }
            }
            do {
                let t = try TensorSource(parsing: value).load()
                return TensorShape(dims: t.dims, dataType: t.dataType)
            } catch let e as Caffe2Error {
                throw CLIError("--input \(input): \(e.description)")
            }
        }

        /// Shapes of the init net's outputs: inferred, or from running it when inference leaves some unknown.
        static func initShapes(_ initDef: NetDef, path: String) throws -> [String: TensorShape] {
            let inferred = inferShapes(of: initDef, inputs: [:])
            let outputs = Set(initDef.op.flatMap(\.output))
            if inferred.errors.isEmpty && outputs.allSatisfy({ inferred.shapes[$0].map { !$0.unknownShape } ?? false }) {
                return inferred.shapes.filter { outputs.contains($0.key) }
            }
            let ws = Workspace()
            do {
                try ws.runNetOnce(initDef)
            } catch let e as Caffe2Error {
                throw CLIError("init net \(path): \(e.description)")
            }
            var shapes: [String: TensorShape] = [:]
            for name in outputs {
                if let t = try? ws.fetchBlob(name) { shapes[name] = TensorShape(dims: t.dims, dataType: t.dataType) }
            }
            return shapes
        }
    }
}

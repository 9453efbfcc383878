import ArgumentParser
import Caffe2
import Foundation

/// A failure the CLI itself detects (bad option values, missing tools).
struct CLIError: Error {
    var message: String
    init(_ message: String) { self.message = message }
}

/// Shared helpers of the subcommands: loading, feeding, printing.
enum CLI {
    /// Prints `error: <message>` as one line on stderr and exits with `code`.
    static func fail(_ message: String, code: Int32 = 1) -> Never {
        let oneLine = message.split(whereSeparator: \.isNewline).joined(separator: " ")
        writeStderr("error: \(oneLine)\n")
        exit(code == 0 ? 1 : code)
    }

    static func writeStderr(_ s: String) {
        FileHandle.standardError.write(Data(s.utf8))
    }

    /// Whether stderr is a terminal (progress bars only then).
    static var stderrIsTerminal: Bool { isatty(2) == 1 }

    /// Reads a NetDef (binary or text, detected from the content).
    static func loadNet(_ path: String) throws -> NetDef {
        try NetDef(contentsOfFile: path)
    }

    /// Writes bytes to `path` through a temporary file and a rename (nothing is left on failure).
    static func writeAtomically(_ bytes: [UInt8], to path: String) throws {
        do {
            try Data(bytes).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw CLIError("\(path): cannot write file: \((error as NSError).localizedDescription)")
        }
    }

    /// Prints a value as pretty, key-sorted JSON on stdout.
    static func printJSON<T: Encodable>(_ value: T) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let data = try encoder.encode(value)
        print(String(decoding: data, as: UTF8.self))
    }

    /// A number as the CLI prints it: 6 significant digits for floats, exact integers, `true`/`false`.
    static func format(_ v: Double, _ type: DataType) -> String {
        if v.isNaN { return "nan" }
        if v.isInfinite { return v > 0 ? "inf" : "-inf" }
        if type == .bool { return v != 0 ? "true" : "false" }
        if !type.isFloatingPoint, v == v.rounded(), abs(v) < 1e18 { return String(Int64(v)) }
        return String(format: "%.6g", v)
    }

    /// Milliseconds with three decimals.
    static func ms(_ seconds: Double) -> String { String(format: "%.3f ms", seconds * 1000) }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }

    /// A dims list as `[1, 3, 224, 224]`.
    static func dims(_ d: [Int64]) -> String { "[" + d.map(String.init).joined(separator: ", ") + "]" }
}

/// `NAME=VALUE` from the command line.
struct Assignment: ExpressibleByArgument, CustomStringConvertible {
    var name: String
    var value: String?

    init?(argument: String) {
        if let eq = argument.firstIndex(of: "=") {
            name = String(argument[..<eq])
            value = String(argument[argument.index(after: eq)...])
        } else {
            name = argument
            value = nil
        }
        if name.isEmpty { return nil }
    }

    var description: String { value.map { "\(name)=\($0)" } ?? name }
}

/// The blobs a net reads from outside, split into the data inputs and the ones an init net provides.
struct NetInputs {
    /// Every input: `external_input`, or (when the net declares none) the blobs read before any op writes them.
    var all: [String]
    /// Inputs the init net does not create, or creates only as a placeholder.
    var data: [String]
    /// Inputs the init net creates (parameters).
    var fromInit: Set<String>
    /// Data inputs for which the init net only creates a one-element placeholder.
    var placeholders: Set<String>

    init(net: NetDef, initNet: NetDef?) {
        if !net.externalInput.isEmpty {
            all = net.externalInput
        } else {
            var written = Set<String>()
            var seen = Set<String>()
            var order: [String] = []
            for op in net.op {
                for i in op.input where !written.contains(i) && !seen.contains(i) {
                    seen.insert(i)
                    order.append(i)
                }
                written.formUnion(op.output)
            }
            all = order
        }
        // Translators (caffe_translator.py, ONNX export) make the init net create the data input as a
        // one-element ConstantFill placeholder with no value (`ConstantFill([], [data], shape=[1])`);
        // that input still needs a real value. A ConstantFill that sets a `value` (an iteration
        // counter, a constant such as ONE) is a real initial value.
        var created = Set<String>()
        var placeholders = Set<String>()
        for op in initNet?.op ?? [] {
            for o in op.output {
                created.insert(o)
                if op.type == "ConstantFill", op.input.isEmpty, op.argument(named: "value") == nil,
                    (op.argument(named: "shape")?.ints ?? [1]).reduce(1, *) == 1
                {
                    placeholders.insert(o)
                } else {
                    placeholders.remove(o)
                }
            }
        }
        let parameters = created.intersection(all).subtracting(placeholders)
        self.placeholders = placeholders.intersection(all)
        fromInit = parameters
        data = all.filter { !parameters.contains($0) }
    }

    /// Throws unless `name` is one of the net's inputs.
    func check(_ name: String, net: NetDef) throws {
        guard all.contains(name) else {
            var listing = data.isEmpty ? "none" : data.joined(separator: ", ")
            if !fromInit.isEmpty { listing += " (and \(fromInit.count) from the init net)" }
            let label = net.name.isEmpty ? "the net" : "net '\(net.name)'"
            throw CLIError("\(label) has no input '\(name)'; its inputs are: \(listing)")
        }
    }
}

/// Options every command that runs a net shares.
struct RunOptions: ParsableArguments {
    @ArgumentParser.Argument(help: "The net to run (NetDef, .pb or .pbtxt).", completion: .file())
    var net: String

    @Option(name: .customLong("init"), help: "An init net run once before (creates the parameters).", completion: .file())
    var initNet: String?

    @Option(
        name: .customLong("input"),
        help: ArgumentHelp(
            "An input: NAME=FILE (.npy, TensorProto or BlobProto) or NAME=GENERATOR (zeros:DIMS, ones:DIMS, range:DIMS, random:DIMS, each optionally :DTYPE).",
            valueName: "name=value"))
    var inputs: [Assignment] = []

    @Option(help: "Seed of random: inputs (each input also mixes in its name).")
    var seed: UInt64 = 0
}

/// A loaded net with its workspace, ready to run.
struct PreparedNet {
    var def: NetDef
    var initNet: NetDef?
    var workspace: Workspace
    var net: Net
    var inputs: NetInputs

    /// Loads the nets, runs the init net, feeds the inputs and creates the net.
    ///
    /// Checks everything that can be checked before running: input names,
    /// inputs without a value, tensors that do not load.
    static func prepare(_ options: RunOptions, loaded: NetDef? = nil) throws -> PreparedNet {
        var def = try loaded ?? CLI.loadNet(options.net)
        let initNet = try options.initNet.map { try CLI.loadNet($0) }
        let inputs = NetInputs(net: def, initNet: initNet)
        var fed: [(String, Tensor)] = []
        var seen = Set<String>()
        for a in options.inputs {
            try inputs.check(a.name, net: def)
            guard let value = a.value, !value.isEmpty else {
                throw CLIError("--input \(a.name): give a value, e.g. \(a.name)=input.npy or \(a.name)=zeros:1,3,224,224")
            }
            guard seen.insert(a.name).inserted else { throw CLIError("--input \(a.name) is given twice") }
            let source: TensorSource
            do {
                source = try TensorSource(parsing: value)
            } catch let e as Caffe2Error {
                throw CLIError("--input \(a.name): \(e.description)")
            }
            do {
                fed.append((a.name, try source.load(seed: mixSeed(options.seed, a.name))))
            } catch let e as Caffe2Error {
                throw CLIError("--input \(a.name): \(e.description)")
            }
        }
        let ws = Workspace()
        if let initNet {
            do {
                try ws.runNetOnce(initNet)
            } catch let e as Caffe2Error {
                throw CLIError("init net \(options.initNet!): \(e.description)")
            }
        }
        for (name, t) in fed { ws.feedBlob(name, t) }
        let missing = inputs.all.filter { !ws.hasBlob($0) || (inputs.placeholders.contains($0) && !seen.contains($0)) }
        if !missing.isEmpty {
            let example = missing[0]
            throw CLIError(
                "\(missing.count == 1 ? "input" : "inputs") \(missing.map { "'\($0)'" }.joined(separator: ", ")) \(missing.count == 1 ? "has" : "have") no value; give --input \(example)=FILE.npy or --input \(example)=zeros:DIMS"
                    + (initNet == nil && missing.count > 1 ? " (or --init INIT_NET for the parameters)" : ""))
        }
        if def.name.isEmpty {
            // Unnamed nets (common in model zoos) take the file's name.
            let base = (options.net as NSString).lastPathComponent
            def.name = base.split(separator: ".").first.map(String.init) ?? "net"
        }
        let net = try ws.createNet(def)
        return PreparedNet(def: def, initNet: initNet, workspace: ws, net: net, inputs: inputs)
    }

    /// The seed of one input: the user's seed mixed with the input's name (FNV-1a), so two random inputs differ.
    static func mixSeed(_ seed: UInt64, _ name: String) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in name.utf8 {
            h ^= UInt64(b)
            h &*= 0x0000_0100_0000_01B3
        }
        return seed ^ h
    }
}

/// A one-line progress bar on stderr, drawn only when stderr is a terminal.
struct ProgressBar {
    let total: Int
    let label: String
    let enabled: Bool
    private var drawn = -1

    init(total: Int, label: String) {
        self.total = total
        self.label = label
        enabled = CLI.stderrIsTerminal && total > 1
    }

    mutating func update(_ done: Int) {
        guard enabled else { return }
        let width = 30
        let filled = done * width / max(total, 1)
        let percent = done * 100 / max(total, 1)
        guard percent != drawn else { return }
        drawn = percent
        let bar = String(repeating: "#", count: filled) + String(repeating: " ", count: width - filled)
        CLI.writeStderr("\r\(label) [\(bar)] \(done)/\(total)")
    }

    func finish() {
        if enabled { CLI.writeStderr("\r\u{1B}[K") }
    }
}

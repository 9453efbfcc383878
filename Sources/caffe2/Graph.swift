import ArgumentParser
import Caffe2
import Foundation

extension Caffe2Command {
    struct Graph: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Draw a net as a Graphviz graph (DOT, or SVG/PNG/PDF through 'dot').",
            discussion: """
                Operators are green boxes (gradient operators red), blobs octagons with one \
                node per version, so an in-place operator shows as a bold red 'in-place' edge \
                to the blob's next version. External inputs are blue, external outputs orange \
                double octagons; with --init, the init net's outputs (parameters) are grey, or \
                left out with --hide-parameters.

                Without -o the DOT text goes to stdout. -o FILE.dot (or .gv) writes it; \
                -o FILE.svg, .png or .pdf renders it with Graphviz's 'dot', which must be on PATH.

                Examples:
                  caffe2 graph Examples/reciprocal.pbtxt
                  caffe2 graph predict_net.pb --init init_net.pb --hide-parameters -o net.svg
                  caffe2 graph predict_net.pb --rankdir LR -o net.dot
                """
        )

        @ArgumentParser.Argument(help: "The net (NetDef, .pb or .pbtxt).", completion: .file())
        var net: String

        @Option(name: .customLong("init"), help: "An init net: its outputs are drawn as parameters.", completion: .file())
        var initNet: String?

        @Option(name: .shortAndLong, help: "Output file: .dot/.gv (DOT), .svg, .png or .pdf (rendered by dot).", completion: .file())
        var output: String?

        @Option(help: "Layout direction: TB (top to bottom), LR, BT or RL.")
        var rankdir: String = "TB"

        @Flag(help: "Leave the init net's parameters out (needs --init).")
        var hideParameters = false

        func run() throws {
            guard let direction = GraphvizOptions.Direction(rawValue: rankdir.uppercased()) else {
                throw CLIError("--rankdir \(rankdir): use TB, LR, BT or RL")
            }
            if hideParameters && initNet == nil {
                throw CLIError("--hide-parameters needs --init INIT_NET (the parameters are the init net's outputs)")
            }
            var renderFormat: String?
            if let output {
                let ext = (output as NSString).pathExtension.lowercased()
                switch ext {
                case "dot", "gv": renderFormat = nil
                case "svg", "png", "pdf": renderFormat = ext
                default: throw CLIError("-o \(output): use a .dot, .gv, .svg, .png or .pdf file name")
                }
            }
            let def = try CLI.loadNet(net)
            var options = GraphvizOptions(rankdir: direction)
            if let initNet {
                options.parameters = Set(try CLI.loadNet(initNet).op.flatMap(\.output))
                options.hideParameters = hideParameters
            }
            let dot = def.graphvizDOT(options)
            guard let output else {
                print(dot, terminator: "")
                return
            }
            if let format = renderFormat {
                try CLI.writeAtomically(try Self.render(dot, format: format), to: output)
            } else {
                try CLI.writeAtomically(Array(dot.utf8), to: output)
            }
            print("wrote \(output)")
        }

        /// Runs `dot -T<format>` on the DOT text and returns what it prints.
        static func render(_ dot: String, format: String) throws -> [UInt8] {
            let path = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
                .map { "\($0)/dot" }.first { FileManager.default.isExecutableFile(atPath: $0) }
            guard let path else {
                throw CLIError("Graphviz 'dot' is not on PATH (install graphviz), or write DOT with -o FILE.dot")
            }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: path)
            process.arguments = ["-T\(format)"]
            let stdin = Pipe()
            let stdout = Pipe()
            let stderr = Pipe()
            process.standardInput = stdin
            process.standardOutput = stdout
            process.standardError = stderr
            try process.run()
            // Read the outputs on other threads while feeding stdin, so large graphs cannot deadlock.
            let outBox = DataBox()
            let errBox = DataBox()
            let group = DispatchGroup()
            DispatchQueue.global().async(group: group) { outBox.data = stdout.fileHandleForReading.readDataToEndOfFile() }
            DispatchQueue.global().async(group: group) { errBox.data = stderr.fileHandleForReading.readDataToEndOfFile() }
            stdin.fileHandleForWriting.write(Data(dot.utf8))
            try stdin.fileHandleForWriting.close()
            process.waitUntilExit()
            group.wait()
            guard process.terminationStatus == 0 else {
                let why = String(decoding: errBox.data, as: UTF8.self).split(whereSeparator: \.isNewline).first ?? "exit status \(process.terminationStatus)"
                throw CLIError("dot -T\(format) failed: \(why)")
            }
            return Array(outBox.data)
        }
    }
}

/// Bytes filled in by a reader thread and read after it finished.
final class DataBox: @unchecked Sendable {
    var data = Data()
}

import ArgumentParser
import Caffe2
import Foundation

/// `caffe2`: run, time, inspect, convert and draw Caffe2 nets.
///
/// Every subcommand parses its arguments, calls the library and prints.
/// Failures print one `error: …` line on stderr and exit non-zero.
@main
struct Caffe2Command: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "caffe2",
        abstract: "Run, inspect and convert Caffe2 nets.",
        discussion: """
            Nets are NetDef files in binary (.pb) or text (.pbtxt) format; the format is \
            detected from the content. Tensors are .npy files, TensorProto/BlobProto files \
            or generators such as zeros:1,3,224,224.

            Examples:
              caffe2 run Examples/reciprocal.pbtxt --input X=range:2,3
              caffe2 inspect predict_net.pb
              caffe2 shapes predict_net.pb --init init_net.pb --input data=1,3,227,227
            """,
        version: "swift-caffe2 0.1.0",
        subcommands: [
            Run.self, Bench.self, Shapes.self, Ops.self, Backward.self, Convert.self, Inspect.self, Graph.self,
        ]
    )

    /// Parses and runs; every failure becomes one `error:` line.
    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        var command: ParsableCommand
        do {
            command = try parseAsRoot(arguments)
        } catch {
            // Help and version print their text and exit 0; usage errors name the help to read.
            if exitCode(for: error) == .success { exit(withError: error) }
            let message = Self.message(for: error).trimmingCharacters(in: .whitespacesAndNewlines)
            var hint = "caffe2 --help"
            if let sub = arguments.first, configuration.subcommands.contains(where: { $0._commandName == sub }) {
                hint = "caffe2 \(sub) --help"
            }
            let text = message.isEmpty ? "invalid arguments" : message
            CLI.fail("\(text) (see '\(hint)')", code: exitCode(for: error).rawValue)
        }
        do {
            try command.run()
        } catch let error as Caffe2Error {
            CLI.fail(error.description)
        } catch let error as CLIError {
            CLI.fail(error.message)
        } catch {
            if exitCode(for: error) == .success { exit(withError: error) }
            CLI.fail("\(error)")
        }
    }
}

import ArgumentParser
import Caffe2
import Foundation

extension Caffe2Command {
    struct Ops: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the registered operators, or describe one.",
            discussion: """
                Without TYPE, prints one line per operator type: the devices it has kernels \
                for, named engines, input and output counts (N, MIN-MAX or MIN+), allowed \
                in-place pairs {input,output}, and its gradient: yes (a gradient maker), \
                no-gradient (NO_GRADIENT), should-not (SHOULD_NOT_DO_GRADIENT), \
                not-implemented, or none (nothing registered). With TYPE, prints the \
                operator's full schema and documentation.

                With --markdown, prints the whole operator reference in Markdown \
                (docs/operators.md is this output).

                Examples:
                  caffe2 ops
                  caffe2 ops --device cpu --json
                  caffe2 ops Reciprocal
                  caffe2 ops --markdown > docs/operators.md
                """
        )

        @ArgumentParser.Argument(help: "An operator type to describe in full.")
        var type: String?

        @Option(help: "Only operators with a kernel on this device (cpu, cuda, ...).")
        var device: String?

        @Flag(help: "Print JSON.")
        var json = false

        @Flag(help: "Print the full operator reference in Markdown (docs/operators.md).")
        var markdown = false

        func run() throws {
            if markdown {
                guard type == nil, device == nil, !json else {
                    throw CLIError("--markdown prints the whole reference; it takes no TYPE, --device or --json")
                }
                print(OperatorRegistry.standard.operatorReferenceMarkdown(), terminator: "")
                return
            }
            var deviceType: DeviceType?
            if let device {
                guard let d = DeviceType(name: device) else {
                    throw CLIError("--device \(device): unknown device (use cpu, cuda, mkldnn, opengl, opencl, ideep, hip, ...)")
                }
                deviceType = d
            }
            if let type {
                guard let info = OperatorInfo(type: type) else {
                    let all = OperatorRegistry.standard.operatorTypes
                    let close = all.filter { $0.lowercased().contains(type.lowercased()) || type.lowercased().contains($0.lowercased()) }
                        .prefix(5)
                    throw CLIError(
                        "no operator '\(type)' is registered" + (close.isEmpty ? "" : "; did you mean \(close.map { "'\($0)'" }.joined(separator: ", "))?")
                            + " ('caffe2 ops' lists all \(all.count))")
                }
                if let deviceType, !info.devices.contains(deviceType.description) {
                    throw CLIError("operator '\(type)' has no kernel on \(deviceType) (it has: \(info.devices.joined(separator: ", ")))")
                }
                if json {
                    try CLI.printJSON(info)
                } else {
                    Self.describe(info)
                }
                return
            }
            let infos = OperatorInfo.all(device: deviceType)
            if json {
                try CLI.printJSON(infos)
                return
            }
            let header = ["TYPE", "DEVICES", "ENGINES", "INPUTS", "OUTPUTS", "IN-PLACE", "GRADIENT"]
            let rows = infos.map { i in
                [
                    i.type, i.devices.joined(separator: ","),
                    i.engines.isEmpty ? "-" : i.engines.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value.joined(separator: "|"))" }.joined(separator: ","),
                    i.inputs, i.outputs,
                    i.inPlace.isEmpty ? (i.enforcedInPlace.isEmpty ? "-" : "enforced \(i.enforcedInPlace)") : i.inPlace.replacingOccurrences(of: " ", with: ""),
                    i.gradient,
                ]
            }
            var widths = header.map(\.count)
            for r in rows { for (k, c) in r.enumerated() { widths[k] = max(widths[k], c.count) } }
            func line(_ cells: [String]) -> String {
                cells.enumerated().map { k, c in k == cells.count - 1 ? c : c + String(repeating: " ", count: widths[k] - c.count) }
                    .joined(separator: "  ")
            }
            print(line(header))
            for r in rows { print(line(r)) }
            print("\(infos.count) operators")
        }

        static func describe(_ i: OperatorInfo) {
            print(i.type)
            print("  devices: \(i.devices.isEmpty ? "-" : i.devices.joined(separator: ", "))")
            let engines = i.engines.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value.joined(separator: ", "))" }
            print("  engines: \(engines.isEmpty ? "default only" : engines.joined(separator: "; "))")
            print("  inputs: \(i.inputs)  outputs: \(i.outputs)")
            print("  in-place: \(i.inPlace.isEmpty ? "not allowed" : i.inPlace)" + (i.enforcedInPlace.isEmpty ? "" : "  (required: \(i.enforcedInPlace))"))
            print("  gradient: \(i.gradient)")
            print("  shape inference: \(i.shapeInference.isEmpty ? "none" : i.shapeInference)")
            if !i.types.isEmpty { print("  types: \(i.types.joined(separator: ", "))") }
            if !i.arguments.isEmpty {
                print("  arguments:")
                for a in i.arguments { print("    \(a)") }
            }
            if !i.inputDocs.isEmpty {
                print("  input slots:")
                for (k, d) in i.inputDocs.enumerated() { print("    \(k) \(d)") }
            }
            if !i.outputDocs.isEmpty {
                print("  output slots:")
                for (k, d) in i.outputDocs.enumerated() { print("    \(k) \(d)") }
            }
            if !i.documentation.isEmpty {
                print("")
                for l in i.documentation.split(separator: "\n", omittingEmptySubsequences: false) { print("  \(l)") }
            }
        }
    }
}

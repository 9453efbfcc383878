import ArgumentParser
import Caffe2
import Foundation

extension Caffe2Command {
    struct Inspect: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Summarise a net: operators by type, external blobs, arguments, parameters.",
            discussion: """
                Prints the net's name and executor type, the operator count by type (most \
                frequent first), its external inputs and outputs, the argument and blob counts. \
                For an init net (only fill operators, none reading an input) it also lists every \
                parameter with its type and shape, and the total elements and bytes.

                Examples:
                  caffe2 inspect Examples/reciprocal.pbtxt
                  caffe2 inspect init_net.pb
                  caffe2 inspect predict_net.pb --json
                """
        )

        @ArgumentParser.Argument(help: "The net (NetDef, .pb or .pbtxt).", completion: .file())
        var net: String

        @Flag(help: "Print the summary as JSON.")
        var json = false

        func run() throws {
            let summary = NetSummary(try CLI.loadNet(net))
            if json {
                try CLI.printJSON(summary)
                return
            }
            print("name: \(summary.name.isEmpty ? "(none)" : summary.name)")
            print("type: \(summary.type)")
            print("operators: \(summary.operatorCount)")
            let width = summary.operatorTypes.map(\.type.count).max() ?? 0
            for t in summary.operatorTypes {
                print("  \(t.type)\(String(repeating: " ", count: width - t.type.count))  \(t.count)")
            }
            func list(_ names: [String]) -> String { names.isEmpty ? "" : " " + names.joined(separator: ", ") }
            print("external inputs (\(summary.externalInputs.count)):\(list(summary.externalInputs))")
            print("external outputs (\(summary.externalOutputs.count)):\(list(summary.externalOutputs))")
            print("arguments: \(summary.argumentCount)")
            print("blobs: \(summary.blobCount)")
            if summary.inPlaceOperatorCount > 0 { print("in-place operators: \(summary.inPlaceOperatorCount)") }
            if summary.gradientOperatorCount > 0 { print("gradient operators: \(summary.gradientOperatorCount)") }
            if !summary.engines.isEmpty { print("engines: \(summary.engines.joined(separator: ", "))") }
            print("devices: \(summary.devices.joined(separator: ", "))")
            guard summary.isInitNet else { return }
            let mib = Double(summary.parameterBytes) / 1_048_576
            print(
                "parameters: \(summary.parameters.count) tensors, \(summary.parameterElements) elements, \(summary.parameterBytes) bytes"
                    + String(format: " (%.2f MiB)", mib))
            let nameWidth = summary.parameters.map(\.name.count).max() ?? 0
            for p in summary.parameters {
                let shape = p.dims.map { CLI.dims($0) } ?? "(shape from input)"
                let count = p.elements.map { "  \($0)" } ?? ""
                print("  \(p.name)\(String(repeating: " ", count: nameWidth - p.name.count))  \(p.dataType) \(shape)\(count)")
            }
        }
    }
}

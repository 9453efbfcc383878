import ArgumentParser
import Caffe2
import Foundation

extension Caffe2Command {
    struct Backward: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Append the gradient operators of a net for its loss blobs.",
            discussion: """
                Builds the backward pass exactly as Caffe2's Net.AddGradientOperators does: \
                each loss is seeded with ConstantFill(loss -> loss_autogen_grad, value=1.0), \
                gradients are named BLOB_grad and accumulated with Sum where a blob feeds \
                several operators. Prints every blob's gradient (BLOB -> GRADIENT; a sparse \
                gradient prints as (INDICES, VALUES)) and the gradient operators. With -o, \
                writes the forward net with the gradient operators appended (.pb binary, \
                .pbtxt text).

                Examples:
                  caffe2 backward Examples/backward_example.pbtxt --loss loss
                  caffe2 backward forward.pbtxt --loss loss -o train.pbtxt
                """
        )

        @ArgumentParser.Argument(help: "The forward net (NetDef, .pb or .pbtxt).", completion: .file())
        var net: String

        @Option(name: .customLong("loss"), help: "A loss blob (repeatable; at least one).")
        var losses: [String] = []

        @Option(name: .shortAndLong, help: "Where to write the net with its gradient operators (.pb or .pbtxt).", completion: .file())
        var output: String?

        @Flag(help: "Print the gradient map and operators as JSON.")
        var json = false

        func validate() throws {
            guard !losses.isEmpty else { throw ValidationError("give at least one --loss BLOB") }
        }

        struct Report: Encodable {
            var gradients: [String: String]
            var sparseGradients: [String: [String]]
            var ops: [String]
            var output: String?
        }

        func run() throws {
            var def = try CLI.loadNet(net)
            let produced = Set(def.op.flatMap(\.output))
            for l in losses where !produced.contains(l) {
                let outs = def.externalOutput.isEmpty ? "" : " (its external outputs: \(def.externalOutput.joined(separator: ", ")))"
                throw CLIError("--loss \(l): the net never produces a blob '\(l)'\(outs)")
            }
            let forwardCount = def.op.count
            let map = try def.addGradientOperators(losses: losses)
            let gradientOps = Array(def.op[forwardCount...])
            if let output { try def.write(toFile: output) }

            let described = gradientOps.enumerated().map { k, op in
                "#\(forwardCount + k) \(op.type)(\(op.input.joined(separator: ", "))) -> \(op.output.joined(separator: ", "))"
            }
            if json {
                var dense: [String: String] = [:]
                var sparse: [String: [String]] = [:]
                for (k, g) in map {
                    switch g {
                    case .dense(let d): dense[k] = d
                    case .sparse(let i, let v): sparse[k] = [i, v]
                    }
                }
                try CLI.printJSON(Report(gradients: dense, sparseGradients: sparse, ops: described, output: output))
                return
            }
            print("gradients (\(map.count)):")
            let width = map.keys.map(\.count).max() ?? 0
            for name in map.keys.sorted() {
                print("  \(name)\(String(repeating: " ", count: width - name.count)) -> \(map[name]!)")
            }
            print("gradient operators (\(gradientOps.count)):")
            for d in described { print("  \(d)") }
            if let output {
                print("wrote \(output): \(forwardCount) forward + \(gradientOps.count) gradient operators")
            }
        }
    }
}

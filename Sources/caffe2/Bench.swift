import ArgumentParser
import Caffe2
import Foundation

extension Caffe2Command {
    struct Bench: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Time a net: mean, median and p90 per run, optionally per operator.",
            discussion: """
                Like Caffe2's caffe2_benchmark: runs the init net once, feeds the inputs \
                (same syntax as 'caffe2 run'), runs --warmup untimed runs, then times \
                --iterations runs. With --per-op, every operator is timed on its own and \
                the report lists the time per operator and per operator type with its share \
                of the total.

                Examples:
                  caffe2 bench predict_net.pb --init init_net.pb --input data=zeros:1,3,227,227
                  caffe2 bench predict_net.pb --init init_net.pb \\
                      --input data=random:1,3,227,227 --iterations 50 --per-op
                  caffe2 bench Examples/reciprocal.pbtxt --input X=random:1000,1000 --json
                """
        )

        @OptionGroup var options: RunOptions

        @Option(parsing: .unconditional, help: "Untimed runs before timing.")
        var warmup: Int = 1

        @Option(parsing: .unconditional, help: "Timed runs.")
        var iterations: Int = 10

        @Flag(name: .customLong("per-op"), help: "Time each operator and each operator type.")
        var perOp = false

        @Flag(help: "Print the report as JSON.")
        var json = false

        func validate() throws {
            guard iterations >= 1 else { throw ValidationError("--iterations must be at least 1, got \(iterations)") }
            guard warmup >= 0 else { throw ValidationError("--warmup must be 0 or more, got \(warmup)") }
        }

        struct Summary: Encodable {
            var meanMs: Double
            var medianMs: Double
            var p90Ms: Double
            var minMs: Double
            var maxMs: Double
        }

        struct OperatorTime: Encodable {
            var index: Int
            var type: String
            var name: String
            var meanMs: Double
            var share: Double
        }

        struct TypeTime: Encodable {
            var type: String
            var count: Int
            var totalMs: Double
            var share: Double
        }

        struct Report: Encodable {
            var net: String
            var operators: Int
            var warmup: Int
            var iterations: Int
            var perRun: Summary
            var perOperator: [OperatorTime]?
            var perType: [TypeTime]?
        }

        func run() throws {
            let prepared = try PreparedNet.prepare(options)
            let net = prepared.net
            var progress = ProgressBar(total: warmup + iterations, label: "bench")
            for i in 0..<warmup {
                try net.run()
                progress.update(i + 1)
            }
            let clock = ContinuousClock()
            var runs: [Double] = []
            var opTotals = [Double](repeating: 0, count: net.operatorCount)
            for i in 0..<iterations {
                let start = clock.now
                if perOp {
                    let times = try net.runTimed()
                    for (k, t) in times.enumerated() { opTotals[k] += CLI.seconds(t) }
                } else {
                    try net.run()
                }
                runs.append(CLI.seconds(clock.now - start))
                progress.update(warmup + i + 1)
            }
            progress.finish()

            let sorted = runs.sorted()
            let n = Double(runs.count)
            // Nearest-rank percentiles.
            func percentile(_ p: Double) -> Double { sorted[max(0, Int((p * n).rounded(.up)) - 1)] }
            let median = runs.count % 2 == 1 ? sorted[runs.count / 2] : (sorted[runs.count / 2 - 1] + sorted[runs.count / 2]) / 2
            let summary = Summary(
                meanMs: runs.reduce(0, +) / n * 1000, medianMs: median * 1000, p90Ms: percentile(0.9) * 1000,
                minMs: sorted.first! * 1000, maxMs: sorted.last! * 1000)

            var perOperator: [OperatorTime]?
            var perType: [TypeTime]?
            if perOp {
                let defs = net.operatorDefs
                let total = max(opTotals.reduce(0, +), .leastNonzeroMagnitude)
                perOperator = defs.enumerated().map { k, op in
                    OperatorTime(
                        index: k, type: op.type, name: op.name.isEmpty ? (op.output.first ?? "") : op.name,
                        meanMs: opTotals[k] / n * 1000, share: opTotals[k] / total * 100)
                }
                var byType: [String: (Int, Double)] = [:]
                for (k, op) in defs.enumerated() {
                    let old = byType[op.type] ?? (0, 0)
                    byType[op.type] = (old.0 + 1, old.1 + opTotals[k])
                }
                perType = byType.map { TypeTime(type: $0.key, count: $0.value.0, totalMs: $0.value.1 / n * 1000, share: $0.value.1 / total * 100) }
                    .sorted { $0.totalMs != $1.totalMs ? $0.totalMs > $1.totalMs : $0.type < $1.type }
            }

            let report = Report(
                net: prepared.def.name, operators: net.operatorCount, warmup: warmup, iterations: iterations,
                perRun: summary, perOperator: perOperator, perType: perType)
            if json {
                try CLI.printJSON(report)
                return
            }
            print("net '\(report.net)': \(report.operators) operators, \(iterations) timed runs after \(warmup) warm-up")
            print(
                String(
                    format: "per run: mean %.3f ms  median %.3f ms  p90 %.3f ms  min %.3f ms  max %.3f ms",
                    summary.meanMs, summary.medianMs, summary.p90Ms, summary.minMs, summary.maxMs))
            if let perOperator, let perType {
                let typeWidth = max(4, perOperator.map(\.type.count).max() ?? 0)
                let nameWidth = min(40, max(4, perOperator.map(\.name.count).max() ?? 0))
                print("per operator (mean per run, share of operator time):")
                for o in perOperator {
                    print(
                        "  #\(pad(String(o.index), 4)) \(pad(o.type, typeWidth)) \(pad(o.name, nameWidth)) "
                            + String(format: "%10.3f ms %6.2f%%", o.meanMs, o.share))
                }
                print("per operator type:")
                for t in perType {
                    print("  \(pad(t.type, typeWidth)) " + String(format: "%10.3f ms %6.2f%%", t.totalMs, t.share) + "  (\(t.count) ops)")
                }
                print(String(format: "  %.3f ms in total", perType.reduce(0) { $0 + $1.totalMs }))
            }
        }

        func pad(_ s: String, _ width: Int) -> String {
            s.count >= width ? s : s + String(repeating: " ", count: width - s.count)
        }
    }
}

import Foundation

// caffe2-bench [all|reciprocal|executor|proto|...]
let benches: [(String, () throws -> Void)] = [
    ("reciprocal", benchReciprocal),
    ("executor", benchExecutorOverhead),
    ("proto", benchProtoDecode),
    ("backward", benchBackward),
    ("models", benchModels),
]
let wanted = Array(CommandLine.arguments.dropFirst())
if wanted.isEmpty || wanted.contains("--help") {
    print("usage: caffe2-bench all | \(benches.map(\.0).joined(separator: " | "))")
    if wanted.isEmpty { exit(0) }
}
print("# swift-caffe2 benchmarks — \(ProcessInfo.processInfo.activeProcessorCount) cores, \(Date())")
for (name, run) in benches where wanted.contains("all") || wanted.contains(name) {
    do {
        try run()
    } catch {
        print("error in \(name): \(error)")
        exit(1)
    }
}

// A small Swift program that embeds swift-caffe2:
//   1. builds a net in code and runs it in a Workspace,
//   2. registers a custom operator (with schema and gradient maker) on its own registry,
//   3. serves the same net through a Predictor from several threads.
//
//   swift run embed-reciprocal
import Caffe2
import Dispatch

// 1. Y = 1 / X, then Y = 1 / Y in place (back to X).
var net = NetDef(name: "reciprocal")
net.op = [
    OperatorDef(type: "Reciprocal", input: ["X"], output: ["Y"]),
    OperatorDef(type: "Reciprocal", input: ["Y"], output: ["Z"]),
    OperatorDef(type: "Reciprocal", input: ["Z"], output: ["Z"]),  // in place
]
net.externalInput = ["X"]
net.externalOutput = ["Y", "Z"]

let workspace = Workspace()
workspace.feedBlob("X", try Tensor(dims: [2, 3], values: [1, 2, 4, 8, 0, -0.5] as [Float]))
try workspace.createNet(net)
try workspace.runNet(named: "reciprocal")
print("X =", try workspace.fetchBlob("X"))
print("Y = 1/X =", try workspace.fetchBlob("Y"))
print("Z = 1/(1/Y) =", try workspace.fetchBlob("Z"))

// 2. A custom operator written in Swift: Cube (Y = X^3), with its gradient 3·X²·dY built from Mul ops.
let cube = OperatorDefinition(
    schema: OperatorSchema("Cube")
        .numInputs(1).numOutputs(1)
        .allowInplace([(0, 0)])
        .identicalTypeAndShape()
        .doc("Y = X * X * X, element-wise."),
    kernels: [
        OperatorKernel { _, _ in
            { ctx in
                let x = try ctx.input(0)
                let xs = try x.floats
                let y = try ctx.output(0, like: x)
                let ys = y.floats
                for i in 0..<xs.count { ys[i] = xs[i] * xs[i] * xs[i] }
            }
        }
    ],
    gradient: .make(copyArguments: false) { g in
        let x = try g.I(0), dy = try g.GO(0), dx = try g.GI(0)
        return [
            g.gradientDef("Mul", inputs: [x, x], outputs: [dx + "_sq"]),
            g.gradientDef("Scale", inputs: [dx + "_sq"], outputs: [dx + "_sq3"], args: [Argument(name: "scale", float: 3)]),
            g.gradientDef("Mul", inputs: [dx + "_sq3", dy], outputs: [dx]),
        ]
    })
var registry = OperatorRegistry.standard
try registry.register(cube)
let custom = Workspace(registry: registry)
custom.feedBlob("X", Tensor([1, 2, 3] as [Float]))
try custom.runOperatorOnce(OperatorDef(type: "Cube", input: ["X"], output: ["Y"]))
print("Cube(X) =", try custom.fetchBlob("Y"))
let check = try GradientChecker(registry: registry)
    .checkOperator(OperatorDef(type: "Cube", input: ["X"], output: ["Y"]), inputs: [Tensor([0.5, -1, 2] as [Float])], inputIndex: 0)
print("Cube gradient vs finite differences:", check)

// 3. A Predictor serving the net from 4 threads at once (each call gets its own child workspace).
let predictor = try Predictor(initNet: NetDef(name: "init"), predictNet: net)
let answers = UnsafeMutableBufferPointer<Float>.allocate(capacity: 4)
defer { answers.deallocate() }
nonisolated(unsafe) let out = answers
DispatchQueue.concurrentPerform(iterations: 4) { i in
    let y = try? predictor.run(["X": Tensor([Float(i + 1)])])["Y"]
    out[i] = (try? y?.values(as: Float.self).first) ?? .nan
}
print("Predictor from 4 threads, Y = 1/X for X = 1...4:", Array(answers))

import Foundation
import Testing
@testable import Caffe2

@Suite struct ShapeScratchTests {
    @Test func scratch() throws {
        print("OPS:", OperatorRegistry.standard.operatorTypes.joined(separator: " "))
        for path in ["squeezenet-v1.0-trafficlight/predict_net.pb", "superres-onnx/predict_net.pb", "lenet-mnist-onnx/predict_net.pb", "zoo-inception_v1/predict_net.pbtxt"] {
            let net = try NetDef(contentsOfFile: TestSupport.model(path))
            for op in net.op where ["Concat", "Reshape", "Transpose"].contains(op.type) {
                print(path, op.type, op.input, op.output, op.arg.map { "\($0.name)=\($0.i.map{String($0)} ?? "")\($0.ints)\($0.stringValue ?? "")" })
            }
        }
    }
}

import ArgumentParser
import Caffe2
import Foundation

extension Caffe2Command {
    struct Convert: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Convert between binary (.pb) and text (.pbtxt) protobuf files, and .npy tensors.",
            discussion: """
                Reads IN in either format (detected from the content) and writes OUT in the \
                format its extension names: .pbtxt, .prototxt, .textproto or .txt for text, \
                anything else (.pb) for binary. The write is atomic. --type names the message \
                (default NetDef).

                Tensors convert to and from NumPy: when IN or OUT ends in .npy, IN is read as a \
                tensor (.npy, TensorProto, tensor BlobProto or one-tensor TensorProtos) and OUT \
                is written as .npy, or as a proto of --type TensorProto (the default then), \
                BlobProto or TensorProtos named after the file.

                Examples:
                  caffe2 convert predict_net.pb predict_net.pbtxt
                  caffe2 convert predict_net.pbtxt predict_net.pb
                  caffe2 convert --type BlobProto blob.pb blob.pbtxt
                  caffe2 convert input.npy input.pb
                """
        )

        enum MessageType: String, ExpressibleByArgument, CaseIterable {
            case NetDef, TensorProto, TensorProtos, BlobProto, PlanDef
        }

        @ArgumentParser.Argument(help: "The file to read.", completion: .file())
        var input: String

        @ArgumentParser.Argument(help: "The file to write (format from its extension).", completion: .file())
        var output: String

        @Option(name: .customLong("type"), help: "The message type: NetDef, TensorProto, TensorProtos, BlobProto or PlanDef.")
        var type: MessageType?

        func run() throws {
            let npyIn = input.lowercased().hasSuffix(".npy")
            let npyOut = output.lowercased().hasSuffix(".npy")
            let description: String
            if npyIn || npyOut {
                description = try convertTensor(npyOut: npyOut)
            } else {
                switch type ?? .NetDef {
                case .NetDef: description = try convert(NetDef.self)
                case .TensorProto: description = try convert(TensorProto.self)
                case .TensorProtos: description = try convert(TensorProtos.self)
                case .BlobProto: description = try convert(BlobProto.self)
                case .PlanDef: description = try convert(PlanDef.self)
                }
            }
            let size = (try? FileManager.default.attributesOfItem(atPath: output)[.size] as? Int) ?? nil
            print("wrote \(output) (\(description)\(size.map { ", \($0) bytes" } ?? ""))")
        }

        func convert<M: ProtoMessage>(_: M.Type) throws -> String {
            let message = try M(contentsOfFile: input)
            try message.write(toFile: output)
            let format = ProtoFileFormat(path: output)
            return "\(format) \(M.protoMessageName.replacingOccurrences(of: "caffe2.", with: ""))"
        }

        func convertTensor(npyOut: Bool) throws -> String {
            let tensor = try TensorFile.read(input)
            let summary = "\(tensor.dataType) \(CLI.dims(tensor.dims))"
            if npyOut {
                if let type, type != .TensorProto {
                    throw CLIError("--type \(type.rawValue): a .npy file holds one tensor; leave --type out")
                }
                try tensor.writeNpy(toFile: output)
                return "npy \(summary)"
            }
            let base = (output as NSString).lastPathComponent
            let name = base.split(separator: ".").first.map(String.init) ?? base
            let proto = tensor.proto(name: name)
            switch type ?? .TensorProto {
            case .TensorProto:
                try proto.write(toFile: output)
            case .BlobProto:
                try BlobProto(name: name, tensor: proto).write(toFile: output)
            case .TensorProtos:
                try TensorProtos(protos: [proto]).write(toFile: output)
            case .NetDef, .PlanDef:
                throw CLIError("--type \(type!.rawValue): a .npy tensor converts to TensorProto, BlobProto or TensorProtos")
            }
            return "\(ProtoFileFormat(path: output)) \((type ?? .TensorProto).rawValue) \(summary)"
        }
    }
}

import ArgumentParser
import Caffe2

@main
struct Caffe2Command: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "caffe2",
        abstract: "Run, inspect and convert Caffe2 nets."
    )
}

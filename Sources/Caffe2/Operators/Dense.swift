/// Operator family being written (issue 5); its definitions land in this file.
enum DenseOperators {
    static let definitions: [OperatorDefinition] = []
}

/// Operator family being written (issue 5); its definitions land in this file.
enum ElementwiseOperators {
    static let definitions: [OperatorDefinition] = []
}

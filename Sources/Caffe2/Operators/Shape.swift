/// Operator family being written (issue 5); its definitions land in this file.
enum ShapeOperators {
    static let definitions: [OperatorDefinition] = []
}

/// The element-wise operator family (issue 5): binary arithmetic with
/// broadcasting and its gradients, comparisons and logical ops
/// (`ElementwiseBinary.swift`), unary math (`ElementwiseUnary.swift`) and the
/// n-ary and helper ops (`ElementwiseNary.swift`).
enum ElementwiseOperators {
    static let definitions: [OperatorDefinition] =
        ElementwiseBinaryOperators.definitions
        + ElementwiseUnaryOperators.definitions
        + ElementwiseNaryOperators.definitions
}

import Foundation
import Testing

@testable import Caffe2

@Suite struct OperatorReferenceTests {
    /// docs/operators.md must be exactly what the schemas generate.
    @Test func docsOperatorsMarkdownIsCurrent() throws {
        let generated = OperatorRegistry.standard.operatorReferenceMarkdown()
        let committed = try String(contentsOfFile: "docs/operators.md", encoding: .utf8)
        #expect(
            committed == generated,
            "docs/operators.md is stale: regenerate it with `swift run caffe2 ops --markdown > docs/operators.md`")
    }

    @Test func referenceCoversEveryOperatorWithItsGradient() throws {
        let md = OperatorRegistry.standard.operatorReferenceMarkdown()
        for type in OperatorRegistry.standard.operatorTypes { #expect(md.contains("\n## \(type)\n")) }
        #expect(md.contains("`ReciprocalGradient(Y, Y_grad) → X_grad`"))
        #expect(md.contains("`FCGradient(X, W, Y_grad) → W_grad, b_grad, X_grad`"))
        #expect(md.contains("| in-place allowed | {0,0} |"))
    }
}

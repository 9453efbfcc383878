/// Reciprocal (`Y = 1 / X`) and its gradient, the flagship operators.
enum ReciprocalOperators {
    static let definitions: [OperatorDefinition] = [reciprocalOp, reciprocalGradientOp]

    static let reciprocalOp = OperatorDefinition(
        schema: OperatorSchema("Reciprocal")
            .numInputs(1).numOutputs(1)
            .allowInplace([(0, 0)])
            .identicalTypeAndShape()
            .types([.float, .double])
            .doc(
                """
                Computes the element-wise reciprocal `Y = 1 / X`. IEEE semantics: `1/0 = +inf`, \
                `1/-0 = -inf`, NaN stays NaN. Runs in place when `X` and `Y` are the same blob.
                """
            )
            .input(0, "X", "Input tensor (float or double).")
            .output(0, "Y", "Output tensor of the same shape and type."),
        kernels: [
            unaryFloatingKernel(
                float: { reciprocal($0, $1, count: $2) },
                double: { reciprocal($0, $1, count: $2) })
        ],
        gradient: .make { g in
            try g.singleGradientDef("ReciprocalGradient", inputs: [g.O(0), g.GO(0)], outputs: [g.GI(0)])
        })

    static let reciprocalGradientOp = OperatorDefinition(
        schema: OperatorSchema("ReciprocalGradient")
            .numInputs(2).numOutputs(1)
            .allowInplace([(1, 0)])
            .identicalTypeAndShapeOfInput(1)
            .types([.float, .double])
            .doc("Gradient of Reciprocal: `dX = -dY * Y * Y`, one fused pass. Inputs are `(Y, dY)`.")
            .input(0, "Y", "Output of the forward Reciprocal.")
            .input(1, "dY", "Gradient of the loss with respect to Y.")
            .output(0, "dX", "Gradient of the loss with respect to X."),
        kernels: [
            sameShapeBinaryFloatingKernel(
                float: { reciprocalGradient($0, $1, $2, count: $3) },
                double: { reciprocalGradient($0, $1, $2, count: $3) })
        ])
}

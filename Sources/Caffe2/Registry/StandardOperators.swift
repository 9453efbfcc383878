extension OperatorRegistry {
    /// The built-in operators, each declared once in its family's file under `Operators/`.
    public static let standard = OperatorRegistry(
        ReciprocalOperators.definitions
            + ElementwiseOperators.definitions
            + ReductionOperators.definitions
            + ActivationOperators.definitions
            + LossOperators.definitions
            + DenseOperators.definitions
            + ConvolutionOperators.definitions
            + PoolingOperators.definitions
            + NormalizationOperators.definitions
            + ShapeOperators.definitions
            + FillOperators.definitions
            + TrainingOperators.definitions
            + UtilityOperators.definitions
            + ImageOperators.definitions
            + IndexingOperators.definitions
    )
}

/// Checks gradient operators against central finite differences.
///
/// Caffe2's `gradient_checker.GradientChecker.CheckSimple`: the loss is
/// `L = ½ Σ out²` over the chosen outputs, so the gradient fed to each output
/// is the output itself. The analytic gradient of input `k` comes from the
/// registered gradient maker; the numeric one from `(L(x+h) − L(x−h)) / 2h`
/// per element. An element passes when `|analytic − numeric| ≤ threshold ·
/// (1 + |numeric|)` (numpy's `isclose` with `atol = rtol = threshold`).
///
/// ```swift
/// let checker = GradientChecker(stepSize: 1e-3, threshold: 1e-2)
/// let op = OperatorDef(type: "Reciprocal", input: ["X"], output: ["Y"])
/// let r = try checker.checkOperator(op, inputs: [Tensor([1, 2, 3] as [Float])], inputIndex: 0)
/// r.passed            // true
/// r.worstElement      // index of the largest disagreement
/// ```
public struct GradientChecker: Sendable {
    /// Finite-difference step `h`.
    public var stepSize: Double
    /// Absolute and relative tolerance.
    public var threshold: Double
    /// Where the forward and gradient operators come from.
    public var registry: OperatorRegistry

    public init(stepSize: Double = 1e-3, threshold: Double = 5e-3, registry: OperatorRegistry = .standard) {
        self.stepSize = stepSize
        self.threshold = threshold
        self.registry = registry
    }

    /// The outcome of one check.
    public struct Result: Sendable, CustomStringConvertible {
        /// The input (or blob) whose gradient was checked.
        public var blob: String
        /// Analytic gradient, flattened.
        public var analytic: [Double]
        /// Finite-difference estimate, flattened.
        public var numeric: [Double]
        /// Index of the element with the largest `|analytic − numeric|`.
        public var worstElement: Int
        /// That largest absolute difference.
        public var worstError: Double
        /// Whether every element is within tolerance.
        public var passed: Bool

        public var description: String {
            let a = analytic.isEmpty ? "-" : "\(analytic[worstElement])"
            let n = numeric.isEmpty ? "-" : "\(numeric[worstElement])"
            return
                "gradient of '\(blob)': \(passed ? "ok" : "MISMATCH"), worst element \(worstElement): analytic \(a), numeric \(n) (|diff| \(worstError))"
        }
    }

    /// Checks the gradient of input `inputIndex` of one operator.
    ///
    /// - Parameters:
    ///   - op: the forward operator; its inputs are fed from `inputs` in order.
    ///   - inputs: one tensor per `op.input` (float or double for the checked input).
    ///   - inputIndex: which input's gradient to check.
    ///   - outputsWithGradient: the outputs that make up the loss (default: output 0).
    public func checkOperator(
        _ op: OperatorDef, inputs: [Tensor], inputIndex: Int, outputsWithGradient: [Int] = [0]
    ) throws -> Result {
        guard inputs.count == op.input.count else {
            throw Caffe2Error(
                .invalidInput, "\(op.type) has \(op.input.count) inputs but \(inputs.count) tensors were given")
        }
        guard inputIndex >= 0, inputIndex < inputs.count else {
            throw Caffe2Error(.invalidInput, "input index \(inputIndex) out of range for \(op.type)")
        }
        let checked = inputs[inputIndex]
        guard checked.dataType == .float || checked.dataType == .double else {
            throw Caffe2Error(.dataType, "cannot check the gradient of a \(checked.dataType) input")
        }
        func feed(_ ws: Workspace, replacing value: Tensor? = nil) {
            for (i, name) in op.input.enumerated() {
                ws.feedBlob(name, i == inputIndex ? (value ?? inputs[i]) : inputs[i])
            }
        }
        func loss(_ ws: Workspace) throws -> Double {
            var l = 0.0
            for o in outputsWithGradient {
                for v in try ws.fetchBlob(op.output[o]).doubleValues() { l += 0.5 * v * v }
            }
            return l
        }

        // Analytic gradient.
        let ws = Workspace(registry: registry)
        feed(ws)
        try ws.runOperatorOnce(op)
        var gOutput: [Gradient?] = Array(repeating: nil, count: op.output.count)
        for o in outputsWithGradient {
            let g = op.output[o] + "_grad"
            ws.feedBlob(g, try ws.fetchBlob(op.output[o]))
            gOutput[o] = .dense(g)
        }
        let meta = try registry.gradient(for: op, gOutput: gOutput)
        for g in meta.ops { try ws.runOperatorOnce(g) }
        guard case .dense(let gradName)? = meta.gInput[inputIndex] else {
            throw Caffe2Error(.gradient, "\(op.type) produces no dense gradient for input \(inputIndex) ('\(op.input[inputIndex])')")
        }
        let analyticTensor = try ws.fetchBlob(gradName)
        guard analyticTensor.count == checked.count else {
            throw Caffe2Error(
                .gradient,
                "gradient '\(gradName)' has \(analyticTensor.count) elements, input '\(op.input[inputIndex])' has \(checked.count)")
        }
        let analytic = analyticTensor.doubleValues()

        // Numeric gradient, element by element.
        let base = checked.doubleValues()
        var numeric = [Double](repeating: 0, count: base.count)
        let probe = Workspace(registry: registry)
        for j in 0..<base.count {
            var values = base
            values[j] = base[j] + stepSize
            feed(probe, replacing: try Self.tensor(like: checked, values))
            try probe.runOperatorOnce(op)
            let plus = try loss(probe)
            values[j] = base[j] - stepSize
            feed(probe, replacing: try Self.tensor(like: checked, values))
            try probe.runOperatorOnce(op)
            let minus = try loss(probe)
            numeric[j] = (plus - minus) / (2 * stepSize)
        }
        return Self.compare(blob: op.input[inputIndex], analytic: analytic, numeric: numeric, threshold: threshold)
    }

    static func tensor(like t: Tensor, _ values: [Double]) throws -> Tensor {
        t.dataType == .double
            ? try Tensor(dims: t.dims, values: values) : try Tensor(dims: t.dims, values: values.map { Float($0) })
    }

    static func compare(blob: String, analytic: [Double], numeric: [Double], threshold: Double) -> Result {
        var worst = 0
        var worstErr = 0.0
        var ok = true
        for j in 0..<numeric.count {
            let err = abs(analytic[j] - numeric[j])
            if err > worstErr || err.isNaN {
                worstErr = err
                worst = j
            }
            if !(err <= threshold * (1 + abs(numeric[j]))) { ok = false }
        }
        return Result(
            blob: blob, analytic: analytic, numeric: numeric, worstElement: worst, worstError: worstErr, passed: ok)
    }
}

// MARK: - Whole nets

extension GradientChecker {
    /// Checks the backward net that ``NetDef/addGradientOperators(losses:skip:registry:)``
    /// builds for `net` against central finite differences: Caffe2's
    /// `NetGradientChecker.Check`.
    ///
    /// The loss is the sum of every element of every blob in `losses` (the gradient the
    /// autogenerated `ConstantFill(…, value = 1)` seeds stand for). The net is copied, the
    /// gradient operators are added, and the whole net runs once from `inputs` to give the
    /// analytic gradient of each blob in `checking` (a sparse gradient is scattered into a
    /// dense tensor, duplicate indices adding up). The numeric gradient re-runs the forward
    /// net twice per element with that element moved by ±`stepSize`.
    ///
    /// ```swift
    /// var net = NetDef(name: "inv", op: [OperatorDef(type: "Reciprocal", input: ["X"], output: ["Y"])])
    /// let results = try GradientChecker(stepSize: 1e-3, threshold: 1e-2)
    ///     .checkNet(net, losses: ["Y"], inputs: ["X": Tensor([1, 2, 4] as [Float])], checking: ["X"])
    /// results[0].passed     // true
    /// ```
    ///
    /// - Parameters:
    ///   - net: the forward net (it is not changed).
    ///   - losses: the blobs whose element sum is the loss.
    ///   - inputs: every blob the forward net reads before writing it.
    ///   - checking: the blobs (fed in `inputs`, float or double) whose gradients are checked.
    /// - Returns: one result per blob of `checking`, in order.
    public func checkNet(
        _ net: NetDef, losses: [String], inputs: [String: Tensor], checking: [String]
    ) throws -> [Result] {
        guard !losses.isEmpty else { throw Caffe2Error(.invalidInput, "checkNet needs at least one loss blob") }
        var full = net
        let gradients = try full.addGradientOperators(losses: losses, registry: registry)

        // Analytic gradients: forward + backward once.
        let ws = Workspace(registry: registry)
        for (name, t) in inputs { ws.feedBlob(name, t) }
        try Net(full, workspace: ws).run()
        var analytic: [[Double]] = []
        for blob in checking {
            guard let x = inputs[blob] else {
                throw Caffe2Error(.invalidInput, "blob '\(blob)' is checked but not fed in inputs", blob: blob)
            }
            guard x.dataType == .float || x.dataType == .double else {
                throw Caffe2Error(.dataType, "cannot check the gradient of '\(blob)', a \(x.dataType) blob", blob: blob)
            }
            guard let g = gradients[blob] else {
                throw Caffe2Error(
                    .gradient, "blob '\(blob)' gets no gradient from the losses \(losses)", blob: blob)
            }
            analytic.append(try Self.denseGradient(g, like: x, in: ws, blob: blob))
        }

        // Numeric gradients: the forward net only, every input re-fed before each run
        // (an in-place op may overwrite a fed blob).
        let probe = Workspace(registry: registry)
        for (name, t) in inputs { probe.feedBlob(name, t) }
        let forward = try Net(net, workspace: probe)
        func loss(_ blob: String, _ value: Tensor) throws -> Double {
            for (name, t) in inputs { probe.feedBlob(name, name == blob ? value : t) }
            try forward.run()
            var l = 0.0
            for y in losses {
                for v in try probe.fetchBlob(y).doubleValues() { l += v }
            }
            return l
        }
        var results: [Result] = []
        for (c, blob) in checking.enumerated() {
            let x = inputs[blob]!
            let base = x.doubleValues()
            var numeric = [Double](repeating: 0, count: base.count)
            for j in base.indices {
                var values = base
                values[j] = base[j] + stepSize
                let plus = try loss(blob, try Self.tensor(like: x, values))
                values[j] = base[j] - stepSize
                let minus = try loss(blob, try Self.tensor(like: x, values))
                numeric[j] = (plus - minus) / (2 * stepSize)
            }
            results.append(Self.compare(blob: blob, analytic: analytic[c], numeric: numeric, threshold: threshold))
        }
        return results
    }

    /// The gradient `g` of `x` as dense values: a dense blob as it is, a sparse one
    /// (indices of rows of `x`, values shaped `[n, rest of x]`) scattered and added up.
    static func denseGradient(_ g: Gradient, like x: Tensor, in ws: Workspace, blob: String) throws -> [Double] {
        switch g {
        case .dense(let name):
            let t = try ws.fetchBlob(name)
            guard t.count == x.count else {
                throw Caffe2Error(
                    .gradient, "gradient '\(name)' has \(t.count) elements, '\(blob)' has \(x.count)", blob: name)
            }
            return t.doubleValues()
        case .sparse(let indicesName, let valuesName):
            let indices = try ws.fetchBlob(indicesName)
            let values = try ws.fetchBlob(valuesName).doubleValues()
            guard indices.dataType == .int32 || indices.dataType == .int64 else {
                throw Caffe2Error(.dataType, "sparse gradient indices '\(indicesName)' must be int32 or int64", blob: indicesName)
            }
            let rows = x.dims.first.map { Int($0) } ?? 1
            let rowSize = rows == 0 ? 0 : x.count / rows
            let idx = indices.doubleValues().map { Int($0) }
            guard values.count == idx.count * rowSize else {
                throw Caffe2Error(
                    .gradient,
                    "sparse gradient of '\(blob)': \(idx.count) indices need \(idx.count * rowSize) values, '\(valuesName)' has \(values.count)",
                    blob: valuesName)
            }
            var dense = [Double](repeating: 0, count: x.count)
            for (n, r) in idx.enumerated() {
                guard r >= 0, r < rows else {
                    throw Caffe2Error(.gradient, "sparse gradient index \(r) out of range [0, \(rows)) for '\(blob)'", blob: indicesName)
                }
                for k in 0..<rowSize { dense[r * rowSize + k] += values[n * rowSize + k] }
            }
            return dense
        }
    }
}

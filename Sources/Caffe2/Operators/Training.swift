import Foundation

/// Training utilities: the iteration counter `Iter` and the `LearningRate`
/// schedule. Both have no gradient.
///
/// A typical SGD step: `Iter(iter) -> iter`, `LearningRate(iter) -> lr` with
/// a negative `base_lr`, then `WeightedSum(w, ONE, w_grad, lr) -> w`.
enum TrainingOperators {
    static let definitions: [OperatorDefinition] = [iter, learningRate]

    // MARK: Iter

    static let iter = OperatorDefinition(
        schema: OperatorSchema("Iter")
            .numInputs(0, 1).numOutputs(1)
            .enforceInplace([(0, 0)])
            .tensorInference { _, inputs in
                [inputs.first ?? TensorShape(dims: [1], dataType: .int64)]
            }
            .types([.int64])
            .doc(
                """
                Increments an int64 iteration counter in place (the input, when given, must be the output \
                blob). Without an input, a blob that holds no tensor yet is created as `[1]` int64 = 0 first, \
                so the first run yields 1. The counter must have one element, be non-negative and below the \
                int64 maximum.
                """
            )
            .input(0, "iter", "(optional) The counter, the same blob as the output.")
            .output(0, "iter", "The incremented counter."),
        kernels: [
            OperatorKernel { _, _ in
                { ctx in
                    let name = ctx.outputName(0)
                    var value: Int64 = 0
                    var dims: [Int64] = [1]
                    if let t = ctx.currentOutput(0) {
                        guard t.dataType == .int64 else {
                            throw Caffe2Error(
                                .dataType, "Iter: counter '\(name)' holds \(t.dataType) elements, expected int64",
                                blob: name)
                        }
                        guard t.count == 1 else {
                            throw Caffe2Error(
                                .shape,
                                "The output of IterOp exists, but not of the right size: '\(name)' has dims \(t.dims), expected one element",
                                blob: name)
                        }
                        value = try t.withUnsafeBufferPointer(as: Int64.self) { $0[0] }
                        dims = t.dims
                    } else if ctx.inputCount == 1 {
                        throw Caffe2Error(
                            .missingBlob,
                            "Iter: counter '\(name)' holds no tensor; fill it first (ConstantFill dtype=INT64 shape=[1]) or use Iter without an input",
                            blob: name)
                    }
                    guard value >= 0 else {
                        throw Caffe2Error(.runtime, "Previous iteration number is negative: '\(name)' = \(value)", blob: name)
                    }
                    guard value < Int64.max else {
                        throw Caffe2Error(.runtime, "Overflow will happen! '\(name)' = \(value)", blob: name)
                    }
                    let y = try ctx.output(0, dims: dims, type: .int64)
                    y.pointer(Int64.self)[0] = value + 1
                }
            }
        ],
        gradient: .noGradient)

    // MARK: LearningRate

    /// One learning-rate policy: the multiplier of `base_lr` at an iteration.
    typealias Policy = @Sendable (Int64) -> Float

    /// Builds the policy called `name`, reading its arguments with `prefix` (Caffe2's `createLearningRateFunctor`).
    static func policy(_ name: String, _ args: Arguments, prefix: String = "", baseLR: Float) throws -> Policy {
        func f(_ key: String, _ d: Float) throws -> Float { try args.single(prefix + key, default: d) }
        func i(_ key: String, _ d: Int64) throws -> Int64 { try args.single(prefix + key, default: d) }
        func positive(_ key: String, _ v: Float) throws {
            guard v > 0 else { throw Caffe2Error(.argument, "LearningRate policy '\(name)': '\(prefix + key)' must be > 0, got \(v)") }
        }
        switch name {
        case "fixed":
            return { _ in 1 }
        case "step":
            let stepsize = try i("stepsize", 0)
            let gamma = try f("gamma", 0)
            guard stepsize > 0 else {
                throw Caffe2Error(.argument, "LearningRate policy 'step': '\(prefix)stepsize' must be > 0, got \(stepsize)")
            }
            try positive("gamma", gamma)
            return { iter in Foundation.pow(gamma, Float(iter / stepsize)) }
        case "exp":
            let gamma = try f("gamma", 0)
            try positive("gamma", gamma)
            return { iter in Foundation.pow(gamma, Float(iter)) }
        case "inv":
            let gamma = try f("gamma", 0)
            let power = try f("power", 0)
            try positive("gamma", gamma)
            try positive("power", power)
            return { iter in Foundation.pow(1 + gamma * Float(iter), -power) }
        case "poly":
            let maxIter = try i("max_iter", -1)
            let power = try f("power", 0)
            guard maxIter > 0 else {
                throw Caffe2Error(.argument, "LearningRate policy 'poly': '\(prefix)max_iter' must be > 0, got \(maxIter)")
            }
            try positive("power", power)
            return { iter in Foundation.pow(1 - Float(iter) / Float(maxIter), power) }
        case "linearWarmup":
            let start = try f("start_multiplier", 0)
            let numIter = try i("num_iter", 0)
            return linearWarmup(start, numIter)
        case "constantWarmup":
            let multiplier = try f("multiplier", 0.5)
            let numIter = try i("num_iter", 0)
            try positive("multiplier", multiplier)
            return { iter in iter >= numIter ? 1 : multiplier }
        case "gate":
            let m1 = try f("multiplier_1", 1)
            let m2 = try f("multiplier_2", 1)
            let numIter = try i("num_iter", 0)
            return { iter in iter >= numIter ? m2 : m1 }
        case "pieceWarmup":
            let m1 = try f("m1", 0.5)
            let n1 = try i("n1", 0)
            let m2 = try f("m2", 0.5)
            let n2 = try i("n2", 0)
            let m3 = try f("m3", 0.5)
            return { iter in iter < n1 ? m1 : (iter < n2 ? m2 : m3) }
        case "alter":
            let activeFirst = try args.single(prefix + "active_first", default: true)
            let active = try i("active_period", -1)
            let inactive = try i("inactive_period", -1)
            guard active >= 0, inactive >= 0, active + inactive > 0 else {
                throw Caffe2Error(
                    .argument,
                    "LearningRate policy 'alter': active_period (\(active)) and inactive_period (\(inactive)) must be ≥ 0 with a positive sum"
                )
            }
            return { iter in
                if iter % (active + inactive) < (activeFirst ? active : inactive) {
                    return activeFirst ? 1 : 0
                }
                return activeFirst ? 0 : 1
            }
        case "hill":
            let numIter = try i("num_iter", 0)
            let start = try f("start_multiplier", 0)
            let gamma = try f("gamma", 0)
            let power = try f("power", 0)
            let end = try f("end_multiplier", 0)
            let warm = linearWarmup(start, numIter)
            return { iter in
                iter < numIter ? warm(iter) : max(end, Foundation.pow(1 + gamma * Float(iter - numIter), -power))
            }
        case "slope":
            let n1 = try i("num_iter_1", 0)
            let m1 = try f("multiplier_1", 0)
            let n2 = try i("num_iter_2", 0)
            let m2 = try f("multiplier_2", 0)
            guard n1 > 0, n2 > n1 else {
                throw Caffe2Error(
                    .argument, "LearningRate policy 'slope' needs 0 < num_iter_1 < num_iter_2, got \(n1), \(n2)")
            }
            return { iter in
                if iter < n1 { return m1 }
                if iter >= n2 { return m2 }
                return m1 + (m2 - m1) * Float(iter - n1) / Float(n2 - n1)
            }
        case "cyclical":
            let maxLR = try f("max_lr", 0.005)
            let stepsize = try i("stepsize", 0)
            let decay = try f("decay", 1)
            guard stepsize > 0 else {
                throw Caffe2Error(.argument, "LearningRate policy 'cyclical': '\(prefix)stepsize' must be > 0, got \(stepsize)")
            }
            return cyclical(baseLR: baseLR, maxLR: maxLR, stepsize: stepsize, decay: decay)
        case "cosine":
            return try cosine(
                minLR: f("min_lr", 0.1), maxLR: f("max_lr", 0.5), period: i("period", 50), tMult: f("t_mult", 1),
                shrink: f("lr_shrink", 0.99))
        case "constantThenLinearWarmup":
            return constantThenLinear(
                start: try f("start_warmup_multiplier", 0.1), constantIter: try i("constant_warmup_num_iter", 10_000_000),
                linearIter: try i("linear_warmup_num_iter", 10_000_000))
        case "compositeCyclical", "compositeCosine":
            let warmEnd = try i("constant_warmup_num_iter", 10_000_000) + i("linear_warmup_num_iter", 10_000_000)
            let warm = constantThenLinear(
                start: try f("start_warmup_multiplier", 0.1), constantIter: try i("constant_warmup_num_iter", 10_000_000),
                linearIter: try i("linear_warmup_num_iter", 10_000_000))
            let tail: Policy
            if name == "compositeCyclical" {
                let step = try i("cyclical_step_size", 1_000_000)
                guard step > 0 else {
                    throw Caffe2Error(.argument, "LearningRate policy '\(name)': cyclical_step_size must be > 0")
                }
                tail = cyclical(
                    baseLR: baseLR, maxLR: try f("cyclical_max_lr", 0.05), stepsize: step,
                    decay: try f("cyclical_decay", 1))
            } else {
                tail = try cosine(
                    minLR: f("cosine_min_lr", 0.1), maxLR: f("cosine_max_lr", 0.5), period: i("cosine_period", 50),
                    tMult: f("cosine_t_mult", 1), shrink: f("cosine_lr_shrink", 0.99))
            }
            return { iter in iter < warmEnd ? warm(iter) : tail(iter - warmEnd) }
        case "composite":
            guard prefix.isEmpty else {
                throw Caffe2Error(
                    .argument, "Defining composite LR policy as a subpolicy of composite LR policy is not allowed.")
            }
            let counts: [Int64] = try args.repeated("sub_policy_num_iters")
            guard !counts.isEmpty else {
                throw Caffe2Error(.argument, "Must specify at least one sub learning rate policy.")
            }
            var starts: [Int64] = []
            var subs: [Policy] = []
            var scales: [Float] = []
            var start: Int64 = 1
            for (k, n) in counts.enumerated() {
                guard n > 0 else {
                    throw Caffe2Error(
                        .argument, "The number of iterations for sub learning rate policy should be positive.")
                }
                let p = "sub_policy_\(k)_"
                let subName = try args.single(p + "policy", default: "")
                if subName == "composite" {
                    throw Caffe2Error(
                        .argument, "Defining composite LR policy as a subpolicy of composite LR policy is not allowed.")
                }
                subs.append(try policy(subName, args, prefix: p, baseLR: baseLR))
                scales.append(try args.single(p + "lr_scale", default: Float(1)))
                starts.append(start)
                start += n
            }
            let (firstIters, policies, lrScales) = (starts, subs, scales)
            return { iter in
                // The last sub-policy starting at or before `iter` (the first one before iteration 1).
                var k = 0
                while k + 1 < firstIters.count && firstIters[k + 1] <= iter { k += 1 }
                return policies[k](iter) * lrScales[k]
            }
        default:
            throw Caffe2Error(.argument, "Unknown learning rate policy: \(name)")
        }
    }

    static func linearWarmup(_ start: Float, _ numIter: Int64) -> Policy {
        { iter in iter >= numIter ? 1 : start + (1 - start) * Float(iter) / Float(numIter) }
    }

    static func constantThenLinear(start: Float, constantIter: Int64, linearIter: Int64) -> Policy {
        let linear = linearWarmup(start, linearIter)
        return { iter in
            if iter < constantIter { return start }
            if iter < constantIter + linearIter { return linear(iter - constantIter) }
            return 1
        }
    }

    static func cyclical(baseLR: Float, maxLR: Float, stepsize: Int64, decay: Float) -> Policy {
        { iter in
            let cycle = iter / (2 * stepsize) + 1
            let x = abs(Float(iter) / Float(stepsize) - Float(2 * cycle) + 1)
            return 1 + (abs(maxLR) / abs(baseLR) - 1) * max(0, 1 - x)
                * Foundation.pow(decay, Float(iter / (2 * stepsize)))
        }
    }

    static func cosine(minLR: Float, maxLR: Float, period: Int64, tMult: Float, shrink: Float) throws -> Policy {
        guard period > 0 else { throw Caffe2Error(.argument, "LearningRate policy 'cosine': period must be > 0") }
        return { iter in
            let i: Double
            let ti: Double
            let tcur: Double
            let p = Double(period)
            let t = Double(tMult)
            if tMult != 1 {
                i = Foundation.floor(Foundation.log(1 - Double(iter) / p * (1 - t)) / Foundation.log(t))
                ti = Foundation.pow(t, i) * p
                tcur = Double(iter) - (1 - Foundation.pow(t, i)) / (1 - t) * p
            } else {
                i = Foundation.floor(Double(iter) / p)
                ti = p
                tcur = Double(iter) - ti * i
            }
            let s = Foundation.pow(Double(shrink), i)
            let lo = Double(minLR) * s
            let hi = Double(maxLR) * s
            return Float(lo + 0.5 * (hi - lo) * (1 + Foundation.cos(Double.pi * tcur / ti)))
        }
    }

    static let learningRate = OperatorDefinition(
        schema: OperatorSchema("LearningRate")
            .numInputs(1).numOutputs(1)
            .tensorInference { _, _ in [TensorShape(dims: [], dataType: .float)] }
            .types([.float])
            .doc(
                """
                Computes `lr = base_lr · f(iter)` from an int64 iteration counter (only element 0 is read) \
                as a 0-d float tensor. Policies: `fixed` (1), `step` (gamma^⌊iter/stepsize⌋), `exp` \
                (gamma^iter), `inv` ((1 + gamma·iter)^−power), `poly` ((1 − iter/max_iter)^power), \
                `linearWarmup`, `constantWarmup`, `gate`, `pieceWarmup`, `alter`, `hill`, `slope`, \
                `cyclical`, `cosine`, `constantThenLinearWarmup`, `compositeCyclical`, `compositeCosine` and \
                `composite` (`sub_policy_num_iters`, `sub_policy_<k>_policy`, `sub_policy_<k>_<arg>`). \
                Use a negative `base_lr` with WeightedSum updates. Caffe2's shape inference reports the \
                input's shape; the output is 0-d.
                """
            )
            .arg("base_lr", "(float, required) Base learning rate.")
            .arg("policy", "(string, required) Schedule name.")
            .arg("stepsize", "(int) Steps between decays for `step` and `cyclical`.")
            .arg("gamma", "(float) Decay factor for `step`, `exp`, `inv`, `hill`.")
            .arg("power", "(float) Exponent for `inv`, `poly`, `hill`.")
            .arg("max_iter", "(int) Iterations for `poly`.")
            .arg("num_iter", "(int) Warm-up length for `linearWarmup`, `constantWarmup`, `gate`, `hill`.")
            .arg("start_multiplier", "(float, default 0) Initial multiplier of `linearWarmup` and `hill`.")
            .arg("multiplier", "(float, default 0.5) Multiplier of `constantWarmup`.")
            .input(0, "input", "int64 tensor holding the iteration (element 0).")
            .output(0, "output", "0-d float learning rate."),
        kernels: [
            OperatorKernel { _, args in
                guard let baseLR = try args.single("base_lr", as: Float.self), baseLR != .greatestFiniteMagnitude else {
                    throw Caffe2Error(.argument, "Base learning rate must be set.")
                }
                let name = try args.single("policy", default: "")
                guard !name.isEmpty else { throw Caffe2Error(.argument, "Must specify a learning rate policy.") }
                let f = try policy(name, args, baseLR: baseLR)
                return { ctx in
                    let it = try ctx.input(0)
                    let counter = try it.buffer(Int64.self)
                    guard let iteration = counter.first else {
                        throw Caffe2Error(.shape, "LearningRate: iteration input '\(it.name)' is empty", blob: it.name)
                    }
                    let y = try ctx.output(0, dims: [], type: .float)
                    y.pointer(Float.self)[0] = baseLR * f(iteration)
                }
            }
        ],
        gradient: .noGradient)
}

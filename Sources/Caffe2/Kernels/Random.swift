import Foundation

/// A small, fast, seedable pseudo-random generator (xoshiro256**) seeded
/// through SplitMix64.
///
/// Random operators (the `*Fill` family, Dropout) draw from one generator per
/// operator, seeded by the operator's `device_option.random_seed` when it is
/// set, so a net with seeds gives the same values on every machine.
///
/// ```swift
/// var g = RandomStream(seed: 42)
/// let u = g.nextFloat()            // uniform in [0, 1)
/// let k = Int.random(in: 0..<10, using: &g)
/// ```
public struct RandomStream: RandomNumberGenerator, Sendable {
    @usableFromInline var s0: UInt64
    @usableFromInline var s1: UInt64
    @usableFromInline var s2: UInt64
    @usableFromInline var s3: UInt64

    /// A generator whose whole stream is determined by `seed`.
    public init(seed: UInt64) {
        var sm = seed
        func splitMix() -> UInt64 {
            sm &+= 0x9E37_79B9_7F4A_7C15
            var z = sm
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = splitMix()
        s1 = splitMix()
        s2 = splitMix()
        s3 = splitMix()
    }

    /// A generator seeded from the system's entropy source.
    public init() {
        var system = SystemRandomNumberGenerator()
        self.init(seed: system.next())
    }

    /// The next 64 random bits.
    @inlinable
    public mutating func next() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = (s3 << 45) | (s3 >> 19)
        return result
    }

    /// A float uniform in `[0, 1)` with 24 random bits.
    @inlinable
    public mutating func nextFloat() -> Float {
        Float(next() >> 40) * 0x1p-24
    }

    /// A double uniform in `[0, 1)` with 53 random bits.
    @inlinable
    public mutating func nextDouble() -> Double {
        Double(next() >> 11) * 0x1p-53
    }
}

/// Fills of raw buffers with random values, shared by the random operators.
public enum RandomKernels {
    /// The generator an operator should use: seeded by
    /// `device_option.random_seed` when present (reproducible), else from
    /// the system entropy source (Caffe2 then picks a time-based seed).
    public static func generator(for def: OperatorDef) -> RandomStream {
        if let seed = def.deviceOption?.$randomSeed {
            return RandomStream(seed: UInt64(seed))
        }
        return RandomStream()
    }

    /// `n` floats uniform in `[lo, hi)` (Caffe2's `math::RandUniform<float>`).
    public static func uniform(
        _ out: UnsafeMutablePointer<Float>, count n: Int, lo: Float, hi: Float, using g: inout RandomStream
    ) {
        let width = hi - lo
        for i in 0..<n {
            out[i] = lo + width * g.nextFloat()
        }
    }

    /// `n` doubles uniform in `[lo, hi)`.
    public static func uniform(
        _ out: UnsafeMutablePointer<Double>, count n: Int, lo: Double, hi: Double, using g: inout RandomStream
    ) {
        let width = hi - lo
        for i in 0..<n {
            out[i] = lo + width * g.nextDouble()
        }
    }

    /// `n` integers uniform in the closed range `[lo, hi]` (Caffe2's
    /// `math::RandUniform<int>`); requires `lo <= hi`.
    public static func uniformInt(
        _ out: UnsafeMutablePointer<Int32>, count n: Int, lo: Int32, hi: Int32, using g: inout RandomStream
    ) {
        let span = UInt64(Int64(hi) - Int64(lo) + 1)
        let base = Int64(lo)
        for i in 0..<n {
            // Multiply-high maps 64 random bits onto [0, span) with a bias below 2^-32.
            let k = g.next().multipliedFullWidth(by: span).high
            out[i] = Int32(truncatingIfNeeded: base + Int64(k))
        }
    }

    /// `n` floats from `N(mean, std²)` (Box–Muller in double precision).
    public static func gaussian(
        _ out: UnsafeMutablePointer<Float>, count n: Int, mean: Float, std: Float, using g: inout RandomStream
    ) {
        let m = Double(mean)
        let s = Double(std)
        var i = 0
        while i < n {
            // 1 - u keeps the logarithm's argument in (0, 1].
            let u1 = 1 - g.nextDouble()
            let u2 = g.nextDouble()
            let r = (-2 * Foundation.log(u1)).squareRoot()
            let theta = 2 * Double.pi * u2
            out[i] = Float(m + s * r * Foundation.cos(theta))
            if i + 1 < n { out[i + 1] = Float(m + s * r * Foundation.sin(theta)) }
            i += 2
        }
    }
}

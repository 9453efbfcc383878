import CKernels
import Foundation
import Synchronization

/// 3×3 convolutions by Winograd's minimal filtering F(2×2, 3×3): 16 multiplications per input
/// channel for every 2×2 block of outputs instead of 36 (`Sources/CKernels/winograd.c`, built
/// on the same micro-kernels as ``PackedGEMM``). Used for 2-D NCHW convolutions with a 3×3
/// kernel, stride 1, no dilation and one group (SqueezeNet's expand layers, ResNet's and VGG's
/// 3×3 layers). The results differ from the direct sum by rounding only; they are the same
/// whatever the thread split.
public enum Winograd {
    /// Whether eligible convolutions use it.
    public enum Mode: Int, Sendable {
        /// Where the kernels run on AVX-512 (the transforms are written for it; elsewhere the
        /// plain-C transforms are slower than the direct product).
        case automatic = 0
        /// Never: every convolution goes through the direct product.
        case off = 1
        /// On every instruction set (used to test the plain-C transforms).
        case on = 2
    }

    /// The mode without ``setMode(_:)``: `C2_CONV_WINOGRAD=0` is ``Mode/off``, `1` is
    /// ``Mode/on``, anything else ``Mode/automatic``. Read once.
    static let defaultMode: Mode = {
        switch ProcessInfo.processInfo.environment["C2_CONV_WINOGRAD"] {
        case "0": return .off
        case "1": return .on
        default: return .automatic
        }
    }()

    private static let override = Atomic<Int>(-1)

    /// The mode in effect.
    public static var mode: Mode {
        let v = override.load(ordering: .relaxed)
        return v >= 0 ? Mode(rawValue: v) ?? defaultMode : defaultMode
    }

    /// Sets the mode process-wide (`nil` restores the default).
    public static func setMode(_ mode: Mode?) {
        override.store(mode?.rawValue ?? -1, ordering: .relaxed)
    }

    static var active: Bool {
        switch mode {
        case .off: return false
        case .on: return true
        case .automatic: return PackedGEMM.isa == "avx512f"
        }
    }

    /// Whether a convolution of this geometry (one group's) takes the Winograd path: 3×3,
    /// stride 1, undilated, 2-D, enough channels each way for the transforms to pay off.
    static func applies(_ geo: ConvGeometry, outChannels: Int, group: Int) -> Bool {
        group == 1 && geo.input[0] == 1 && geo.output[0] == 1 && geo.kernel == SIMD3(1, 3, 3)
            && geo.stride == SIMD3(1, 1, 1) && geo.dilation == SIMD3(1, 1, 1) && geo.padHead[0] == 0
            && geo.channels >= 8 && outChannels >= 16 && geo.outputSize >= 64 && active
    }

    /// Floats of scratch one thread needs.
    static func scratchFloats(channels: Int) -> Int {
        Int(c2_winograd_scratch_floats(Int32(channels)))
    }
}

/// An operator's transformed filters, kept between runs: they are recomputed only when the
/// filter's contents change (compared with a copy, so a filter updated in place by training is
/// noticed).
final class WinogradFilters {
    private var source: UnsafeMutablePointer<Float>?
    private var transformed: UnsafeMutablePointer<Float>?
    /// (output channels, channels) of the filters held.
    private var shape = (0, 0)

    /// The transformed filters of `w` (`outChannels × channels × 3 × 3`).
    func filters(_ w: UnsafePointer<Float>, outChannels m: Int, channels c: Int) -> UnsafePointer<Float> {
        let n = m * c * 9
        if let source, let transformed, shape == (m, c), memcmp(source, w, n * MemoryLayout<Float>.size) == 0 {
            return UnsafePointer(transformed)
        }
        if m * c != shape.0 * shape.1 {
            release()
            source = .allocate(capacity: n)
            transformed = .allocate(capacity: Int(c2_winograd_filter_floats(Int32(m), Int32(c))))
        }
        source!.update(from: w, count: n)
        shape = (m, c)
        c2_winograd_filters(w, Int32(m), Int32(c), transformed!)
        return UnsafePointer(transformed!)
    }

    private func release() {
        source?.deallocate()
        transformed?.deallocate()
        source = nil
        transformed = nil
    }

    deinit { release() }
}

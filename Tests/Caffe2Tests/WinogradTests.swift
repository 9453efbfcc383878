import CKernels
import Foundation
import Testing

@testable import Caffe2

/// 3×3 stride-1 convolution by Winograd F(2×2, 3×3) (`winograd.c`) against a
/// direct convolution summed in doubles: odd and even output sizes, padding on
/// any side (including none and more than the kernel), channel counts past
/// one block of the micro-kernel (> 256), partial row tiles, bias and Relu.
@Suite struct WinogradTests {
    /// A direct 3×3 convolution of one image in doubles (`x`: c × h × w, `w`: m × c × 3 × 3).
    static func direct(
        x: [Float], w: [Float], bias: [Float]?, c: Int, h: Int, wd: Int, m: Int, pad: (Int, Int), out: (Int, Int),
        relu: Bool
    ) -> [Double] {
        var y = [Double](repeating: 0, count: m * out.0 * out.1)
        for o in 0..<m {
            for oy in 0..<out.0 {
                for ox in 0..<out.1 {
                    var s = Double(bias?[o] ?? 0)
                    for ch in 0..<c {
                        for u in 0..<3 {
                            for v in 0..<3 {
                                let iy = oy - pad.0 + u, ix = ox - pad.1 + v
                                guard iy >= 0, iy < h, ix >= 0, ix < wd else { continue }
                                s += Double(w[((o * c + ch) * 3 + u) * 3 + v]) * Double(x[(ch * h + iy) * wd + ix])
                            }
                        }
                    }
                    y[(o * out.0 + oy) * out.1 + ox] = relu && s < 0 ? 0 : s
                }
            }
        }
        return y
    }

    /// Runs the kernel over one image, its work cut into `tileParts` tile ranges
    /// and `channelParts` output-channel ranges (multiples of 8).
    static func winograd(
        x: [Float], w: [Float], bias: [Float]?, c: Int, h: Int, wd: Int, m: Int, pad: (Int, Int), out: (Int, Int),
        relu: Bool, tileParts: Int, channelParts: Int
    ) -> [Float] {
        var u = [Float](repeating: 0, count: Int(c2_winograd_filter_floats(Int32(m), Int32(c))))
        c2_winograd_filters(w, Int32(m), Int32(c), &u)
        var y = [Float](repeating: .nan, count: m * out.0 * out.1)
        var scratch = [Float](repeating: 0, count: Winograd.scratchFloats(channels: c))
        x.withUnsafeBufferPointer { xp in
            u.withUnsafeBufferPointer { up in
                (bias ?? []).withUnsafeBufferPointer { bp in
                    y.withUnsafeMutableBufferPointer { yp in
                        var d = c2_winograd_desc()
                        (d.channels, d.out_channels) = (Int32(c), Int32(m))
                        (d.in_h, d.in_w, d.out_h, d.out_w) = (Int32(h), Int32(wd), Int32(out.0), Int32(out.1))
                        (d.pad_h, d.pad_w) = (Int32(pad.0), Int32(pad.1))
                        d.x = xp.baseAddress
                        d.u = up.baseAddress
                        d.bias = bias == nil ? nil : bp.baseAddress
                        d.y = yp.baseAddress
                        d.relu = relu ? 1 : 0
                        let tiles = Int(c2_winograd_tiles(&d)), rows = (m + 7) / 8
                        for tp in 0..<tileParts {
                            for cp in 0..<channelParts {
                                let t0 = tiles * tp / tileParts, t1 = tiles * (tp + 1) / tileParts
                                let m0 = min(m, rows * cp / channelParts * 8)
                                let m1 = min(m, rows * (cp + 1) / channelParts * 8)
                                c2_winograd_run(&d, Int32(t0), Int32(t1), Int32(m0), Int32(m1), &scratch)
                            }
                        }
                    }
                }
            }
        }
        return y
    }

    @Test(arguments: [
        // channels, height, width, output channels, pad top, pad left, pad bottom, pad right, bias, relu
        [16, 55, 55, 64, 1, 1, 1, 1, 1, 1], [32, 14, 13, 24, 1, 1, 1, 1, 0, 0], [3, 7, 9, 5, 0, 2, 0, 2, 1, 1],
        [300, 6, 5, 17, 1, 0, 1, 0, 1, 0], [5, 1, 1, 9, 1, 1, 1, 1, 0, 1], [7, 2, 3, 3, 2, 2, 2, 2, 1, 0],
        [9, 10, 40, 40, 0, 0, 0, 0, 1, 1], [8, 12, 12, 16, 1, 1, 0, 0, 1, 0],
    ])
    func matchesADirectConvolution(_ g: [Int]) {
        let (c, h, wd, m) = (g[0], g[1], g[2], g[3])
        let pad = (g[4], g[5]), out = (h + g[4] + g[6] - 2, wd + g[5] + g[7] - 2)
        let relu = g[9] == 1
        var rng = SeededGenerator(seed: UInt64(c * 1009 + h * 31 + wd))
        let x = (0..<c * h * wd).map { _ in Float.random(in: -1..<1, using: &rng) }
        let w = (0..<m * c * 9).map { _ in Float.random(in: -1..<1, using: &rng) }
        let bias = g[8] == 1 ? (0..<m).map { _ in Float.random(in: -1..<1, using: &rng) } : nil
        let want = Self.direct(x: x, w: w, bias: bias, c: c, h: h, wd: wd, m: m, pad: pad, out: out, relu: relu)
        let got = Self.winograd(
            x: x, w: w, bias: bias, c: c, h: h, wd: wd, m: m, pad: pad, out: out, relu: relu, tileParts: 1,
            channelParts: 1)
        // Rounding only: the transforms add at most a few float roundings per term, so the
        // error grows with the number of channels summed (about 1e-6 per channel here).
        let tolerance = 2e-6 * Double(c * 9) + 1e-6
        var worst = 0.0
        for i in 0..<want.count { worst = max(worst, abs(Double(got[i]) - want[i])) }
        #expect(worst <= tolerance, "\(g): off by \(worst)")
        if relu { #expect(got.allSatisfy { $0 >= 0 }) }
        // Every output comes from its own tile only: any split of tiles or output channels gives the
        // same bits.
        for (tiles, channels) in [(3, 1), (1, 2), (2, 3)] {
            let split = Self.winograd(
                x: x, w: w, bias: bias, c: c, h: h, wd: wd, m: m, pad: pad, out: out, relu: relu,
                tileParts: tiles, channelParts: channels)
            #expect(split.map(\.bitPattern) == got.map(\.bitPattern), "\(g): \(tiles) × \(channels) parts")
        }
    }

    /// The Conv operator through a workspace: a batch of 3 on however many threads, the fused Relu,
    /// and filters changed between runs (the transformed filters are cached per operator and must
    /// follow the new values). With the default mode this takes the Winograd path where the
    /// kernels are AVX-512, and CI reruns it with `C2_CONV_WINOGRAD=1` on the other kernel sets.
    @Test func convOperatorFollowsNewFilters() throws {
        let (n, c, h, wd, m) = (3, 16, 13, 11, 24)
        let def = NetDef(
            name: "conv3x3",
            op: [
                OperatorDef(
                    type: "Conv", input: ["X", "W", "b"], output: ["Y"],
                    arg: [Argument(name: "kernel", int: 3), Argument(name: "pad", int: 1)]),
                OperatorDef(type: "Relu", input: ["Y"], output: ["Y"]),
            ], externalInput: ["X", "W", "b"])
        var rng = SeededGenerator(seed: 99)
        func random(_ count: Int) -> [Float] { (0..<count).map { _ in Float.random(in: -1..<1, using: &rng) } }
        let x = random(n * c * h * wd), b = random(m)
        let ws = Workspace()
        ws.feedBlob("X", try Tensor(dims: [n, c, h, wd], values: x))
        ws.feedBlob("b", try Tensor(dims: [m], values: b))
        var w = random(m * c * 9)
        ws.feedBlob("W", try Tensor(dims: [m, c, 3, 3], values: w))
        let net = try Net(def, workspace: ws)
        #expect(net.fusedOperators == [1])
        for round in 0..<3 {
            try net.run()
            let y = try ws.fetchBlob("Y").values(as: Float.self)
            var worst = 0.0
            for i in 0..<n {
                let image = Array(x[(i * c * h * wd)..<((i + 1) * c * h * wd)])
                let want = Self.direct(
                    x: image, w: w, bias: b, c: c, h: h, wd: wd, m: m, pad: (1, 1), out: (h, wd), relu: true)
                for j in 0..<want.count { worst = max(worst, abs(Double(y[i * want.count + j]) - want[j])) }
            }
            #expect(worst <= 1e-4, "round \(round): off by \(worst)")
            // New filters: the second round changes one value, the third all of them.
            if round == 0 { w[5] += 0.5 } else { w = random(m * c * 9) }
            ws.feedBlob("W", try Tensor(dims: [m, c, 3, 3], values: w))
        }
    }

    @Test func appliesOnlyToUngroupedUndilatedStrideOne3x3() {
        func geometry(kernel: Int = 3, stride: Int = 1, dilation: Int = 1, channels: Int = 16) -> ConvGeometry {
            ConvGeometry(
                channels: channels, input: [20, 20], output: [20, 20], kernel: [kernel, kernel],
                stride: [stride, stride], dilation: [dilation, dilation], padHead: [1, 1])
        }
        let on = Winograd.active
        #expect(Winograd.applies(geometry(), outChannels: 32, group: 1) == on)
        #expect(!Winograd.applies(geometry(kernel: 5), outChannels: 32, group: 1))
        #expect(!Winograd.applies(geometry(stride: 2), outChannels: 32, group: 1))
        #expect(!Winograd.applies(geometry(dilation: 2), outChannels: 32, group: 1))
        #expect(!Winograd.applies(geometry(), outChannels: 32, group: 2))
        #expect(!Winograd.applies(geometry(channels: 4), outChannels: 32, group: 1))
    }
}

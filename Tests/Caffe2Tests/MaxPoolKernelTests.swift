import CKernels
import Foundation
import Testing

@testable import Caffe2

/// The 3×3 stride-2 max pooling kernel (`maxpool.c`, taken by every MaxPool with that kernel and
/// stride and no head padding) against the definition folded in the same order, bit for bit: NaN,
/// ±0 and ±inf in the input, Caffe's ceil mode (`legacy_pad: 3`, last windows clipped) and floor
/// mode, planes narrower than one vector and wider than several.
@Suite struct MaxPoolKernelTests {
    @Test(arguments: [
        // planes, height, width, legacy_pad (3: Caffe's ceil mode, 0: floor)
        [2, 111, 111, 3], [3, 13, 13, 0], [1, 8, 40, 3], [2, 4, 3, 0], [1, 3, 3, 3], [1, 4, 4, 3], [4, 27, 27, 3], [1, 7, 70, 0],
    ])
    func matchesTheDefinitionBitForBit(_ g: [Int]) throws {
        let (planes, h, w) = (g[0], g[1], g[2])
        var rng = SeededGenerator(seed: UInt64(h * 1000 + w))
        let specials: [Float] = [.nan, 0, -0.0, .infinity, -.infinity]
        let x = (0..<planes * h * w).map { i -> Float in
            i % 37 == 5 ? specials[(i / 37) % specials.count] : Float.random(in: -1..<1, using: &rng)
        }
        let ws = Workspace()
        ws.feedBlob("X", try Tensor(dims: [1, planes, h, w], values: x))
        var args = [Argument(name: "kernel", int: 3), Argument(name: "stride", int: 2)]
        if g[3] != 0 { args.append(Argument(name: "legacy_pad", int: Int64(g[3]))) }
        try ws.runOperatorOnce(OperatorDef(type: "MaxPool", input: ["X"], output: ["Y"], arg: args))
        let y = try ws.fetchBlob("Y")
        let (oh, ow) = (Int(y.dims[2]), Int(y.dims[3]))
        #expect(oh == (g[3] == 3 ? (h - 3 + 1) / 2 + 1 : (h - 3) / 2 + 1))
        let got = try y.values(as: Float.self)
        var want = [Float]()
        for p in 0..<planes {
            for r in 0..<oh {
                for c in 0..<ow {
                    // Rows folded first (later row against the running value), then columns.
                    func column(_ col: Int) -> Float {
                        var m = x[(p * h + 2 * r) * w + col]
                        for row in (2 * r + 1)..<min(2 * r + 3, h) {
                            let v = x[(p * h + row) * w + col]
                            m = v > m ? v : m
                        }
                        return m
                    }
                    var m = column(2 * c)
                    for col in (2 * c + 1)..<min(2 * c + 3, w) {
                        let v = column(col)
                        m = v > m ? v : m
                    }
                    want.append(m)
                }
            }
        }
        #expect(got.map(\.bitPattern) == want.map(\.bitPattern), "\(g)")
    }
}

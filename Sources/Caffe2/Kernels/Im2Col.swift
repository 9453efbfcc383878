// Unfolding images into columns (im2col) for convolution as a matrix
// product, the adjoint fold (col2im), and NCHW <-> NHWC layout transposes.
//
// Spatial dims are always handled as three, (D, H, W): a 2-D image has
// D = 1 and a 1-D image D = H = 1, with kernel 1, stride 1, pad 0 there.

/// The geometry of one convolution window sweep: an image of `channels`
/// channels and `input` spatial size, a kernel of `kernel` taps with
/// `stride`, `dilation` and head padding `padHead`, giving `output` positions.
///
/// The column matrix of one image is `rows × columns` with
/// `rows = channels · kd·kh·kw` (channel-major, then kernel taps) and
/// `columns = od·oh·ow`: Caffe2's NCHW `Im2Col` layout.
public struct ConvGeometry: Sendable, Equatable {
    /// Channels of the image being unfolded (one group's channels).
    public var channels: Int
    /// Input spatial size `(D, H, W)`.
    public var input: SIMD3<Int>
    /// Output spatial size `(D, H, W)`: the window positions.
    public var output: SIMD3<Int>
    /// Kernel taps per dim.
    public var kernel: SIMD3<Int>
    /// Step between window positions per dim.
    public var stride: SIMD3<Int>
    /// Spacing between kernel taps per dim.
    public var dilation: SIMD3<Int>
    /// Padding before the first input element per dim (tail padding only changes `output`).
    public var padHead: SIMD3<Int>

    /// Builds a geometry from per-dim lists of 1 to 3 spatial dims.
    public init(
        channels: Int, input: [Int], output: [Int], kernel: [Int], stride: [Int], dilation: [Int], padHead: [Int]
    ) {
        func lift(_ v: [Int], _ fill: Int) -> SIMD3<Int> {
            let p = Array(repeating: fill, count: max(0, 3 - v.count)) + v.suffix(3)
            return SIMD3(p[0], p[1], p[2])
        }
        self.channels = channels
        self.input = lift(input, 1)
        self.output = lift(output, 1)
        self.kernel = lift(kernel, 1)
        self.stride = lift(stride, 1)
        self.dilation = lift(dilation, 1)
        self.padHead = lift(padHead, 0)
    }

    /// Taps per channel, `kd·kh·kw`.
    public var kernelSize: Int { kernel[0] * kernel[1] * kernel[2] }
    /// Pixels per input channel.
    public var inputSize: Int { input[0] * input[1] * input[2] }
    /// Output positions, the column count.
    public var outputSize: Int { output[0] * output[1] * output[2] }
    /// Rows of the column matrix, `channels · kernelSize`.
    public var rows: Int { channels * kernelSize }

    /// Whether the column matrix equals the image itself (1×1 kernel, stride
    /// 1, no padding, same size), so im2col can be skipped.
    public var isIdentity: Bool {
        kernel == SIMD3(1, 1, 1) && stride == SIMD3(1, 1, 1) && padHead == SIMD3(0, 0, 0) && output == input
    }
}

/// Copies `n` floats; short runs (the rows of small images) use 4-wide vector
/// moves instead of a `memcpy` call, whose call overhead would dominate.
@inline(__always)
func copyFloats(_ d: UnsafeMutablePointer<Float>, _ s: UnsafePointer<Float>, _ n: Int) {
    if n >= 64 {
        d.update(from: s, count: n)
        return
    }
    var i = 0
    while i + 4 <= n {
        UnsafeMutableRawPointer(d + i).storeBytes(
            of: UnsafeRawPointer(s + i).loadUnaligned(as: SIMD4<Float>.self), as: SIMD4<Float>.self)
        i += 4
    }
    while i < n {
        d[i] = s[i]
        i += 1
    }
}

/// Sets `n` floats to zero, with vector stores for short runs.
@inline(__always)
func zeroFloats(_ d: UnsafeMutablePointer<Float>, _ n: Int) {
    if n >= 64 {
        d.update(repeating: 0, count: n)
        return
    }
    var i = 0
    while i + 4 <= n {
        UnsafeMutableRawPointer(d + i).storeBytes(of: SIMD4<Float>(), as: SIMD4<Float>.self)
        i += 4
    }
    while i < n {
        d[i] = 0
        i += 1
    }
}

/// The output positions `lo..<hi` along one dim whose input index
/// `o·stride + offset` falls inside `0..<size`, clamped to `0..<count`.
@inline(__always)
private func validRange(offset: Int, stride: Int, size: Int, count: Int) -> (Int, Int) {
    let lo = offset >= 0 ? 0 : min(count, (-offset + stride - 1) / stride)
    let last = size - 1 - offset
    let hi = last < 0 ? 0 : min(count, last / stride + 1)
    return (lo, max(lo, hi))
}

/// Unfolds channels `channelRange` of one image `x` (`channels × D×H×W`) into
/// the matching rows of `col` (`rows × columns`); padding positions become 0.
///
/// With `outputRows` (2-D geometries only, `output[0] == 1`), only the output
/// positions of those output rows are unfolded: `col` is then
/// `rows × (outputRows.count · ow)`, so a large image can be processed in
/// cache-sized blocks of columns.
@inline(never)
public func im2col(
    _ x: UnsafePointer<Float>, _ g: ConvGeometry, _ col: UnsafeMutablePointer<Float>, channels channelRange: Range<Int>,
    outputRows: Range<Int>? = nil
) {
    let (iD, iH, iW) = (g.input[0], g.input[1], g.input[2])
    let (oD, oH, oW) = (g.output[0], g.output[1], g.output[2])
    let (kD, kH, kW) = (g.kernel[0], g.kernel[1], g.kernel[2])
    let (sD, sH, sW) = (g.stride[0], g.stride[1], g.stride[2])
    let (dD, dH, dW) = (g.dilation[0], g.dilation[1], g.dilation[2])
    let (pD, pH, pW) = (g.padHead[0], g.padHead[1], g.padHead[2])
    precondition(outputRows == nil || oD == 1, "im2col: output row blocks need a 2-D geometry")
    let rows = outputRows ?? 0..<oH
    let columns = oD * rows.count * oW
    let plane = rows.count * oW
    if iD == 1 && oD == 1 && kD == 1 && pH == 0 && pW == 0 && (oH - 1) * sH + (kH - 1) * dH < iH
        && (oW - 1) * sW + (kW - 1) * dW < iW
    {
        // 2-D, every window inside the image (no padding): plain strided copies.
        for c in channelRange {
            var dst = col + c * kH * kW * columns
            for kh in 0..<kH {
                for kw in 0..<kW {
                    var src = x + (c * iH + kh * dH + rows.lowerBound * sH) * iW + kw * dW
                    for _ in rows {
                        switch sW {
                        case 1: copyFloats(dst, src, oW)
                        case 2: for ow in 0..<oW { dst[ow] = src[ow &* 2] }
                        default: for ow in 0..<oW { dst[ow] = src[ow &* sW] }
                        }
                        dst += oW
                        src += sH * iW
                    }
                }
            }
        }
        return
    }
    for c in channelRange {
        let xc = x + c * iD * iH * iW
        var row = c * kD * kH * kW
        for kd in 0..<kD {
            for kh in 0..<kH {
                for kw in 0..<kW {
                    let dst = col + row * columns
                    row += 1
                    let w0 = kw * dW - pW
                    let (wlo, whi) = validRange(offset: w0, stride: sW, size: iW, count: oW)
                    for od in 0..<oD {
                        let id = od * sD - pD + kd * dD
                        let dplane = dst + od * plane
                        if id < 0 || id >= iD {
                            zeroFloats(dplane, plane)
                            continue
                        }
                        for oh in rows {
                            let ih = oh * sH - pH + kh * dH
                            let d = dplane + (oh - rows.lowerBound) * oW
                            if ih < 0 || ih >= iH {
                                zeroFloats(d, oW)
                                continue
                            }
                            let src = xc + (id * iH + ih) * iW + w0
                            if wlo > 0 { zeroFloats(d, wlo) }
                            if sW == 1 {
                                copyFloats(d + wlo, src + wlo, whi - wlo)
                            } else if sW == 2 {
                                for ow in wlo..<whi { d[ow] = src[ow &* 2] }
                            } else {
                                for ow in wlo..<whi { d[ow] = src[ow &* sW] }
                            }
                            if whi < oW { zeroFloats(d + whi, oW - whi) }
                        }
                    }
                }
            }
        }
    }
}

/// The adjoint of ``im2col(_:_:_:channels:)``: adds every entry of the rows
/// of `col` belonging to `channelRange` back into its image position in `x`
/// (entries that fall in the padding are dropped). `x` is accumulated into,
/// not overwritten.
@inline(never)
public func col2im(
    _ col: UnsafePointer<Float>, _ g: ConvGeometry, _ x: UnsafeMutablePointer<Float>, channels channelRange: Range<Int>
) {
    let (iD, iH, iW) = (g.input[0], g.input[1], g.input[2])
    let (oD, oH, oW) = (g.output[0], g.output[1], g.output[2])
    let (kD, kH, kW) = (g.kernel[0], g.kernel[1], g.kernel[2])
    let (sD, sH, sW) = (g.stride[0], g.stride[1], g.stride[2])
    let (dD, dH, dW) = (g.dilation[0], g.dilation[1], g.dilation[2])
    let (pD, pH, pW) = (g.padHead[0], g.padHead[1], g.padHead[2])
    let columns = oD * oH * oW
    let plane = oH * oW
    if iD == 1 && oD == 1 && kD == 1 && pH == 0 && pW == 0 && (oH - 1) * sH + (kH - 1) * dH < iH
        && (oW - 1) * sW + (kW - 1) * dW < iW
    {
        // 2-D, every window inside the image: plain strided accumulation.
        for c in channelRange {
            var src = col + c * kH * kW * columns
            for kh in 0..<kH {
                for kw in 0..<kW {
                    var dst = x + (c * iH + kh * dH) * iW + kw * dW
                    for _ in 0..<oH {
                        if sW == 1 {
                            for ow in 0..<oW { dst[ow] += src[ow] }
                        } else {
                            for ow in 0..<oW { dst[ow &* sW] += src[ow] }
                        }
                        src += oW
                        dst += sH * iW
                    }
                }
            }
        }
        return
    }
    for c in channelRange {
        let xc = x + c * iD * iH * iW
        var row = c * kD * kH * kW
        for kd in 0..<kD {
            for kh in 0..<kH {
                for kw in 0..<kW {
                    let src = col + row * columns
                    row += 1
                    let w0 = kw * dW - pW
                    let (wlo, whi) = validRange(offset: w0, stride: sW, size: iW, count: oW)
                    if wlo >= whi { continue }
                    for od in 0..<oD {
                        let id = od * sD - pD + kd * dD
                        if id < 0 || id >= iD { continue }
                        for oh in 0..<oH {
                            let ih = oh * sH - pH + kh * dH
                            if ih < 0 || ih >= iH { continue }
                            let s = src + od * plane + oh * oW
                            let dst = xc + (id * iH + ih) * iW + w0
                            if sW == 1 {
                                for ow in wlo..<whi { dst[ow] += s[ow] }
                            } else {
                                for ow in wlo..<whi { dst[ow * sW] += s[ow] }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// `im2col` of a whole image, split over threads by channel when large.
public func im2colParallel(_ x: UnsafePointer<Float>, _ g: ConvGeometry, _ col: UnsafeMutablePointer<Float>) {
    if g.rows * g.outputSize < Parallel.minElementsPerThread * 2 || g.channels < 2 {
        im2col(x, g, col, channels: 0..<g.channels)
        return
    }
    Parallel.forRanges(g.channels) { _, r in im2col(x, g, col, channels: r) }
}

/// `col2im` of a whole image, split over threads by channel when large.
public func col2imParallel(_ col: UnsafePointer<Float>, _ g: ConvGeometry, _ x: UnsafeMutablePointer<Float>) {
    if g.rows * g.outputSize < Parallel.minElementsPerThread * 2 || g.channels < 2 {
        col2im(col, g, x, channels: 0..<g.channels)
        return
    }
    Parallel.forRanges(g.channels) { _, r in col2im(col, g, x, channels: r) }
}

/// `dst[n][c][s] = src[n][s][c]`: NHWC (`[N, S, C]`) to NCHW (`[N, C, S]`).
@inline(never)
public func transposeToChannelsFirst(
    _ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, batch: Int, spatial: Int, channels: Int
) {
    transpose2D(src, dst, batches: batch, rows: spatial, columns: channels)
}

/// `dst[n][s][c] = src[n][c][s]`: NCHW (`[N, C, S]`) to NHWC (`[N, S, C]`).
@inline(never)
public func transposeToChannelsLast(
    _ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, batch: Int, spatial: Int, channels: Int
) {
    transpose2D(src, dst, batches: batch, rows: channels, columns: spatial)
}

/// For each batch, `dst[j][i] = src[i][j]` over a `rows × columns` matrix, in cache blocks.
@inline(__always)
private func transpose2D(
    _ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, batches: Int, rows: Int, columns: Int
) {
    let block = 32
    for b in 0..<batches {
        let s = src + b * rows * columns
        let d = dst + b * rows * columns
        var i0 = 0
        while i0 < rows {
            let i1 = min(i0 + block, rows)
            var j0 = 0
            while j0 < columns {
                let j1 = min(j0 + block, columns)
                for i in i0..<i1 {
                    for j in j0..<j1 { d[j * rows + i] = s[i * columns + j] }
                }
                j0 = j1
            }
            i0 = i1
        }
    }
}

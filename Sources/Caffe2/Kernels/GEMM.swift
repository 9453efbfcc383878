import CKernels
import COpenBLAS
import Dispatch
import Foundation

// Row-major matrix products through OpenBLAS (Debian's libopenblas), and the
// scratch memory the convolution kernels unfold images into.
//
// Threading: OpenBLAS is switched to one thread the first time a product
// runs, and our own `Parallel` splits the work instead (large products by
// column or row blocks, convolutions by images). Two thread pools on two
// cores would otherwise fight each other, and OpenBLAS's spinning workers
// would stall `concurrentPerform` chunks running beside them.
//
// Kernel choice: a DYNAMIC_ARCH OpenBLAS picks its kernels from the CPU
// model number, and releases older than the CPU (Debian 12 ships 0.3.21)
// fall back to the SSE3 "Prescott" kernels on unknown models, 2.5 to 4
// times slower than the AVX2/AVX-512 ones. When that happened and the CPU
// reports the needed features, the first product re-runs OpenBLAS's own
// core selection with `OPENBLAS_CORETYPE` set (unless the user set it).

/// A floating-point element type OpenBLAS has a GEMM for.
public protocol BLASScalar: FloatingTensorElement {
    /// `C = alpha·op(A)·op(B) + beta·C`, row-major, on the calling thread only.
    static func blasGemm(
        _ transA: Bool, _ transB: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Self,
        _ a: UnsafePointer<Self>, _ lda: Int, _ b: UnsafePointer<Self>, _ ldb: Int, _ beta: Self,
        _ c: UnsafeMutablePointer<Self>, _ ldc: Int)
}

@inline(__always)
private func cblasTranspose(_ t: Bool) -> CBLAS_TRANSPOSE { t ? CblasTrans : CblasNoTrans }

extension Float: BLASScalar {
    /// `cblas_sgemm`, row-major.
    public static func blasGemm(
        _ transA: Bool, _ transB: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Float,
        _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int, _ beta: Float,
        _ c: UnsafeMutablePointer<Float>, _ ldc: Int
    ) {
        cblas_sgemm(
            CblasRowMajor, cblasTranspose(transA), cblasTranspose(transB), Int32(m), Int32(n), Int32(k), alpha, a,
            Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
}

extension Double: BLASScalar {
    /// `cblas_dgemm`, row-major.
    public static func blasGemm(
        _ transA: Bool, _ transB: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Double,
        _ a: UnsafePointer<Double>, _ lda: Int, _ b: UnsafePointer<Double>, _ ldb: Int, _ beta: Double,
        _ c: UnsafeMutablePointer<Double>, _ ldc: Int
    ) {
        cblas_dgemm(
            CblasRowMajor, cblasTranspose(transA), cblasTranspose(transB), Int32(m), Int32(n), Int32(k), alpha, a,
            Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
}

/// General matrix products, `C = alpha·op(A)·op(B) + beta·C`, row-major.
///
/// `op(A)` is `m × k` (A is stored `m × k` with leading dimension `lda`, or
/// `k × m` when `transA`), `op(B)` is `k × n`, C is `m × n` with leading
/// dimension `ldc`. `beta = 0` overwrites C (NaNs in C do not survive).
///
/// ```swift
/// // Y[M, N] = X[M, K] · W[N, K]ᵀ
/// GEMM.multiply(transA: false, transB: true, m: M, n: N, k: K,
///               a: x, lda: K, b: w, ldb: K, beta: 0, c: y, ldc: N)
/// ```
public enum GEMM {
    /// Multiply-adds below which a product stays on one thread.
    public static let minParallelWork = 1 << 20

    /// Makes OpenBLAS single-threaded (once per process): our kernels do the
    /// splitting. Also replaces a generic fallback core (see the file comment).
    static let configureBLAS: Void = {
        upgradeFallbackCore()
        openblas_set_num_threads(1)
    }()

    /// The OpenBLAS kernel set in use (`"SkylakeX"`, `"Haswell"`, `"Prescott"`, ...).
    public static var blasCoreName: String {
        _ = configureBLAS
        return String(cString: openblas_get_corename())
    }

    /// OpenBLAS's pre-AVX kernel sets, used as fallbacks for unknown CPU models.
    static let fallbackCores: Set<String> = [
        "prescott", "katmai", "coppermine", "northwood", "banias", "atom", "core2", "penryn", "dunnington", "nehalem",
    ]

    static func upgradeFallbackCore() {
        guard getenv("OPENBLAS_CORETYPE") == nil,
            fallbackCores.contains(String(cString: openblas_get_corename()).lowercased()),
            let cpuinfo = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
            let flagLine = cpuinfo.split(separator: "\n").first(where: { $0.hasPrefix("flags") })
        else { return }
        let flags = Set(flagLine.split(separator: " ").map(String.init))
        let target: String
        if flags.isSuperset(of: ["avx512f", "avx512dq", "avx512bw", "avx512vl", "avx512cd"]) {
            target = "SkylakeX"
        } else if flags.isSuperset(of: ["avx2", "fma"]) {
            target = "Haswell"
        } else {
            return
        }
        guard let handle = dlopen(nil, RTLD_NOW), let quit = dlsym(handle, "gotoblas_dynamic_quit"),
            let reinit = dlsym(handle, "gotoblas_dynamic_init")
        else { return }
        typealias CFunction = @convention(c) () -> Void
        setenv("OPENBLAS_CORETYPE", target, 1)
        unsafeBitCast(quit, to: CFunction.self)()
        unsafeBitCast(reinit, to: CFunction.self)()
        unsetenv("OPENBLAS_CORETYPE")
    }

    /// One product on the calling thread (for use inside already-parallel loops).
    @inline(__always)
    public static func serial<T: BLASScalar>(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: T = 1,
        a: UnsafePointer<T>, lda: Int, b: UnsafePointer<T>, ldb: Int, beta: T,
        c: UnsafeMutablePointer<T>, ldc: Int
    ) {
        _ = configureBLAS
        if m <= 0 || n <= 0 { return }
        if k <= 0 {
            // OpenBLAS leaves C alone for k = 0; the product is empty, so C = beta·C.
            for i in 0..<m {
                let row = c + i * ldc
                if beta == 0 {
                    row.update(repeating: 0, count: n)
                } else if beta != 1 {
                    for j in 0..<n { row[j] *= beta }
                }
            }
            return
        }
        T.blasGemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
    }

    /// One product, split over `Parallel.threadCount` threads when it is large
    /// (by blocks of C's columns, or of its rows when C is narrow).
    public static func multiply<T: BLASScalar>(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: T = 1,
        a: UnsafePointer<T>, lda: Int, b: UnsafePointer<T>, ldb: Int, beta: T,
        c: UnsafeMutablePointer<T>, ldc: Int
    ) {
        let threads = Parallel.threadCount
        let work = m * n * max(k, 1)
        if threads <= 1 || work < minParallelWork || (n < 32 && m < 8) {
            serial(
                transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
                beta: beta, c: c, ldc: ldc)
            return
        }
        _ = configureBLAS
        let byColumns = n >= 32 * threads || n >= m
        let extent = byColumns ? n : m
        let parts = min(threads, max(1, extent / 16))
        Parallel.forEach(parts) { p in
            // Block boundaries on multiples of 16 (whole vector registers).
            let lo = p == 0 ? 0 : (extent * p / parts) & ~15
            let hi = p == parts - 1 ? extent : (extent * (p + 1) / parts) & ~15
            if lo >= hi { return }
            if byColumns {
                let bp = transB ? b + lo * ldb : b + lo
                serial(
                    transA: transA, transB: transB, m: m, n: hi - lo, k: k, alpha: alpha, a: a, lda: lda, b: bp,
                    ldb: ldb, beta: beta, c: c + lo, ldc: ldc)
            } else {
                let ap = transA ? a + lo : a + lo * lda
                serial(
                    transA: transA, transB: transB, m: hi - lo, n: n, k: k, alpha: alpha, a: ap, lda: lda, b: b,
                    ldb: ldb, beta: beta, c: c + lo * ldc, ldc: ldc)
            }
        }
    }
}

/// Float products through the register-blocked micro-kernels of `CKernels`
/// (`gemm.c`): AVX-512 or AVX2+FMA chosen at run time, plain C elsewhere.
///
/// Unlike ``GEMM``, the right-hand operand can be an image unfolded on the
/// fly (implicit im2col: convolution without a column buffer), C can start
/// from a row or column bias, and a Relu can be applied before the result
/// leaves the registers. The kernels run on the calling thread; callers split
/// the columns of C over threads (every column is computed the same way
/// whatever the split, so results do not depend on the thread count).
enum PackedGEMM {
    /// Floats of scratch one thread needs (64-byte aligned memory preferred).
    static let scratchFloats = Int(c2_gemm_scratch_floats())

    /// Column granularity of the kernels: splits on multiples of it keep panels full.
    static let panelColumns = 32

    /// The instruction set in use: `"avx512f"`, `"avx2"` or `"generic"`.
    static var isa: String { String(cString: c2_gemm_isa()) }

    /// A product description with C and A set (`C[m][n] = A[m][k]·B[k][n]`, A row-major).
    static func descriptor(
        m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, c: UnsafeMutablePointer<Float>, ldc: Int
    ) -> c2_gemm_desc {
        var d = c2_gemm_desc()
        d.m = Int32(m)
        d.n = Int32(n)
        d.k = Int32(k)
        d.a = a
        d.lda = lda
        d.c = c
        d.ldc = ldc
        d.start = Int32(C2_INIT_ZERO)
        return d
    }

    /// Columns `range` of the product `d` on this thread.
    @inline(__always)
    static func columns(_ d: inout c2_gemm_desc, _ range: Range<Int>, scratch: UnsafeMutablePointer<Float>) {
        c2_gemm_columns(&d, Int32(range.lowerBound), Int32(range.upperBound), scratch)
    }

    /// `parts` contiguous column ranges of `0..<n`, split on panel boundaries.
    @inline(__always)
    static func columnRange(_ part: Int, of parts: Int, n: Int) -> Range<Int> {
        let lo = part == 0 ? 0 : min(n, (n * part / parts) & ~(panelColumns - 1))
        let hi = part == parts - 1 ? n : min(n, (n * (part + 1) / parts) & ~(panelColumns - 1))
        return lo..<max(lo, hi)
    }
}

/// Reusable, growable scratch memory owned by one operator instance, so
/// steady-state runs allocate nothing. Not thread-safe: each thread of a
/// parallel kernel gets its own buffer from ``ScratchPool``.
final class ScratchBuffer {
    private var base: UnsafeMutableRawPointer?
    private var capacity = 0

    init() {}

    /// At least `count` elements of `T` (contents undefined; valid until the next call).
    func pointer<T>(_: T.Type, count: Int) -> UnsafeMutablePointer<T> {
        let bytes = max(count, 1) * MemoryLayout<T>.stride
        if bytes > capacity {
            base?.deallocate()
            base = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
            capacity = bytes
        }
        return base!.bindMemory(to: T.self, capacity: max(count, 1))
    }

    /// `count` zeroed elements of `T`.
    func zeroed<T: BinaryFloatingPoint>(_: T.Type, count: Int) -> UnsafeMutablePointer<T> {
        let p = pointer(T.self, count: count)
        p.update(repeating: 0, count: count)
        return p
    }

    deinit { base?.deallocate() }
}

/// One ``ScratchBuffer`` per thread slot plus shared named buffers.
final class ScratchPool {
    private var perThread: [ScratchBuffer]
    private var named: [ScratchBuffer]
    /// Transformed filters of a convolution taking the Winograd path.
    lazy var winograd = WinogradFilters()

    /// `shared` buffers used outside parallel sections, plus one per thread.
    init(shared: Int = 4) {
        perThread = (0..<max(Parallel.threadCount, 1)).map { _ in ScratchBuffer() }
        named = (0..<shared).map { _ in ScratchBuffer() }
    }

    /// The buffer of thread slot `i`.
    func thread(_ i: Int) -> ScratchBuffer {
        while i >= perThread.count { perThread.append(ScratchBuffer()) }
        return perThread[i]
    }

    /// Shared buffer number `i` (for use outside parallel sections).
    func shared(_ i: Int) -> ScratchBuffer {
        while i >= named.count { named.append(ScratchBuffer()) }
        return named[i]
    }
}

extension Parallel {
    /// Runs `item(i, buffer)` for every `i < items` on up to `threads` threads, each with its own
    /// scratch buffer of `floats` floats from `scratch` (thread slot `s` uses `scratch.thread(s)`).
    @inline(__always)
    static func forItems(
        _ items: Int, threads: Int, scratch: ScratchPool, floats: Int,
        _ item: (Int, UnsafeMutablePointer<Float>) -> Void
    ) {
        let slots = max(1, min(threads, items))
        let buffers = (0..<slots).map { scratch.thread($0).pointer(Float.self, count: floats) }
        if slots > 1 {
            forRanges(items) { slot, range in
                for i in range { item(i, buffers[slot]) }
            }
        } else {
            for i in 0..<items { item(i, buffers[0]) }
        }
    }

    /// Runs `body(slot, range)` over `0..<count` split into at most
    /// `threadCount` contiguous ranges, one per thread slot; on one thread
    /// when `count < 2` or there is one core.
    @inline(__always)
    static func forRanges(_ count: Int, _ body: (_ slot: Int, _ range: Range<Int>) -> Void) {
        let parts = min(threadCount, count)
        if parts <= 1 {
            body(0, 0..<count)
            return
        }
        forEach(parts) { p in
            let lo = count * p / parts
            let hi = count * (p + 1) / parts
            if lo < hi { body(p, lo..<hi) }
        }
    }
}

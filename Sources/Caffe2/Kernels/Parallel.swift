import CKernels
import Foundation
import Synchronization

/// Carries a non-Sendable value (a pointer) into work run on other threads;
/// the caller guarantees the items touch disjoint memory.
struct UncheckedSendable<T>: @unchecked Sendable {
    let value: T
}

/// Splitting element-wise work across the machine's cores.
public enum Parallel {
    /// The machine's active cores (at most 64).
    public static let availableCores: Int = max(1, min(ProcessInfo.processInfo.activeProcessorCount, 64))

    /// The thread count without ``setThreadLimit(_:)``: `CAFFE2_NUM_THREADS`
    /// from the environment (like `OMP_NUM_THREADS`) when it is a positive
    /// integer, capped at the cores; else every core. Read once.
    static let defaultThreadCount: Int = {
        guard let v = ProcessInfo.processInfo.environment["CAFFE2_NUM_THREADS"], let n = Int(v), n > 0 else {
            return availableCores
        }
        return min(n, availableCores)
    }()

    private static let limit = Atomic<Int>(0)

    /// Worker threads used for large kernels: the machine's active cores, or
    /// fewer after ``setThreadLimit(_:)`` or with `CAFFE2_NUM_THREADS` set.
    public static var threadCount: Int {
        let l = limit.load(ordering: .relaxed)
        return l > 0 ? min(l, availableCores) : defaultThreadCount
    }

    /// Caps the threads kernels use (`nil` restores the default: all cores,
    /// or `CAFFE2_NUM_THREADS`); `1` keeps every kernel on the calling thread.
    /// Process-wide.
    public static func setThreadLimit(_ n: Int?) {
        limit.store(max(n ?? 0, 0), ordering: .relaxed)
    }

    /// Elements per thread below which a kernel stays on the calling thread.
    /// The pool's workers spin between jobs, so a hand-off costs about half a
    /// microsecond (a 2-item job back to back); bringing this down from 128 Ki
    /// to 32 Ki made LeNet's mid-size Add and MaxPool operators (92 Ki to
    /// 184 Ki floats) 20 to 35 % faster.
    public static let minElementsPerThread = 32_768

    /// Runs `body` over contiguous chunks of `0..<n`, one chunk per thread
    /// when `n` is large enough, else once over the whole range on this thread.
    /// Chunk boundaries are multiples of 64 elements.
    @inline(__always)
    public static func forChunks(_ n: Int, minPerThread: Int = minElementsPerThread, _ body: (Range<Int>) -> Void) {
        let threads = min(threadCount, n / max(minPerThread, 1))
        if threads <= 1 {
            body(0..<n)
            return
        }
        forEach(threads) { c in
            let lo = c == 0 ? 0 : (n * c / threads) & ~63
            let hi = c == threads - 1 ? n : (n * (c + 1) / threads) & ~63
            if lo < hi { body(lo..<hi) }
        }
    }

    /// Runs `body(i)` for `i` in `0..<count` on up to `count` threads (callers
    /// keep `count` at most ``threadCount``), for coarse work items such as
    /// images of a batch or GEMM panels.
    ///
    /// The threads are the pool of `CKernels` (`pool.c`): the calling thread
    /// and `cores − 1` workers that spin briefly between jobs, so operators
    /// that follow each other start without waking a parked thread. A call
    /// made while the pool is busy (from inside `body`, or from another thread
    /// running a net at the same time) runs its items on the calling thread.
    @inline(__always)
    public static func forEach(_ count: Int, _ body: (Int) -> Void) {
        if count <= 1 || threadCount == 1 {
            for i in 0..<count { body(i) }
            return
        }
        let ran = withoutActuallyEscaping(body) { body -> Int32 in
            var task = body
            return withUnsafeMutablePointer(to: &task) { p in
                c2_pool_run(count, { ctx, i in ctx!.assumingMemoryBound(to: ((Int) -> Void).self).pointee(i) }, p)
            }
        }
        if ran == 0 {
            for i in 0..<count { body(i) }
        }
    }
}

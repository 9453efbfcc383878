import CKernels
import Dispatch
import Foundation
import Synchronization
import Testing

@testable import Caffe2

/// The worker pool behind `Parallel`: every item runs exactly once, whatever
/// the job sizes, nesting and concurrent callers.
@Suite struct ParallelTests {
    /// Items run exactly once each over many back-to-back jobs of every size.
    @Test func everyItemRunsOnceAcrossManyJobs() {
        for count in [2, 3, 7, 64, 1000] {
            for _ in 0..<200 {
                // Each item owns its slot, so a slot other than 1 means an item ran twice or never.
                let hits = UnsafeMutableBufferPointer<Int>.allocate(capacity: count)
                hits.initialize(repeating: 0)
                defer { hits.deallocate() }
                let slots = UncheckedSendable(value: hits)
                Parallel.forEach(count) { i in slots.value[i] += 1 }
                #expect(hits.allSatisfy { $0 == 1 }, "count \(count)")
            }
        }
    }

    /// A parallel call inside a parallel call runs its items on the calling thread.
    @Test func nestedCallsRunEveryItem() {
        let total = Atomic<Int>(0)
        Parallel.forEach(8) { i in
            Parallel.forEach(10) { j in total.add(i * 10 + j, ordering: .relaxed) }
        }
        #expect(total.load(ordering: .relaxed) == (0..<80).reduce(0, +))
    }

    /// Several threads using the pool at once: each call still runs all its items.
    @Test func concurrentCallersEachGetAllTheirItems() {
        let failures = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: 4) { caller in
            for round in 0..<300 {
                let count = 2 + (caller + round) % 9
                let sum = Atomic<Int>(0)
                Parallel.forEach(count) { i in sum.add(i + 1, ordering: .relaxed) }
                if sum.load(ordering: .relaxed) != count * (count + 1) / 2 { failures.add(1, ordering: .relaxed) }
            }
        }
        #expect(failures.load(ordering: .relaxed) == 0)
    }

    /// Chunks cover the range exactly, on 64-element boundaries.
    @Test func chunksCoverTheRange() {
        let n = 1_000_003
        let covered = Atomic<Int>(0)
        let misaligned = Atomic<Int>(0)
        Parallel.forChunks(n, minPerThread: 1000) { r in
            covered.add(r.count, ordering: .relaxed)
            if r.lowerBound % 64 != 0 { misaligned.add(1, ordering: .relaxed) }
        }
        #expect(covered.load(ordering: .relaxed) == n)
        #expect(misaligned.load(ordering: .relaxed) == 0)
    }

    /// The pool has one worker per extra core (none on one core).
    @Test func oneWorkerPerExtraCore() {
        let cores = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        #expect(Int(c2_pool_workers()) == min(max(cores - 1, 0), 63))
    }
}

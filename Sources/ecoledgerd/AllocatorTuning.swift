import CAllocatorTuning

/// glibc malloc settings for a long-running server with a busy writer.
///
/// By default glibc hands freed memory back to the kernel (trim) and serves large blocks with
/// fresh mmaps, so every group commit faults the same pages in again: the profile showed 12% of
/// the writer thread in page faults. Keeping up to 256 MiB of freed memory and 64 MiB of padding
/// measured about 18% more durable drop-offs/s (docs/BENCHMARKS.md). Memory already in use is
/// unaffected.
enum AllocatorTuning {
    @discardableResult
    static func apply() -> Bool {
        ecoledger_tune_allocator(256 << 20, 32 << 20, 64 << 20) == 1
    }
}

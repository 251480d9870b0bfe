#if canImport(Glibc)
import Glibc
#endif

/// glibc malloc settings for a long-running server with a busy writer.
///
/// By default glibc hands freed memory back to the kernel, and the writer then faults the same
/// pages in again on every group commit: under load the server made about 2.6 `madvise` calls
/// per write, and page faults were 12% of the writer thread. Keeping up to 256 MiB of freed
/// memory (and 64 MiB of padding) removes them: `madvise` went from 8,024 calls to 1 in the same
/// 3-second load, and throughput rose about 18% (docs/BENCHMARKS.md).
///
/// Setting these with `mallopt` from inside the process did not stop the calls (measured),
/// while the same settings read by glibc at start-up did. So, once, before anything else runs,
/// the server sets them in its environment and re-executes itself: same PID, same arguments.
/// `ECOLEDGERD_NO_MALLOC_TUNING=1`, or any of the variables already set, leaves glibc as it is.
enum AllocatorTuning {
    static let settings = [
        ("MALLOC_TRIM_THRESHOLD_", "268435456"),
        ("MALLOC_TOP_PAD_", "67108864"),
        ("MALLOC_MMAP_THRESHOLD_", "33554432"),
    ]

    /// Returns only when no re-execution happened (already tuned, opted out, or exec failed).
    static func applyByReexecuting() {
        #if canImport(Glibc)
        guard getenv("ECOLEDGERD_NO_MALLOC_TUNING") == nil, settings.allSatisfy({ getenv($0.0) == nil }) else { return }
        for (name, value) in settings { setenv(name, value, 1) }
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        // execv only returns on failure: carry on with glibc's defaults.
        for (name, _) in settings { unsetenv(name) }
        #endif
    }
}

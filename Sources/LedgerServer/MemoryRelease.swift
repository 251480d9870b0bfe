#if canImport(Glibc)
import Glibc
#endif

/// Gives the memory of a large, one-off read back to the kernel.
///
/// ecoledgerd keeps freed memory for its writer (`AllocatorTuning`): fine for the steady
/// allocations of group commits, but a full `AUDIT` builds the whole replay (tens of MB per
/// million entries) once and frees it, and without this the server would keep that much
/// resident until it stops.
enum MemoryRelease {
    static func afterLargeRead() {
        #if canImport(Glibc)
        // glibc's malloc_trim, looked up once: <malloc.h> is not part of Swift's Glibc module.
        if let trim = mallocTrim { _ = trim(0) }
        #endif
    }

    #if canImport(Glibc)
    private typealias Trim = @convention(c) (Int) -> Int32
    private static let mallocTrim: Trim? = dlsym(nil, "malloc_trim").map { unsafeBitCast($0, to: Trim.self) }
    #endif
}

#include "allocator_tuning.h"
#if defined(__GLIBC__)
#include <malloc.h>
#endif

int ecoledger_tune_allocator(int trim_threshold, int mmap_threshold, int top_pad) {
#if defined(__GLIBC__)
    return mallopt(M_TRIM_THRESHOLD, trim_threshold) == 1
        && mallopt(M_MMAP_THRESHOLD, mmap_threshold) == 1
        && mallopt(M_TOP_PAD, top_pad) == 1;
#else
    (void)trim_threshold; (void)mmap_threshold; (void)top_pad;
    return 0;
#endif
}

// glibc malloc tuning for ecoledgerd (mallopt is not exposed by Swift's Glibc module).
#ifndef ECOLEDGER_ALLOCATOR_TUNING_H
#define ECOLEDGER_ALLOCATOR_TUNING_H

/// Keeps freed memory instead of returning it to the kernel at once; returns 1 when applied.
int ecoledger_tune_allocator(int trim_threshold, int mmap_threshold, int top_pad);

#endif

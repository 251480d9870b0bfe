// libFuzzer's driver entry point, for a fuzz target that has its own main (SwiftPM executables do).
// Only the `make fuzz` build (with -sanitize=fuzzer) references it; libclang_rt.fuzzer provides it.
#ifndef ECOLEDGER_LIBFUZZER_DRIVER_H
#define ECOLEDGER_LIBFUZZER_DRIVER_H
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*UserCb)(const uint8_t *Data, size_t Size));

#endif

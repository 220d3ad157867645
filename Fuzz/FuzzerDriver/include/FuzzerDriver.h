// libFuzzer's entry for programs that keep their own main (compiler-rt FuzzerInterface.h). SwiftPM gives
// every executable a Swift entry point, so the fuzz targets call this instead of linking libFuzzer's main.
#ifndef COUNTERSIGN_FUZZER_DRIVER_H
#define COUNTERSIGN_FUZZER_DRIVER_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif

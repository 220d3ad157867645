// Empty: the module exists for its header; LLVMFuzzerRunDriver comes from libFuzzer (-sanitize=fuzzer).
#include "FuzzerDriver.h"

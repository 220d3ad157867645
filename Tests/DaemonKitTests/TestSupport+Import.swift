// Test helpers shared by every test target (external tools, process launching, seeded randomness).
@_exported import TestSupport

// swift-tools-version:6.0
// libFuzzer targets for DNSCore, built and run by scripts/fuzz.sh (`make fuzz`) with
// `-Xswiftc -sanitize=fuzzer,address`; never part of the root package's build.
import PackageDescription

// A path dependency is named by its folder's name, which depends on where the repository was cloned.
let root = Context.packageDirectory.split(separator: "/").dropLast().last.map { $0.lowercased() } ?? "main"

let package = Package(
    name: "CountersignFuzz",
    dependencies: [.package(path: "..")],
    targets: [
        // Declares libFuzzer's LLVMFuzzerRunDriver for Swift.
        .target(name: "FuzzerDriver", path: "FuzzerDriver"),
        .executableTarget(
            name: "MessageDecoder",
            dependencies: [.product(name: "DNSCore", package: root), "FuzzerDriver"], path: "MessageDecoder"),
        .executableTarget(
            name: "UpdateDecoder",
            dependencies: [.product(name: "DNSCore", package: root), "FuzzerDriver"], path: "UpdateDecoder"),
        .executableTarget(
            name: "ZoneFileParser",
            dependencies: [.product(name: "DNSCore", package: root), "FuzzerDriver"], path: "ZoneFileParser"),
    ]
)

// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Countersign",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "dns-primary", targets: ["Primary"]),
        .executable(name: "dns-signer", targets: ["Signer"]),
        .library(name: "DNSCore", targets: ["DNSCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
    ],
    targets: [
        // Pure DNS: wire codec, names, records, zone files, zone diff. No sockets, files or clock reads.
        .target(
            name: "DNSCore",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ]
        ),
        // The network edge both daemons share: UDP/TCP listeners, AXFR out and in, NOTIFY. It runs the pure
        // state machines of DNSCore and owns every socket and clock read.
        .target(
            name: "DNSEdge",
            dependencies: [
                "DNSCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // What both daemons share beyond DNS: opening SQLite, the notification outbox and its channels
        // (webhooks, email), the config file, and metrics and health over HTTP.
        .target(
            name: "DaemonKit",
            dependencies: [
                "DNSCore", "DNSEdge",
                // The notification flags and `notify test`, shared by both daemons' commands.
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .executableTarget(
            name: "Primary",
            dependencies: [
                "DNSCore", "DNSEdge", "DaemonKit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]
        ),
        .executableTarget(
            name: "Signer",
            dependencies: [
                "DNSCore", "DNSEdge", "DaemonKit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        // Benchmarks live in their own executable so `make bench` builds them in release mode.
        .executableTarget(name: "CoreBench", dependencies: ["DNSCore"], path: "Benchmarks/CoreBench"),
        // Helpers every test target shares: running the external judges, launching processes, seeded RNG.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "DNSCoreTests", dependencies: ["DNSCore", "TestSupport"]),
        .testTarget(name: "DNSEdgeTests", dependencies: ["DNSEdge", "DNSCore", "TestSupport"]),
        // Runs the built dns-primary and dns-signer binaries as an operator would.
        .testTarget(name: "CLITests", dependencies: ["TestSupport", "Primary", "Signer", "DNSCore"]),
        .testTarget(name: "PrimaryTests", dependencies: ["Primary", "DNSCore", "DNSEdge", "TestSupport"]),
        .testTarget(name: "SignerTests", dependencies: ["Signer", "DNSCore", "DNSEdge", "DaemonKit", "TestSupport"]),
        .testTarget(name: "DaemonKitTests", dependencies: ["DaemonKit", "DNSCore", "DNSEdge", "TestSupport"]),
    ]
)

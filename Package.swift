// swift-tools-version:6.1
import PackageDescription

/// ecoledger: a hash-chained, double-entry points ledger for recycling rewards.
///
/// Layers, in one direction: LedgerCrypto (OpenSSL) → LedgerCore (pure rules and encoding) and
/// LedgerTransparency (pure RFC 6962 trees and C2SP notes) → LedgerPersistence (the seam every
/// engine implements and the server sees) → LedgerStore (SQLite through GRDB; with the engines,
/// the only code that knows SQL) → LedgerProtocol (text lines ⇄ typed commands and replies; no
/// sockets) → LedgerServer (NIO sessions, roles, the single writer, checkpoints) → executables.
/// LedgerWire holds the NIO line framing and client they share; LedgerCLI what the tools share;
/// LedgerKiosk the kiosk's client-side outbox; LedgerFixtures the example, generated and demo ledgers;
/// LedgerHost the wall clock and owner-only files.
/// docs/ARCHITECTURE.md follows a drop-off through them.
let package = Package(
    name: "ecoledger",
    products: [
        .executable(name: "ecoledger", targets: ["ecoledger"]),
        .executable(name: "ecoledgerd", targets: ["ecoledgerd"]),
        .executable(name: "ecoledger-bench", targets: ["ecoledger-bench"]),
        .executable(name: "ledger-fuzz", targets: ["LedgerFuzz"]),
        .library(name: "LedgerCore", targets: ["LedgerCore"]),
        .library(name: "LedgerStore", targets: ["LedgerStore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CLibCrypto",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),
        // libedit (Debian's libedit-dev): line editing, history and completion for `ecoledger connect`.
        .systemLibrary(
            name: "CLibEdit",
            pkgConfig: "libedit",
            providers: [.apt(["libedit-dev"])]
        ),
        .target(name: "LedgerCrypto", dependencies: ["CLibCrypto"]),
        .target(name: "LedgerCore", dependencies: ["LedgerCrypto"]),
        // What the host provides: the wall clock, and owner-only files for keys, tokens and queues.
        .target(name: "LedgerHost", dependencies: ["LedgerCrypto"]),
        // The transparency log's standard formats, pure: RFC 6962 trees and proofs, C2SP signed
        // notes, checkpoints, cosignatures and tlog-proof receipts.
        .target(name: "LedgerTransparency", dependencies: ["LedgerCrypto"]),
        // What every storage engine shares and the server sees of one: the seam (`LedgerDatabase`,
        // `LedgerReads`), the single writer's batch over the committed rows, receipts and errors.
        .target(name: "LedgerPersistence", dependencies: ["LedgerCore", "LedgerCrypto", "LedgerTransparency"]),
        .target(
            name: "LedgerStore",
            dependencies: [
                "LedgerCore", "LedgerCrypto", "LedgerHost", "LedgerPersistence", "LedgerTransparency", .product(name: "GRDB", package: "GRDB.swift"),
                // SQLite's C API, for the writer's statements bound without GRDB's value boxes.
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ],
            // The numbered files in the top-level schema/ folder are the source of truth;
            // Sources/LedgerStore/Schema is a symlink to it, and each file is embedded in the binary.
            exclude: ["Schema/kiosk", "Schema/postgres"],
            resources: [.embedInCode("Schema/001_ledger.sql"), .embedInCode("Schema/002_transparency.sql"),
                        .embedInCode("Schema/003_account_closed.sql"), .embedInCode("Schema/004_scheme.sql"),
                        .embedInCode("Schema/005_expiry.sql"), .embedInCode("Schema/006_holds.sql"),
                        .embedInCode("Schema/007_profiles.sql"), .embedInCode("Schema/008_alert_thresholds.sql"),
                        .embedInCode("Schema/009_credits_index.sql"), .embedInCode("Schema/010_debits_index.sql")]
        ),
        // The PostgreSQL engine: the same ledger in a database that streaming replication keeps on
        // a second machine. Its tables are schema/postgres/, embedded as SQLite's are.
        .target(
            name: "LedgerPostgres",
            dependencies: ["LedgerCore", "LedgerCrypto", "LedgerHost", "LedgerPersistence", "LedgerTransparency",
                           .product(name: "PostgresNIO", package: "postgres-nio"),
                           .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                           .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                           .product(name: "NIOSSL", package: "swift-nio-ssl"), .product(name: "Logging", package: "swift-log")],
            // grants.sql is for operators (docs/OPERATIONS.md), not applied by ecoledger.
            exclude: ["Schema/grants.sql"],
            resources: [.embedInCode("Schema/001_ledger.sql")]
        ),
        // The kiosk's outbox: client-side, linked by `ecoledger` and never by `ecoledgerd`. Its table
        // is schema/kiosk/, embedded as the ledger's are.
        .target(
            name: "LedgerKiosk",
            dependencies: ["LedgerHost", "LedgerCrypto", .product(name: "GRDB", package: "GRDB.swift")],
            resources: [.embedInCode("Schema/001_kiosk_queue.sql")]
        ),
        // Ledgers made on purpose: the specification's example, generated ledgers, the --demo catalogue.
        .target(name: "LedgerFixtures", dependencies: ["LedgerCore", "LedgerCrypto", "LedgerHost", "LedgerStore", "LedgerPersistence"]),
        .target(name: "LedgerProtocol", dependencies: ["LedgerCore"]),
        // The fuzz target over the line parser and command decoder (`make fuzz`); built normally
        // it replays a corpus.
        .target(name: "CLibFuzzer"),
        .executableTarget(name: "LedgerFuzz", dependencies: ["LedgerProtocol", "CLibFuzzer"]),
        .target(name: "LedgerWire", dependencies: [
            .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"), .product(name: "NIOTLS", package: "swift-nio"),
        ]),
        .target(name: "LedgerServer", dependencies: [
            "LedgerCore", "LedgerCrypto", "LedgerHost", "LedgerPersistence", "LedgerProtocol", "LedgerTransparency", "LedgerWire",
            .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"), .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        .executableTarget(name: "ecoledgerd", dependencies: [
            "LedgerServer", "LedgerStore", "LedgerPersistence", "LedgerPostgres", "LedgerFixtures", "LedgerHost", "LedgerCore", "LedgerTransparency", "LedgerWire",
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        // What the command-line tools share: connection options, failure reporting, buffered output.
        .target(name: "LedgerCLI", dependencies: [
            "LedgerCore", "LedgerStore", "LedgerPersistence", "LedgerWire", "CLibEdit", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOSSL", package: "swift-nio-ssl"),
        ]),
        .executableTarget(
            name: "ecoledger",
            dependencies: ["LedgerCLI", "LedgerStore", "LedgerPersistence", "LedgerPostgres", "LedgerKiosk", "LedgerFixtures", "LedgerHost", "LedgerCore", "LedgerCrypto", "LedgerProtocol",
                           "LedgerTransparency", "LedgerWire",
                           .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        // The load generator, out of the product CLI: `make bench` runs `ecoledger-bench suite`.
        .executableTarget(
            name: "ecoledger-bench",
            dependencies: ["LedgerCLI", "LedgerStore", "LedgerPersistence", "LedgerFixtures", "LedgerHost", "LedgerCrypto", "LedgerWire",
                           .product(name: "ArgumentParser", package: "swift-argument-parser"),
                           .product(name: "Histogram", package: "hdrhistogram-swift")]
        ),
        // Helpers shared by the test targets: seeded randomness, temporary folders, ecoledgerd as a process.
        .target(name: "LedgerTestSupport", dependencies: [.product(name: "GRDB", package: "GRDB.swift")], path: "Tests/LedgerTestSupport"),
        .testTarget(name: "LedgerCoreTests", dependencies: ["LedgerCore", "LedgerCrypto"]),
        .testTarget(name: "LedgerTransparencyTests", dependencies: ["LedgerTransparency", "LedgerCrypto"]),
        .testTarget(name: "LedgerStoreTests", dependencies: ["LedgerStore", "LedgerPersistence", "LedgerFixtures", "LedgerHost", "LedgerCore", "LedgerTransparency", "LedgerTestSupport",
                                                          // The tamper campaign runs on both engines.
                                                          "LedgerPostgres"]),
        .testTarget(name: "LedgerPostgresTests", dependencies: ["LedgerPostgres", "LedgerStore", "LedgerPersistence", "LedgerFixtures", "LedgerCore",
                                                             "LedgerTestSupport"]),
        .testTarget(name: "LedgerProtocolTests", dependencies: ["LedgerProtocol", "LedgerCore", "LedgerFuzz"]),
        .testTarget(name: "LedgerServerTests", dependencies: [
            "LedgerServer", "LedgerWire", "LedgerProtocol", "LedgerStore", "LedgerPersistence", "LedgerHost", "LedgerCore", "LedgerCrypto", "LedgerTransparency", "LedgerTestSupport", "ecoledgerd",
            .product(name: "Logging", package: "swift-log"), .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOEmbedded", package: "swift-nio"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ], exclude: ["Transcripts"]),
        .testTarget(name: "CLITests", dependencies: ["ecoledger", "ecoledgerd", "ecoledger-bench", "LedgerTestSupport", "LedgerStore", "LedgerPersistence", "LedgerKiosk", "LedgerHost", "LedgerWire", "LedgerCore",
                                                   .product(name: "GRDB", package: "GRDB.swift")]),
    ],
    swiftLanguageModes: [.v6]
)

// swift-tools-version:6.1
import PackageDescription

/// ecoledger: a hash-chained, double-entry points ledger for recycling rewards.
///
/// Layers, in one direction: LedgerCrypto (OpenSSL) → LedgerCore (pure rules and encoding)
/// → LedgerStore (SQLite through GRDB; the only code that knows SQL) → executables.
let package = Package(
    name: "ecoledger",
    products: [
        .executable(name: "ecoledger", targets: ["ecoledger"]),
        .library(name: "LedgerCore", targets: ["LedgerCore"]),
        .library(name: "LedgerStore", targets: ["LedgerStore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CLibCrypto",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),
        .target(name: "LedgerCrypto", dependencies: ["CLibCrypto"]),
        .target(name: "LedgerCore", dependencies: ["LedgerCrypto"]),
        .target(
            name: "LedgerStore",
            dependencies: ["LedgerCore", "LedgerCrypto", .product(name: "GRDB", package: "GRDB.swift")],
            // The numbered files in the top-level schema/ folder are the source of truth;
            // Sources/LedgerStore/Schema is a symlink to it, and each file is embedded in the binary.
            resources: [.embedInCode("Schema/001_ledger.sql")]
        ),
        .target(name: "LedgerProtocol", dependencies: ["LedgerCore"]),
        .executableTarget(
            name: "ecoledger",
            dependencies: ["LedgerStore", "LedgerCore", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .testTarget(name: "LedgerCoreTests", dependencies: ["LedgerCore", "LedgerCrypto"]),
        .testTarget(name: "LedgerStoreTests", dependencies: ["LedgerStore", "LedgerCore"]),
        .testTarget(name: "LedgerProtocolTests", dependencies: ["LedgerProtocol", "LedgerCore"]),
        .testTarget(name: "CLITests", dependencies: ["ecoledger", .product(name: "GRDB", package: "GRDB.swift")]),
    ],
    swiftLanguageModes: [.v6]
)

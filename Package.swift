// swift-tools-version:6.1

import PackageDescription

let package = Package(
    name: "BackupKit",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "BackupModels", targets: ["BackupModels"]),
        .library(name: "ArtifactFormat", targets: ["ArtifactFormat"]),
        .library(name: "BackupCatalog", targets: ["BackupCatalog"]),
        .library(name: "PostgresCatalog", targets: ["PostgresCatalog"]),
        .library(name: "Retention", targets: ["Retention"]),
        .library(name: "RemoteStorage", targets: ["RemoteStorage"]),
        .library(name: "SnapshotClient", targets: ["SnapshotClient"]),
        .library(name: "BackupSources", targets: ["BackupSources"]),
        .library(name: "BackupEngine", targets: ["BackupEngine"]),
        .library(name: "ArchiveLifecycle", targets: ["ArchiveLifecycle"]),
        .library(name: "BackupScheduler", targets: ["BackupScheduler"]),
        .library(name: "BackupPlans", targets: ["BackupPlans"]),
        // Test support for hosts' unit tests: an in-process Elasticsearch and an in-memory storage.
        .library(name: "SnapshotClientTesting", targets: ["SnapshotClientTesting"]),
        .library(name: "RemoteStorageTesting", targets: ["RemoteStorageTesting"]),
        .library(name: "BackupCatalogTesting", targets: ["BackupCatalogTesting"]),
        .executable(name: "backup", targets: ["backup"]),
        .executable(name: "es-archive", targets: ["es-archive"]),
        .executable(name: "export-link", targets: ["export-link"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/x-sheep/swift-property-based.git", from: "2.0.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
    ],
    targets: [
        // MARK: Library modules (see Documentation/Architecture.md)

        // Shared infrastructure (one lock box, one bounded queue, POSIX helpers): `package` access only.
        .target(name: "BackupSupport"),
        .target(name: "BackupModels"),
        .target(
            name: "ArtifactFormat",
            dependencies: [
                "BackupModels",
                "BackupSupport",
                "RemoteStorage",
                "CZstd",
                "CZlib",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "BackupCatalog",
            dependencies: [
                "BackupModels",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        // A catalog several hosts share: PostgreSQL through postgres-nio (Documentation/PostgresCatalog.md).
        .target(
            name: "PostgresCatalog",
            dependencies: [
                "BackupCatalog",
                "BackupModels",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        // The conformance suite every catalog implementation runs (SQLiteCatalog's tests run it).
        .target(name: "BackupCatalogTesting", dependencies: ["BackupCatalog", "BackupModels"]),
        .target(name: "Retention", dependencies: ["BackupModels"]),
        .target(
            name: "RemoteStorage",
            dependencies: [
                "BackupSupport",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .target(name: "RemoteStorageTesting", dependencies: ["RemoteStorage", "BackupSupport"]),
        .target(
            name: "SnapshotClient",
            dependencies: [
                "BackupSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // An in-process Elasticsearch stand-in that behaves as the official YAML tests say a cluster behaves.
        .target(
            name: "SnapshotClientTesting",
            dependencies: [
                "SnapshotClient",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .target(
            name: "BackupSources",
            dependencies: [
                "ArtifactFormat",
                "BackupModels",
                "BackupSupport",
                "RemoteStorage",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "BackupEngine",
            dependencies: [
                "ArtifactFormat",
                "BackupCatalog",
                "BackupModels",
                "BackupSources",
                "BackupSupport",
                "RemoteStorage",
                "Retention",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
        .target(
            name: "ArchiveLifecycle",
            dependencies: [
                "BackupCatalog",
                "BackupModels",
                "Retention",
                "SnapshotClient",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "BackupScheduler",
            dependencies: [
                "ArchiveLifecycle",
                "BackupCatalog",
                "BackupEngine",
                "BackupModels",
                "BackupSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "BackupPlans",
            dependencies: [
                "ArtifactFormat",
                "BackupCatalog",
                "PostgresCatalog",
                "BackupEngine",
                "BackupModels",
                "BackupScheduler",
                "BackupSources",
                "RemoteStorage",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),

        // MARK: System libraries (Debian: libzstd-dev, zlib1g-dev)

        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),

        // MARK: Examples

        .executableTarget(
            name: "backup",
            dependencies: [
                "BackupCatalog",
                "BackupEngine",
                "BackupModels",
                "BackupPlans",
                "BackupScheduler",
                "BackupSources",
                "PostgresCatalog",
                "RemoteStorage",
                "Retention",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Examples/backup"
        ),
        .executableTarget(
            name: "es-archive",
            dependencies: [
                "ArchiveLifecycle",
                "BackupCatalog",
                "BackupModels",
                "PostgresCatalog",
                "SnapshotClient",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Examples/es-archive"
        ),
        .executableTarget(
            name: "export-link",
            dependencies: [
                "BackupEngine",
                "BackupModels",
                "BackupPlans",
                "RemoteStorage",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Examples/export-link"
        ),

        // MARK: Fuzzing (CONTRIBUTING.md, "Fuzzing")

        // libFuzzer targets for the parsers that read untrusted bytes. A normal build makes a corpus replayer
        // (Fuzz/Corpus, Fuzz/Regressions); scripts/fuzz.sh builds it with -sanitize=fuzzer,address -DFUZZING.
        .executableTarget(
            name: "backupkit-fuzz",
            dependencies: [
                "ArtifactFormat", "BackupModels", "BackupPlans", "BackupScheduler", "BackupSources", "RemoteStorage",
                "SnapshotClient",
            ],
            path: "Fuzz/Harness"
        ),

        // MARK: Tests

        .testTarget(
            name: "BackupModelsTests",
            dependencies: ["BackupModels", .product(name: "PropertyBased", package: "swift-property-based")]
        ),
        .testTarget(
            name: "BackupCatalogTests",
            dependencies: [
                "BackupModels", "BackupCatalog", "BackupCatalogTesting",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        // Runs against the PostgreSQL of scripts/services/postgresql.sh (BACKUPKIT_PG_URL); skips without it.
        .testTarget(
            name: "PostgresCatalogTests",
            dependencies: [
                "BackupModels", "BackupCatalog", "BackupCatalogTesting", "BackupSupport", "PostgresCatalog",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "RetentionTests",
            dependencies: ["BackupModels", "Retention", .product(name: "PropertyBased", package: "swift-property-based")]
        ),
        .testTarget(
            name: "RemoteStorageTests",
            dependencies: [
                "BackupSupport", "RemoteStorage", "RemoteStorageTesting",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "SnapshotClientTests",
            dependencies: [
                "SnapshotClient", "SnapshotClientTesting",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "ArchiveLifecycleTests",
            dependencies: [
                "ArchiveLifecycle", "BackupCatalog", "BackupModels", "Retention", "SnapshotClient", "SnapshotClientTesting",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "BackupEngineTests",
            dependencies: [
                "ArchiveLifecycle", "ArtifactFormat", "BackupCatalog", "BackupEngine", "BackupModels", "BackupPlans",
                "BackupScheduler", "BackupSources", "BackupSupport", "RemoteStorage", "RemoteStorageTesting", "Retention",
                "SnapshotClient", "SnapshotClientTesting",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "PropertyBased", package: "swift-property-based"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        // A source type defined outside the library, through its public API only.
        .testTarget(
            name: "SourceExtensionTests",
            dependencies: [
                "BackupCatalog", "BackupEngine", "BackupModels", "BackupPlans", "BackupSources", "RemoteStorage",
                "RemoteStorageTesting",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // `backup check` and `es-archive check` in the library: against SeaweedFS, nginx, MariaDB and the double.
        .testTarget(
            name: "PreflightTests",
            dependencies: [
                "ArchiveLifecycle", "ArtifactFormat", "BackupCatalog", "BackupEngine", "BackupModels", "BackupPlans",
                "RemoteStorage", "SnapshotClient", "SnapshotClientTesting",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Replays every fuzz corpus and regression input through the harness binary.
        .testTarget(name: "FuzzRegressionTests", dependencies: ["backupkit-fuzz"]),
        .testTarget(
            name: "ExampleTests",
            dependencies: [
                "backup", "es-archive", "export-link", "BackupModels", "BackupSupport", "SnapshotClient", "SnapshotClientTesting",
            ]
        ),
    ]
)

for target in package.targets where target.type != .system {
    var settings = target.swiftSettings ?? []
    settings.append(.swiftLanguageMode(.v6))
    settings.append(.enableUpcomingFeature("ExistentialAny"))
    settings.append(.enableUpcomingFeature("MemberImportVisibility"))
    settings.append(.enableUpcomingFeature("InternalImportsByDefault"))
    target.swiftSettings = settings
}

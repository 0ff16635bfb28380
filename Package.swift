// swift-tools-version:6.1

import PackageDescription

let package = Package(
    name: "BackupKit",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "BackupModels", targets: ["BackupModels"]),
        .library(name: "BackupCatalog", targets: ["BackupCatalog"]),
        .library(name: "Retention", targets: ["Retention"]),
        .library(name: "RemoteStorage", targets: ["RemoteStorage"]),
        .library(name: "BackupEngine", targets: ["BackupEngine"]),
        .library(name: "SnapshotClient", targets: ["SnapshotClient"]),
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
    ],
    targets: [
        // MARK: Library modules

        .target(name: "BackupModels"),
        .target(
            name: "BackupCatalog",
            dependencies: [
                "BackupModels",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        .target(name: "Retention", dependencies: ["BackupModels"]),
        .target(
            name: "RemoteStorage",
            dependencies: [
                "BackupModels",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .target(
            name: "SnapshotClient",
            dependencies: [
                "BackupModels",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // An in-process Elasticsearch stand-in for tests and examples (not a product).
        .target(
            name: "SnapshotClientTesting",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .target(
            name: "BackupEngine",
            dependencies: [
                "BackupModels",
                "BackupCatalog",
                "Retention",
                "RemoteStorage",
                "SnapshotClient",
                "CZstd",
                "CZlib",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),

        // MARK: System libraries (Debian: libzstd-dev, zlib1g-dev)

        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),

        // MARK: Examples

        .executableTarget(
            name: "backup",
            dependencies: [
                "BackupModels",
                "BackupCatalog",
                "Retention",
                "RemoteStorage",
                "BackupEngine",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Examples/backup"
        ),
        .executableTarget(
            name: "es-archive",
            dependencies: [
                "BackupModels",
                "BackupCatalog",
                "SnapshotClient",
                "BackupEngine",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Examples/es-archive"
        ),
        .executableTarget(
            name: "export-link",
            dependencies: [
                "BackupModels",
                "RemoteStorage",
                "BackupEngine",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Examples/export-link"
        ),

        // MARK: Tests

        .testTarget(
            name: "BackupModelsTests",
            dependencies: ["BackupModels", .product(name: "PropertyBased", package: "swift-property-based")]
        ),
        .testTarget(
            name: "BackupCatalogTests",
            dependencies: [
                "BackupModels", "BackupCatalog",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        .testTarget(
            name: "RetentionTests",
            dependencies: ["BackupModels", "Retention", .product(name: "PropertyBased", package: "swift-property-based")]
        ),
        .testTarget(
            name: "RemoteStorageTests",
            dependencies: [
                "BackupModels", "RemoteStorage",
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
                "BackupModels", "SnapshotClient", "SnapshotClientTesting",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "BackupEngineTests",
            dependencies: [
                "BackupModels", "BackupCatalog", "Retention", "RemoteStorage", "BackupEngine",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "PropertyBased", package: "swift-property-based"),
                "SnapshotClient", "SnapshotClientTesting",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "ExampleTests",
            dependencies: ["backup", "es-archive", "export-link", "BackupModels", "SnapshotClientTesting"]
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

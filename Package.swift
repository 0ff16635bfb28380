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
        .executable(name: "backup", targets: ["backup"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/x-sheep/swift-property-based.git", from: "2.0.1"),
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
            ]
        ),
        .target(
            name: "BackupEngine",
            dependencies: [
                "BackupModels",
                "BackupCatalog",
                "Retention",
                "RemoteStorage",
                "CZstd",
                "CZlib",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Metrics", package: "swift-metrics"),
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
            dependencies: ["BackupModels", "RemoteStorage", .product(name: "Crypto", package: "swift-crypto")]
        ),
        .testTarget(
            name: "BackupEngineTests",
            dependencies: [
                "BackupModels", "BackupCatalog", "Retention", "RemoteStorage", "BackupEngine",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ]
        ),
        .testTarget(
            name: "ExampleTests",
            dependencies: ["backup", "BackupModels"]
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

// swift-tools-version:6.1

// Benchmarks for BackupKit. Each benchmark is its own executable so that it builds only what it
// measures. Run with `swift run -c release --package-path Benchmarks <name>`; see Benchmarks/README.md.

import PackageDescription

let package = Package(
    name: "BackupKitBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "BackupKit", path: ".."),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
    ],
    targets: [
        .executableTarget(
            name: "bench-retention",
            dependencies: [
                .product(name: "BackupModels", package: "BackupKit"),
                .product(name: "Retention", package: "BackupKit"),
            ]
        ),
        .executableTarget(
            name: "bench-catalog",
            dependencies: [
                .product(name: "BackupModels", package: "BackupKit"),
                .product(name: "BackupCatalog", package: "BackupKit"),
                .product(name: "Retention", package: "BackupKit"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        .executableTarget(
            name: "bench-catalog-pg",
            dependencies: [
                .product(name: "BackupModels", package: "BackupKit"),
                .product(name: "BackupCatalog", package: "BackupKit"),
                .product(name: "PostgresCatalog", package: "BackupKit"),
                .product(name: "GRDB", package: "GRDB.swift"),  // sqlite_version() only
                .product(name: "PostgresNIO", package: "postgres-nio"),  // creates and drops the run's database
            ]
        ),
        .executableTarget(
            name: "bench-s3",
            dependencies: [
                .product(name: "RemoteStorage", package: "BackupKit"),
            ]
        ),
        .executableTarget(
            name: "bench-archive",
            dependencies: [
                .product(name: "BackupModels", package: "BackupKit"),
                .product(name: "BackupCatalog", package: "BackupKit"),
                .product(name: "ArchiveLifecycle", package: "BackupKit"),
                .product(name: "SnapshotClient", package: "BackupKit"),
                .product(name: "SnapshotClientTesting", package: "BackupKit"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
    ]
)

for target in package.targets {
    var settings = target.swiftSettings ?? []
    settings.append(.swiftLanguageMode(.v6))
    target.swiftSettings = settings
}

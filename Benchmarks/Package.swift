// swift-tools-version:6.1

// Benchmarks for BackupKit. Each benchmark is its own executable so that it builds only what it
// measures. Run with `swift run -c release --package-path Benchmarks <name>`; see Benchmarks/README.md.

import PackageDescription

let package = Package(
    name: "BackupKitBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: ".."),
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
            ]
        ),
    ]
)

for target in package.targets {
    var settings = target.swiftSettings ?? []
    settings.append(.swiftLanguageMode(.v6))
    target.swiftSettings = settings
}

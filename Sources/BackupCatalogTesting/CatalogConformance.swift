public import BackupCatalog
import BackupModels
import Foundation

/// The behaviour every catalog implementation must show, as documented on ``BackupRecordCatalog``,
/// ``ArchiveCatalog``, ``LeaseCatalog`` and ``DrillCatalog``.
///
/// Each check asks `make` for a new, empty catalog for every scenario, runs the scenario through the
/// protocol alone, and throws a ``ConformanceFailure`` naming the first promise broken. It uses no test
/// framework, so any test runner can call it:
///
/// ```swift
/// @Test func conforms() async throws {
///     try await CatalogConformance.checkRecords { try MyCatalog(path: temporaryFile()) }
///     try await CatalogConformance.checkArchive { try MyCatalog(path: temporaryFile()) }
///     try await CatalogConformance.checkLeases { try MyCatalog(path: temporaryFile()) }
/// }
/// ```
///
/// Dates are whole seconds after 2025-11-25T01:30:00Z, so that a store keeping seconds as floating
/// point returns them exactly.
public enum CatalogConformance {
    /// Runs ``checkRecords(_:)``, ``checkArchive(_:)``, ``checkLeases(_:)`` and ``checkDrills(_:)`` on catalogs from `make`.
    /// - Parameter make: Returns a new, empty catalog each time it is called.
    /// - Throws: The first ``ConformanceFailure``, or an error the catalog threw where none was expected.
    public static func checkAll(_ make: () async throws -> any Catalog & LeaseCatalog & DrillCatalog) async throws {
        try await checkRecords { try await make() }
        try await checkArchive { try await make() }
        try await checkLeases { try await make() }
        try await checkDrills { try await make() }
    }
}

/// A catalog broke a promise of its protocol: which check, what it did and what was expected.
public struct ConformanceFailure: Error, Hashable, Sendable, CustomStringConvertible {
    /// The name of the failing check, for example `records.newestFirst`.
    public var check: String
    /// What the catalog returned or did.
    public var seen: String
    /// What the protocol promises.
    public var expected: String

    /// Creates a failure.
    /// - Parameters:
    ///   - check: The name of the failing check.
    ///   - seen: What the catalog returned or did.
    ///   - expected: What the protocol promises.
    public init(check: String, seen: String, expected: String) {
        self.check = check
        self.seen = seen
        self.expected = expected
    }

    public var description: String { "catalog conformance: \(check): expected \(expected), saw \(seen)" }
}

// MARK: - Helpers

extension CatalogConformance {
    /// 2025-11-25T01:30:00Z.
    static let epoch = Date(timeIntervalSince1970: 1_764_034_200)

    /// `epoch` plus `hours`.
    static func date(hours: Double) -> Date { epoch.addingTimeInterval(hours * 3600) }

    /// `epoch` plus `seconds`.
    static func date(seconds: Double) -> Date { epoch.addingTimeInterval(seconds) }

    /// Fails `check` unless `seen == expected`.
    static func expectEqual<T: Equatable>(_ seen: T, _ expected: T, _ check: String) throws {
        guard seen == expected else {
            throw ConformanceFailure(check: check, seen: String(describing: seen), expected: String(describing: expected))
        }
    }

    /// Fails `check` unless `condition` holds.
    static func expect(_ condition: Bool, _ check: String, seen: @autoclosure () -> String, expected: String) throws {
        guard condition else { throw ConformanceFailure(check: check, seen: seen(), expected: expected) }
    }

    /// Fails `check` unless `body` throws a ``CatalogError`` with `code`.
    static func expectError(_ code: CatalogError.Code, _ check: String, _ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let error as CatalogError {
            try expectEqual(error.code, code, check)
            return
        } catch {
            throw ConformanceFailure(check: check, seen: "\(type(of: error)): \(error)", expected: "a CatalogError '\(code)'")
        }
        throw ConformanceFailure(check: check, seen: "no error", expected: "a CatalogError '\(code)'")
    }

    /// Fails `check` unless `body` throws (any error).
    static func expectSomeError(_ check: String, _ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch {
            return
        }
        throw ConformanceFailure(check: check, seen: "no error", expected: "an error")
    }
}

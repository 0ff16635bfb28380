import Foundation

/// The target libFuzzer drives, named by `BACKUPKIT_FUZZ_TARGET` (scripts/fuzz.sh sets it).
private let selectedTarget: FuzzTarget = {
    let name = ProcessInfo.processInfo.environment["BACKUPKIT_FUZZ_TARGET"] ?? ""
    guard let target = FuzzTarget.named(name) else {
        let names = FuzzTarget.all.map(\.name).joined(separator: ", ")
        FileHandle.standardError.write(Data("backupkit-fuzz: set BACKUPKIT_FUZZ_TARGET to one of: \(names)\n".utf8))
        exit(2)
    }
    return target
}()

/// libFuzzer's entry point: one input for the selected target. In a normal build nothing calls it.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    selectedTarget.run(bytes)
    return 0
}

import ArtifactFormat
import Foundation
import RemoteStorage

#if !FUZZING
    /// Without `-DFUZZING` (a normal `swift build`), the harness replays corpora instead of fuzzing: every
    /// file of `Fuzz/Corpus/<target>` and `Fuzz/Regressions/<target>` goes through its parser once. A crash
    /// kills the process after naming the file; an input slower than `--slow` seconds fails the run.
    ///
    /// ```
    /// backupkit-fuzz list
    /// backupkit-fuzz replay [--root Fuzz] [--slow 10] [TARGET…]
    /// backupkit-fuzz frame-seed FILE          # writes an encrypted stream under FuzzTarget.frameKey
    /// ```
    ///
    /// With `-DFUZZING` and `-sanitize=fuzzer` (scripts/fuzz.sh), libFuzzer's `main` runs instead and calls
    /// `LLVMFuzzerTestOneInput` for the target named by `BACKUPKIT_FUZZ_TARGET`.
    @main
    struct FuzzMain {
        static func main() {
            var arguments = Array(CommandLine.arguments.dropFirst())
            let command = arguments.isEmpty ? "help" : arguments.removeFirst()
            switch command {
            case "list":
                for target in FuzzTarget.all { print("\(target.name)\t\(target.summary)") }
            case "replay":
                exit(replay(arguments))
            case "frame-seed":
                guard arguments.count == 1 else { fail("usage: backupkit-fuzz frame-seed FILE") }
                writeFrameSeed(to: arguments[0])
            default:
                fail(
                    "usage: backupkit-fuzz list | replay [--root DIR] [--slow SECONDS] [TARGET…] | frame-seed FILE\n"
                        + "(fuzzing itself: bash scripts/fuzz.sh [TARGET] [SECONDS])")
            }
        }

        static func fail(_ message: String) -> Never {
            FileHandle.standardError.write(Data((message + "\n").utf8))
            exit(2)
        }

        static func replay(_ arguments: [String]) -> Int32 {
            var root = "Fuzz"
            var slowSeconds = 10.0
            var names: [String] = []
            var rest = arguments[...]
            while let argument = rest.popFirst() {
                switch argument {
                case "--root":
                    guard let value = rest.popFirst() else { fail("--root needs a directory") }
                    root = value
                case "--slow":
                    guard let value = rest.popFirst().flatMap(Double.init) else { fail("--slow needs seconds") }
                    slowSeconds = value
                default:
                    names.append(argument)
                }
            }
            var targets: [FuzzTarget] = []
            for name in names {
                guard let target = FuzzTarget.named(name) else { fail("unknown target '\(name)'") }
                targets.append(target)
            }
            if targets.isEmpty { targets = FuzzTarget.all }
            var status: Int32 = 0
            for target in targets {
                let corpus = files(in: "\(root)/Corpus/\(target.name)")
                let regressions = files(in: "\(root)/Regressions/\(target.name)")
                if corpus.isEmpty {
                    print("\(target.name): no corpus in \(root)/Corpus/\(target.name)")
                    status = 1
                }
                var slowest = (seconds: 0.0, path: "")
                for path in corpus + regressions {
                    guard let bytes = FileManager.default.contents(atPath: path) else {
                        print("\(target.name): cannot read \(path)")
                        status = 1
                        continue
                    }
                    // Named before it runs, so a crash's output says which input it was.
                    FileHandle.standardError.write(Data("\(target.name): \(path)\n".utf8))
                    let start = ContinuousClock.now
                    target.run(Array(bytes))
                    let elapsed = start.duration(to: .now)
                    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
                    if seconds > slowest.seconds { slowest = (seconds, path) }
                    if seconds > slowSeconds {
                        print("\(target.name): \(path) took \(seconds) s (limit \(slowSeconds) s)")
                        status = 1
                    }
                }
                print(
                    "\(target.name): \(corpus.count) corpus and \(regressions.count) regression inputs replayed"
                        + (slowest.path.isEmpty ? "" : String(format: ", slowest %.3f s", slowest.seconds)))
            }
            return status
        }

        /// Regular files under `directory`, sorted; none when it does not exist.
        static func files(in directory: String) -> [String] {
            guard let enumerator = FileManager.default.enumerator(atPath: directory) else { return [] }
            var result: [String] = []
            while let relative = enumerator.nextObject() as? String {
                var isDirectory: ObjCBool = false
                let path = directory + "/" + relative
                if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue,
                    !relative.hasSuffix("README.md")
                {
                    result.append(path)
                }
            }
            return result.sorted()
        }

        /// A manifest-like line in frames of 48 plaintext bytes (two frames, the second final).
        static func writeFrameSeed(to path: String) {
            let plaintext = Array("{\"backup_id\":\"seed\",\"files\":[\"etc/app.conf\",\"var/data.db\"]}\n".utf8)
            do {
                let encryptor = try FrameEncryptor(key: FuzzTarget.frameKey, frameSize: 48)
                let bytes = try encryptor.transform(plaintext) + encryptor.finish()
                try Data(bytes).write(to: URL(fileURLWithPath: path))
            } catch {
                fail("cannot write \(path): \(error)")
            }
        }
    }
#endif

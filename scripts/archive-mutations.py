#!/usr/bin/env python3
# Mutation check for the archive second pass: re-introduces each fault the issue named (one at a time), builds,
# runs the test written for it, and restores the file. Every line must report a failed test run. Takes ~10 min.
#   python3 scripts/archive-mutations.py
import subprocess, sys, os
os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
M = [
 ("M1 null counts read as 0 (the old adapter)", "Sources/ArchiveLifecycle/SnapshotClient+ArchiveCluster.swift",
  "name: $0.name, uuid: $0.uuid, health: $0.health, isOpen: $0.isOpen, documentCount: $0.documentCount,\n                storeSizeBytes: $0.primaryStoreSizeBytes)",
  "name: $0.name, uuid: $0.uuid, health: \"green\", isOpen: true, documentCount: $0.documentCount ?? 0,\n                storeSizeBytes: $0.primaryStoreSizeBytes ?? 0)", "unreadableIndicesBlocked"),
 ("M2 proof by name only", "Sources/ArchiveLifecycle/ArchiveLifecycle+Reconcile.swift",
  "successful.contains(row.snapshot) && row.indexUUID == uuid && row.docCount == count",
  "successful.contains(row.snapshot) || uuid.isEmpty || count < 0", "changedIndexNotDeleted"),
 ("M3 no reconcile of SUCCESS snapshots without rows, proof by name", "Sources/ArchiveLifecycle/ArchiveLifecycle+Reconcile.swift",
  "        if !unrecorded.isEmpty {", "        if false, !unrecorded.isEmpty {", "lateSnapshotReconciled"),
 ("M4 cluster limits counted as failures", "Sources/ArchiveLifecycle/SnapshotClient+ArchiveCluster.swift",
  "        if error.isRetryableClusterLimit { return .busy(error.message) }", "", "concurrentSnapshotIsAWait"),
 ("M5 no lease per table", "Sources/ArchiveLifecycle/ArchiveLifecycle+Cycle.swift",
  'public static func leaseName(forTable tableID: String) -> String { "archive:\\(tableID)" }',
  'public static func leaseName(forTable tableID: String) -> String { "archive:\\(tableID):\\(UUID())" }', "leasePerTable"),
 ("M6 old layout only", "Sources/ArchiveLifecycle/ArchiveConfig+Indices.swift",
  'let layouts: [(TableIndexName.Layout, String)] = [(.v2, "v2_\\(indexPrefix)_"), (.legacy, "\\(indexPrefix)_")]',
  'let layouts: [(TableIndexName.Layout, String)] = [(.legacy, "\\(indexPrefix)_")]', "archivesPlatformLayout"),
 ("M7 expiry by the index's own datetime", "Sources/ArchiveLifecycle/ArchiveConfig+Indices.swift",
  "let dates = aliases.compactMap(aliasDatetime)", "let dates = aliases.isEmpty ? [] : [index.datetime]", "expiresByAliases"),
 ("M8 failed recoveries not noticed", "Sources/ArchiveLifecycle/ArchiveLifecycle+Restore.swift",
  "if let failure = state.failure {", "if false, let failure = state.failure {", "failedRecovery"),
 ("M9 restore_* adopted whoever owns it", "Sources/ArchiveLifecycle/ArchiveLifecycle+Restore.swift",
  "existing.contains($0) && !owned.contains($0)", "existing.contains($0) && owned.contains($0) && false", "strangerNotAdopted"),
 ("M10 PARTIAL read as SUCCESS", "Sources/ArchiveLifecycle/SnapshotClient+ArchiveCluster.swift",
  "            case .partial: .partial", "            case .partial: .success", "partialIsNotSuccess"),
 ("M11 no write block before the snapshot", "Sources/ArchiveLifecycle/ArchiveLifecycle+Cycle.swift",
  "            try await cluster.blockWrites(to: pendingNames)", "            _ = pendingNames", "archivesPlatformLayout"),
 ("M2+M3 together: the old proof (a SUCCESS snapshot holds the name) without reconcile", None, None, None, "tenDays"),
]
env = dict(os.environ)
for name, path, old, new, test in M:
    files = []
    if path is None:
        for _, p2, o2, n2, _t in M[1:3]:
            s = open(p2).read(); assert o2 in s, (name, o2); open(p2, 'w').write(s.replace(o2, n2, 1)); files.append(p2)
    else:
        s = open(path).read(); assert old in s, (name, old); open(path, 'w').write(s.replace(old, new, 1)); files.append(path)
    b = subprocess.run("swift build --build-tests 2>&1 | grep -E 'error:' | head -3", shell=True, capture_output=True, text=True).stdout
    if b.strip():
        print(name, "BUILD ERROR", b, flush=True)
    else:
        out = subprocess.run(f"swift test --skip-build --filter 'ArchiveLifecycleTests.*{test}' 2>&1 | grep -E 'Test run'", shell=True, capture_output=True, text=True, env=env).stdout.strip()
        print(f"{name}: {test}: {out}", flush=True)
    subprocess.run(["git", "checkout", "--"] + list(set(files)))
subprocess.run("swift build --build-tests 2>&1 | tail -1", shell=True)
print("DONE", flush=True)

#!/usr/bin/env python3
"""Checks the module graph that Documentation/Architecture.md and the README promise, from
`swift package describe --type json` (read on stdin). Exits 1 naming every broken promise."""
import json
import sys

package = json.load(sys.stdin)
targets = {t["name"]: t for t in package["targets"]}
products = {p["name"] for p in package["products"]}


def direct(name):
    target = targets[name]
    return set(target.get("target_dependencies", [])), set(target.get("product_dependencies", []))


def closure(name):
    """Every target and external product `name` builds, directly or through other targets."""
    seen, external, stack = set(), set(), [name]
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        inner, outer = direct(current)
        external |= outer
        stack.extend(inner)
    return seen - {name}, external


failures = []


def promise(holds, text):
    if not holds:
        failures.append(text)


library_targets = [t for t in targets if targets[t].get("type") == "library" and t in products]
archive_targets, archive_external = closure("ArchiveLifecycle")
promise(not archive_targets & {"ArtifactFormat", "CZstd", "CZlib", "BackupEngine", "BackupPlans"},
        f"ArchiveLifecycle must build no zstd, zlib or engine, builds {sorted(archive_targets)}")
promise("Yams" not in archive_external, "ArchiveLifecycle must not build Yams")
promise("PostgresCatalog" not in archive_targets and "PostgresNIO" not in archive_external,
        "ArchiveLifecycle must not build PostgresNIO (an archive-only host asks for PostgresCatalog itself)")
catalog_targets, catalog_external = closure("BackupCatalog")
promise("PostgresNIO" not in catalog_external, "BackupCatalog must not build PostgresNIO")
storage_targets, storage_external = closure("RemoteStorage")
promise(not storage_targets & {"BackupModels", "ArtifactFormat", "CZstd", "CZlib"},
        f"RemoteStorage must not depend on BackupModels or the codecs, builds {sorted(storage_targets)}")
promise(direct("BackupModels") == (set(), set()), "BackupModels must depend on Foundation only")
for name in targets:
    inner, outer = direct(name)
    kind = targets[name].get("type")
    if kind in ("library",) and name != "ArtifactFormat":
        promise(not inner & {"CZstd", "CZlib"}, f"only ArtifactFormat links libzstd and zlib, {name} does too")
    if kind == "library" and name != "BackupPlans":
        promise("Yams" not in outer, f"only BackupPlans reads YAML, {name} depends on Yams")
promise("BackupSupport" not in products, "BackupSupport is internal infrastructure, not a product")
for product in ("SnapshotClientTesting", "RemoteStorageTesting", "BackupCatalogTesting"):
    promise(product in products, f"{product} must be a library product for hosts' tests")

if failures:
    for failure in failures:
        print("architecture: " + failure, file=sys.stderr)
    sys.exit(1)
print(f"architecture: {len(library_targets)} library modules match Documentation/Architecture.md")

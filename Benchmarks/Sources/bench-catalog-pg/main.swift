// bench-catalog-pg: PostgresCatalog beside SQLiteCatalog, both driven through the same catalog protocols
// (BackupRecordCatalog, LeaseCatalog) in the same run on the same machine. Every ratio is PostgreSQL ÷ SQLite:
// of times (below 1 = PostgreSQL faster), and of operations per second for leases (above 1 = PostgreSQL faster).
//
//   swift build -c release --package-path Benchmarks --product bench-catalog-pg
//   source /tmp/backupkit-services/postgresql.env      # BACKUPKIT_PG_URL, BACKUPKIT_PG_PASSWORD
//   /usr/bin/time -v Benchmarks/.build/release/bench-catalog-pg [--records 2000] [--retention-records 100000]
//       [--query-runs 7] [--plans 500] [--workers 3] [--rounds 5] [--lease-ms 200]
//
// 1. insert (running) + commit with one artifact, one record at a time, each call awaited before the next;
//    the two catalogs alternate record by record, so both see the same machine noise.
// 2. insert(contentsOf:) of committed records of one plan (several sources, daily fulls with chained
//    incrementals, two years), then the query a retention pass runs: RecordQuery(plan:) (Engine.prune).
// 3. leases: the executable starts itself again as `lease-worker` processes sharing one catalog (one SQLite
//    file, then one PostgreSQL database); each tries to acquire every plan's `run:` lease and renews those it
//    holds, for a fixed number of rounds. The parent checks that no lease ever had two holders at once.
//
// PostgreSQL: BACKUPKIT_PG_URL (postgres://USER@HOST:PORT/DB, no password) and BACKUPKIT_PG_PASSWORD; the run
// creates a database bk_bench_<random> there and drops it at the end. The password reaches the workers through
// their environment, never their arguments. SQLite files go to a temporary folder removed at the end.
// A count of 0 skips its measurement (`--records 0`, `--retention-records 0`, `--workers 0`).

import Foundation

let arguments = Array(CommandLine.arguments.dropFirst())
let status: Int32
if arguments.first == LeaseWorker.command {
    status = await LeaseWorker.run(Array(arguments.dropFirst()))
} else {
    status = await Benchmark.run(arguments)
}
exit(status)

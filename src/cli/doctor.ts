import type { Command } from "commander"
import { statSync } from "node:fs"
import { join } from "node:path"
import { withApp } from "./util.ts"

/** `spool doctor`: where Spool keeps its data and how big it is; `--gc` prunes the snapshot store. */
export function registerDoctor(program: Command) {
  program
    .command("doctor")
    .description("Show the data directory, database and snapshot store sizes; --gc prunes unreferenced snapshots")
    .option("--gc", "garbage-collect snapshot trees no session references")
    .option("--json", "print JSON")
    .action((options: { gc?: boolean; json?: boolean }) =>
      withApp(process.cwd(), async (app) => {
        const { snapshotStoreReport } = await import("../session/index.ts")
        const gc = options.gc ? await app.gc() : undefined
        const snapshots = await snapshotStoreReport(app.dataDir)
        const database = ["spool.db", "spool.db-wal"].reduce((sum, file) => sum + (statSync(join(app.dataDir, file), { throwIfNoEntry: false })?.size ?? 0), 0)
        const report = { dataDir: app.dataDir, databaseBytes: database, snapshotBytes: snapshots.bytes, snapshotStores: snapshots.stores, gc }
        if (options.json) {
          process.stdout.write(JSON.stringify(report, null, 2) + "\n")
          return
        }
        process.stdout.write(`data directory   ${app.dataDir}\n`)
        process.stdout.write(`database         ${mib(database)}\n`)
        process.stdout.write(`snapshot store   ${mib(snapshots.bytes)} in ${snapshots.stores.length} store(s)\n`)
        for (const store of snapshots.stores) process.stdout.write(`  ${mib(store.bytes).padStart(10)}  ${store.path}\n`)
        if (gc) process.stdout.write(`gc               ${mib(gc.bytesBefore)} → ${mib(gc.bytesAfter)}, ${gc.removedStores} orphaned store(s) removed\n`)
      }),
    )
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(2)} MiB`
}

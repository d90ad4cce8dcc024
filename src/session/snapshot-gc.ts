import { readdir, rm } from "node:fs/promises"
import { join } from "node:path"
import type { Kysely } from "kysely"
import { directorySize, Snapshot } from "../snapshot/index.ts"
import type { Database } from "../storage/index.ts"
import type { Logger } from "../util/log.ts"
import type { ProjectCache } from "./projects.ts"
import { repository } from "./repository.ts"
import type { SnapshotRegistry } from "./snapshots.ts"

/** Outcome of one garbage collection, for logs and `spool doctor`. */
export interface GcReport {
  stores: number
  removedStores: number
  bytesBefore: number
  bytesAfter: number
}

/**
 * Keeps the snapshot store bounded (issue 3; OpenCode's stores reach hundreds of GB, spec 12 #4):
 * for every store, keeps the trees some session still references and prunes the rest (after a grace
 * period that protects running turns); deletes whole stores no session maps to any more (deleted
 * sessions and projects).
 */
export async function collectGarbage(input: {
  db: Kysely<Database>
  dataDir: string
  snapshots: SnapshotRegistry
  projects: ProjectCache
  log: Logger
}): Promise<GcReport> {
  const before = await snapshotStoreReport(input.dataDir)
  const references = await repository.snapshotReferences(input.db)
  const live = new Map<string, { snapshot: Snapshot; trees: Set<string> }>()
  for (const [sessionID, trees] of references) {
    const session = await repository.getSession(input.db, sessionID)
    if (!session) continue
    const project = await input.projects.resolve(session.directory).catch(() => undefined)
    if (!project) continue
    const snapshot = input.snapshots.forSession(session, project)
    if (!(snapshot instanceof Snapshot)) continue
    const entry = live.get(snapshot.gitDir) ?? { snapshot, trees: new Set<string>() }
    for (const tree of trees) entry.trees.add(tree)
    live.set(snapshot.gitDir, entry)
  }
  for (const { snapshot, trees } of live.values()) {
    await snapshot.gc([...trees]).catch((error) => input.log.warn({ err: error, gitDir: snapshot.gitDir }, "snapshot gc failed"))
  }
  let removed = 0
  for (const store of before.stores) {
    if (live.has(store.path)) continue
    await rm(store.path, { recursive: true, force: true })
    removed++
  }
  const after = await snapshotStoreReport(input.dataDir)
  return { stores: after.stores.length, removedStores: removed, bytesBefore: before.bytes, bytesAfter: after.bytes }
}

/** Every snapshot store under the data dir with its size in bytes. */
export async function snapshotStoreReport(dataDir: string): Promise<{ bytes: number; stores: Array<{ path: string; bytes: number }> }> {
  const root = join(dataDir, "snapshot")
  const stores: Array<{ path: string; bytes: number }> = []
  for (const project of await readdir(root).catch(() => [] as string[])) {
    for (const store of await readdir(join(root, project)).catch(() => [] as string[])) {
      const path = join(root, project, store)
      stores.push({ path, bytes: await directorySize(path) })
    }
  }
  return { bytes: stores.reduce((sum, store) => sum + store.bytes, 0), stores }
}

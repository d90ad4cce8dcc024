import { homedir } from "node:os"
import { resolve } from "node:path"
import type { Project } from "../project/index.ts"
import { Snapshot } from "../snapshot/index.ts"
import type { SessionInfo } from "./schema.ts"

/** Why a session has no snapshots; surfaced by revert as a clear error instead of a silent no-op. */
export interface SnapshotUnavailable {
  reason: string
}

/**
 * One `Snapshot` per (project, work tree), shared by every session working there. Inside git the work
 * tree is the repository's worktree; outside git it is the session directory itself (OpenCode does
 * nothing there and still says "reverted"; Spool snapshots the directory). The filesystem root and the
 * home directory are refused: snapshotting them would copy the whole disk.
 */
export function createSnapshotRegistry(options: { dataDir: string; enabled?: boolean; maxFileBytes?: number }) {
  const snapshots = new Map<string, Snapshot>()
  return {
    forSession(session: Pick<SessionInfo, "directory">, project: Project): Snapshot | SnapshotUnavailable {
      if (options.enabled === false) return { reason: "snapshots are disabled in the configuration" }
      const workTree = project.id === "global" ? resolve(session.directory) : project.worktree
      if (workTree === "/" || workTree === resolve(homedir())) {
        return { reason: `snapshots are not taken of ${workTree}: start the session in a project directory` }
      }
      const key = `${project.id}\0${workTree}`
      let snapshot = snapshots.get(key)
      if (!snapshot) {
        snapshot = new Snapshot({ dataDir: options.dataDir, projectID: project.id, workTree, maxFileBytes: options.maxFileBytes })
        snapshots.set(key, snapshot)
      }
      return snapshot
    },
    /** Every snapshot store opened by this process. */
    all(): Snapshot[] {
      return [...snapshots.values()]
    },
  }
}
export type SnapshotRegistry = ReturnType<typeof createSnapshotRegistry>

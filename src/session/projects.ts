import { relative, resolve, sep } from "node:path"
import { resolveProject, type Project } from "../project/index.ts"

/**
 * Caches the project of each directory for the life of the process (resolution runs git). A
 * directory's project only changes when its remote or root commit changes, which Spool does not track
 * live.
 */
export function createProjectCache() {
  const cache = new Map<string, Promise<Project>>()
  return {
    resolve(directory: string): Promise<Project> {
      const key = resolve(directory)
      let project = cache.get(key)
      if (!project) {
        project = resolveProject(key)
        cache.set(key, project)
        project.catch(() => cache.delete(key))
      }
      return project
    },
  }
}
export type ProjectCache = ReturnType<typeof createProjectCache>

/** `directory` relative to the worktree, `/`-separated, `""` when equal (Session.path). */
export function relativePath(worktree: string, directory: string): string {
  const path = relative(worktree, directory)
  return path.split(sep).join("/")
}

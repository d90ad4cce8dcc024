import { Hono } from "hono"
import { homedir } from "node:os"
import { z } from "zod"
import type { Project } from "../../project/index.ts"
import type { ProjectCache, SessionService } from "../../session/index.ts"
import { git } from "../../util/git.ts"
import { NotFoundError } from "../../util/named-error.ts"
import { DirectoryQuery, requestDirectory } from "../request.ts"
import { describeJson } from "./describe.ts"

/** What the project routes need. */
export interface ProjectRouteDeps {
  sessions: SessionService
  projects: ProjectCache
  /** Directory for requests that name none. */
  cwd: string
  env: NodeJS.ProcessEnv
  /** Spool's data directory (OpenCode's `state`). */
  dataDir: string
  /** Spool's global config directory. */
  configDir: string
}

/** A project in OpenCode 1.18's shape (`Project.Info`). Times (epoch ms) are those of its sessions' latest activity. */
export interface ProjectListing {
  id: string
  worktree: string
  vcs?: "git"
  time: { created: number; updated: number }
  sandboxes: string[]
}

const ProjectSchema = z
  .object({ id: z.string(), worktree: z.string(), vcs: z.literal("git").optional(), time: z.object({ created: z.number(), updated: z.number() }), sandboxes: z.array(z.string()) })
  .meta({ id: "Project" })

/**
 * OpenCode 1.18's instance routes about where the TUI is:
 * - `GET /path` → `{home, state, config, worktree, directory}`: the user's home, Spool's data and
 *   config directories, the request directory's worktree (`/` outside git) and the directory itself;
 * - `GET /project` → every project that has sessions, plus the request directory's; `GET
 *   /project/current` → the request directory's; `GET /project/:id/directories` → `[{directory}]`, the
 *   directories its sessions run in (404 for a project with none that is not the current one);
 * - `GET /vcs` → `{branch, default_branch}` from git (`origin/HEAD`, else `main`/`master` when they
 *   exist, else the current branch); `{}` outside git. A detached HEAD has no `branch`.
 */
export function projectRoutes(deps: ProjectRouteDeps) {
  const app = new Hono()

  /** Projects of every session directory, by id, with the activity times and directories of their sessions. */
  async function knownProjects() {
    const byID = new Map<string, { project: Project; created: number; updated: number; directories: Set<string> }>()
    const references = await deps.sessions.references()
    const directories = new Map<string, number[]>()
    for (const reference of references) {
      const times = directories.get(reference.directory) ?? []
      times.push(reference.updated)
      directories.set(reference.directory, times)
    }
    for (const [directory, times] of directories) {
      const project = await deps.projects.resolve(directory).catch(() => undefined)
      if (!project) continue
      const entry = byID.get(project.id) ?? { project, created: Infinity, updated: 0, directories: new Set<string>() }
      entry.created = Math.min(entry.created, ...times)
      entry.updated = Math.max(entry.updated, ...times)
      entry.directories.add(directory)
      byID.set(project.id, entry)
    }
    return byID
  }

  function listing(project: Project, times?: { created: number; updated: number }): ProjectListing {
    const now = Date.now()
    return {
      id: project.id,
      worktree: project.worktree,
      ...(project.vcs ? { vcs: project.vcs } : {}),
      time: { created: times && Number.isFinite(times.created) ? times.created : now, updated: times?.updated || now },
      sandboxes: [],
    }
  }

  app.get(
    "/path",
    describeJson({ operationId: "path.get", summary: "Home, Spool's data and config directories, the worktree and the directory", tag: "app", query: DirectoryQuery, response: z.object({ home: z.string(), state: z.string(), config: z.string(), worktree: z.string(), directory: z.string() }) }),
    async (c) => {
      const directory = requestDirectory(c, deps.cwd)
      const project = await deps.projects.resolve(directory)
      return c.json({ home: deps.env.HOME || homedir(), state: deps.dataDir, config: deps.configDir, worktree: project.worktree, directory })
    },
  )

  app.get("/project", describeJson({ operationId: "project.list", summary: "Projects that have sessions, and the current one", tag: "project", query: DirectoryQuery, response: z.array(ProjectSchema) }), async (c) => {
    const current = await deps.projects.resolve(requestDirectory(c, deps.cwd))
    const known = await knownProjects()
    const list = [...known.values()].map((entry) => listing(entry.project, entry))
    if (!known.has(current.id)) list.push(listing(current))
    return c.json(list.sort((a, b) => b.time.updated - a.time.updated))
  })

  app.get("/project/current", describeJson({ operationId: "project.current", summary: "The project of the request directory", tag: "project", query: DirectoryQuery, response: ProjectSchema }), async (c) => {
    const current = await deps.projects.resolve(requestDirectory(c, deps.cwd))
    return c.json(listing(current, (await knownProjects()).get(current.id)))
  })

  app.get(
    "/project/:projectID/directories",
    describeJson({ operationId: "project.directories", summary: "Directories the project's sessions run in", tag: "project", query: DirectoryQuery, response: z.array(z.object({ directory: z.string() })), errors: [404] }),
    async (c) => {
      const id = c.req.param("projectID")
      const entry = (await knownProjects()).get(id)
      if (!entry) {
        const directory = requestDirectory(c, deps.cwd)
        if ((await deps.projects.resolve(directory)).id === id) return c.json([{ directory }])
        throw new NotFoundError({ message: `Project not found: ${id}` })
      }
      return c.json([...entry.directories].sort().map((directory) => ({ directory })))
    },
  )

  app.get("/vcs", describeJson({ operationId: "vcs.get", summary: "Current and default git branch of the request directory", tag: "project", query: DirectoryQuery, response: z.object({ branch: z.string().optional(), default_branch: z.string().optional() }) }), async (c) =>
    c.json(await branches(requestDirectory(c, deps.cwd))),
  )

  return app
}

/** `{branch, default_branch}` of a git directory; `{}` outside git or when git fails. */
export async function branches(directory: string): Promise<{ branch?: string; default_branch?: string }> {
  const run = async (...args: string[]) => {
    const result = await git(args, { cwd: directory }).catch(() => undefined)
    return result && result.code === 0 ? result.stdout.trim() : undefined
  }
  const head = await run("symbolic-ref", "--quiet", "--short", "HEAD")
  if (head === undefined && (await run("rev-parse", "--git-dir")) === undefined) return {}
  const remoteHead = await run("symbolic-ref", "--quiet", "--short", "refs/remotes/origin/HEAD")
  let fallback: string | undefined
  for (const name of ["main", "master"]) {
    if ((await run("rev-parse", "--verify", "--quiet", `refs/heads/${name}`)) !== undefined) {
      fallback = name
      break
    }
  }
  const defaultBranch = remoteHead?.replace(/^origin\//, "") ?? fallback ?? head
  return { ...(head ? { branch: head } : {}), ...(defaultBranch ? { default_branch: defaultBranch } : {}) }
}

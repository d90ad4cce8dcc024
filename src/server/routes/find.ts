import fuzzysort from "fuzzysort"
import { Hono } from "hono"
import fs from "node:fs/promises"
import { z } from "zod"
import type { ProjectCache } from "../../session/index.ts"
import { walkFiles } from "../../tool/walk.ts"
import { BadRequestError } from "../../util/named-error.ts"
import { DirectoryQuery, queryParams, requestDirectory } from "../request.ts"
import { describeJson } from "./describe.ts"

/** One search result: a path relative to the directory, `/`-separated; directories end with `/`. */
export interface FoundPath {
  path: string
  type: "file" | "directory"
}

/** Files (and their directories) listed per directory are reused for this long (ms): one walk serves a burst of keystrokes. */
const LISTING_TTL_MS = 5_000
/** At most this many files are listed per directory. */
const MAX_FILES = 50_000

/**
 * Fuzzy path search over the files of a directory, for `@` mentions: the files `walkFiles` lists (it
 * honours `.gitignore` at every level and `.git/info/exclude`, skips `.git`, includes hidden files) and
 * the directories that contain them (`src/`). An empty query lists directories first, then files, both
 * shallowest first; otherwise paths are ranked by `fuzzysort` (SublimeText-like) score. `type` keeps
 * only files or only directories. At most `limit` results.
 */
export function createPathSearch() {
  const listings = new Map<string, { at: number; entries: Promise<FoundPath[]> }>()

  function listing(directory: string): Promise<FoundPath[]> {
    const cached = listings.get(directory)
    if (cached && Date.now() - cached.at < LISTING_TTL_MS) return cached.entries
    const entries = list(directory)
    listings.set(directory, { at: Date.now(), entries })
    entries.catch(() => listings.delete(directory))
    return entries
  }

  return async function search(directory: string, options: { query: string; limit: number; type?: "file" | "directory" }): Promise<FoundPath[]> {
    const entries = (await listing(directory)).filter((entry) => !options.type || entry.type === options.type)
    const query = options.query.trim()
    if (!query) {
      const depth = (entry: FoundPath) => entry.path.split("/").filter(Boolean).length
      return [...entries]
        .sort((a, b) => (a.type === b.type ? depth(a) - depth(b) || a.path.localeCompare(b.path) : a.type === "directory" ? -1 : 1))
        .slice(0, options.limit)
    }
    const results = fuzzysort.go(query, entries, { key: "path", limit: options.limit })
    return results.map((result) => result.obj)
  }
}

/** @throws BadRequestError when `directory` is not an existing directory. */
async function list(directory: string): Promise<FoundPath[]> {
  const stat = await fs.stat(directory).catch(() => undefined)
  if (!stat?.isDirectory()) throw new BadRequestError({ message: `Not a directory: ${directory}`, kind: "Query" })
  const files: FoundPath[] = []
  const directories = new Set<string>()
  for await (const file of walkFiles({ root: directory, confine: directory, maxFiles: MAX_FILES })) {
    files.push({ path: file.relative, type: "file" })
    const segments = file.relative.split("/")
    for (let index = 1; index < segments.length; index++) directories.add(`${segments.slice(0, index).join("/")}/`)
  }
  return [...[...directories].map((path) => ({ path, type: "directory" as const })), ...files]
}

/** `GET /api/fs/find` query (the TUI's `@` search); also the base of `GET /find/file`'s. */
const FindQuery = DirectoryQuery.extend({
  query: z.string().default("").describe("Fuzzy pattern; empty lists directories, then files"),
  limit: z.coerce.number().int().min(1).max(1000).optional().describe("Most results (1-1000)"),
  type: z.enum(["file", "directory"]).optional().describe("`file` or `directory` only"),
})

/** `GET /find/file` query: `FindQuery` plus OpenCode's `dirs` switch. */
const FindFileQuery = FindQuery.extend({
  dirs: z.enum(["true", "false"]).optional().describe("`false` leaves directories out"),
})

/**
 * File search routes (OpenCode 1.18): `GET /find/file?query=&dirs=&type=&limit=` → `["src/app.ts",
 * "src/", …]` and the TUI's `@` mention search `GET /api/fs/find?query=&limit=` → `{location,
 * data: [{path, type}]}`. Both search the request directory (see `createPathSearch`). 400 for a bad
 * `limit` or `type`, or a directory that does not exist.
 */
export function findRoutes(deps: { cwd: string; projects: ProjectCache }) {
  const app = new Hono()
  const search = createPathSearch()

  app.get("/find/file", describeJson({ operationId: "find.files", summary: "Fuzzy-find files and directories (gitignored ones left out)", tag: "find", query: FindFileQuery, response: z.array(z.string()), errors: [400] }), async (c) => {
    const input = queryParams(c, FindFileQuery)
    const type = input.type ?? (input.dirs === "false" ? "file" : undefined)
    const found = await search(requestDirectory(c, deps.cwd), { query: input.query, limit: input.limit ?? 100, type })
    return c.json(found.map((entry) => entry.path))
  })

  app.get(
    "/api/fs/find",
    describeJson({ operationId: "fs.find", summary: "Fuzzy-find files and directories for `@` mentions", tag: "find", query: FindQuery, response: z.object({ location: z.any(), data: z.array(z.object({ path: z.string(), type: z.enum(["file", "directory"]) })) }), errors: [400] }),
    async (c) => {
      const input = queryParams(c, FindQuery)
      const directory = requestDirectory(c, deps.cwd)
      const project = await deps.projects.resolve(directory)
      const data = await search(directory, { query: input.query, limit: input.limit ?? 20, type: input.type })
      return c.json({ location: { directory, project: { id: project.id, directory: project.id === "global" ? directory : project.worktree } }, data })
    },
  )
  return app
}

import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { createOpencodeClient } from "@opencode-ai/sdk/v2/client"
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import { parsers } from "../../src/importer/index.ts"
import type { GlobalSession } from "../../src/session/index.ts"
import { startSpoolApp, type SpoolApp } from "../fixture/spool-app.ts"
import { tempDir, type TempDir } from "../fixture/tmp.ts"

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/transcripts/opencode/${name}`, import.meta.url))

/**
 * Issue 10: the web UI's sidebar lists the sessions of every project, live and imported, through
 * OpenCode's `GET /experimental/session` (`GlobalSession[]`): newest first, cursor paging, `projectID`,
 * `directory`, `roots`, `archived` and `search` filters. `GET /session` stays scoped to one project.
 */
describe("GET /experimental/session", () => {
  let spool: SpoolApp
  let other: TempDir
  let config: TempDir
  const ids: Record<string, string> = {}

  beforeAll(async () => {
    other = tempDir({ git: true, prefix: "spool-other-", files: { "x.txt": "x\n" } })
    config = tempDir({ prefix: "spool-config-", files: { "spool.json": JSON.stringify({ snapshot: { enabled: false } }) } })
    spool = await startSpoolApp({ env: { SPOOL_CONFIG: join(config.path, "spool.json") } })
    const here = spool.client()
    const there = spool.client(other.path)
    ids.a1 = (await here.session.create({ title: "alpha one" })).data!.id
    ids.b1 = (await there.session.create({ title: "beta one" })).data!.id
    ids.child = (await there.session.create({ title: "beta child", parentID: ids.b1 })).data!.id
    ids.a2 = (await here.session.create({ title: "alpha two" })).data!.id
    ids.archived = (await here.session.create({ title: "alpha archived" })).data!.id
    await here.session.update({ sessionID: ids.archived, time: { archived: Date.now() } })
    const summary = await spool.app.importSessions([{ source: "opencode", path: fixture("ekisu-t8v6Igr8.export.json") }], { parsers })
    expect(summary.sessions.created).toBe(1)
  })
  afterAll(async () => {
    await spool?.close()
    other?.cleanup()
    config?.cleanup()
  })

  const list = async (query = "") => {
    const response = await spool.fetch(`/experimental/session${query}`)
    expect(response.status).toBe(200)
    return { sessions: (await response.json()) as GlobalSession[], next: response.headers.get("x-next-cursor") }
  }

  test("every project's sessions, newest first, each with its project; imported ones keep their source", async () => {
    const { sessions, next } = await list()
    expect(next).toBeNull()
    const byID = new Map(sessions.map((session) => [session.id, session]))
    for (const key of ["a1", "a2", "b1", "child"]) expect(byID.has(ids[key])).toBe(true)
    expect(byID.has(ids.archived)).toBe(false)
    expect(sessions).toHaveLength(5)
    const times = sessions.map((session) => session.time.updated)
    expect(times).toEqual([...times].sort((a, b) => b - a))

    const alpha = byID.get(ids.a1)!
    const beta = byID.get(ids.b1)!
    expect(alpha.projectID).not.toBe(beta.projectID)
    expect(alpha.project).toEqual({ id: alpha.projectID, worktree: alpha.directory })
    expect(beta.project).toEqual({ id: beta.projectID, worktree: beta.directory })
    const imported = sessions.find((session) => !Object.values(ids).includes(session.id))!
    expect(imported.metadata?.import).toMatchObject({ source: "opencode" })
    expect(imported).toHaveProperty("project")

    // The project-scoped list shows one project only.
    const scoped = (await (await spool.fetch("/session", { headers: { "x-opencode-directory": spool.repo } })).json()) as Array<{ id: string }>
    expect(scoped.map((session) => session.id).sort()).toEqual([ids.a1, ids.a2].sort())
  })

  test("filters: projectID, directory, roots, archived, search", async () => {
    const beta = (await list()).sessions.find((session) => session.id === ids.b1)!
    expect((await list(`?projectID=${beta.projectID}`)).sessions.map((session) => session.id).sort()).toEqual([ids.b1, ids.child].sort())
    expect((await list(`?projectID=${beta.projectID}&roots=true`)).sessions.map((session) => session.id)).toEqual([ids.b1])
    expect((await list(`?directory=${encodeURIComponent(beta.directory)}`)).sessions.map((session) => session.id).sort()).toEqual([ids.b1, ids.child].sort())
    expect((await list("?archived=true")).sessions.map((session) => session.id)).toContain(ids.archived)
    const found = (await list("?search=ALPHA&archived=true")).sessions
    expect(found.map((session) => session.id).sort()).toEqual([ids.a1, ids.a2, ids.archived].sort())
    expect(found[0].match).toEqual({ field: "title" })

    // The official SDK sends its directory as `?directory=` on GETs: a client without one lists every project.
    const sdk = createOpencodeClient({ baseUrl: spool.url })
    expect((await sdk.experimental.session.list()).data).toHaveLength(5)
    expect((await spool.client(beta.directory).experimental.session.list()).data!.map((session) => session.id).sort()).toEqual([ids.b1, ids.child].sort())
  })

  test("cursor paging covers every session once; OpenCode's numeric cursor works", async () => {
    const all = (await list()).sessions.map((session) => session.id)
    const seen: string[] = []
    let query = "?limit=2"
    for (let page = 0; page < 10; page++) {
      const { sessions, next } = await list(query)
      expect(sessions.length).toBeLessThanOrEqual(2)
      seen.push(...sessions.map((session) => session.id))
      if (!next) break
      query = `?limit=2&before=${next}`
    }
    expect(seen).toEqual(all)

    const first = (await list("?limit=2")).sessions
    const older = (await list(`?cursor=${first[1].time.updated}`)).sessions
    expect(older.every((session) => session.time.updated < first[1].time.updated)).toBe(true)
    expect((await list("?limit=0")).sessions).toEqual([])
  })

  test("malformed queries answer 400, documented in /doc", async () => {
    for (const query of ["?cursor=not-a-cursor", "?limit=-1", "?limit=5000", "?roots=maybe"]) {
      const response = await spool.fetch(`/experimental/session${query}`)
      expect(response.status).toBe(400)
      expect(await response.json()).toMatchObject({ name: "BadRequest" })
    }
    const doc = (await (await spool.fetch("/doc")).json()) as { paths: Record<string, { get?: { operationId: string; parameters?: Array<{ name: string }> } }> }
    const route = doc.paths["/experimental/session"].get!
    expect(route.operationId).toBe("experimental.session.list")
    expect(route.parameters!.map((parameter) => parameter.name)).toEqual(expect.arrayContaining(["projectID", "directory", "roots", "archived", "search", "limit", "cursor", "before"]))
  })
})

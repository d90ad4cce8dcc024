import { realpathSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import { parsers } from "../../src/importer/index.ts"
import { startFakeLLM, type FakeLLM } from "../fixture/fake-llm.ts"
import { startSpoolApp, type SpoolApp } from "../fixture/spool-app.ts"
import { tempDir, type TempDir } from "../fixture/tmp.ts"

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/transcripts/opencode/${name}`, import.meta.url))
/** The ekisu export's directory (another machine's; absent here). */
const GONE = "/home/eki/Projects/opencode-local-share"

/**
 * Issue 9: imported sessions whose directory is gone. Revert answers 400 naming the reason; `GET
 * /session?directory=D` and `session list --dir D` list exactly the sessions of D outside git; a prompt
 * is refused with 400 unless `?directory=` names an existing directory, where the session continues.
 */
describe("sessions whose directory is gone", () => {
  let llm: FakeLLM
  let spool: SpoolApp
  let plain: TempDir
  let config: TempDir
  /** The imported ekisu session's id. */
  let EKISU: string
  const json = { "content-type": "application/json" }

  beforeAll(async () => {
    llm = await startFakeLLM()
    plain = tempDir({ prefix: "spool-plain-" })
    // Snapshots off: a first snapshot of a new directory costs seconds and is not what this tests.
    config = tempDir({ prefix: "spool-config-", files: { "spool.json": JSON.stringify({ snapshot: { enabled: false } }) } })
    spool = await startSpoolApp({ llm, env: { SPOOL_CONFIG: join(config.path, "spool.json") } })
    const summary = await spool.app.importSessions(
      [
        { source: "opencode", path: fixture("ekisu-t8v6Igr8.export.json") },
        { source: "opencode", path: fixture("synthetic-agentsessions-storage-v2") },
        { source: "opencode", path: fixture("synthetic-cass-storage-legacy") },
      ],
      { parsers },
    )
    expect(summary.sessions.created).toBeGreaterThanOrEqual(3)
    const all = (await spool.app.sessions.list({ directory: "/", allProjects: true, limit: 100 })).items
    EKISU = all.find((session) => session.directory === GONE)!.id
  })
  afterAll(async () => {
    await spool?.close()
    await llm?.close()
    plain?.cleanup()
    config?.cleanup()
  })

  test("revert answers 400 naming the missing directory; diff answers the recorded changes", async () => {
    const { items } = await spool.app.sessions.messages(EKISU, {})
    const response = await spool.fetch(`/session/${EKISU}/revert`, { method: "POST", headers: json, body: JSON.stringify({ messageID: items[0].info.id }) })
    expect(response.status).toBe(400)
    const body = await response.json()
    expect(body).toMatchObject({ name: "SnapshotUnavailableError" })
    expect(JSON.stringify(body)).toContain(`directory ${GONE} no longer exists`)
    expect((await spool.fetch(`/session/${EKISU}/unrevert`, { method: "POST", headers: json, body: "{}" })).status).toBe(200)
    const diff = await spool.fetch(`/session/${EKISU}/diff`)
    expect(diff.status).toBe(200)
    expect(await diff.json()).toEqual((await spool.app.sessions.get(EKISU)).summary?.diffs ?? [])
  })

  test("listing by a directory outside git gives exactly its sessions", async () => {
    const all = (await spool.app.sessions.list({ directory: "/", allProjects: true, limit: 100 })).items
    const directories = new Set(all.map((session) => session.directory))
    expect(directories.size).toBeGreaterThanOrEqual(3)
    for (const directory of directories) {
      const expected = all.filter((session) => session.directory === directory).map((session) => session.id).sort()
      // The API with ?directory= (OpenCode's filter) and the CLI's path (`session list --dir`, no exact flag).
      const response = await spool.fetch(`/session?directory=${encodeURIComponent(directory)}`)
      expect(((await response.json()) as Array<{ id: string }>).map((session) => session.id).sort()).toEqual(expected)
      const listed = (await spool.app.sessions.list({ directory, limit: 100 })).items.map((session) => session.id).sort()
      expect(listed).toEqual(expected)
    }
    // A plain (non-git) directory: only its own sessions, also when named by the header alone.
    const own = (await spool.client(plain.path).session.create({ title: "plain" })).data!
    const listed = (await spool.client(plain.path).session.list()).data!.map((session) => session.id)
    expect(listed).toEqual([own.id])
    expect(own.projectID).toBe("global")
    expect((await spool.app.sessions.list({ directory: "/nowhere/at/all", limit: 100 })).items).toEqual([])
  })

  test("a prompt is refused with 400 unless ?directory= names an existing directory, where the session continues", async () => {
    const prompt = (query: string) =>
      spool.fetch(`/session/${EKISU}/message${query}`, { method: "POST", headers: json, body: JSON.stringify({ model: { providerID: "anthropic", modelID: "claude-sonnet-4-5" }, parts: [{ type: "text", text: "go on" }] }) })
    const before = (await spool.app.sessions.messages(EKISU, {})).items.length
    const refused = await prompt("")
    expect(refused.status).toBe(400)
    expect(JSON.stringify(await refused.json())).toContain(`directory ${GONE} no longer exists`)
    const missing = await prompt(`?directory=${encodeURIComponent("/also/not/here")}`)
    expect(missing.status).toBe(400)
    expect(JSON.stringify(await missing.json())).toContain("Directory does not exist: /also/not/here")
    // Nothing was stored, the session did not move.
    expect((await spool.app.sessions.messages(EKISU, {})).items.length).toBe(before)
    const all = (await spool.app.sessions.list({ directory: "/", allProjects: true, limit: 100 })).items
    EKISU = all.find((session) => session.directory === GONE)!.id

    llm.script({ toolCalls: [{ name: "bash", input: { command: "pwd", description: "Where am I" } }] }, { text: "continued" })
    const answer = await prompt(`?directory=${encodeURIComponent(plain.path)}`)
    expect(answer.status).toBe(200)
    expect(await answer.json()).toMatchObject({ info: { role: "assistant", finish: "stop" } })
    const session = await spool.app.sessions.get(EKISU)
    expect(session).toMatchObject({ directory: plain.path, projectID: "global" })
    const messages = (await spool.app.sessions.messages(EKISU, {})).items
    const tool = messages.flatMap((message) => message.parts).find((part) => part.type === "tool" && part.tool === "bash")
    expect(tool).toMatchObject({ state: { status: "completed" } })
    const output = tool?.type === "tool" && tool.state.status === "completed" ? tool.state.output : ""
    expect(realpathSync(output.split("\n")[0].trim())).toBe(realpathSync(plain.path))
  })
})

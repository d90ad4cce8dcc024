import { fileURLToPath } from "node:url"
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import { parsers } from "../../src/importer/index.ts"
import { startSpoolApp, type SpoolApp } from "../fixture/spool-app.ts"

/** An imported OpenCode session's patches point into OpenCode's snapshot store: revert says so (400). */
describe("revert of an imported session", () => {
  let spool: SpoolApp
  beforeAll(async () => {
    spool = await startSpoolApp()
  })
  afterAll(async () => {
    await spool?.close()
  })

  test("is refused with SnapshotUnavailableError, nothing hidden", async () => {
    const file = fileURLToPath(new URL("../fixtures/transcripts/opencode/ekisu-t8v6Igr8.export.json", import.meta.url))
    const summary = await spool.app.importSessions([{ source: "opencode", path: file }], { parsers })
    expect(summary.sessions.created).toBe(1)
    const session = (await spool.app.sessions.list({ directory: "/", allProjects: true, limit: 10 })).items[0]
    const { items } = await spool.app.sessions.messages(session.id, {})
    expect(items.some((message) => message.parts.some((part) => part.type === "patch"))).toBe(true)
    const response = await spool.fetch(`/session/${session.id}/revert`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ messageID: items[0].info.id }),
    })
    expect(response.status).toBe(400)
    expect(await response.json()).toMatchObject({ name: "SnapshotUnavailableError" })
    expect((await spool.app.sessions.get(session.id)).revert).toBeUndefined()
  })
})

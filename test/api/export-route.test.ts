import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import { exportSession, formatExport } from "../../src/importer/export.ts"
import { startFakeLLM, type FakeLLM } from "../fixture/fake-llm.ts"
import { startSpoolApp, type SpoolApp } from "../fixture/spool-app.ts"
import { tempDir, type TempDir } from "../fixture/tmp.ts"

/** Issue 10's export action: `GET /session/:id/export` downloads what `spool export` writes. */
describe("GET /session/:id/export", () => {
  let llm: FakeLLM
  let spool: SpoolApp
  let config: TempDir

  beforeAll(async () => {
    llm = await startFakeLLM()
    config = tempDir({ prefix: "spool-config-", files: { "spool.json": JSON.stringify({ snapshot: { enabled: false } }) } })
    spool = await startSpoolApp({ llm, env: { SPOOL_CONFIG: join(config.path, "spool.json") } })
  })
  afterAll(async () => {
    await spool?.close()
    await llm?.close()
    config?.cleanup()
  })

  test("the export JSON of spool export, as an attachment named after the slug", async () => {
    const client = spool.client()
    const session = (await client.session.create({ title: "to export" })).data!
    llm.script({ toolCalls: [{ name: "todowrite", input: { todos: [{ content: "ship it", status: "pending", priority: "high" }] } }] }, { text: "Planned." })
    await client.session.prompt({ sessionID: session.id, parts: [{ type: "text", text: "plan" }] })

    const response = await spool.fetch(`/session/${session.id}/export`)
    expect(response.status).toBe(200)
    expect(response.headers.get("content-type")).toMatch(/^application\/json/)
    expect(response.headers.get("content-disposition")).toBe(`attachment; filename="${session.slug}.json"`)
    const text = await response.text()
    expect(text).toBe(formatExport((await exportSession(spool.app.db, session.id))!))
    const body = JSON.parse(text)
    expect(body.info).toMatchObject({ id: session.id, title: "to export", metadata: { spool: { exportVersion: 1 } } })
    expect(body.messages.map((message: { info: { role: string } }) => message.info.role)).toEqual(["user", "assistant", "assistant"])
    expect(body.todos).toEqual([{ content: "ship it", status: "pending", priority: "high" }])
  })

  test("400 for a malformed ID, 404 for a missing session; documented", async () => {
    expect((await spool.fetch("/session/nope/export")).status).toBe(400)
    const missing = await spool.fetch("/session/ses_0000000000000000000000000000/export")
    expect(missing.status).toBe(404)
    expect(await missing.json()).toMatchObject({ name: "NotFoundError" })
    const doc = (await (await spool.fetch("/doc")).json()) as { paths: Record<string, { get?: { operationId: string } }> }
    expect(doc.paths["/session/{sessionID}/export"].get!.operationId).toBe("session.export")
  })
})

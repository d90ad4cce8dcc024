import { afterAll, beforeAll, describe, expect, test } from "vitest"
import { startFakeLLM, type FakeLLM } from "../fixture/fake-llm.ts"
import { startSpoolApp, type SpoolApp } from "../fixture/spool-app.ts"

/** Issue 5: `GET /session?search=` matches titles and message content (SQLite FTS5), and says where. */
describe("search", () => {
  let llm: FakeLLM
  let spool: SpoolApp

  beforeAll(async () => {
    llm = await startFakeLLM()
    spool = await startSpoolApp({ llm })
  })
  afterAll(async () => {
    await spool?.close()
    await llm?.close()
  })

  const search = async (query: string) => {
    const response = await spool.fetch(`/session?search=${encodeURIComponent(query)}`, { headers: { "x-opencode-directory": spool.repo } })
    expect(response.status).toBe(200)
    return (await response.json()) as Array<{ id: string; title: string; match?: { field: string; messageID?: string; snippet?: string } }>
  }

  test("content and title matches, with snippets; deleted messages stop matching", async () => {
    const client = spool.client()
    const content = (await client.session.create({ title: "refactoring work" })).data!
    llm.script({ text: "The quasar renderer now batches draw calls." })
    await client.session.prompt({ sessionID: content.id, parts: [{ type: "text", text: "make the renderer faster" }] })
    const titled = (await client.session.create({ title: "Quasar release notes" })).data!
    const other = (await client.session.create({ title: "unrelated" })).data!

    const results = await search("quasar")
    expect(results.map((result) => result.id).sort()).toEqual([content.id, titled.id].sort())
    expect(results.find((result) => result.id === titled.id)?.match).toEqual({ field: "title" })
    const hit = results.find((result) => result.id === content.id)!.match!
    expect(hit.field).toBe("content")
    expect(hit.snippet).toContain("[quasar]")
    expect(hit.messageID).toMatch(/^msg_/)
    expect(results.map((result) => result.id)).not.toContain(other.id)

    // Several words must all match; the last one as a prefix; punctuation is literal.
    expect((await search("renderer batch")).map((result) => result.id)).toEqual([content.id])
    expect(await search('"draw" OR calls)')).toHaveLength(0)

    // Deleting the message removes it from the index (kept in step by triggers).
    await client.session.deleteMessage({ sessionID: content.id, messageID: hit.messageID! })
    expect((await search("quasar")).map((result) => result.id)).toEqual([titled.id])
  })
})

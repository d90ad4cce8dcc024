import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import type { SearchHit, SessionSearchMatch } from "../../src/session/index.ts"
import { startFakeLLM, type FakeLLM } from "../fixture/fake-llm.ts"
import { startSpoolApp, type SpoolApp } from "../fixture/spool-app.ts"
import { tempDir, type TempDir } from "../fixture/tmp.ts"

/**
 * Issue 10: the web UI searches message content across all projects (`GET /search`, the FTS index)
 * and finds in one session over every message, loaded or not (`GET /session/:id/search`); snippets are
 * plain text segments with the matched words marked, never markup.
 */
describe("content search routes", () => {
  let llm: FakeLLM
  let spool: SpoolApp
  let other: TempDir
  let config: TempDir
  let long: string
  let elsewhere: string
  let archived: string

  beforeAll(async () => {
    llm = await startFakeLLM()
    other = tempDir({ git: true, prefix: "spool-other-", files: { "x.txt": "x\n" } })
    config = tempDir({ prefix: "spool-config-", files: { "spool.json": JSON.stringify({ snapshot: { enabled: false } }) } })
    spool = await startSpoolApp({ llm, env: { SPOOL_CONFIG: join(config.path, "spool.json") } })
    const here = spool.client()
    const there = spool.client(other.path)
    long = (await here.session.create({ title: "renderer work" })).data!.id
    for (const [prompt, answer] of [
      ["why is the quasar renderer slow?", "It redraws every frame."],
      ["unrelated question", "An unrelated answer."],
      ["and now?", "The <b>quasar</b> renderer batches draw calls & caches."],
    ]) {
      llm.script({ text: answer })
      await here.session.prompt({ sessionID: long, parts: [{ type: "text", text: prompt }] })
    }
    elsewhere = (await there.session.create({ title: "other project" })).data!.id
    llm.script({ text: "Quasars are far away." })
    await there.session.prompt({ sessionID: elsewhere, parts: [{ type: "text", text: "tell me about quasars" }] })
    archived = (await here.session.create({ title: "old" })).data!.id
    llm.script({ text: "quasar archive" })
    await here.session.prompt({ sessionID: archived, parts: [{ type: "text", text: "old quasar notes" }] })
    await here.session.update({ sessionID: archived, time: { archived: Date.now() } })
  })
  afterAll(async () => {
    await spool?.close()
    await llm?.close()
    other?.cleanup()
    config?.cleanup()
  })

  const search = async (query: string) => {
    const response = await spool.fetch(`/search?${query}`)
    expect(response.status).toBe(200)
    return (await response.json()) as SearchHit[]
  }

  test("GET /search finds content across projects, says where, and filters", async () => {
    const hits = await search("query=quasar")
    expect(new Set(hits.map((hit) => hit.sessionID))).toEqual(new Set([long, elsewhere]))
    expect(hits).toHaveLength(4)
    for (const hit of hits) {
      expect(hit.messageID).toMatch(/^msg_/)
      expect(hit.partID).toMatch(/^prt_/)
      expect(hit.partType).toBe("text")
      expect(typeof hit.time).toBe("number")
      expect(hit.snippet.filter((segment) => segment.match).map((segment) => segment.text.toLowerCase())[0]).toMatch(/^quasars?$/)
    }
    const batched = hits.find((hit) => hit.snippet.some((segment) => segment.text.includes("batches")))!
    expect(batched).toMatchObject({ sessionID: long, title: "renderer work", directory: spool.repo })
    // Plain text, not markup: the source's own `<b>` is text around the match, the match is the word alone.
    expect(batched.snippet.map((segment) => segment.text).join("")).toContain("The <b>quasar</b> renderer batches draw calls & caches.")
    expect(batched.snippet.find((segment) => segment.match)).toEqual({ text: "quasar", match: true })
    const message = (await spool.client().session.message({ sessionID: long, messageID: batched.messageID })).data!
    expect(message.parts.map((part) => part.id)).toContain(batched.partID)

    const theirs = hits.find((hit) => hit.sessionID === elsewhere)!
    expect((await search(`query=quasar&projectID=${theirs.projectID}`)).map((hit) => hit.sessionID)).toEqual([elsewhere, elsewhere])
    expect(new Set((await search(`query=quasar&directory=${encodeURIComponent(spool.repo)}`)).map((hit) => hit.sessionID))).toEqual(new Set([long]))
    expect((await search("query=quasar&archived=true")).map((hit) => hit.sessionID)).toContain(archived)
    expect(await search("query=quasar&limit=1")).toHaveLength(1)
    expect((await search("query=renderer%20batch")).map((hit) => hit.partID)).toEqual([batched.partID])
    expect(await search(`query=${encodeURIComponent('"draw" OR calls)')}`)).toEqual([])
    expect(await search("query=%20")).toEqual([])
  })

  test("GET /session/:id/search returns every match in reading order", async () => {
    const response = await spool.fetch(`/session/${long}/search?query=quasar`)
    expect(response.status).toBe(200)
    const matches = (await response.json()) as SessionSearchMatch[]
    const messages = (await spool.client().session.messages({ sessionID: long })).data!
    const order = messages.map((message) => message.info.id)
    expect(matches.map((match) => order.indexOf(match.messageID))).toEqual([0, 5])
    expect(matches[0].snippet).toEqual([
      { text: "why is the ", match: false },
      { text: "quasar", match: true },
      { text: " renderer slow?", match: false },
    ])
    const limited = (await (await spool.fetch(`/session/${long}/search?query=quasar&limit=1`)).json()) as SessionSearchMatch[]
    expect(limited.map((match) => match.messageID)).toEqual([matches[0].messageID])
  })

  test("errors: 400 for a missing or malformed query or ID, 404 for a missing session; documented", async () => {
    expect((await spool.fetch("/search")).status).toBe(400)
    expect((await spool.fetch("/search?query=x&limit=abc")).status).toBe(400)
    expect((await spool.fetch(`/session/${long}/search`)).status).toBe(400)
    expect((await spool.fetch("/session/nope/search?query=x")).status).toBe(400)
    const missing = await spool.fetch("/session/ses_0000000000000000000000000000/search?query=x")
    expect(missing.status).toBe(404)
    expect(await missing.json()).toMatchObject({ name: "NotFoundError" })
    const doc = (await (await spool.fetch("/doc")).json()) as { paths: Record<string, { get?: { operationId: string; parameters?: Array<{ name: string }> } }> }
    expect(doc.paths["/search"].get!.operationId).toBe("search.content")
    expect(doc.paths["/search"].get!.parameters!.map((parameter) => parameter.name)).toEqual(expect.arrayContaining(["query", "limit", "projectID", "directory", "archived"]))
    expect(doc.paths["/session/{sessionID}/search"].get!.operationId).toBe("session.search")
  })
})

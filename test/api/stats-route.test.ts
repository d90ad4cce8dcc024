import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import { parsers } from "../../src/importer/index.ts"
import type { UsageReport } from "../../src/session/index.ts"
import { startFakeLLM, type FakeLLM } from "../fixture/fake-llm.ts"
import { startSpoolApp, type SpoolApp } from "../fixture/spool-app.ts"
import { tempDir, type TempDir } from "../fixture/tmp.ts"

const fixture = (path: string) => fileURLToPath(new URL(`../fixtures/transcripts/${path}`, import.meta.url))

type Report = ReturnType<typeof UsageReport.parse>

/**
 * Issue 10's usage page: `GET /stats` mirrors `spool stats` (filters, grouping) and adds what the
 * charts need — several dimensions at once (tokens and cost per day stacked by model), tool calls and
 * error rate per tool, top sessions by cost, split by source — with unpriced usage flagged, never $0;
 * `GET /session/:id/stats` marks the steps that broke the cached prefix.
 */
describe("usage routes", () => {
  let llm: FakeLLM
  let spool: SpoolApp
  let other: TempDir
  let config: TempDir
  let cached: string
  let unpriced: string

  beforeAll(async () => {
    llm = await startFakeLLM()
    other = tempDir({ git: true, prefix: "spool-other-", files: { "x.txt": "x\n" } })
    config = tempDir({ prefix: "spool-config-", files: { "spool.json": JSON.stringify({ snapshot: { enabled: false } }) } })
    spool = await startSpoolApp({ llm, env: { SPOOL_CONFIG: join(config.path, "spool.json") } })
    const here = spool.client()
    cached = (await here.session.create({ title: "cached" })).data!.id
    // Turn 1: a failing tool call (cache written), then the answer (cache read); turn 2 misses the cache.
    llm.script(
      { toolCalls: [{ name: "read", input: { filePath: "missing.txt" } }], usage: { input: 1000, cacheWrite: 4000, output: 10 } },
      { text: "No such file.", usage: { input: 100, cacheRead: 4000, cacheWrite: 200, output: 20 } },
      { text: "Fresh start.", usage: { input: 5000, output: 30 } },
    )
    await here.session.prompt({ sessionID: cached, parts: [{ type: "text", text: "read missing.txt" }] })
    await here.session.prompt({ sessionID: cached, parts: [{ type: "text", text: "again" }] })
    unpriced = (await spool.client(other.path).session.create({ title: "imaginary" })).data!.id
    llm.script({ text: "hi", usage: { input: 1200, output: 30 } })
    await spool.client(other.path).session.prompt({ sessionID: unpriced, model: { providerID: "anthropic", modelID: "claude-imaginary-9" }, parts: [{ type: "text", text: "hello" }] })
    await spool.app.importSessions([{ source: "codex", path: fixture("codex/localpush-019c8bfe-small.jsonl") }], { parsers })
  })
  afterAll(async () => {
    await spool?.close()
    await llm?.close()
    other?.cleanup()
    config?.cleanup()
  })

  const stats = async (query: string) => {
    const response = await spool.fetch(`/stats?${query}`)
    expect(response.status, await response.clone().text()).toBe(200)
    return (await response.json()) as Report
  }

  test("per day stacked by model; unpriced models flagged, not $0", async () => {
    const report = await stats("groupBy=day,model&source=spool")
    const today = new Date().toISOString().slice(0, 10)
    const sonnet = report.rows.find((row) => row.keys.model === "anthropic/claude-sonnet-4-5" && row.keys.day === today)!
    expect(sonnet).toMatchObject({ key: `${today}|anthropic/claude-sonnet-4-5`, steps: 3, sessions: 1, pricing: "priced", toolCalls: 1, toolErrors: 1 })
    expect(sonnet.tokens).toEqual({ input: 6100, output: 60, reasoning: 0, cache: { read: 4000, write: 4200 } })
    expect(sonnet.cost).toBeGreaterThan(0)
    expect(sonnet.cacheEfficiency).toBeCloseTo(4000 / (6100 + 4000 + 4200), 12)
    const imaginary = report.rows.find((row) => row.keys.model === "anthropic/claude-imaginary-9")!
    expect(imaginary).toMatchObject({ steps: 1, cost: 0, unpricedSteps: 1, pricing: "unpriced" })
    expect(report.unpriced).toEqual(["anthropic/claude-imaginary-9"])
    expect(report.total).toMatchObject({ key: "total", steps: 4, unpricedSteps: 1, pricing: "partial" })
    expect(report.filter).toEqual({ timeZone: "UTC", groupBy: ["day", "model"] })
  })

  test("split by source; tools with their error rate; top sessions by cost; filters", async () => {
    const bySource = await stats("groupBy=source")
    expect(bySource.rows.map((row) => row.key)).toEqual(["codex", "spool"])
    expect(bySource.rows.find((row) => row.key === "spool")!.sessions).toBe(2)

    const tools = await stats("groupBy=tool&source=spool")
    expect(tools.rows).toMatchObject([{ key: "read", toolCalls: 1, toolErrors: 1, toolErrorRate: 1, steps: 0 }])

    const top = await stats("groupBy=session&sort=cost&limit=1")
    expect(top.rows).toHaveLength(1)
    expect(top.rows[0].cost).toBe(Math.max(...(await stats("groupBy=session")).rows.map((row) => row.cost)))
    expect(top.total.sessions).toBe(3)
    const mine = (await stats("groupBy=session&source=spool")).rows.find((row) => row.keys.session === cached)!
    expect(mine.session).toMatchObject({ title: "cached", directory: spool.repo, source: "spool" })

    expect((await stats(`directory=${encodeURIComponent(other.path)}`)).total.steps).toBe(1)
    const theirs = (await stats("groupBy=session")).rows.find((row) => row.keys.session === unpriced)!.session!
    expect((await stats(`projectID=${theirs.projectID}`)).total.steps).toBe(1)
    expect((await stats("model=imaginary")).total.steps).toBe(1)
    expect((await stats("source=spool&until=2000-01-01")).total.steps).toBe(0)
    expect((await stats("source=spool&days=1")).total.steps).toBe(4)
    const zoned = await stats("source=spool&timeZone=Pacific/Kiritimati")
    expect(zoned.rows.map((row) => row.key)).toEqual([new Intl.DateTimeFormat("en-CA", { timeZone: "Pacific/Kiritimati" }).format(Date.now())])
  })

  test("GET /session/:id/stats marks the step that broke the cached prefix", async () => {
    const response = await spool.fetch(`/session/${cached}/stats`)
    const body = (await response.json()) as { steps: Array<{ prefixBreak: boolean; prefixBreakReason?: string; tokens: { cache: { read: number } } }> }
    expect(body.steps.map((step) => step.prefixBreak)).toEqual([false, false, true])
    expect(body.steps[2].prefixBreakReason).toBe("cache read 0 < 4200 tokens the previous step read or wrote")
  })

  test("malformed filters answer 400; documented", async () => {
    for (const query of ["groupBy=week", "groupBy=day,day", "since=yesterday-ish", "days=0", "days=2&since=2026-01-01", "timeZone=Mars/Olympus", "source=cursor", "sort=size"]) {
      const response = await spool.fetch(`/stats?${query}`)
      expect(response.status, query).toBe(400)
      expect(await response.json()).toMatchObject({ name: "BadRequest" })
    }
    const doc = (await (await spool.fetch("/doc")).json()) as { paths: Record<string, { get?: { operationId: string; parameters?: Array<{ name: string }> } }> }
    expect(doc.paths["/stats"].get!.operationId).toBe("stats.usage")
    expect(doc.paths["/stats"].get!.parameters!.map((parameter) => parameter.name)).toEqual(
      expect.arrayContaining(["since", "until", "days", "projectID", "directory", "source", "model", "groupBy", "timeZone", "sort", "limit"]),
    )
  })
})

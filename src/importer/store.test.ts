import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { sql, type Kysely } from "kysely"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { createProjectCache } from "../session/projects.ts"
import { repository } from "../session/repository.ts"
import type { Message } from "../session/schema.ts"
import { sessionStats } from "../session/stats.ts"
import { usageReport } from "../session/usage-report.ts"
import { openSqlite, type Database } from "../storage/index.ts"
import { parseClaudeCode } from "./claude-code.ts"
import { parseCodex } from "./codex.ts"
import { storeImported } from "./store.ts"

const CODEX = join(import.meta.dirname, "../../test/fixtures/transcripts/codex")
const FILES = [
  "localpush-019c8a4c-custom-tools.jsonl",
  "localpush-019c8bfe-small.jsonl",
  "simonw-homelab-trimmed.jsonl",
  "synthetic-agentsessions-stage0-small.jsonl",
  "synthetic-ccusage-fixture-alpha.jsonl",
]

async function importFile(db: Kysely<Database>, path: string, parse = parseCodex): Promise<string[]> {
  const projects = createProjectCache()
  const ids: string[] = []
  for await (const item of parse(path)) {
    if (item.type === "session") ids.push((await storeImported(db, projects, "test", item.session)).sessionID)
  }
  return ids
}

describe("import pricing (bundled catalogue)", () => {
  let db: Kysely<Database>
  let dir: string
  const sessions: string[] = []

  beforeAll(async () => {
    db = await openSqlite(":memory:")
    dir = await mkdtemp(join(tmpdir(), "spool-price-"))
    for (const file of FILES) sessions.push(...(await importFile(db, join(CODEX, file))))
  })
  afterAll(async () => {
    await db.destroy()
    await rm(dir, { recursive: true, force: true })
  })

  it("the Codex fixtures cost what ccusage says: $2.52014253", async () => {
    // ccusage 20.0.24 (npm, LiteLLM prices), run once outside the repo over the five files copied to
    // $CODEX_HOME/sessions/2026/02/23/: `CODEX_HOME=… npx ccusage@20.0.24 codex session --json --offline -z UTC`
    // → totals.costUSD 2.52014253 (localpush-019c8a4c 2.34483935, localpush-019c8bfe 0.16168915,
    // agentsessions-stage0 0.00272028, ccusage alpha 0.01089375; simonw has no token_count).
    const infos = await Promise.all(sessions.map((id) => repository.getSession(db, id)))
    const total = infos.reduce((sum, info) => sum + (info?.cost ?? 0), 0)
    expect(total).toBeCloseTo(2.52014253, 8)
    const report = await usageReport(db, { by: "model" })
    expect(report.total.cost).toBeCloseTo(2.52014253, 8)
    expect(report.rows.find((row) => row.key === "openai/gpt-5.3-codex")?.cost).toBeCloseTo(2.34483935 + 0.16168915 + 0.0077875, 8)
    expect(report.unpriced).toEqual([])
    expect(report.total.unpricedSteps).toBe(0)
  })

  it("the Claude Code fixtures cost what ccusage says too: $1.65576865", async () => {
    // ccusage 20.0.24 over the five files in $CLAUDE_CONFIG_DIR/projects/p1/:
    // `CLAUDE_CONFIG_DIR=… npx ccusage@20.0.24 claude session --json --offline -z UTC` → totals.totalCost
    // 1.65576865 (the ccusage alpha fixture's recorded costUSD 1.02 included, as Spool keeps it).
    const claude = await openSqlite(":memory:")
    const dir = join(import.meta.dirname, "../../test/fixtures/transcripts/claude-code")
    const files = ["ccviewer-orchestrator-5c0375b4.jsonl", "sniffly-ai-music-fed8ce56.jsonl", "spotter-tool-heavy.jsonl", "synthetic-agentsessions-stage0-small.jsonl", "synthetic-ccusage-fixture-alpha.jsonl"]
    for (const file of files) await importFile(claude, join(dir, file), parseClaudeCode)
    const report = await usageReport(claude, { by: "source" })
    expect(report.total.cost).toBeCloseTo(1.65576865, 8)
    expect(report.unpriced).toEqual([])
    await claude.destroy()
  })

  it("an imported message's cost is the sum of its priced steps", async () => {
    const id = sessions[0]
    const stats = await sessionStats(db, id)
    expect(stats.steps.length).toBeGreaterThan(0)
    expect(stats.steps.every((step) => step.cost > 0 && !step.unpriced)).toBe(true)
    const rows = await db.selectFrom("message").select("data").where("session_id", "=", id).execute()
    const assistant = rows.map((row) => JSON.parse(row.data) as Message).filter((info) => info.role === "assistant")
    expect(assistant.every((info) => info.cost > 0)).toBe(true)
    expect(assistant.reduce((sum, info) => sum + info.cost, 0)).toBeCloseTo(stats.total.cost, 10)
  })

  it("a step recorded at $0 before its model had a price is flagged, and re-importing prices it", async () => {
    const path = join(CODEX, "localpush-019c8bfe-small.jsonl")
    const [id] = await importFile(db, path)
    const priced = await sessionStats(db, id)
    expect(priced.unpriced).toEqual([])
    // What an older Spool (hand-written table without gpt-5.3-codex) stored: every step at cost 0.
    await sql`update part set data = json_set(data, '$.cost', 0) where session_id = ${id} and type = 'step-finish'`.execute(db)
    const stale = await sessionStats(db, id)
    expect(stale.steps.every((step) => step.unpriced && step.cost === 0)).toBe(true)
    expect(stale.unpriced).toEqual(["openai/gpt-5.3-codex"])
    // `spool import --force`: the same file stored again is priced from the catalogue.
    await importFile(db, path)
    const again = await sessionStats(db, id)
    expect(again.unpriced).toEqual([])
    expect(again.total.cost).toBeCloseTo(0.16168915, 8) // ccusage's figure for this file
    expect((await repository.getSession(db, id))?.cost).toBeCloseTo(0.16168915, 8)
  })

  it("a model with no known price is unpriced, not $0: flagged per step and listed", async () => {
    const source = await readFile(join(CODEX, "localpush-019c8bfe-small.jsonl"), "utf8")
    const path = join(dir, "unknown-model.jsonl")
    // The same session under another id, run on a model no catalogue knows.
    await writeFile(path, source.replaceAll("gpt-5.3-codex", "gpt-9-imaginary").replaceAll("019c8bfe-ec25", "019c8bfe-ffff"))
    const [id] = await importFile(db, path)
    const stats = await sessionStats(db, id)
    expect(stats.steps.length).toBeGreaterThan(0)
    expect(stats.steps.every((step) => step.unpriced && step.cost === 0)).toBe(true)
    expect(stats.unpriced).toEqual(["openai/gpt-9-imaginary"])
    expect(stats.total).toMatchObject({ cost: 0, unpricedSteps: stats.steps.length })

    const report = await usageReport(db, { by: "model" })
    expect(report.unpriced).toEqual(["openai/gpt-9-imaginary"])
    expect(report.rows.find((row) => row.key === "openai/gpt-9-imaginary")).toMatchObject({ cost: 0, unpricedSteps: stats.steps.length })
    expect(report.total.unpricedSteps).toBe(stats.steps.length)
    expect(report.total.cost).toBeCloseTo(2.52014253, 8)

    // Priced in config (here free): known, so not flagged.
    const config = { provider: { openai: { models: { "gpt-9-imaginary": { cost: { input: 0, output: 0 } } } } } }
    expect((await sessionStats(db, id, { config })).unpriced).toEqual([])
    expect((await usageReport(db, { by: "model", config })).unpriced).toEqual([])
  })
})

import { execFile } from "node:child_process"
import { readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { promisify } from "node:util"
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import { parseCodex } from "../../src/importer/codex.ts"
import { startFakeLLM, type FakeLLM } from "../fixture/fake-llm.ts"
import { startSpoolApp, type SpoolApp } from "../fixture/spool-app.ts"
import { tempDir, type TempDir } from "../fixture/tmp.ts"

/**
 * Issue 9 §3: a model with no known price is *unpriced*, never a silent $0 — the API
 * (`GET /session/:id/stats`) flags its steps and lists it, and `spool stats` shows `unpriced` / `+?`
 * with a warning line naming it, for native turns and imported sessions alike.
 */
const MAIN = fileURLToPath(new URL("../../src/cli/main.ts", import.meta.url))
const CODEX = fileURLToPath(new URL("../fixtures/transcripts/codex/", import.meta.url))
const exec = promisify(execFile)

interface Stats {
  steps: Array<{ modelID: string; cost: number; unpriced: boolean; tokens: { input: number; output: number; reasoning: number; cache: { read: number; write: number } } }>
  total: { steps: number; cost: number; unpricedSteps: number }
  unpriced: string[]
}

describe("GET /session/:id/stats: unpriced steps of a native turn", () => {
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

  test("a model the catalogue does not know: cost 0 flagged unpriced; a known one: priced", async () => {
    const client = spool.client()
    const unknown = (await client.session.create({ title: "unknown model" })).data!.id
    llm.script({ text: "hi", usage: { input: 1200, output: 30 } })
    await client.session.prompt({ sessionID: unknown, model: { providerID: "anthropic", modelID: "claude-imaginary-9" }, parts: [{ type: "text", text: "hello" }] })
    const stats = (await (await spool.fetch(`/session/${unknown}/stats`)).json()) as Stats
    expect(stats.steps).toMatchObject([{ modelID: "claude-imaginary-9", cost: 0, unpriced: true }])
    expect(stats.total).toMatchObject({ steps: 1, cost: 0, unpricedSteps: 1 })
    expect(stats.unpriced).toEqual(["anthropic/claude-imaginary-9"])

    const known = (await client.session.create({ title: "known model" })).data!.id
    llm.script({ text: "hi", usage: { input: 1200, output: 30 } })
    await client.session.prompt({ sessionID: known, model: { providerID: "anthropic", modelID: "claude-sonnet-4-5" }, parts: [{ type: "text", text: "hello" }] })
    const priced = (await (await spool.fetch(`/session/${known}/stats`)).json()) as Stats
    // claude-sonnet-4-5: $3 / $15 per million input / output tokens.
    expect(priced.steps[0]).toMatchObject({ unpriced: false })
    expect(priced.steps[0].cost).toBeCloseTo((1200 * 3 + 30 * 15) / 1e6, 12)
    expect(priced.unpriced).toEqual([])
  })
})

describe("GET /session/:id/stats: config prices count", () => {
  let llm: FakeLLM
  let spool: SpoolApp
  beforeAll(async () => {
    llm = await startFakeLLM()
    // The server directory's spool.json prices the model the catalogue does not know (free, a local model).
    const config = { provider: { anthropic: { models: { "claude-imaginary-9": { cost: { input: 0, output: 0 } } } } } }
    spool = await startSpoolApp({ llm, files: { "README.md": "# test\n", "spool.json": JSON.stringify(config) } })
  })
  afterAll(async () => {
    await spool?.close()
    await llm?.close()
  })

  test("a model priced only in config (free) is not flagged unpriced", async () => {
    const client = spool.client()
    const id = (await client.session.create({ title: "configured model" })).data!.id
    llm.script({ text: "hi", usage: { input: 1200, output: 30 } })
    await client.session.prompt({ sessionID: id, model: { providerID: "anthropic", modelID: "claude-imaginary-9" }, parts: [{ type: "text", text: "hello" }] })
    const stats = (await (await spool.fetch(`/session/${id}/stats`)).json()) as Stats
    expect(stats.steps).toMatchObject([{ modelID: "claude-imaginary-9", cost: 0, unpriced: false }])
    expect(stats.total).toMatchObject({ steps: 1, cost: 0, unpricedSteps: 0 })
    expect(stats.unpriced).toEqual([])
  })
})

describe("spool stats: unpriced models named, never $0.0000", () => {
  let data: TempDir
  let env: NodeJS.ProcessEnv
  let knownID = ""
  let unknownID = ""
  const sessionIDOf = async (file: string) => {
    for await (const item of parseCodex(file)) if (item.type === "session") return item.session.info.id
    throw new Error(`no session in ${file}`)
  }
  const spool = async (...args: string[]) => {
    const { stdout, stderr } = await exec(process.execPath, [MAIN, ...args], { env, cwd: data.path })
    return { stdout, stderr }
  }

  beforeAll(async () => {
    data = tempDir({ prefix: "spool-stats-" })
    env = { ...process.env, SPOOL_DATA_DIR: join(data.path, "data"), XDG_CONFIG_HOME: join(data.path, "config"), HOME: data.path, SPOOL_LOG_LEVEL: "warn" }
    delete env.SPOOL_CONFIG
    // One real Codex session (gpt-5.3-codex, priced) and the same session on a model nobody prices.
    const source = readFileSync(join(CODEX, "localpush-019c8bfe-small.jsonl"), "utf8")
    writeFileSync(join(data.path, "known.jsonl"), source)
    writeFileSync(join(data.path, "unknown.jsonl"), source.replaceAll("gpt-5.3-codex", "gpt-9-imaginary").replaceAll("019c8bfe-ec25", "019c8bfe-ffff"))
    await spool("import", "--json", "--from", "codex", join(data.path, "known.jsonl"), join(data.path, "unknown.jsonl"))
    knownID = await sessionIDOf(join(data.path, "known.jsonl"))
    unknownID = await sessionIDOf(join(data.path, "unknown.jsonl"))
  })
  afterAll(() => data?.cleanup())

  test("by model: the unknown model's cost reads `unpriced`, the total `+?`, and stderr names it", async () => {
    const { stdout, stderr } = await spool("stats", "--by", "model")
    const lines = stdout.trim().split("\n")
    expect(lines.find((line) => line.startsWith("openai/gpt-9-imaginary"))).toMatch(/ unpriced /)
    expect(lines.find((line) => line.startsWith("openai/gpt-5.3-codex"))).toMatch(/ 0\.1617 /) // ccusage: $0.16168915
    expect(lines.find((line) => line.startsWith("total"))).toMatch(/ 0\.1617\+\? /)
    expect(stdout).not.toContain("0.0000")
    expect(stderr).toMatch(/^warning: no price for \d+ of \d+ steps \(model openai\/gpt-9-imaginary\): their cost is not counted; set provider\.openai\.models\.gpt-9-imaginary\.cost in spool\.json/m)
  })

  test("spool session list --all: `unpriced` for the unknown model's session, its cost for the priced one", async () => {
    const { stdout } = await spool("session", "list", "--all")
    const lines = stdout.trim().split("\n")
    expect(lines).toHaveLength(2)
    expect(lines.find((line) => line.startsWith(unknownID))).toMatch(/Z {2}unpriced {2}/)
    expect(lines.find((line) => line.startsWith(knownID))).toMatch(/Z {2}\$0\.1617 {2}/)
    expect(stdout).not.toContain("$0.0000")
  })

  test("one session, --json: every step flagged and the model listed; the warning still on stderr", async () => {
    const id = unknownID
    const { stdout, stderr } = await spool("stats", "--json", id)
    const stats = JSON.parse(stdout) as Stats
    expect(stats.steps.length).toBeGreaterThan(0)
    expect(stats.steps.every((step) => step.unpriced && step.cost === 0)).toBe(true)
    expect(stats.total.unpricedSteps).toBe(stats.steps.length)
    expect(stats.unpriced).toEqual(["openai/gpt-9-imaginary"])
    expect(stderr).toMatch(/^warning: .*openai\/gpt-9-imaginary/m)

    // Priced in config (a free model): no longer flagged, no warning.
    writeFileSync(join(data.path, "spool.json"), JSON.stringify({ provider: { openai: { models: { "gpt-9-imaginary": { cost: { input: 0, output: 0 } } } } } }))
    const configured = await spool("stats", id)
    expect(configured.stdout).toMatch(/^total .* 0\.0000 /m)
    expect(configured.stderr).not.toContain("warning")
    expect(configured.stdout).not.toContain("unpriced")
  })

  test("a price set in config for an imported model: `spool import --force` prices its steps with it", async () => {
    const cost = { input: 2, output: 8, cache_read: 0.5, cache_write: 2.5 }
    writeFileSync(join(data.path, "spool.json"), JSON.stringify({ provider: { openai: { models: { "gpt-9-imaginary": { cost } } } } }))
    // Recorded $0 with a non-zero price known now: still unpriced until re-imported.
    const before = JSON.parse((await spool("stats", "--json", unknownID)).stdout) as Stats
    expect(before.total.unpricedSteps).toBe(before.steps.length)

    await spool("import", "--json", "--force", "--from", "codex", join(data.path, "unknown.jsonl"))
    const after = JSON.parse((await spool("stats", "--json", unknownID)).stdout) as Stats
    expect(after.unpriced).toEqual([])
    expect(after.total.unpricedSteps).toBe(0)
    const expected = after.steps.reduce((sum, { tokens }) => sum + (tokens.input * cost.input + (tokens.output + tokens.reasoning) * cost.output + tokens.cache.read * cost.cache_read + tokens.cache.write * cost.cache_write) / 1e6, 0)
    expect(expected).toBeGreaterThan(0)
    expect(after.total.cost).toBeCloseTo(expected, 10)
    const list = await spool("session", "list", "--all")
    expect(list.stdout.split("\n").find((line) => line.startsWith(unknownID))).toContain(`$${expected.toFixed(4)}`)
  })
})

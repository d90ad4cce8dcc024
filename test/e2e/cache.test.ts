import { afterEach, describe, expect, test } from "vitest"
import { cacheReport, cacheScenario, runCacheScenario, scenarioModel, scenarioPosition, scenarioStep, stableBlockTokens, virtualClock, type CacheReport, type VirtualClock } from "../fixture/cache-scenario.ts"
import { startFakeLLM, type FakeLLM, type FakeRequest } from "../fixture/fake-llm.ts"
import { startSpoolApp, type SpoolApp } from "../fixture/spool-app.ts"

/**
 * Issue 4's proof, against the caching fake LLM (the prompt-cache simulator in test/fixture/prompt-cache):
 * a scripted 12-turn session (test/fixture/cache-scenario.ts: 30 requests, `read`/`grep`/`glob` on a
 * repository of 2–8 KB files) never breaks its prompt prefix, reaches ≥ 90% cache efficiency (also with a
 * 6-minute pause), Spool's per-step token numbers are exactly what the provider reported, and a second
 * session starts by reading the shared stable block (tools + system + instructions). Same on OpenAI's
 * Responses wire with `prompt_cache_key` = session id.
 *
 * Time: one virtual clock (real time + jumps) drives both the simulator (`promptCache.now`) and Spool
 * (`Date.now` is patched process-wide while a test runs; Spool runs in-process). The scripted model
 * advances it 20 s per request, the driver 30 s of think time per turn and 6 minutes for the pause. So
 * Spool's TTL policy, which looks at message times (`time.created` / `time.completed`), sees the very
 * pause the simulator's TTLs see, and nothing sleeps. The clock is installed before Spool starts (the
 * writer captures `Date.now` when created) and restored after each test. Real timers (`setTimeout`,
 * `performance.now`) are untouched, so vitest, undici and SQLite work as usual.
 *
 * Set CACHE_TABLE=1 to print the per-request read/write table.
 */

const ANTHROPIC = { providerID: "anthropic", modelID: "claude-sonnet-4-5" }
const OPENAI = { providerID: "openai", modelID: "gpt-4.1" }
const PAUSE = 6 * 60_000

interface StepStats {
  tokens: { input: number; output: number; reasoning: number; cache: { read: number; write: number }; total: number }
  cacheEfficiency: number
  cache?: { stable: string; messages: string; reason: string; breakpoints?: number; prefixBreak?: string; write1h?: number }
}
interface SessionStats {
  steps: StepStats[]
  total: { steps: number; cacheEfficiency: number; tokens: StepStats["tokens"] }
}

let clock: VirtualClock | undefined
let llm: FakeLLM | undefined
let spool: SpoolApp | undefined

afterEach(async () => {
  clock?.restore()
  await spool?.close()
  await llm?.close()
  clock = llm = spool = undefined
})

const scenario = cacheScenario()

/** A fresh simulator (empty cache) and Spool on the scenario's repository, on one virtual clock. */
async function start(provider: "anthropic" | "openai") {
  clock = virtualClock()
  clock.install()
  llm = await startFakeLLM({ promptCache: { now: clock.now } })
  llm.route(() => scenarioModel(scenario, { clock }))
  spool = await startSpoolApp({
    llm,
    files: scenario.files,
    ...(provider === "openai" ? { model: `${OPENAI.providerID}/${OPENAI.modelID}`, env: { OPENAI_BASE_URL: llm.openaiBaseURL, OPENAI_API_KEY: "test" } } : {}),
  })
  return { llm, spool, clock }
}

async function sessionStats(app: SpoolApp, sessionID: string): Promise<SessionStats> {
  const response = await app.fetch(`/session/${sessionID}/stats`)
  expect(response.status).toBe(200)
  return (await response.json()) as SessionStats
}

function printTable(title: string, requests: FakeRequest[], report: CacheReport) {
  if (!process.env.CACHE_TABLE) return
  const rows = requests.map((request, index) => {
    const { turn, step } = scenarioPosition(request.body)
    const c = request.cache!
    return `${String(index).padStart(2)} t${turn + 1}.${step + 1}  total ${String(c.total).padStart(6)}  read ${String(c.cacheRead).padStart(6)}  write5m ${String(c.cacheWrite5m).padStart(6)}  write1h ${String(c.cacheWrite1h).padStart(6)}  input ${String(c.input).padStart(6)}${c.missReasons ? `  miss: ${c.missReasons[0].split(":")[0]} ×${c.missReasons.length}` : ""}`
  })
  console.log(`${title}\n${rows.join("\n")}\nefficiency ${report.efficiency.toFixed(4)} (best ${report.best.efficiency.toFixed(4)}), billed input ${report.billedInput} (best ${report.best.billedInput})`)
}

/** Spool's step-finish tokens are the provider's usage, request by request (output: the scripted count). */
function expectStepsMatchSimulator(stats: SessionStats, requests: FakeRequest[], provider: "anthropic" | "openai") {
  expect(stats.steps).toHaveLength(requests.length)
  stats.steps.forEach((step, index) => {
    const usage = requests[index].cache!
    const input = provider === "openai" ? usage.input - usage.cacheRead : usage.input
    const output = scenarioStep(scenario, requests[index].body).usage!.output!
    expect(step.tokens, `step ${index}`).toEqual({
      input,
      output,
      reasoning: 0,
      cache: { read: usage.cacheRead, write: usage.cacheWrite },
      total: input + output + usage.cacheRead + usage.cacheWrite,
    })
    expect(step.cache?.prefixBreak, `prefix break at step ${index}`).toBeUndefined()
    if (provider === "anthropic") {
      expect(step.cache?.write1h ?? 0, `1h writes at step ${index}`).toBe(usage.cacheWrite1h)
      expect(step.cache?.breakpoints, `breakpoints at step ${index}`).toBe(usage.breakpoints)
    }
  })
}

/** After the first request, each one reads at least everything the previous one wrote (Anthropic). */
function expectNoPrefixBreaks(requests: FakeRequest[], except: number[] = []) {
  for (let index = 1; index < requests.length; index++) {
    if (except.includes(index)) continue
    const previous = requests[index - 1].cache!
    const usage = requests[index].cache!
    expect(usage.cacheRead, `request ${index} reads what request ${index - 1} wrote`).toBeGreaterThanOrEqual(previous.cacheRead + previous.cacheWrite)
    expect(usage.missReasons, `request ${index} misses`).toBeUndefined()
  }
}

describe("prompt cache over a scripted 12-turn session", () => {
  test("anthropic: no prefix breaks, ≥ 90% efficiency, Spool's numbers = the provider's; a second session reads the stable block", async () => {
    const { llm, spool, clock } = await start("anthropic")
    const { sessionID } = await runCacheScenario({ client: spool.client(), scenario, clock, model: ANTHROPIC })
    const requests = [...llm.requests]
    expect(requests).toHaveLength(30)
    expect(requests.every((request) => request.path === "/v1/messages" && request.cache)).toBe(true)

    // The first request finds an empty cache and writes the stable block for an hour, the rest for 5 minutes.
    const stable = stableBlockTokens(requests[0].body, "anthropic")
    expect(stable).toBeGreaterThan(1024)
    expect(requests[0].cache).toMatchObject({ cacheRead: 0, cacheWrite1h: stable, input: 0 })
    expect(requests[0].cache!.missReasons).toBeUndefined()
    expectNoPrefixBreaks(requests)

    const report = cacheReport(requests, "anthropic")
    printTable("anthropic, no pause", requests, report)
    const stats = await sessionStats(spool, sessionID)
    expectStepsMatchSimulator(stats, requests, "anthropic")
    expect(stats.total.cacheEfficiency).toBeCloseTo(report.efficiency, 12)
    expect(stats.total.cacheEfficiency).toBeGreaterThanOrEqual(0.9)
    expect(stats.steps.every((step) => step.cache?.stable === "1h" && step.cache.messages === "5m")).toBe(true)
    const session = (await spool.client().session.get({ sessionID })).data as unknown as { stats: { cacheEfficiency: number } }
    expect(session.stats.cacheEfficiency).toBeCloseTo(report.efficiency, 12)

    // A second session in the same project: its first request reads the whole tools + system block
    // the first session wrote an hour-long entry for (15+ virtual minutes ago), and rewrites none of it.
    const second = await runCacheScenario({ client: spool.client(), scenario, clock, model: ANTHROPIC, followUp: true, turns: 1 })
    const first = llm.requests[requests.length]
    expect(scenarioPosition(first.body)).toEqual({ turn: 0, step: 0 })
    expect(stableBlockTokens(first.body, "anthropic")).toBe(stable)
    expect(first.cache!.cacheRead).toBeGreaterThanOrEqual(stable)
    expect(first.cache!.cacheWrite1h).toBe(0)
    expect(first.cache!.missReasons).toBeUndefined()
    const secondRequests = llm.requests.slice(requests.length)
    expectNoPrefixBreaks(secondRequests)
    expectStepsMatchSimulator(await sessionStats(spool, second.sessionID), secondRequests, "anthropic")
  })

  test("anthropic: a 6-minute pause between turns 6 and 7 keeps ≥ 90%; the 1h stable block is still read after it", async () => {
    const { llm, spool, clock } = await start("anthropic")
    const { sessionID } = await runCacheScenario({ client: spool.client(), scenario, clock, model: ANTHROPIC, pauses: { 6: PAUSE } })
    const requests = [...llm.requests]
    expect(requests).toHaveLength(30)
    const resumed = requests.findIndex((request) => scenarioPosition(request.body).turn === 6)
    const stable = stableBlockTokens(requests[0].body, "anthropic")

    // The pause outlives the 5-minute entries of the conversation, not the 1-hour stable block.
    const after = requests[resumed].cache!
    expect(after.cacheRead).toBeGreaterThanOrEqual(stable)
    expect(after.missReasons?.length).toBeGreaterThan(0)
    expect(after.missReasons!.every((reason) => reason.startsWith("expired:"))).toBe(true)
    expectNoPrefixBreaks(requests, [resumed])

    // Spool saw the pause too: 5m on the conversation before it, 1h from then on.
    const stats = await sessionStats(spool, sessionID)
    expect(stats.steps.slice(0, resumed).every((step) => step.cache?.messages === "5m")).toBe(true)
    expect(stats.steps.slice(resumed).every((step) => step.cache?.messages === "1h" && /minutes apart/.test(step.cache.reason))).toBe(true)
    expect(requests.slice(resumed).every((request) => request.cache!.cacheWrite5m === 0)).toBe(true)

    const report = cacheReport(requests, "anthropic")
    printTable("anthropic, 6-minute pause before turn 7", requests, report)
    expectStepsMatchSimulator(stats, requests, "anthropic")
    expect(stats.total.cacheEfficiency).toBeCloseTo(report.efficiency, 12)
    expect(stats.total.cacheEfficiency).toBeGreaterThanOrEqual(0.9)
  })

  test("openai: prompt_cache_key = session id on every request, 128-aligned cached tokens, ≥ 90% efficiency", async () => {
    const { llm, spool, clock } = await start("openai")
    const { sessionID } = await runCacheScenario({ client: spool.client(), scenario, clock, model: OPENAI })
    const requests = [...llm.requests]
    expect(requests).toHaveLength(30)
    expect(requests.every((request) => request.path === "/v1/responses" && request.body.model === "gpt-4.1")).toBe(true)
    expect(requests.map((request) => request.body.prompt_cache_key)).toEqual(requests.map(() => sessionID))

    expect(requests[0].cache!.cacheRead).toBe(0)
    for (let index = 1; index < requests.length; index++) {
      const usage = requests[index].cache!
      const previous = requests[index - 1].cache!
      expect(usage.cacheRead % 128, `request ${index} cached tokens are 128-aligned`).toBe(0)
      // the previous request stored every 128-aligned prefix of its prompt; all of it is read back
      expect(usage.cacheRead, `request ${index} reads the previous prompt`).toBeGreaterThanOrEqual(previous.total - (previous.total % 128))
      expect(usage.missReasons, `request ${index} misses`).toBeUndefined()
    }

    const report = cacheReport(requests, "openai")
    printTable("openai responses", requests, report)
    const stats = await sessionStats(spool, sessionID)
    expectStepsMatchSimulator(stats, requests, "openai")
    expect(stats.total.cacheEfficiency).toBeCloseTo(report.efficiency, 12)
    expect(stats.total.cacheEfficiency).toBeGreaterThanOrEqual(0.9)
  })
})

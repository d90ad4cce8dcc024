/**
 * Prompt-cache economy of the scripted 12-turn session (issue 4), against the caching fake LLM (the
 * prompt-cache simulator of test/fixture/prompt-cache, Anthropic and OpenAI rules with sources in
 * shared/spec/prompt-caching.md): cache efficiency = cache read / (input + cache read + cache write),
 * price-weighted billed input tokens (reads 0.1×, 5m writes 1.25×, 1h writes 2×; OpenAI reads 0.25×),
 * and the theoretical best for the same requests (every byte of the previous prompt read, TTLs
 * ignored). Scenarios: Anthropic, Anthropic with a 6-minute pause before turn 7, OpenAI Responses.
 * Spool runs in-process on the same virtual clock as the simulator (see test/e2e/cache.test.ts).
 *
 *   node bench/cache.ts      (also run by `npm run bench`)
 */
import { cacheReport, cacheScenario, runCacheScenario, scenarioModel, virtualClock } from "../test/fixture/cache-scenario.ts"
import { startFakeLLM } from "../test/fixture/fake-llm.ts"
import { startSpoolApp } from "../test/fixture/spool-app.ts"

export interface CacheBenchRow {
  scenario: string
  requests: number
  efficiency: number
  bestEfficiency: number
  billedInput: number
  bestBilledInput: number
}

export async function cacheBench(): Promise<CacheBenchRow[]> {
  const scenario = cacheScenario()
  const rows: CacheBenchRow[] = []
  const runs: Array<{ name: string; provider: "anthropic" | "openai"; pauses: Record<number, number> }> = [
    { name: "anthropic, 12 turns", provider: "anthropic", pauses: {} },
    { name: "anthropic, 12 turns, 6-minute pause before turn 7", provider: "anthropic", pauses: { 6: 6 * 60_000 } },
    { name: "openai (Responses), 12 turns", provider: "openai", pauses: {} },
  ]
  for (const run of runs) {
    const clock = virtualClock()
    clock.install()
    const llm = await startFakeLLM({ promptCache: { now: clock.now } })
    llm.route(() => scenarioModel(scenario, { clock }))
    const spool = await startSpoolApp({
      llm,
      files: scenario.files,
      ...(run.provider === "openai" ? { model: "openai/gpt-4.1", env: { OPENAI_BASE_URL: llm.openaiBaseURL, OPENAI_API_KEY: "bench" } } : {}),
    })
    try {
      await runCacheScenario({ client: spool.client(), scenario, clock, pauses: run.pauses })
      const report = cacheReport(llm.requests, run.provider)
      rows.push({
        scenario: run.name,
        requests: report.requests,
        efficiency: report.efficiency,
        bestEfficiency: report.best.efficiency,
        billedInput: report.billedInput,
        bestBilledInput: report.best.billedInput,
      })
    } finally {
      clock.restore()
      await spool.close()
      await llm.close()
    }
  }
  return rows
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = await cacheBench()
  console.log("| scenario | requests | cache efficiency | theoretical best | billed input tokens | best |")
  console.log("|---|---:|---:|---:|---:|---:|")
  for (const row of rows) {
    console.log(`| ${row.scenario} | ${row.requests} | ${(row.efficiency * 100).toFixed(1)}% | ${(row.bestEfficiency * 100).toFixed(1)}% | ${Math.round(row.billedInput).toLocaleString("en-US")} | ${Math.round(row.bestBilledInput).toLocaleString("en-US")} |`)
  }
}

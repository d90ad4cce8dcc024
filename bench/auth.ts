/**
 * Added latency of authentication (issue 8): p50 per request for HTTP Basic (the server password) and
 * Bearer (an API token: SHA-256 + one indexed SQLite lookup) against no authentication, on the same
 * routes in the same run. Two Spool apps in this process (through the composition root, each on its
 * own real port): one without credentials, one with a password and a token. Both servers and the
 * client share one process and event loop, so the only difference between the variants is the auth
 * work (two separate server processes measured ±100 µs apart from scheduling alone). Requests go one
 * at a time over keep-alive connections, round-robin across the three variants so drift (CPU
 * frequency, GC, other load) hits all alike. Reported: p50/p99 per variant, and the p50 delta (µs) and
 * ratio against no auth.
 *
 *   node bench/auth.ts [--requests N]      (also run by `npm run bench`; default 5000 per variant)
 */
import { performance } from "node:perf_hooks"
import { parseArgs } from "node:util"
import { startSpoolApp, type SpoolApp } from "../test/fixture/spool-app.ts"
import { summarize, type Summary } from "./lib/stats.ts"

const PASSWORD = "bench-password-0123456789"

export interface AuthBenchRow {
  route: string
  variant: "none" | "basic" | "bearer"
  p50Ms: number
  p99Ms: number
  /** p50 minus the no-auth p50, in µs. */
  addedP50Us: number
  /** p50 ÷ the no-auth p50. */
  ratio: number
}

/** Runs the benchmark; `requests` timed requests per variant and route (plus a tenth as warm-up). */
export async function authBench(options: { requests?: number } = {}): Promise<AuthBenchRow[]> {
  const requests = options.requests ?? 5000
  const apps: SpoolApp[] = []
  try {
    const env = { SPOOL_SERVER_PASSWORD: undefined, OPENCODE_SERVER_PASSWORD: undefined, SPOOL_SERVER_USERNAME: undefined, OPENCODE_SERVER_USERNAME: undefined }
    const open = await startSpoolApp({ env })
    apps.push(open)
    const secured = await startSpoolApp({ env: { ...env, SPOOL_SERVER_PASSWORD: PASSWORD } })
    apps.push(secured)
    const { token } = await secured.app.auth.tokens.create({ name: "bench", scope: "read" })
    const basic = `Basic ${Buffer.from(`opencode:${PASSWORD}`).toString("base64")}`
    const variants = [
      { variant: "none" as const, spool: open, headers: {} as Record<string, string> },
      { variant: "basic" as const, spool: secured, headers: { authorization: basic } },
      { variant: "bearer" as const, spool: secured, headers: { authorization: `Bearer ${token}` } },
    ]
    // One session on each server, so `GET /session/:id` reads a real row.
    const sessionIDs = new Map<SpoolApp, string>()
    for (const { spool, headers } of variants.slice(0, 2)) {
      const response = await spool.fetch("/session", { method: "POST", headers: { ...headers, "content-type": "application/json" }, body: "{}" })
      sessionIDs.set(spool, ((await response.json()) as { id: string }).id)
    }
    const routes: Array<{ route: string; path: (spool: SpoolApp) => string }> = [
      { route: "GET /global/health", path: () => "/global/health" },
      { route: "GET /session/:id", path: (spool) => `/session/${sessionIDs.get(spool)}` },
    ]
    const rows: AuthBenchRow[] = []
    for (const { route, path } of routes) {
      const samples = new Map<string, number[]>(variants.map(({ variant }) => [variant, []]))
      const warmup = Math.ceil(requests / 10)
      for (let index = 0; index < warmup + requests; index++) {
        for (const { variant, spool, headers } of variants) {
          const start = performance.now()
          const response = await spool.fetch(path(spool), { headers })
          await response.arrayBuffer()
          const ms = performance.now() - start
          if (response.status !== 200) throw new Error(`${route} (${variant}): HTTP ${response.status}`)
          if (index >= warmup) samples.get(variant)!.push(ms)
        }
      }
      const summaries = new Map<string, Summary>([...samples].map(([variant, values]) => [variant, summarize(values)]))
      const none = summaries.get("none")!.p50
      for (const { variant } of variants) {
        const summary = summaries.get(variant)!
        rows.push({ route, variant, p50Ms: summary.p50, p99Ms: summary.p99, addedP50Us: (summary.p50 - none) * 1000, ratio: summary.p50 / none })
      }
    }
    return rows
  } finally {
    for (const spool of apps) await spool.close()
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { requests: { type: "string" } } })
  const rows = await authBench({ requests: values.requests ? Number(values.requests) : undefined })
  console.log("| route | auth | p50 (ms) | p99 (ms) | added p50 (µs) | p50 ÷ no auth |")
  console.log("| --- | --- | ---: | ---: | ---: | ---: |")
  for (const row of rows) {
    console.log(`| ${row.route} | ${row.variant} | ${row.p50Ms.toFixed(3)} | ${row.p99Ms.toFixed(3)} | ${row.variant === "none" ? "–" : row.addedP50Us.toFixed(0)} | ${row.variant === "none" ? "–" : `${row.ratio.toFixed(2)}×`} |`)
  }
  console.log(`\n${JSON.stringify(rows)}`)
}

/**
 * `npm run bench`: every benchmark, one after the other, each in its own process so one's memory
 * and timers do not disturb the next:
 *   server   bench/run.ts      session API latency, SSE fan-out, RSS, cold start (vs OpenCode with --opencode)
 *   snapshot bench/snapshot.ts snapshot per step on 10,000 files / 200 MB, revert of 100 files, store growth
 *   prompt   bench/prompt.ts   prompt assembly for a 500-message session
 *   cache    bench/cache.ts    cache efficiency and billed input tokens of the 12-turn scenario
 *   import   bench/import.ts   import throughput on a 200 MB Claude Code tree, peak RSS, stats time, vs ccusage
 *   auth     bench/auth.ts     added p50 latency per request of Basic and Bearer auth vs none
 *
 *   npm run bench [-- --quick] [-- --opencode] [-- --only server,cache]
 * Other flags go to bench/run.ts.
 */
import { spawnSync } from "node:child_process"
import { fileURLToPath } from "node:url"

const all = ["server", "snapshot", "prompt", "cache", "import", "auth"] as const
const files: Record<(typeof all)[number], string> = {
  server: "run.ts",
  snapshot: "snapshot.ts",
  prompt: "prompt.ts",
  cache: "cache.ts",
  import: "import.ts",
  auth: "auth.ts",
}
const args = process.argv.slice(2)
const onlyIndex = args.indexOf("--only")
const only = onlyIndex >= 0 ? args[onlyIndex + 1].split(",") : [...all]
const rest = onlyIndex >= 0 ? [...args.slice(0, onlyIndex), ...args.slice(onlyIndex + 2)] : args
const quick = rest.includes("--quick")

let failed = 0
for (const name of all) {
  if (!only.includes(name)) continue
  process.stdout.write(`\n## ${name}\n\n`)
  const script = fileURLToPath(new URL(files[name], import.meta.url))
  const forwarded = name === "server" ? rest : name === "snapshot" || name === "import" ? (quick ? ["--quick"] : []) : name === "auth" && quick ? ["--requests", "500"] : []
  const result = spawnSync(process.execPath, [script, ...forwarded], { stdio: "inherit" })
  if (result.status !== 0) failed++
}
process.exit(failed === 0 ? 0 : 1)

/**
 * Spool benchmark: session API latency, list throughput, SSE fan-out latency, memory and cold start,
 * measured over HTTP against a real server process, optionally side by side with OpenCode.
 *
 *   npm run bench                         # Spool only (~1 min)
 *   npm run bench -- --opencode           # also OpenCode 1.18.33 from /tmp/oc (or BENCH_OPENCODE=1)
 *   npm run bench -- --quick              # smaller counts, for a smoke run
 *   options: --opencode-dir DIR (default $BENCH_OPENCODE_DIR or /tmp/oc; holds node_modules/opencode-*)
 *            --spool-dir DIR (run Spool from another checkout, for A/B runs; default this one)
 *            --spool-source (run Spool's TypeScript sources, not its production bundle)
 *            --out FILE (default bench/results.json)   --keep (keep the temp dirs and server logs)
 *
 * Spool runs as `npm start` runs it: the production bundle `dist/spool.js`, rebuilt first if stale
 * (`scripts/bundle.ts --if-stale`); checkouts without that script, or `--spool-source`, run
 * `src/cli/main.ts`. Node's compile cache (os.tmpdir()) persists across runs, as it does for users.
 *
 * Per server, in this order (each server in its own temp HOME/XDG/data dirs, on a free port, with one
 * temp git repo sent as `x-opencode-directory` / `?directory=`):
 *  1. cold start: spawn, poll `GET /session` every 5 ms until 200, ms from spawn (median of N runs,
 *     each with fresh data dirs); the process is stopped after each run;
 *  2. one long-lived server: idle RSS 1 s after its first 200;
 *  3. warm-up (not measured): 20 creates, 20 gets, 20 lists;
 *  4. create N sessions, then N gets of random ids, then M `GET /session?limit=50`, all sequential
 *     (one request in flight): p50/p99 ms, client-side, to the last byte of the body;
 *  5. list throughput: 16 concurrent closed-loop clients for a fixed time, req/s;
 *  6. SSE: S subscribers on `GET /event?directory=…`, then K creates one at a time (the next starts when
 *     every subscriber has the previous `session.created`, or after 5 s); latency per subscriber from
 *     sending the create request to the arrival of the chunk holding that session's `session.created`;
 *  7. RSS after the load (2 s after the subscribers closed) and peak RSS (VmHWM).
 * Client and server share the machine, so the numbers include client overhead and are affected by
 * other load; the load average at start and end is recorded in results.json.
 */
import { execFileSync } from "node:child_process"
import { readFileSync, rmSync, writeFileSync } from "node:fs"
import { cpus, loadavg } from "node:os"
import { join, relative, resolve } from "node:path"
import { performance } from "node:perf_hooks"
import { setTimeout as sleep } from "node:timers/promises"
import { parseArgs } from "node:util"
import { throughput, timedOk, type Throughput } from "./lib/http.ts"
import { markdownTable, type Row } from "./lib/report.ts"
import {
  REPO_ROOT,
  cpuMs,
  findOpenCode,
  freePort,
  makeGitRepo,
  memoryMiB,
  openCodeVersion,
  spawnOpenCode,
  prepareSpool,
  spawnSpool,
  tempDir,
  waitUntilReady,
  type ServerKind,
  type ServerProcess,
  type SpawnOptions,
} from "./lib/servers.ts"
import { subscribe, type SseSubscription } from "./lib/sse.ts"
import { median, summarize, type Summary } from "./lib/stats.ts"

const OPENCODE_VERSION = "1.18.33"

const { values: args } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    opencode: { type: "boolean", default: false },
    "opencode-dir": { type: "string", default: process.env.BENCH_OPENCODE_DIR ?? "/tmp/oc" },
    "spool-dir": { type: "string", default: REPO_ROOT },
    "spool-source": { type: "boolean", default: false },
    out: { type: "string", default: join(REPO_ROOT, "bench", "results.json") },
    keep: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
})
if (args.help) {
  process.stdout.write("usage: npm run bench -- [--quick] [--opencode] [--opencode-dir DIR] [--spool-dir DIR] [--spool-source] [--out FILE] [--keep]\n")
  process.exit(0)
}
const spoolDir = resolve(args["spool-dir"])
/** What `spawnSpool` runs; set by `main()` (building the bundle if needed). */
let spoolEntry = ""
const withOpenCode = args.opencode || ["1", "true", "yes"].includes((process.env.BENCH_OPENCODE ?? "").toLowerCase())

/** Workload sizes. */
const plan = args.quick
  ? { sessions: 300, gets: 300, lists: 100, throughputSeconds: 2, concurrency: 16, subscribers: 50, sseCreates: 40, coldRuns: 3, warmup: 20 }
  : { sessions: 2000, gets: 2000, lists: 500, throughputSeconds: 5, concurrency: 16, subscribers: 50, sseCreates: 200, coldRuns: 5, warmup: 20 }

interface SseResult {
  subscribers: number
  creates: number
  /** ms from sending the create request to the frame, one sample per (create, subscriber). */
  fromRequest: Summary
  /** ms from the create response's last byte to the frame (negative: the frame came first). */
  fromResponse: Summary
  /** (create, subscriber) pairs whose frame did not arrive within 5 s. */
  missing: number
}

interface SuiteResult {
  server: ServerKind
  version: string
  coldStartMs: { median: number; runs: number[] }
  rssMiB: { idle: number; afterLoad: number; peak: number }
  create: Summary
  get: Summary
  list: Summary & { itemsPerPage: number }
  listThroughput: Throughput
  sse: SseResult
  /** Server CPU time (user + system, from /proc) per request of each phase, ms. */
  serverCpuPerRequestMs: { create: number; get: number; list: number; listThroughput: number; sseCreate: number }
}

const live = new Set<ServerProcess>()
const scratch: string[] = []

function log(message: string) {
  process.stderr.write(`[bench] ${message}\n`)
}

function spawnServer(kind: ServerKind, options: SpawnOptions, openCodeBin?: string): ServerProcess {
  const server = kind === "spool" ? spawnSpool(options, spoolEntry) : spawnOpenCode(openCodeBin!, options)
  live.add(server)
  void server.exited.then(() => live.delete(server))
  return server
}

async function stopServer(server: ServerProcess) {
  await server.stop()
  live.delete(server)
}

/** Spawns a server on a free port and waits for its first 200; returns it with the ms that took. */
async function startServer(kind: ServerKind, root: string, repo: string, openCodeBin?: string) {
  const server = spawnServer(kind, { port: await freePort(), root, cwd: repo }, openCodeBin)
  try {
    const readyMs = await waitUntilReady(server, repo)
    return { server, readyMs }
  } catch (error) {
    await stopServer(server)
    throw error
  }
}

async function coldStart(kind: ServerKind, base: string, repo: string, openCodeBin?: string): Promise<SuiteResult["coldStartMs"]> {
  const runs: number[] = []
  for (let index = 0; index < plan.coldRuns; index++) {
    const { server, readyMs } = await startServer(kind, join(base, `cold-${index}`), repo, openCodeBin)
    runs.push(readyMs)
    await stopServer(server)
  }
  return { median: median(runs), runs }
}

function sessionIdOf(data: string): { type?: string; id?: string } {
  try {
    const event = JSON.parse(data) as { type?: string; properties?: { sessionID?: string; info?: { id?: string } } }
    return { type: event.type, id: event.properties?.info?.id ?? event.properties?.sessionID }
  } catch {
    return {}
  }
}

async function sseFanout(url: string, repo: string, headers: Record<string, string>): Promise<SseResult> {
  const arrivals = new Map<string, number[]>()
  const waiting = new Map<string, () => void>()
  const record = (id: string, at: number) => {
    const list = arrivals.get(id) ?? []
    list.push(at)
    arrivals.set(id, list)
    if (list.length === plan.subscribers) waiting.get(id)?.()
  }
  const subscriptions: SseSubscription[] = []
  try {
    for (let index = 0; index < plan.subscribers; index++) {
      subscriptions.push(
        subscribe(`${url}/event?directory=${encodeURIComponent(repo)}`, (event) => {
          const { type, id } = sessionIdOf(event.data)
          if (type === "session.created" && id) record(id, event.receivedAt)
        }),
      )
    }
    await Promise.all(subscriptions.map((subscription) => subscription.firstEvent))
    await sleep(200)
    const fromRequest: number[] = []
    const fromResponse: number[] = []
    let missing = 0
    for (let index = 0; index < plan.sseCreates; index++) {
      const sent = performance.now()
      const created = await timedOk<{ id: string }>(`${url}/session`, { method: "POST", headers: { ...headers, "content-type": "application/json" }, body: "{}" })
      const answered = sent + created.ms
      const id = created.body.id
      if ((arrivals.get(id)?.length ?? 0) < plan.subscribers) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 5000)
          waiting.set(id, () => {
            clearTimeout(timer)
            resolve()
          })
        })
        waiting.delete(id)
      }
      const times = arrivals.get(id) ?? []
      missing += plan.subscribers - times.length
      for (const at of times) {
        fromRequest.push(at - sent)
        fromResponse.push(at - answered)
      }
      arrivals.delete(id)
    }
    return { subscribers: plan.subscribers, creates: plan.sseCreates, fromRequest: summarize(fromRequest), fromResponse: summarize(fromResponse), missing }
  } finally {
    for (const subscription of subscriptions) subscription.close()
    await Promise.all(subscriptions.map((subscription) => subscription.closed))
  }
}

async function runSuite(kind: ServerKind, openCodeBin?: string): Promise<SuiteResult> {
  const base = tempDir(kind)
  scratch.push(base)
  const repo = makeGitRepo(join(base, "repo"))
  const version = kind === "spool" ? spoolVersion() : (openCodeVersion(openCodeBin!) ?? "?")

  log(`${kind}: cold start × ${plan.coldRuns}`)
  const coldStartMs = await coldStart(kind, base, repo, openCodeBin)

  log(`${kind}: starting the measured server`)
  const { server } = await startServer(kind, join(base, "main"), repo, openCodeBin)
  try {
    await sleep(1000)
    const idle = memoryMiB(server.pid).rss
    const url = server.url
    const headers = { "x-opencode-directory": repo }
    const create = () => timedOk<{ id: string }>(`${url}/session`, { method: "POST", headers: { ...headers, "content-type": "application/json" }, body: "{}" })
    const get = (id: string) => timedOk(`${url}/session/${id}`, { headers })
    const list = () => timedOk<unknown[]>(`${url}/session?limit=50`, { headers })

    for (let index = 0; index < plan.warmup; index++) {
      const { body } = await create()
      await get(body.id)
      await list()
    }

    // server CPU ms per request over a phase of `count` requests
    const cpuOver = async <T>(count: () => number, phase: () => Promise<T>): Promise<[T, number]> => {
      const before = cpuMs(server.pid)
      const result = await phase()
      return [result, (cpuMs(server.pid) - before) / count()]
    }

    log(`${kind}: ${plan.sessions} creates`)
    const ids: string[] = []
    const createMs: number[] = []
    const [, createCpu] = await cpuOver(() => plan.sessions, async () => {
      for (let index = 0; index < plan.sessions; index++) {
        const result = await create()
        ids.push(result.body.id)
        createMs.push(result.ms)
      }
    })

    log(`${kind}: ${plan.gets} gets`)
    const getMs: number[] = []
    const [, getCpu] = await cpuOver(() => plan.gets, async () => {
      for (let index = 0; index < plan.gets; index++) getMs.push((await get(ids[Math.floor(Math.random() * ids.length)])).ms)
    })

    log(`${kind}: ${plan.lists} lists`)
    const listMs: number[] = []
    let itemsPerPage = 0
    const [, listCpu] = await cpuOver(() => plan.lists, async () => {
      for (let index = 0; index < plan.lists; index++) {
        const result = await list()
        listMs.push(result.ms)
        itemsPerPage = Array.isArray(result.body) ? result.body.length : -1
      }
    })

    log(`${kind}: list throughput, ${plan.concurrency} concurrent for ${plan.throughputSeconds} s`)
    let listThroughput: Throughput | undefined
    const [, throughputCpu] = await cpuOver(() => listThroughput!.requests, async () => {
      listThroughput = await throughput(
        async () => {
          const response = await fetch(`${url}/session?limit=50`, { headers })
          await response.arrayBuffer()
          return response.status === 200
        },
        plan.concurrency,
        plan.throughputSeconds,
      )
    })

    log(`${kind}: SSE, ${plan.subscribers} subscribers × ${plan.sseCreates} creates`)
    const [sse, sseCpu] = await cpuOver(() => plan.sseCreates, () => sseFanout(url, repo, headers))

    await sleep(2000)
    const after = memoryMiB(server.pid)
    return {
      server: kind,
      version,
      coldStartMs,
      rssMiB: { idle, afterLoad: after.rss, peak: after.peak },
      create: summarize(createMs),
      get: summarize(getMs),
      list: { ...summarize(listMs), itemsPerPage },
      listThroughput: listThroughput!,
      sse,
      serverCpuPerRequestMs: { create: createCpu, get: getCpu, list: listCpu, listThroughput: throughputCpu, sseCreate: sseCpu },
    }
  } finally {
    await stopServer(server)
  }
}

function spoolVersion(): string {
  return (JSON.parse(readFileSync(join(spoolDir, "package.json"), "utf8")) as { version: string }).version
}

function gitDescribe(): string {
  try {
    const commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: spoolDir, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim()
    const dirty = execFileSync("git", ["status", "--porcelain", "--", "src"], { cwd: spoolDir, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim() !== ""
    return dirty ? `${commit}+dirty-src` : commit
  } catch {
    return "unknown"
  }
}

function rows(spool: SuiteResult, opencode?: SuiteResult): Row[] {
  const pick = (get: (result: SuiteResult) => number): Pick<Row, "spool" | "opencode"> => ({ spool: get(spool), opencode: opencode ? get(opencode) : undefined })
  return [
    { label: `session create p50`, unit: "ms", better: "lower", ...pick((r) => r.create.p50) },
    { label: `session create p99`, unit: "ms", better: "lower", ...pick((r) => r.create.p99) },
    { label: `session get p50`, unit: "ms", better: "lower", ...pick((r) => r.get.p50) },
    { label: `session get p99`, unit: "ms", better: "lower", ...pick((r) => r.get.p99) },
    { label: `session list ?limit=50 p50`, unit: "ms", better: "lower", ...pick((r) => r.list.p50) },
    { label: `session list ?limit=50 p99`, unit: "ms", better: "lower", ...pick((r) => r.list.p99) },
    { label: `session list throughput, ${plan.concurrency} concurrent`, unit: "req/s", better: "higher", ...pick((r) => r.listThroughput.perSecond) },
    { label: `SSE session.created to ${plan.subscribers} subscribers p50`, unit: "ms", better: "lower", ...pick((r) => r.sse.fromRequest.p50) },
    { label: `SSE session.created to ${plan.subscribers} subscribers p99`, unit: "ms", better: "lower", ...pick((r) => r.sse.fromRequest.p99) },
    { label: "server CPU per create", unit: "ms", better: "lower", ...pick((r) => r.serverCpuPerRequestMs.create) },
    { label: "server CPU per get", unit: "ms", better: "lower", ...pick((r) => r.serverCpuPerRequestMs.get) },
    { label: "server CPU per list (sequential)", unit: "ms", better: "lower", ...pick((r) => r.serverCpuPerRequestMs.list) },
    { label: `server CPU per create with ${plan.subscribers} subscribers`, unit: "ms", better: "lower", ...pick((r) => r.serverCpuPerRequestMs.sseCreate) },
    { label: "RSS idle after start-up", unit: "MiB", better: "lower", ...pick((r) => r.rssMiB.idle) },
    { label: "RSS after load", unit: "MiB", better: "lower", ...pick((r) => r.rssMiB.afterLoad) },
    { label: "RSS peak (VmHWM)", unit: "MiB", better: "lower", ...pick((r) => r.rssMiB.peak) },
    { label: `cold start to first 200, median of ${plan.coldRuns}`, unit: "ms", better: "lower", ...pick((r) => r.coldStartMs.median) },
  ]
}

let keepScratch = args.keep

async function cleanup() {
  await Promise.all([...live].map((server) => server.stop()))
  if (keepScratch) {
    if (scratch.length > 0) log(`temp dirs and server logs kept: ${scratch.join(" ")}`)
  } else {
    for (const dir of scratch) rmSync(dir, { recursive: true, force: true })
  }
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    log(`${signal}: stopping servers`)
    void cleanup().finally(() => process.exit(130))
  })
}

async function main(): Promise<number> {
  const startedAt = new Date().toISOString()
  const loadStart = loadavg()
  const started = performance.now()
  log(`${args.quick ? "quick" : "full"} run; Node ${process.version}; ${cpus().length} CPUs; load average ${loadStart.map((value) => value.toFixed(2)).join(" ")}`)

  let openCodeBin: string | undefined
  let openCodeSkipped: string | undefined
  if (withOpenCode) {
    openCodeBin = findOpenCode(args["opencode-dir"])
    const version = openCodeBin ? openCodeVersion(openCodeBin) : undefined
    if (!openCodeBin) openCodeSkipped = `no opencode binary under ${args["opencode-dir"]}/node_modules (npm install opencode-ai@${OPENCODE_VERSION} there)`
    else if (!version) openCodeSkipped = `${openCodeBin} --version failed`
    else if (version !== OPENCODE_VERSION) log(`note: OpenCode is ${version}, not ${OPENCODE_VERSION}`)
  }

  spoolEntry = prepareSpool(spoolDir, { source: args["spool-source"] })
  log(`spool: running ${relative(spoolDir, spoolEntry)}`)
  const spool = await runSuite("spool")
  let opencode: SuiteResult | undefined
  if (withOpenCode && !openCodeSkipped) {
    try {
      opencode = await runSuite("opencode", openCodeBin)
    } catch (error) {
      openCodeSkipped = `OpenCode suite failed: ${(error as Error).message}`
      keepScratch = true
    }
  }

  const loadEnd = loadavg()
  const table = markdownTable(rows(spool, opencode), { spool: `Spool ${spool.version} (${spoolDir === REPO_ROOT ? "" : `${spoolDir} `}${gitDescribe()})`, opencode: opencode ? `OpenCode ${opencode.version}` : undefined })
  const notes = [
    `Sequential latencies: ${plan.sessions} creates, ${plan.gets} gets of random ids, ${plan.lists} lists (one request in flight, Node fetch, to the last body byte), after ${plan.warmup} warm-up rounds.`,
    `SSE: ${plan.subscribers} \`GET /event\` streams, ${plan.sseCreates} creates one at a time; latency from sending the create request to the chunk with that session's \`session.created\`, per subscriber.`,
    `Server CPU: utime + stime of the server process (all threads, /proc/<pid>/stat, 10 ms ticks) over a phase ÷ its requests; unlike latency it excludes the client's share of the machine.`,
    `Cold start: spawn → first 200 of \`GET /session\` polled every 5 ms, fresh data dirs each run. RSS: VmRSS of the server pid, idle = 1 s after the first 200, after load = 2 s after the SSE test.`,
    `Spool ran as \`node ${relative(spoolDir, spoolEntry)} serve\`${spoolEntry.endsWith("spool.js") ? " (the production bundle, as \`npm start\`)" : " (TypeScript sources)"}.`,
    `Machine: ${cpus().length} CPUs (${cpus()[0]?.model ?? "?"}), shared by client and server; load average ${loadStart[0].toFixed(2)} at start, ${loadEnd[0].toFixed(2)} at end. Total ${((performance.now() - started) / 1000).toFixed(0)} s.`,
  ]
  if (withOpenCode && openCodeSkipped) notes.push(`OpenCode skipped: ${openCodeSkipped}`)
  if (!withOpenCode) notes.push("OpenCode not run (pass --opencode or BENCH_OPENCODE=1).")
  for (const [name, result] of [["Spool", spool], ["OpenCode", opencode]] as const) {
    if (result && result.sse.missing > 0) notes.push(`${name}: ${result.sse.missing} SSE frames did not arrive within 5 s.`)
    if (result && result.list.itemsPerPage !== 50) notes.push(`${name}: list returned ${result.list.itemsPerPage} items per page, not 50.`)
    if (result && result.listThroughput.errors > 0) notes.push(`${name}: ${result.listThroughput.errors} failed requests in the throughput run.`)
  }

  process.stdout.write(`\n${table}\n\n${notes.map((note) => `- ${note}`).join("\n")}\n`)
  const results = {
    startedAt,
    mode: args.quick ? "quick" : "full",
    plan,
    machine: { node: process.version, cpus: cpus().length, cpuModel: cpus()[0]?.model, loadavgStart: loadStart, loadavgEnd: loadEnd },
    spool: { ...spool, commit: gitDescribe(), entry: relative(spoolDir, spoolEntry) },
    opencode: opencode ?? (withOpenCode ? { skipped: openCodeSkipped } : undefined),
    table,
  }
  writeFileSync(args.out, `${JSON.stringify(results, null, 2)}\n`)
  log(`wrote ${relative(process.cwd(), args.out) || args.out}`)
  return 0
}

let code = 1
try {
  code = await main()
} catch (error) {
  log(`failed: ${(error as Error).stack ?? String(error)}`)
  keepScratch = true
} finally {
  await cleanup()
}
process.exit(code)

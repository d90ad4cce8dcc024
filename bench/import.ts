/**
 * Import benchmark: `spool import` throughput (MB/s, records/s) and peak RSS on a synthetic Claude Code
 * tree (~200 MB; `--quick` ~20 MB) generated from the genuine fixtures, `spool stats` time over the
 * imported result, and ccusage (npm) over the same tree: time, peak RSS and its totals next to Spool's.
 *
 *   node bench/import.ts [--quick] [--no-ccusage] [--keep] [--out FILE] [--mb N]
 *   options: --ccusage-version V (default $BENCH_CCUSAGE_VERSION or the newest whose native binary
 *            installs here)   --ccusage-dir DIR (install dir, default $TMPDIR/spool-bench-ccusage)
 *            --runs N (repetitions of each stats/ccusage command, median reported; default 3)
 *            --scaling (also: peak RSS of importing ONE session of 2.5…40 MB, to see it follow session size)
 *   also: `import { importBench } from "./import.ts"; await importBench({ quick: true })`
 *
 * Steps (all in one temp dir, removed at the end unless --keep):
 *  1. tree: `<tmp>/claude-1/projects/-home-bench-proj-NN/<uuid>.jsonl` from `test/fixtures/transcripts/
 *     claude-code/{sniffly,ccviewer,spotter}*.jsonl` (`lib/claude-tree.ts`: fresh ids per copy, one file of
 *     half the size holding one long session, two of 5 %, the rest one session per file over 20 projects);
 *  2. baseline: each fixture imported alone (tiny) → its steps and tokens; expected tree totals =
 *     Σ repetitions × per-fixture totals (checks that no copy was deduplicated away);
 *  3. `spool import --from claude-code <tree> --json` as a child process (`SPOOL_DATA_DIR`, HOME and XDG
 *     dirs in the temp dir, cwd there too): wall time → MB/s and records/s, peak RSS (`lib/measure.ts`:
 *     VmHWM/VmRSS of the process tree every 50 ms, and GNU time's max RSS when installed); then the same
 *     import again (every file unchanged: ledger skip). When the import fails with "too many SQL variables"
 *     (one session too large for Spool to store), the failure is recorded and the tree is made again
 *     (`claude-2`, …) with the huge half split over 2, 4, … sessions; the numbers are for the tree that
 *     imported;
 *  4. `spool stats --json`, `--by model`, `--by session`: median wall time of N runs, peak RSS; totals
 *     checked against step 2; (with --scaling) single sessions of growing size imported one by one;
 *  5. ccusage: `npm install --prefix <dir> ccusage` (never into this repo), then
 *     `CLAUDE_CONFIG_DIR=<tmp>/claude ccusage daily --json --offline -z UTC` and `session …`: median wall
 *     time, peak RSS; its totals (tokens, cost) against `spool stats` per field and per model.
 * Writes `bench/import-results.json` (or --out) and prints Markdown tables.
 */
import { execFileSync } from "node:child_process"
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs"
import { arch, cpus, loadavg, platform, tmpdir, totalmem } from "node:os"
import { join, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { parseArgs } from "node:util"
import { generateSingleSession, generateTree, loadFixtures, type TreeStats } from "./lib/claude-tree.ts"
import { measure, type Measured } from "./lib/measure.ts"
import { median } from "./lib/stats.ts"

const REPO_ROOT = resolve(fileURLToPath(new URL("..", import.meta.url)))
const FIXTURES_DIR = resolve(REPO_ROOT, "test", "fixtures", "transcripts", "claude-code")
/** Genuine transcripts (the synthetic fixtures are hand-made edge cases, not representative). */
const GENUINE = ["sniffly-ai-music-fed8ce56", "ccviewer-orchestrator-5c0375b4", "spotter-tool-heavy"]
const MB = 1_000_000
const MIB = 1024 * 1024

export interface ImportBenchOptions {
  quick?: boolean
  /** Target tree size in MB (overrides quick/full: 20 / 200). */
  megabytes?: number
  /** Run ccusage too (default true). */
  ccusage?: boolean
  ccusageVersion?: string
  ccusageDir?: string
  /** Runs of each stats/ccusage command (default 3). */
  runs?: number
  /** Keep the temp dir (tree, databases). */
  keep?: boolean
  fixturesDir?: string
  /**
   * Also import single sessions of growing size (MB) one by one, to see how peak RSS follows the size of
   * the largest session (default: none; `--scaling` uses 2.5, 5, 10, 20, 40 MB, quick 1, 2, 4, 8 MB).
   */
  scalingMB?: number[]
  /** Session files the huge half of the tree starts split over (default 1: one session of half the size). */
  hugeFiles?: number
  /** Progress lines (default: to stderr). */
  log?: (line: string) => void
}

interface Tokens {
  input: number
  output: number
  cacheRead: number
  cacheWrite: number
}

interface Totals extends Tokens {
  cost: number
}

/** One `spool import` of a generated tree (a failed one is retried with the huge half split further). */
export interface ImportAttempt {
  hugeFiles: number
  largestMB: number
  largestRecords: number
  exitCode: number | null
  wallMs: number
  peakRssMiB: number
  error?: string
}

export interface CommandResult {
  label: string
  command: string
  runs: number
  wallMs: number
  wallMsAll: number[]
  peakRssMiB: number
  exitCode: number | null
}

export interface ImportBenchResult {
  date: string
  quick: boolean
  machine: { cpus: number; cpuModel: string; memGiB: number; node: string; loadavgStart: number[]; loadavgEnd?: number[] }
  tree: Omit<TreeStats, "root" | "projectsDir"> & { megabytes: number; fixtures: string[] }
  spool: {
    /** Every import run: more than one when the first failed. */
    attempts: ImportAttempt[]
    import: {
      wallMs: number
      mbPerSec: number
      recordsPerSec: number
      peakRssMiB: number
      peakDetail: { hwm: number; treeRss: number; gnuTime?: number }
      rssSamples: Array<[number, number]>
      summary: Record<string, unknown>
      dbMiB: number
    }
    reimport: { wallMs: number; peakRssMiB: number; unchanged: number; files: number }
    /** Single-session imports of growing size (`scalingMB`). */
    scaling?: Array<{ mb: number; records: number; wallMs: number; mbPerSec: number; peakRssMiB: number; exitCode: number | null; error?: string }>
    stats: CommandResult[]
    totals: Totals & { sessions: number; steps: number; toolCalls: number }
    byModel: Record<string, Totals>
    /** `spool stats` (by day, UTC): day → totals. */
    byDay: Record<string, Totals>
    expected: { steps: number; tokens: Tokens; matches: boolean; note: string }
  }
  ccusage?: {
    version?: string
    error?: string
    commands: CommandResult[]
    daily?: { totals: Totals; rows: number; byModel: Record<string, Totals>; byDay: Record<string, Totals> }
    /** Days reported by each, and days whose tokens agree. */
    days?: { spool: number; ccusage: number; matching: number }
    session?: { totals: Totals; rows: number }
    diff?: Record<keyof Totals, { spool: number; ccusage: number; delta: number; pct: number }>
    byModelDiff?: Array<{ model: string; spool?: Totals; ccusage?: Totals }>
    explanation: string[]
  }
  markdown: string
}

/** Runs the benchmark and returns its result (also used by `npm run bench`). */
export async function importBench(options: ImportBenchOptions = {}): Promise<ImportBenchResult> {
  const log = options.log ?? ((line: string) => process.stderr.write(`[import-bench] ${line}\n`))
  const quick = options.quick ?? false
  const megabytes = options.megabytes ?? (quick ? 20 : 200)
  const runs = options.runs ?? 3
  const fixturesDir = options.fixturesDir ?? FIXTURES_DIR
  const loadavgStart = loadavg()
  const work = mkdtempSync(join(tmpdir(), "spool-bench-import-"))
  try {
    // 1. tree
    const fixturePaths = GENUINE.map((name) => join(fixturesDir, `${name}.jsonl`)).filter((path) => existsSync(path))
    if (fixturePaths.length === 0) throw new Error(`no genuine fixtures in ${fixturesDir}`)
    const fixtures = loadFixtures(fixturePaths)

    // 2. baseline per fixture
    const baseline: Record<string, { steps: number; tokens: Tokens }> = {}
    for (const path of fixturePaths) {
      const name = fixtures[fixturePaths.indexOf(path)].name
      const env = spoolEnv(join(work, `baseline-${name}`))
      const imported = await spool(env, ["import", "--from", "claude-code", path, "--json"])
      if (imported.exitCode !== 0) throw new Error(`baseline import of ${name} failed: ${imported.stderr}`)
      const stats = await spool(env, ["stats", "--json"])
      if (stats.exitCode !== 0) throw new Error(`baseline stats of ${name} failed: ${stats.stderr}`)
      const report = JSON.parse(stats.stdout) as UsageReport
      baseline[name] = { steps: report.total.steps, tokens: spoolTokens(report.total) }
    }

    // 3. import. A session too large for Spool to store aborts the whole import (issue reported with
    // the results); the tree is then made again with the huge half split over more session files.
    const attempts: ImportAttempt[] = []
    let claudeDir = ""
    let tree: TreeStats | undefined
    let env: { env: NodeJS.ProcessEnv; cwd: string } | undefined
    let imported: Measured | undefined
    for (let hugeFiles = options.hugeFiles ?? 1; ; hugeFiles *= 2) {
      claudeDir = join(work, `claude-${hugeFiles}`)
      log(`generating a ${megabytes} MB tree from ${fixtures.map((fixture) => fixture.name).join(", ")} (huge half in ${hugeFiles} session file(s))`)
      tree = generateTree({ root: claudeDir, targetBytes: megabytes * MB, fixtures, huge: "spotter-tool-heavy", large: "ccviewer-orchestrator-5c0375b4", hugeFiles })
      log(`tree: ${tree.files} files, ${(tree.bytes / MB).toFixed(1)} MB, ${tree.records} records, largest ${(tree.largest[0].bytes / MB).toFixed(1)} MB (${tree.generateMs.toFixed(0)} ms)`)
      env = spoolEnv(join(work, `spool-${hugeFiles}`))
      log(`spool import --from claude-code ${tree.projectsDir} --json`)
      imported = await spool(env, ["import", "--from", "claude-code", tree.projectsDir, "--json"])
      const attempt: ImportAttempt = {
        hugeFiles,
        largestMB: tree.largest[0].bytes / MB,
        largestRecords: tree.largest[0].records,
        exitCode: imported.exitCode,
        wallMs: imported.wallMs,
        peakRssMiB: imported.peakMiB,
      }
      attempts.push(attempt)
      if (imported.exitCode === 0) break
      attempt.error = imported.stderr.trim().split("\n").slice(-3).join(" | ")
      log(`spool import FAILED after ${(imported.wallMs / 1000).toFixed(1)} s (peak RSS ${imported.peakMiB.toFixed(0)} MiB): ${attempt.error}`)
      if (!/too many SQL variables/.test(imported.stderr) || hugeFiles >= 16) throw new Error(`spool import failed (${imported.exitCode ?? imported.signal}): ${imported.stderr.slice(-2000)}`)
      if (!options.keep) {
        rmSync(claudeDir, { recursive: true, force: true })
        rmSync(join(work, `spool-${hugeFiles}`), { recursive: true, force: true })
      }
      log(`retrying with the huge half split over ${hugeFiles * 2} sessions`)
    }
    const summary = JSON.parse(imported.stdout) as Record<string, unknown>
    const dbMiB = dirBytes(env.env.SPOOL_DATA_DIR!) / MIB
    log(`import: ${(imported.wallMs / 1000).toFixed(1)} s, ${(tree.bytes / MB / (imported.wallMs / 1000)).toFixed(2)} MB/s, peak RSS ${imported.peakMiB.toFixed(0)} MiB, db ${dbMiB.toFixed(0)} MiB`)
    const expected = { steps: 0, tokens: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 } }
    for (const [name, reps] of Object.entries(tree.repsByFixture)) {
      expected.steps += reps * baseline[name].steps
      for (const key of Object.keys(expected.tokens) as Array<keyof Tokens>) expected.tokens[key] += reps * baseline[name].tokens[key]
    }
    const again = await spool(env, ["import", "--from", "claude-code", tree.projectsDir, "--json"])
    const againSummary = JSON.parse(again.stdout || "{}") as { unchanged?: number; files?: number }
    log(`re-import (unchanged): ${(again.wallMs / 1000).toFixed(2)} s`)

    // 4. stats
    const stats: CommandResult[] = []
    let report: UsageReport | undefined
    let byModelReport: UsageReport | undefined
    for (const [label, args] of [
      ["spool stats --json", ["stats", "--json"]],
      ["spool stats --by model --json", ["stats", "--by", "model", "--json"]],
      ["spool stats --by session --json", ["stats", "--by", "session", "--json"]],
    ] as const) {
      const result = await repeat(label, runs, () => spool(env, [...args]))
      stats.push(result.summary)
      if (label === "spool stats --json") report = JSON.parse(result.last.stdout) as UsageReport
      if (label.includes("model")) byModelReport = JSON.parse(result.last.stdout) as UsageReport
      log(`${label}: ${result.summary.wallMs.toFixed(0)} ms (median of ${runs}), peak RSS ${result.summary.peakRssMiB.toFixed(0)} MiB`)
    }
    const total = report!.total
    const totals = { ...spoolTokens(total), cost: total.cost, sessions: total.sessions, steps: total.steps, toolCalls: total.toolCalls }
    const byDay = Object.fromEntries(report!.rows.map((row) => [row.key, { ...spoolTokens(row), cost: row.cost }]))
    const byModel = Object.fromEntries(byModelReport!.rows.map((row) => [row.key.replace(/^anthropic\//, ""), { ...spoolTokens(row), cost: row.cost }]))
    const matches = totals.steps === expected.steps && (Object.keys(expected.tokens) as Array<keyof Tokens>).every((key) => totals[key] === expected.tokens[key])

    const result: ImportBenchResult = {
      date: new Date().toISOString(),
      quick,
      machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? "", memGiB: Math.round(totalmem() / 2 ** 30), node: process.version, loadavgStart },
      tree: {
        megabytes: tree.bytes / MB,
        fixtures: fixtures.map((fixture) => fixture.name),
        projects: tree.projects,
        files: tree.files,
        bytes: tree.bytes,
        records: tree.records,
        repsByFixture: tree.repsByFixture,
        largest: tree.largest.map((file) => ({ ...file, path: file.path.slice(work.length + 1) })),
        classes: tree.classes,
        generateMs: tree.generateMs,
      },
      spool: {
        attempts,
        import: {
          wallMs: imported.wallMs,
          mbPerSec: tree.bytes / MB / (imported.wallMs / 1000),
          recordsPerSec: tree.records / (imported.wallMs / 1000),
          peakRssMiB: imported.peakMiB,
          peakDetail: { hwm: imported.peakHwmMiB, treeRss: imported.peakTreeRssMiB, gnuTime: imported.maxRssMiB },
          rssSamples: imported.samples,
          summary: { ...summary, problemList: undefined },
          dbMiB,
        },
        reimport: { wallMs: again.wallMs, peakRssMiB: again.peakMiB, unchanged: againSummary.unchanged ?? -1, files: againSummary.files ?? -1 },
        stats,
        totals,
        byModel,
        byDay,
        expected: {
          ...expected,
          matches,
          note: matches
            ? "steps and tokens = Σ repetitions × each fixture imported alone: no copy was deduplicated away"
            : "MISMATCH: the tree's totals differ from Σ repetitions × each fixture imported alone",
        },
      },
      markdown: "",
    }

    // Peak RSS against the size of one session.
    if (options.scalingMB?.length) {
      result.spool.scaling = []
      const fixture = fixtures.find((item) => item.name === "spotter-tool-heavy") ?? fixtures[0]
      for (const size of options.scalingMB) {
        const root = join(work, `scaling-${size}`)
        const file = generateSingleSession({ root: join(root, "claude"), fixture, bytes: size * MB })
        const measured = await spool(spoolEnv(join(root, "spool")), ["import", "--from", "claude-code", join(root, "claude", "projects"), "--json"])
        const row = {
          mb: file.bytes / MB,
          records: file.records,
          wallMs: measured.wallMs,
          mbPerSec: file.bytes / MB / (measured.wallMs / 1000),
          peakRssMiB: measured.peakMiB,
          exitCode: measured.exitCode,
          ...(measured.exitCode === 0 ? {} : { error: measured.stderr.trim().split("\n").at(-1) }),
        }
        result.spool.scaling.push(row)
        log(`one ${row.mb.toFixed(1)} MB session: ${(row.wallMs / 1000).toFixed(1)} s, peak RSS ${row.peakRssMiB.toFixed(0)} MiB${row.error ? `, FAILED: ${row.error}` : ""}`)
        rmSync(root, { recursive: true, force: true })
      }
    }

    // 5. ccusage
    if (options.ccusage ?? true) result.ccusage = await runCcusage(options, claudeDir, work, runs, result, log)
    result.machine.loadavgEnd = loadavg()
    result.markdown = markdown(result)
    return result
  } finally {
    if (options.keep) log(`kept ${work}`)
    else rmSync(work, { recursive: true, force: true })
  }
}

// ---------------------------------------------------------------------------------------------------

interface UsageRowJson {
  key: string
  sessions: number
  steps: number
  tokens: { input: number; output: number; reasoning: number; cache: { read: number; write: number } }
  cost: number
  toolCalls: number
}
interface UsageReport {
  rows: UsageRowJson[]
  total: UsageRowJson
}

function spoolTokens(row: UsageRowJson): Tokens {
  return { input: row.tokens.input, output: row.tokens.output + row.tokens.reasoning, cacheRead: row.tokens.cache.read, cacheWrite: row.tokens.cache.write }
}

/** Isolated dirs for one Spool data set: data, HOME, XDG config/data/state/cache, and a cwd. */
function spoolEnv(root: string): { env: NodeJS.ProcessEnv; cwd: string } {
  const dirs = { data: join(root, "data"), home: join(root, "home"), config: join(root, "xdg-config"), xdata: join(root, "xdg-data"), state: join(root, "xdg-state"), cache: join(root, "xdg-cache"), cwd: join(root, "cwd") }
  for (const dir of Object.values(dirs)) mkdirSync(dir, { recursive: true })
  return {
    cwd: dirs.cwd,
    env: {
      PATH: process.env.PATH,
      SPOOL_DATA_DIR: dirs.data,
      HOME: dirs.home,
      XDG_CONFIG_HOME: dirs.config,
      XDG_DATA_HOME: dirs.xdata,
      XDG_STATE_HOME: dirs.state,
      XDG_CACHE_HOME: dirs.cache,
      SPOOL_LOG_LEVEL: "warn",
    },
  }
}

function spool(target: { env: NodeJS.ProcessEnv; cwd: string }, args: string[]): Promise<Measured> {
  return measure(process.execPath, [join(REPO_ROOT, "src", "cli", "main.ts"), ...args], { env: target.env, cwd: target.cwd })
}

async function repeat(label: string, runs: number, run: () => Promise<Measured>): Promise<{ summary: CommandResult; last: Measured }> {
  const all: Measured[] = []
  for (let index = 0; index < runs; index++) {
    const measured = await run()
    if (measured.exitCode !== 0) throw new Error(`${label} failed (${measured.exitCode ?? measured.signal}): ${measured.stderr.slice(-2000)}`)
    all.push(measured)
  }
  const last = all.at(-1)!
  return {
    last,
    summary: {
      label,
      command: last.command,
      runs,
      wallMs: median(all.map((item) => item.wallMs)),
      wallMsAll: all.map((item) => Math.round(item.wallMs)),
      peakRssMiB: Math.max(...all.map((item) => item.peakMiB)),
      exitCode: last.exitCode,
    },
  }
}

function dirBytes(dir: string): number {
  let total = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    total += entry.isDirectory() ? dirBytes(path) : statSync(path).size
  }
  return total
}

// --- ccusage ---------------------------------------------------------------------------------------

interface CcusageRow {
  inputTokens: number
  outputTokens: number
  cacheReadTokens: number
  cacheCreationTokens: number
  totalCost: number
  modelBreakdowns?: Array<{ modelName: string; inputTokens: number; outputTokens: number; cacheReadTokens: number; cacheCreationTokens: number; cost: number }>
}

function ccTotals(row: { inputTokens: number; outputTokens: number; cacheReadTokens: number; cacheCreationTokens: number; totalCost?: number; cost?: number }): Totals {
  return { input: row.inputTokens, output: row.outputTokens, cacheRead: row.cacheReadTokens, cacheWrite: row.cacheCreationTokens, cost: row.totalCost ?? row.cost ?? 0 }
}

function npm(args: string[], cwd: string): string {
  return execFileSync("npm", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, npm_config_update_notifier: "false", npm_config_fund: "false", npm_config_audit: "false" } })
}

/** ccusage's `--version`, or the error text when it cannot run. */
function ccusageVersion(bin: string): { version?: string; error?: string } {
  try {
    const out = execFileSync(bin, ["--version"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 30_000 })
    return { version: out.trim().replace(/^ccusage\s+/, "") }
  } catch (error) {
    const failed = error as { stderr?: string; message: string }
    return { error: (failed.stderr || failed.message).trim().split("\n")[0] }
  }
}

/**
 * Installs ccusage into `dir` (outside the repo) unless a working one of the wanted version is there.
 * ccusage ≥ 20 is a Rust binary shipped in `@ccusage/ccusage-<platform>-<arch>`; when the newest
 * `ccusage` names a binary package version the registry does not have yet, the newest binary's
 * version is installed instead.
 */
function ensureCcusage(dir: string, wanted: string | undefined, log: (line: string) => void): { bin: string; version: string } {
  const bin = join(dir, "node_modules", ".bin", "ccusage")
  mkdirSync(dir, { recursive: true })
  const current = existsSync(bin) ? ccusageVersion(bin) : {}
  if (current.version && (!wanted || wanted === current.version)) return { bin, version: current.version }
  const install = (spec: string) => {
    log(`npm install --prefix ${dir} ${spec}`)
    npm(["install", "--prefix", dir, "--no-save", "--no-package-lock", spec], dir)
    return ccusageVersion(bin)
  }
  let installed = install(`ccusage@${wanted ?? "latest"}`)
  if (!installed.version && !wanted) {
    const native = `@ccusage/ccusage-${platform()}-${arch()}`
    const version = npm(["view", native, "version"], dir).trim()
    log(`ccusage@latest cannot run (${installed.error}); its newest native binary is ${native}@${version}`)
    installed = install(`ccusage@${version}`)
  }
  if (!installed.version) throw new Error(`ccusage does not run: ${installed.error}`)
  return { bin, version: installed.version }
}

async function runCcusage(
  options: ImportBenchOptions, claudeDir: string, work: string, runs: number, result: ImportBenchResult, log: (line: string) => void,
): Promise<NonNullable<ImportBenchResult["ccusage"]>> {
  const out: NonNullable<ImportBenchResult["ccusage"]> = { commands: [], explanation: [] }
  let installed: { bin: string; version: string }
  try {
    installed = ensureCcusage(options.ccusageDir ?? join(tmpdir(), "spool-bench-ccusage"), options.ccusageVersion ?? process.env.BENCH_CCUSAGE_VERSION, log)
  } catch (error) {
    out.error = (error as Error).message
    log(`ccusage skipped: ${out.error}`)
    return out
  }
  out.version = installed.version
  const home = join(work, "ccusage-home")
  mkdirSync(home, { recursive: true })
  // Only the tree: an empty HOME (ccusage ≥ 20 also scans Codex, OpenCode, … under it), no colour, UTC.
  const env = { PATH: process.env.PATH, HOME: home, CLAUDE_CONFIG_DIR: claudeDir, TZ: "UTC", NO_COLOR: "1" }
  const run = (sub: string) => repeat(`ccusage ${sub} --json --offline -z UTC`, runs, () => measure(installed.bin, [sub, "--json", "--offline", "-z", "UTC"], { env, cwd: home }))
  try {
    const daily = await run("daily")
    out.commands.push(daily.summary)
    log(`${daily.summary.label}: ${daily.summary.wallMs.toFixed(0)} ms, peak RSS ${daily.summary.peakRssMiB.toFixed(0)} MiB`)
    const dailyJson = JSON.parse(daily.last.stdout) as { daily: Array<CcusageRow & { period: string }>; totals: CcusageRow }
    const byModel: Record<string, Totals> = {}
    for (const row of dailyJson.daily) {
      for (const model of row.modelBreakdowns ?? []) {
        const target = (byModel[model.modelName] ??= { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, cost: 0 })
        const add = ccTotals(model)
        for (const key of Object.keys(target) as Array<keyof Totals>) target[key] += add[key]
      }
    }
    const byDay = Object.fromEntries(dailyJson.daily.map((row) => [row.period, ccTotals(row)]))
    out.daily = { totals: ccTotals(dailyJson.totals), rows: dailyJson.daily.length, byModel, byDay }
    const session = await run("session")
    out.commands.push(session.summary)
    log(`${session.summary.label}: ${session.summary.wallMs.toFixed(0)} ms, peak RSS ${session.summary.peakRssMiB.toFixed(0)} MiB`)
    const sessionJson = JSON.parse(session.last.stdout) as { session: CcusageRow[]; totals: CcusageRow }
    out.session = { totals: ccTotals(sessionJson.totals), rows: sessionJson.session.length }
  } catch (error) {
    out.error = (error as Error).message
    log(`ccusage failed: ${out.error}`)
    return out
  }
  const spoolTotals = result.spool.totals
  const cc = out.daily.totals
  out.diff = Object.fromEntries(
    (["input", "output", "cacheRead", "cacheWrite", "cost"] as const).map((key) => {
      const delta = cc[key] - spoolTotals[key]
      return [key, { spool: spoolTotals[key], ccusage: cc[key], delta, pct: spoolTotals[key] ? (delta / spoolTotals[key]) * 100 : 0 }]
    }),
  ) as NonNullable<typeof out.diff>
  const models = [...new Set([...Object.keys(result.spool.byModel), ...Object.keys(out.daily.byModel)])].sort()
  out.byModelDiff = models.map((model) => ({ model, spool: result.spool.byModel[model], ccusage: out.daily!.byModel[model] }))
  const sameTokens = (a?: Totals, b?: Totals) => !!a && !!b && a.input === b.input && a.output === b.output && a.cacheRead === b.cacheRead && a.cacheWrite === b.cacheWrite
  out.days = {
    spool: Object.keys(result.spool.byDay).length,
    ccusage: Object.keys(out.daily.byDay).length,
    matching: Object.keys(out.daily.byDay).filter((day) => sameTokens(result.spool.byDay[day], out.daily!.byDay[day])).length,
  }
  out.explanation = explain(out)
  return out
}

/** Why the totals differ (or that they agree), from the numbers. */
function explain(cc: NonNullable<ImportBenchResult["ccusage"]>): string[] {
  const notes: string[] = []
  const diff = cc.diff!
  const tokenKeys = ["input", "output", "cacheRead", "cacheWrite"] as const
  const tokensEqual = tokenKeys.every((key) => diff[key].delta === 0)
  if (tokensEqual) {
    notes.push(
      "Token totals agree exactly: both dedupe a response by message.id + requestId and keep one usage per response " +
        "(ccusage ≥ 20 keeps the streaming split's largest usage line, as Spool does), and every copy in the tree has fresh ids.",
    )
  } else {
    for (const key of tokenKeys) {
      if (diff[key].delta !== 0) notes.push(`${key}: ccusage ${diff[key].delta > 0 ? "+" : ""}${diff[key].delta} (${diff[key].pct.toFixed(2)} %) vs Spool`)
    }
    notes.push(
      "Token differences come from the handling of streaming splits (several lines per response with growing output_tokens: " +
        "a reader that keeps the first line under-counts output, one that sums lines over-counts) and of sidechain replays.",
    )
  }
  if (Math.abs(diff.cost.delta) > 1e-6 * Math.max(1, Math.abs(diff.cost.spool))) {
    for (const row of cc.byModelDiff ?? []) {
      const s = row.spool
      const c = row.ccusage
      if (!s || !c || Math.abs(s.cost - c.cost) <= 1e-6 * Math.max(1, c.cost)) continue
      const sameTokens = s.input === c.input && s.output === c.output && s.cacheRead === c.cacheRead && s.cacheWrite === c.cacheWrite
      notes.push(
        s.cost === 0
          ? `${row.model}: Spool $0 vs ccusage $${c.cost.toFixed(2)}${sameTokens ? " on equal tokens" : ""}: Spool's bundled price table (src/provider/models.ts) has no price for this model, so its steps are stored with cost 0.`
          : `${row.model}: Spool $${s.cost.toFixed(2)} vs ccusage $${c.cost.toFixed(2)}${sameTokens ? " on equal tokens" : ""}: the price tables differ (Spool's bundled table vs ccusage's offline LiteLLM snapshot), or the cache-write tier (ccusage prices 1-hour cache writes at 2× input).`,
      )
    }
    notes.push(`Cost in total: ccusage ${diff.cost.delta > 0 ? "+" : ""}$${diff.cost.delta.toFixed(2)} (${diff.cost.pct.toFixed(2)} %) vs Spool.`)
  }
  if (cc.days && (cc.days.matching !== cc.days.ccusage || cc.days.spool !== cc.days.ccusage)) {
    notes.push(
      `Daily grouping differs: \`spool stats\` reports ${cc.days.spool} day(s), ccusage ${cc.days.ccusage} (${cc.days.matching} with equal tokens). ` +
        "Spool groups (and filters --since) by part.time_created (src/session/usage-report.ts:61,63,79), which the importer sets to the " +
        "time of the import, not of the step (src/importer/store.ts:47-49 → src/session/repository.ts:229): all imported usage lands on the import day.",
    )
  }
  if (cc.session && cc.daily) {
    const a = cc.session.totals
    const b = cc.daily.totals
    const same = a.input === b.input && a.output === b.output && a.cacheRead === b.cacheRead && a.cacheWrite === b.cacheWrite && Math.abs(a.cost - b.cost) < 1e-6 * Math.max(1, b.cost)
    if (!same) notes.push(`ccusage's session totals differ from its daily totals: ${JSON.stringify(a)} vs ${JSON.stringify(b)}.`)
  }
  return notes
}

// --- report ----------------------------------------------------------------------------------------

function fmt(value: number | undefined, digits = 0): string {
  if (value === undefined || Number.isNaN(value)) return "–"
  return value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits })
}

function markdown(result: ImportBenchResult): string {
  const { tree, spool: s, ccusage: cc } = result
  const lines: string[] = []
  lines.push(
    `Tree: ${fmt(tree.megabytes, 1)} MB, ${fmt(tree.files)} files in ${tree.projects} projects, ${fmt(tree.records)} records; ` +
      `largest ${fmt(tree.largest[0].bytes / MB, 1)} MB (one session, ${fmt(tree.largest[0].records)} records); ` +
      `${tree.classes.small} small files (${fmt(tree.classes.smallBytes / MB, 1)} MB).`,
    "",
  )
  for (const attempt of s.attempts.filter((item) => item.exitCode !== 0)) {
    lines.push(
      `**spool import FAILED** on the tree whose largest session is ${fmt(attempt.largestMB, 1)} MB (${fmt(attempt.largestRecords)} records), ` +
        `after ${fmt(attempt.wallMs / 1000, 1)} s at ${fmt(attempt.peakRssMiB)} MiB peak RSS: \`${attempt.error}\`. ` +
        `The numbers below are for the same-size tree with that half split over ${s.attempts.at(-1)!.hugeFiles} sessions.`,
      "",
    )
  }
  const ccDaily = cc?.commands.find((command) => command.label.startsWith("ccusage daily"))
  const ccSession = cc?.commands.find((command) => command.label.startsWith("ccusage session"))
  const row = (metric: string, spoolValue: string, ccValue: string) => `| ${metric} | ${spoolValue} | ${ccValue} |`
  lines.push(`| metric | Spool | ccusage ${cc?.version ?? ""} |`.replace(/ \|$/, " |"), "| --- | ---: | ---: |")
  lines.push(row("import wall (s)", fmt(s.import.wallMs / 1000, 2), "–"))
  lines.push(row("throughput (MB/s)", fmt(s.import.mbPerSec, 2), ccDaily ? fmt(tree.bytes / MB / (ccDaily.wallMs / 1000), 1) + " (daily)" : "–"))
  lines.push(row("throughput (records/s)", fmt(s.import.recordsPerSec), ccDaily ? fmt(tree.records / (ccDaily.wallMs / 1000)) + " (daily)" : "–"))
  lines.push(row("import peak RSS (MiB)", fmt(s.import.peakRssMiB), "–"))
  lines.push(row("database size (MiB)", fmt(s.import.dbMiB), "–"))
  lines.push(row("re-import, all unchanged (s)", fmt(s.reimport.wallMs / 1000, 2), "–"))
  lines.push(row("re-import peak RSS (MiB)", fmt(s.reimport.peakRssMiB), "–"))
  const statsDay = s.stats.find((command) => command.label === "spool stats --json")
  const statsModel = s.stats.find((command) => command.label.includes("--by model"))
  const statsSession = s.stats.find((command) => command.label.includes("--by session"))
  lines.push(row("report by day (ms)", `${fmt(statsDay?.wallMs)} (stats)`, ccDaily ? `${fmt(ccDaily.wallMs)} (daily)` : "–"))
  lines.push(row("report by model (ms)", `${fmt(statsModel?.wallMs)} (stats --by model)`, "–"))
  lines.push(row("report by session (ms)", `${fmt(statsSession?.wallMs)} (stats --by session)`, ccSession ? `${fmt(ccSession.wallMs)} (session)` : "–"))
  lines.push(
    row(
      "report peak RSS (MiB)",
      fmt(Math.max(...s.stats.map((command) => command.peakRssMiB))),
      cc?.commands.length ? fmt(Math.max(...cc.commands.map((command) => command.peakRssMiB))) : "–",
    ),
  )
  lines.push("")
  lines.push(`Totals (expected from the fixtures: ${s.expected.matches ? "match" : "MISMATCH"}; ${fmt(s.totals.sessions)} sessions, ${fmt(s.totals.steps)} steps):`, "")
  const days = cc?.days ? `${cc.days.spool} vs ${cc.days.ccusage} (${cc.days.matching} equal)` : "–"
  lines.push("| total | Spool stats | ccusage daily | ccusage − Spool |", "| --- | ---: | ---: | ---: |")
  for (const key of ["input", "output", "cacheRead", "cacheWrite", "cost"] as const) {
    const d = cc?.diff?.[key]
    const digits = key === "cost" ? 2 : 0
    lines.push(`| ${key === "cost" ? "cost ($)" : key} | ${fmt(s.totals[key], digits)} | ${d ? fmt(d.ccusage, digits) : "–"} | ${d ? `${fmt(d.delta, digits)} (${d.pct.toFixed(2)} %)` : "–"} |`)
  }
  lines.push(`| days reported | ${Object.keys(s.byDay).length} | ${cc?.days?.ccusage ?? "–"} | ${days} |`)
  if (s.scaling?.length) {
    lines.push("", "Peak RSS of `spool import` of ONE session, by its size:", "", "| session (MB) | records | wall (s) | MB/s | peak RSS (MiB) |", "| ---: | ---: | ---: | ---: | ---: |")
    for (const item of s.scaling) lines.push(`| ${fmt(item.mb, 1)} | ${fmt(item.records)} | ${fmt(item.wallMs / 1000, 2)} | ${fmt(item.mbPerSec, 2)} | ${item.error ? `FAILED: ${item.error}` : fmt(item.peakRssMiB)} |`)
  }
  if (cc?.error) lines.push("", `ccusage: ${cc.error}`)
  if (cc?.explanation.length) lines.push("", ...cc.explanation.map((note) => `- ${note}`))
  return lines.join("\n")
}

// --- CLI -------------------------------------------------------------------------------------------

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values: args } = parseArgs({
    options: {
      quick: { type: "boolean", default: false },
      mb: { type: "string" },
      "no-ccusage": { type: "boolean", default: false },
      "ccusage-version": { type: "string" },
      "ccusage-dir": { type: "string" },
      runs: { type: "string" },
      scaling: { type: "boolean", default: false },
      keep: { type: "boolean", default: false },
      out: { type: "string", default: join(REPO_ROOT, "bench", "import-results.json") },
      help: { type: "boolean", short: "h", default: false },
    },
  })
  if (args.help) {
    process.stdout.write("usage: node bench/import.ts [--quick] [--mb N] [--no-ccusage] [--ccusage-version V] [--ccusage-dir DIR] [--runs N] [--scaling] [--keep] [--out FILE]\n")
    process.exit(0)
  }
  const result = await importBench({
    quick: args.quick,
    megabytes: args.mb ? Number(args.mb) : undefined,
    ccusage: !args["no-ccusage"],
    ccusageVersion: args["ccusage-version"],
    ccusageDir: args["ccusage-dir"],
    runs: args.runs ? Number(args.runs) : undefined,
    scalingMB: args.scaling ? (args.quick ? [1, 2, 4, 8] : [2.5, 5, 10, 20, 40]) : undefined,
    keep: args.keep,
  })
  writeFileSync(args.out, JSON.stringify(result, null, 2) + "\n")
  process.stdout.write(result.markdown + "\n")
  process.stderr.write(`[import-bench] wrote ${args.out}\n`)
}

/**
 * Spawning the servers under test as child processes, each isolated in its own temp directories:
 * Spool (`node dist/spool.js serve`, the production bundle, or `node src/cli/main.ts serve`; data in
 * `SPOOL_DATA_DIR`) and, when installed, the real
 * OpenCode server (`opencode serve`, npm `opencode-ai`, started offline as in
 * `test/compat/start-opencode.sh`: clean environment, HOME and XDG_* in temp dirs, outbound fetches
 * disabled, `--pure`). Also: free ports, a scratch git repository, readiness polling (cold start),
 * RSS from `/proc/<pid>/status`, and stopping (SIGTERM, then SIGKILL of the child's process group).
 */
import { spawn, execFileSync, type ChildProcess } from "node:child_process"
import { existsSync, mkdirSync, mkdtempSync, openSync, closeSync, readFileSync, writeFileSync } from "node:fs"
import { createServer } from "node:net"
import { arch, tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { performance } from "node:perf_hooks"
import { setTimeout as sleep } from "node:timers/promises"
import { fileURLToPath } from "node:url"

export type ServerKind = "spool" | "opencode"

/** Root of the Spool checkout (this file is `bench/lib/servers.ts`). */
export const REPO_ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)))

/** A server child process. `spawnedAt` is `performance.now()` just before `spawn()`. */
export interface ServerProcess {
  kind: ServerKind
  url: string
  pid: number
  child: ChildProcess
  spawnedAt: number
  logFile: string
  /** Resolves with the exit code or signal once the process has exited. */
  exited: Promise<string>
  /** SIGTERM to the process group, SIGKILL after `graceMs` (default 3 s); resolves once exited. */
  stop(graceMs?: number): Promise<void>
}

/** Where and how to run one server: a scratch root holding home/XDG/data dirs and the log. */
export interface SpawnOptions {
  port: number
  /** Scratch directory (created if missing) for HOME, XDG_* and the data directory. */
  root: string
  /** Working directory of the server (a git repo; OpenCode derives its default instance from it). */
  cwd: string
}

/** Asks the OS for a free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      const port = typeof address === "object" && address ? address.port : 0
      server.close(() => resolvePort(port))
    })
  })
}

/** A fresh temp directory under `$TMPDIR` named `spool-bench-<label>-XXXXXX`. */
export function tempDir(label: string): string {
  return mkdtempSync(join(tmpdir(), `spool-bench-${label}-`))
}

/** Creates a git repository with one commit in `dir` (its root commit gives it its own projectID). */
export function makeGitRepo(dir: string): string {
  mkdirSync(dir, { recursive: true })
  const git = (...args: string[]) => execFileSync("git", ["-c", "user.email=bench@example.invalid", "-c", "user.name=bench", ...args], { cwd: dir, stdio: "ignore" })
  git("init", "-q")
  writeFileSync(join(dir, "README.md"), `bench repo ${process.hrtime.bigint()}\n`)
  git("add", "README.md")
  git("commit", "-qm", "init")
  return dir
}

/** Environment shared by both servers: nothing from the caller but PATH, every config/data dir in `root`. */
function isolatedEnv(root: string): NodeJS.ProcessEnv {
  const dirs = { HOME: "home", XDG_CONFIG_HOME: "config", XDG_DATA_HOME: "data", XDG_CACHE_HOME: "cache", XDG_STATE_HOME: "state" }
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin", LANG: "C.UTF-8" }
  for (const [name, sub] of Object.entries(dirs)) {
    env[name] = join(root, sub)
    mkdirSync(env[name]!, { recursive: true })
  }
  return env
}

function start(kind: ServerKind, command: string, args: string[], env: NodeJS.ProcessEnv, options: SpawnOptions): ServerProcess {
  mkdirSync(options.root, { recursive: true })
  const logFile = join(options.root, `${kind}.log`)
  const log = openSync(logFile, "a")
  const spawnedAt = performance.now()
  // detached: its own process group, so stop() also reaches any helper processes it spawned.
  const child = spawn(command, args, { cwd: options.cwd, env, stdio: ["ignore", log, log], detached: true })
  closeSync(log)
  const exited = new Promise<string>((done) => child.once("exit", (code, signal) => done(signal ?? String(code))))
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal)
    } catch {
      // already gone
    }
  }
  return {
    kind,
    url: `http://127.0.0.1:${options.port}`,
    pid: child.pid!,
    child,
    spawnedAt,
    logFile,
    exited,
    async stop(graceMs = 3000) {
      if (child.exitCode !== null || child.signalCode !== null) {
        signalGroup("SIGKILL")
        return
      }
      signalGroup("SIGTERM")
      const timer = setTimeout(() => signalGroup("SIGKILL"), graceMs)
      await exited
      clearTimeout(timer)
      signalGroup("SIGKILL") // leftover helpers in the group, if any
    },
  }
}

/**
 * The entry point to run Spool from a checkout: its production bundle `dist/spool.js` (what
 * `npm start` runs), built first with `scripts/bundle.ts --if-stale`; or, with `source` or for a
 * checkout without that script (an older commit in an A/B run), `src/cli/main.ts`.
 */
export function prepareSpool(checkout = REPO_ROOT, options: { source?: boolean } = {}): string {
  if (options.source || !existsSync(join(checkout, "scripts", "bundle.ts"))) return join(checkout, "src", "cli", "main.ts")
  execFileSync(process.execPath, [join(checkout, "scripts", "bundle.ts"), "--if-stale"], { cwd: checkout, stdio: ["ignore", "ignore", "inherit"] })
  return join(checkout, "dist", "spool.js")
}

/**
 * Spawns `node <entry> serve` (see `prepareSpool`; default the sources of this checkout) with the
 * running Node binary (Node 24 under `npm run bench`).
 */
export function spawnSpool(options: SpawnOptions, entry = join(REPO_ROOT, "src", "cli", "main.ts")): ServerProcess {
  const env = { ...isolatedEnv(options.root), SPOOL_DATA_DIR: join(options.root, "spool-data") }
  const args = [entry, "serve", "--port", String(options.port), "--hostname", "127.0.0.1", "--dir", options.cwd]
  return start("spool", process.execPath, args, env, options)
}

/**
 * The OpenCode binary under `installDir` (where `npm install opencode-ai@X` went): the platform
 * package's binary (the wrapper's postinstall may have been skipped), else `node_modules/.bin/opencode`.
 */
export function findOpenCode(installDir: string): string | undefined {
  const cpu = arch()
  for (const name of [`opencode-linux-${cpu}`, `opencode-linux-${cpu}-baseline`, `opencode-linux-${cpu}-musl`, `opencode-darwin-${cpu}`]) {
    const bin = join(installDir, "node_modules", name, "bin", "opencode")
    if (existsSync(bin)) return bin
  }
  const wrapper = join(installDir, "node_modules", ".bin", "opencode")
  return existsSync(wrapper) ? wrapper : undefined
}

/** `opencode --version` of a binary, or undefined when it does not run. */
export function openCodeVersion(bin: string): string | undefined {
  try {
    return execFileSync(bin, ["--version"], { encoding: "utf8", timeout: 20_000, stdio: ["ignore", "pipe", "ignore"] }).trim()
  } catch {
    return undefined
  }
}

/**
 * The env vars that stop OpenCode from reaching the network: the `OPENCODE_DISABLE_*` set of
 * test/compat/start-opencode.sh, plus npm config that makes its first-run background install of
 * `@opencode-ai/plugin` into `$XDG_CONFIG_HOME/opencode` fail at once (it reads npm config from the
 * environment through `@npmcli/config`); without them, where the npm registry is reachable, every
 * fresh config dir downloads ~30 packages while the benchmark runs.
 */
const OPENCODE_OFFLINE = {
  npm_config_offline: "true",
  npm_config_registry: "http://127.0.0.1:9/",
  OPENCODE_DISABLE_MODELS_FETCH: "1",
  OPENCODE_DISABLE_AUTOUPDATE: "1",
  OPENCODE_DISABLE_SHARE: "1",
  OPENCODE_DISABLE_LSP_DOWNLOAD: "1",
  OPENCODE_DISABLE_DEFAULT_PLUGINS: "1",
  OPENCODE_DISABLE_CLAUDE_CODE: "1",
}

/** Spawns `opencode serve --pure` offline with HOME/XDG_* under `options.root`. */
export function spawnOpenCode(bin: string, options: SpawnOptions): ServerProcess {
  const env = { ...isolatedEnv(options.root), ...OPENCODE_OFFLINE }
  const args = ["serve", "--pure", "--port", String(options.port), "--hostname", "127.0.0.1"]
  return start("opencode", bin, args, env, options)
}

/**
 * Polls `GET /session?directory=<directory>` every `intervalMs` until one answers 200 and returns the
 * milliseconds from spawn to that answer. A new poll starts every `intervalMs` whether or not earlier
 * ones were answered (up to `maxInFlight` unanswered), because OpenCode 1.18.33 accepts connections
 * for ~0.5 s before it prints "listening" and never answers the requests sent on them: a sequential
 * poller would sit on such a request until its timeout. Each poll gives up after `requestTimeoutMs`.
 * @throws when the process exits or `timeoutMs` passes first.
 */
export async function waitUntilReady(
  server: ServerProcess,
  directory: string,
  options: { intervalMs?: number; timeoutMs?: number; requestTimeoutMs?: number; maxInFlight?: number } = {},
): Promise<number> {
  const { intervalMs = 5, timeoutMs = 60_000, requestTimeoutMs = 60_000, maxInFlight = 256 } = options
  const url = `${server.url}/session?directory=${encodeURIComponent(directory)}`
  const stopAll = new AbortController()
  let exited: string | undefined
  let readyAt: number | undefined
  let inFlight = 0
  void server.exited.then((how) => (exited = how))
  const poll = async () => {
    inFlight++
    try {
      const response = await fetch(url, { signal: AbortSignal.any([stopAll.signal, AbortSignal.timeout(requestTimeoutMs)]) })
      await response.arrayBuffer()
      if (response.status === 200) readyAt ??= performance.now()
    } catch {
      // not listening yet, timed out, or aborted once ready
    } finally {
      inFlight--
    }
  }
  try {
    while (readyAt === undefined) {
      if (exited !== undefined) throw new Error(`${server.kind} exited (${exited}) before answering; see ${server.logFile}`)
      if (performance.now() - server.spawnedAt > timeoutMs) throw new Error(`${server.kind} did not answer 200 within ${timeoutMs} ms; see ${server.logFile}`)
      if (inFlight < maxInFlight) void poll()
      await sleep(intervalMs)
    }
    return readyAt - server.spawnedAt
  } finally {
    stopAll.abort()
  }
}

/** Resident set size and its peak of a live process, in MiB (`VmRSS`, `VmHWM` of `/proc/<pid>/status`). */
export function memoryMiB(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8")
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? Number.NaN) / 1024
  return { rss: field("VmRSS"), peak: field("VmHWM") }
}

let clockTicks: number | undefined

/**
 * CPU time (user + system, all threads) a live process has used so far, in ms, from
 * `/proc/<pid>/stat` (resolution one clock tick, usually 10 ms).
 */
export function cpuMs(pid: number): number {
  clockTicks ??= Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ") // fields[0] is field 3 (state)
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / clockTicks
}

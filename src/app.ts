import { serve, type ServerType } from "@hono/node-server"
import { createRequire } from "node:module"
import { join, resolve } from "node:path"
import type { AddressInfo } from "node:net"
import { fileURLToPath } from "node:url"
import { createAuth } from "./auth/index.ts"
import { createBus } from "./bus/index.ts"
import { configDirectory, dataDirectory, loadConfig, type Config } from "./config/index.ts"
import { createServer } from "./server/index.ts"
import { createShellRunner } from "./session/shell.ts"
import { createPermissionRegistry } from "./permission/index.ts"
import {
  collectGarbage,
  createPrefixTracker,
  createProjectCache,
  createPromptRunner,
  createReadRecordStore,
  createReverter,
  createSnapshotRegistry,
  createSessionQueries,
  createSessionService,
  createStatusMap,
  createWriter,
  recoverInterrupted,
} from "./session/index.ts"
import { openSqlite } from "./storage/index.ts"
import { createFileGuardRegistry, shellEnvironment } from "./tool/index.ts"
import { loadInstructions } from "./instruction/index.ts"
import type { ImportInput } from "./importer/discover.ts"
import type { ImportOptions } from "./importer/run.ts"
import { createLogger, type Logger } from "./util/log.ts"

/** Spool's version, from package.json; stamped on sessions as `version`. */
export const VERSION: string = (createRequire(import.meta.url)("../package.json") as { version: string }).version

/** Options of the composition root; everything else comes from env and config files. */
export interface AppOptions {
  /** Data directory (default: `dataDirectory(env)`). */
  dataDir?: string
  /** Directory for requests that name none, and where project config is read (default: process cwd). */
  cwd?: string
  /** Default model `provider/model`; wins over config and `SPOOL_MODEL`. */
  model?: string
  /** Server password (`spool serve --password`); wins over `SPOOL_SERVER_PASSWORD` and `OPENCODE_SERVER_PASSWORD`. */
  password?: string
  env?: NodeJS.ProcessEnv
  log?: Logger
}

/**
 * The composition root: opens storage (running migrations and crash recovery), builds the bus,
 * session services and HTTP app, and wires them. The only place that reads env and picks
 * implementations.
 */
export async function createApp(options: AppOptions = {}) {
  const env = options.env ?? process.env
  const cwd = resolve(options.cwd ?? process.cwd())
  const log = options.log ?? createLogger()
  const dataDir = options.dataDir ?? dataDirectory(env)
  // The server directory's project (three git commands) resolves while the database opens.
  const projects = createProjectCache()
  void projects.resolve(cwd).catch(() => {})
  const db = await openSqlite(join(dataDir, "spool.db"))
  const bus = createBus()
  const writer = createWriter(db, bus)
  await recoverInterrupted(writer, log)

  let config: Config = loadConfig(cwd, env)
  // The agent's shell commands get the user's environment, not Spool's (no `node_modules/.bin` of
  // Spool's on PATH, no npm_*, no Spool secrets unless `shell.passEnv` lists them); recomputed on reload.
  // Spool's root is `..` of this file in both layouts (src/app.ts, dist/spool.js), as for VERSION.
  const commandEnv = () =>
    shellEnvironment(env, {
      spoolRoot: fileURLToPath(new URL("..", import.meta.url)),
      pass: config.shell?.passEnv,
      secrets: Object.values(config.provider ?? {}).flatMap((provider) => (provider.options?.apiKey ? [provider.options.apiKey] : [])),
    })
  let shellEnv = commandEnv()
  const status = createStatusMap(bus)
  // Revert and delete-message refuse busy sessions; the prompt runner (built below) knows. The closure
  // breaks the construction cycle.
  let busy: (sessionID: string) => boolean = () => false
  const sessions = createSessionService({ writer, projects, busy: (sessionID) => busy(sessionID), version: VERSION, config: () => config })
  const snapshots = createSnapshotRegistry({ dataDir, enabled: config.snapshot?.enabled, maxFileBytes: config.snapshot?.maxFileBytes })
  // Read records in the database: shared by every process on the data dir and kept across restarts.
  const files = createFileGuardRegistry({ lockDir: join(dataDir, "locks"), store: createReadRecordStore(db) })
  const reverter = createReverter({ writer, sessions, projects, snapshots, busy: (sessionID) => busy(sessionID) })
  const reportedProblems = new Set<string>()
  // Pending permission requests; an `always` reply appends its allow rules to the session (as PATCH does).
  const permissions = createPermissionRegistry({
    bus,
    approve: async (sessionID, rules) => {
      await writer.patchSession(sessionID, (info) => ({ ...info, permission: [...(info.permission ?? []), ...rules], time: { ...info.time, updated: Date.now() } }))
    },
  })
  const prompts = createPromptRunner({
    prefixes: createPrefixTracker(),
    instructions: async (directory, worktree) => {
      const loaded = await loadInstructions({ directory, worktree, config, env, home: env.HOME })
      for (const problem of loaded.problems) {
        const key = `${problem.path}\0${problem.message}`
        if (reportedProblems.has(key)) continue
        reportedProblems.add(key)
        log.warn(problem, "instruction file problem")
      }
      return loaded.text || undefined
    },
    snapshots,
    reverter,
    files,
    permissions,
    writer,
    status,
    sessions,
    projects,
    log,
    env,
    shellEnv: () => shellEnv,
    config: () => config,
    defaultModel: () => options.model ?? config.model ?? env.SPOOL_MODEL,
  })
  busy = prompts.busy
  bus.subscribe((event) => {
    if (event.type === "session.deleted") files.forget((event.properties as { sessionID: string }).sessionID)
  })
  // Authentication (src/auth): the password from the flag or env (OpenCode's names too, for a drop-in), tokens from the database.
  const auth = createAuth({
    db,
    password: options.password || env.SPOOL_SERVER_PASSWORD || env.OPENCODE_SERVER_PASSWORD || undefined,
    username: env.SPOOL_SERVER_USERNAME || env.OPENCODE_SERVER_USERNAME || undefined,
  })
  let boundHostname: string | undefined
  const access = () => ({ ...config.server, boundHostname })
  // `!` commands of OpenCode's TUI (`POST /session/:id/shell`): the bash tool's process handling and environment.
  const defaultModel = () => options.model ?? config.model ?? env.SPOOL_MODEL
  const shell = createShellRunner({ writer, sessions, status, projects, log, config: () => config, defaultModel, shellEnv: () => shellEnv, busy: prompts.busy })
  // Revert and delete-message also refuse a session while a `!` command runs in it.
  busy = (sessionID) => prompts.busy(sessionID) || shell.busy(sessionID)
  const tui = { config: () => config, env, defaultModel, projects, dataDir, configDir: configDirectory(env), shell }
  // Read-only queries across sessions and projects for the web UI (cross-project list, search, usage).
  const queries = createSessionQueries({ db, config: () => config })
  const http = createServer({ sessions, prompts, reverter, status, bus, log, cwd, version: VERSION, access, credentials: auth, permissions, tui, queries })
  const gc = () => collectGarbage({ db, dataDir, snapshots, projects, log })

  let listening: ServerType | undefined
  const timers: NodeJS.Timeout[] = []

  return {
    dataDir,
    db,
    bus,
    sessions,
    prompts,
    reverter,
    snapshots,
    status,
    permissions,
    http,
    auth,
    log,
    /** Imports sessions of other tools (see `importer/run.ts`); parsers are passed in to keep them lazy. */
    async importSessions(inputs: ImportInput[], options: Pick<ImportOptions, "force" | "onProgress" | "parsers">) {
      const { runImport } = await import("./importer/run.ts")
      return runImport({ db, projects, version: VERSION, inputs, config, ...options })
    },
    /** Prunes snapshot trees no session references and deletes orphaned stores. */
    gc,
    /** Runs `gc` one minute after start and then hourly, in the background (`spool serve`). */
    scheduleGc() {
      const run = () => void gc().then((report) => log.info(report, "snapshot gc"), (error) => log.warn({ err: error }, "snapshot gc failed"))
      const first = setTimeout(run, 60_000)
      const hourly = setInterval(run, 3_600_000)
      first.unref()
      hourly.unref()
      timers.push(first, hourly)
    },
    /** Re-reads config files (e.g. after editing spool.json). */
    reloadConfig() {
      config = loadConfig(cwd, env)
      shellEnv = commandEnv()
    },
    /** Listens on `hostname:port` (port 0 = any free port); resolves with the bound URL. */
    listen(port: number, hostname: string): Promise<string> {
      return new Promise((resolveListen, reject) => {
        boundHostname = hostname
        const server = serve({ fetch: http.fetch, port, hostname }, (info: AddressInfo) => {
          resolveListen(`http://${info.address.includes(":") ? `[${info.address}]` : info.address}:${info.port}`)
        })
        server.once("error", reject)
        listening = server
      })
    },
    /** Aborts running turns, stops listening and closes the database. */
    async close() {
      for (const timer of timers) clearTimeout(timer)
      await prompts.stopAll()
      if (listening) {
        const server = listening
        await new Promise<void>((done) => {
          ;(server as { closeAllConnections?: () => void }).closeAllConnections?.()
          server.close(() => done())
        })
      }
      await db.destroy()
    },
  }
}

export type App = Awaited<ReturnType<typeof createApp>>

import { InvalidArgumentError } from "commander"
import type { App, AppOptions } from "../app.ts"
import { createLogger } from "../util/log.ts"

/**
 * Shared pieces of the `spool` commands. The composition root (and with it the AI SDK, Hono, SQLite…)
 * is imported only when a command runs, so `--help` and option errors answer at once.
 */

/**
 * Makes stdout and stderr safe to close early (`spool session list | head`): when the reader goes away
 * (EPIPE), the rest of that stream's output is dropped quietly and the command finishes normally —
 * stores what it was storing, closes the database — instead of crashing on an unhandled `error` event.
 * Other stream errors are rethrown. Called once, by `main.ts`, before any command runs.
 */
export function guardBrokenPipes(streams: NodeJS.WriteStream[] = [process.stdout, process.stderr]): void {
  for (const stream of streams) {
    stream.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code !== "EPIPE") throw error
      stream.write = (() => true) as typeof stream.write
    })
  }
}

/** Creates the app (see `createApp`), loading it on first use. */
export async function openApp(options: AppOptions) {
  // A data directory that cannot be written fails now, not after loading the app (or a minute of lock retries).
  ;(await import("../preflight.ts")).checkDataDirectory(options)
  const { createApp } = await import("../app.ts")
  return createApp(options)
}

/**
 * The id of the session a user named on the command line: an id, a unique id prefix or a slug (see
 * `resolveSessionID`, loaded on first use). @throws NotFoundError (with "did you mean …"), BadRequestError (ambiguous)
 */
export async function sessionIDFrom(app: Pick<App, "sessions">, reference: string): Promise<string> {
  const { resolveSessionID } = await import("./resolve-session.ts")
  return resolveSessionID(app.sessions, reference)
}

/** Opens the app for `dir` (logs at `warn` unless `SPOOL_LOG_LEVEL`), runs `action`, always closes it. */
export async function withApp(dir: string, action: (app: App) => Promise<void>): Promise<void> {
  const app = await openApp({ cwd: dir, log: createLogger(process.env.SPOOL_LOG_LEVEL ?? "warn") })
  try {
    await action(app)
  } finally {
    await app.close()
  }
}

/**
 * One line for an error a CLI user should read: `Name: message` for Spool's named errors (with the
 * config file for `ConfigInvalidError`), the bare message otherwise. No stack trace: a user error is
 * not a crash. The stack is printed too when `SPOOL_LOG_LEVEL` is `debug` or `trace`.
 */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error)
  const data = (error as { data?: { path?: unknown } }).data
  const named = data !== undefined && typeof data === "object" && error.name !== "Error"
  const where = named && typeof data.path === "string" ? `${data.path}: ` : ""
  const line = named ? `${error.name}: ${where}${error.message}` : error.message
  const debug = ["debug", "trace"].includes(process.env.SPOOL_LOG_LEVEL ?? "")
  return debug && error.stack ? `${line}\n${error.stack}` : line
}

/** Writes `error: …` to stderr (see `describeError`). */
export function printError(error: unknown): void {
  process.stderr.write(`error: ${describeError(error)}\n`)
}

/** Commander option parser for `provider/model` (the rule of `parseModel`: both sides non-empty). */
export function modelOption(value: string): string {
  const slash = value.indexOf("/")
  if (slash <= 0 || slash === value.length - 1) throw new InvalidArgumentError(`expected provider/model, e.g. anthropic/claude-sonnet-4-5`)
  return value
}

/** Commander option parser for a TCP port (0 = any free port). */
export function portOption(value: string): string {
  const port = Number(value)
  if (!/^\d+$/.test(value) || port > 65535) throw new InvalidArgumentError("expected a port number from 0 to 65535")
  return value
}

/** Commander option parser for a positive integer. */
export function positiveIntegerOption(value: string): string {
  if (!/^[1-9]\d*$/.test(value)) throw new InvalidArgumentError("expected a positive integer")
  return value
}

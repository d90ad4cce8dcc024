import { spawn, type ChildProcess } from "node:child_process"
import { once } from "node:events"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { startFakeLLM, type FakeLLM } from "../fixture/fake-llm.ts"
import { tempDir, type TempDir } from "../fixture/tmp.ts"

/**
 * The `spool` command line as a user runs it, for the test/e2e/cli*.test.ts files: `node src/cli/main.ts …`
 * child processes on a temp data directory and a temp git repository (`hello.txt`), talking to the fake
 * LLM through the real Anthropic provider.
 */

export const MAIN = fileURLToPath(new URL("../../src/cli/main.ts", import.meta.url))
export const BIN = fileURLToPath(new URL("../../bin/spool.js", import.meta.url))
export const MODEL = "anthropic/claude-sonnet-4-5"
/** A stack trace line, which a user error must never print. */
export const STACK = /^\s+at .+[:(]/m

/** A running `spool` child process. */
export interface Cli {
  child: ChildProcess
  stdout(): string
  stderr(): string
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

/** A finished `spool` child process. */
export interface CliResult {
  code: number | null
  stdout: string
  stderr: string
}

/** Options of one command: extra environment (undefined removes a variable), stdin text, working directory. */
export interface CliOptions {
  env?: Record<string, string | undefined>
  /** Written to stdin, which is then closed; without it stdin is /dev/null. */
  input?: string
  cwd?: string
}

/** A CLI harness: the fake LLM, the repository, the data directory and ways to run `spool`. */
export interface CliHarness {
  llm: FakeLLM
  repo: TempDir
  data: TempDir
  /** The environment every command gets (data dir, config home, fake LLM credentials, no colour forcing). */
  env: Record<string, string | undefined>
  start(args: string[], options?: CliOptions): Cli
  run(args: string[], options?: CliOptions): Promise<CliResult>
  /** The `session ses_…` id `spool run` announced on stderr. */
  sessionOf(result: Pick<CliResult, "stderr">): string | undefined
  close(): Promise<void>
}

/** Starts the fake LLM and creates the temp repository and data directory (call `close()` in `afterAll`). */
export async function createCliHarness(): Promise<CliHarness> {
  const llm = await startFakeLLM()
  const repo = tempDir({ git: true, files: { "hello.txt": "hello world\n" } })
  const data = tempDir({ prefix: "spool-data-" })
  const env: Record<string, string | undefined> = {
    SPOOL_DATA_DIR: data.path,
    XDG_CONFIG_HOME: join(data.path, "config"),
    SPOOL_LOG_LEVEL: "warn",
    SPOOL_MODEL: undefined,
    ANTHROPIC_API_KEY: "test",
    ANTHROPIC_BASE_URL: llm.anthropicBaseURL,
    NO_COLOR: undefined,
    FORCE_COLOR: undefined,
  }
  const start = (args: string[], options: CliOptions = {}): Cli => {
    const merged = { ...process.env, ...env, ...options.env }
    for (const [key, value] of Object.entries(merged)) if (value === undefined) delete merged[key]
    const child = spawn(process.execPath, [MAIN, ...args], {
      cwd: options.cwd ?? repo.path,
      env: merged,
      stdio: [options.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    })
    if (options.input !== undefined) child.stdin!.end(options.input)
    let stdout = ""
    let stderr = ""
    child.stdout!.on("data", (chunk) => (stdout += chunk))
    child.stderr!.on("data", (chunk) => (stderr += chunk))
    const exited = once(child, "close").then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null }))
    return { child, stdout: () => stdout, stderr: () => stderr, exited }
  }
  const run = async (args: string[], options: CliOptions = {}): Promise<CliResult> => {
    const cli = start(args, options)
    const { code } = await cli.exited
    return { code, stdout: cli.stdout(), stderr: cli.stderr() }
  }
  return {
    llm,
    repo,
    data,
    env,
    start,
    run,
    sessionOf: (result) => /^session (ses_\w+)$/m.exec(result.stderr)?.[1],
    async close() {
      await llm.close()
      repo.cleanup()
      data.cleanup()
    },
  }
}

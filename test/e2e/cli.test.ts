import { spawn, type ChildProcess } from "node:child_process"
import { once } from "node:events"
import { mkdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import { startFakeLLM, type FakeLLM } from "../fixture/fake-llm.ts"
import { startSpool, type SpoolProcess } from "../fixture/spool-server.ts"
import { tempDir, type TempDir } from "../fixture/tmp.ts"
import { killGroup, sleepCommand, waitForExit, waitForPid } from "./process-group.ts"

/**
 * The `spool` command line as a user runs it: `node src/cli/main.ts …` child processes on a temp data
 * directory, talking to the fake LLM through the real Anthropic provider.
 */

const MAIN = fileURLToPath(new URL("../../src/cli/main.ts", import.meta.url))
const MODEL = "anthropic/claude-sonnet-4-5"
/** A stack trace line, which a user error must never print. */
const STACK = /^\s+at .+[:(]/m

interface Cli {
  child: ChildProcess
  stdout(): string
  stderr(): string
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

interface CliResult {
  code: number | null
  stdout: string
  stderr: string
}

describe("spool CLI", () => {
  let llm: FakeLLM
  let repo: TempDir
  let data: TempDir
  let server: SpoolProcess | undefined
  let sleeper: number | undefined
  let env: Record<string, string | undefined>

  const start = (args: string[], extraEnv: Record<string, string | undefined> = {}): Cli => {
    const child = spawn(process.execPath, [MAIN, ...args], { cwd: repo.path, env: { ...process.env, ...env, ...extraEnv }, stdio: ["ignore", "pipe", "pipe"] })
    let stdout = ""
    let stderr = ""
    child.stdout!.on("data", (chunk) => (stdout += chunk))
    child.stderr!.on("data", (chunk) => (stderr += chunk))
    const exited = once(child, "close").then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null }))
    return { child, stdout: () => stdout, stderr: () => stderr, exited }
  }
  const run = async (args: string[], extraEnv: Record<string, string | undefined> = {}): Promise<CliResult> => {
    const cli = start(args, extraEnv)
    const { code } = await cli.exited
    return { code, stdout: cli.stdout(), stderr: cli.stderr() }
  }
  const sessionOf = (result: CliResult) => /^session (ses_\w+)$/m.exec(result.stderr)?.[1]

  beforeAll(async () => {
    llm = await startFakeLLM()
    repo = tempDir({ git: true, files: { "hello.txt": "hello world\n" } })
    data = tempDir({ prefix: "spool-data-" })
    env = {
      SPOOL_DATA_DIR: data.path,
      XDG_CONFIG_HOME: join(data.path, "config"),
      SPOOL_LOG_LEVEL: "warn",
      SPOOL_MODEL: undefined,
      ANTHROPIC_API_KEY: "test",
      ANTHROPIC_BASE_URL: llm.anthropicBaseURL,
    }
  })

  afterAll(async () => {
    killGroup(sleeper)
    await server?.stop()
    await llm?.close()
    repo?.cleanup()
    data?.cleanup()
  })

  let sessionID: string

  test("run streams the answer on stdout and tool calls on stderr, then exits 0", async () => {
    llm.script(
      { text: ["Let me ", "look."], toolCalls: [{ name: "read", input: { filePath: "hello.txt" } }] },
      { toolCalls: [{ name: "bash", input: { command: "echo hi", description: "Say hi" } }] },
      { reasoning: "The tool output is clear.", text: ["hello.txt says ", "hello world."] },
    )
    const result = await run(["run", "What", "does hello.txt say?", "--model", MODEL, "--dir", repo.path])
    expect(result.stderr).not.toMatch(STACK)
    expect(result.code).toBe(0)
    // Each text part on its own line; nothing else (reasoning included) on stdout.
    expect(result.stdout).toBe("Let me look.\nhello.txt says hello world.\n")
    sessionID = sessionOf(result)!
    expect(sessionID).toBeDefined()
    // Each tool once per state, although `bash` reports progress (repeated `running` updates).
    expect(result.stderr.match(/→ read \{"filePath":"hello.txt"\}/g)).toHaveLength(1)
    expect(result.stderr.match(/→ bash /g)).toHaveLength(1)
    expect(result.stderr).toContain("✓ read hello.txt")
    expect(result.stderr).toContain("✓ bash Say hi")
    expect(llm.requests.slice(-3).map((request) => [request.path, request.body.model])).toEqual(Array(3).fill(["/v1/messages", "claude-sonnet-4-5"]))
    expect(llm.requests.at(-1)!.body.messages[0].content).toEqual([{ type: "text", text: "What does hello.txt say?" }])
  })

  test("run --session continues that session with its model and history", async () => {
    llm.script({ text: "Still hello world." })
    const result = await run(["run", "And now?", "--session", sessionID, "--dir", repo.path])
    expect(result.code).toBe(0)
    expect(result.stdout).toBe("Still hello world.\n")
    expect(sessionOf(result)).toBe(sessionID)
    const body = llm.requests.at(-1)!.body
    expect(body.model).toBe("claude-sonnet-4-5")
    const history = JSON.stringify(body.messages)
    expect(history).toContain("What does hello.txt say?")
    expect(history).toContain("1: hello world") // the read tool's result
    expect(JSON.stringify(body.messages.at(-1))).toContain("And now?")
  })

  test("a provider error exits 1 naming the error; so does a missing API key, without calling the provider", async () => {
    llm.script({ error: { status: 400 } })
    const failed = await run(["run", "hi", "--model", MODEL, "--dir", repo.path])
    expect(failed.code).toBe(1)
    expect(failed.stderr).toMatch(/^error: APIError: .*Invalid request/m)
    expect(failed.stderr).not.toMatch(STACK)

    const requests = llm.requests.length
    const unauthorized = await run(["run", "hi", "--model", MODEL, "--dir", repo.path], { ANTHROPIC_API_KEY: undefined })
    expect(unauthorized.code).toBe(1)
    expect(unauthorized.stderr).toMatch(/^error: ProviderAuthError/m)
    expect(unauthorized.stderr).not.toMatch(STACK)
    expect(llm.requests).toHaveLength(requests)
  })

  test("serve --port 0 --hostname 127.0.0.1 prints its URL and serves the sessions the CLI stored", async () => {
    server = await startSpool({ env, cwd: repo.path, args: ["--hostname", "127.0.0.1"] })
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    const listed = await server.client(repo.path).session.list()
    expect(listed.data?.map((session) => session.id)).toContain(sessionID)
    await server.stop()
    expect(server.child.exitCode).toBe(0)
  })

  test("session list, show and delete", async () => {
    const [list, json, show] = await Promise.all([
      run(["session", "list", "--dir", repo.path]),
      run(["session", "list", "--dir", repo.path, "--json"]),
      run(["session", "show", sessionID]),
    ])
    expect(list.code).toBe(0)
    expect(list.stdout).toMatch(new RegExp(`^${sessionID}  \\d{4}-\\d\\d-\\d\\dT.*\\$\\d+\\.\\d{4}  \\S`, "m"))
    expect(JSON.parse(json.stdout).map((session: { id: string }) => session.id)).toContain(sessionID)
    expect(show.code).toBe(0)
    expect(show.stdout).toContain(`${repo.path}\n`)
    expect(show.stdout).toContain("[user]\nWhat does hello.txt say?\n[assistant]\nLet me look.\n  (read completed)\n")
    expect(show.stdout).toContain("  (bash completed)\n")
    expect(show.stdout).toContain("[user]\nAnd now?\n[assistant]\nStill hello world.\n")

    const deleted = await run(["session", "delete", sessionID])
    expect(deleted).toMatchObject({ code: 0, stdout: `deleted ${sessionID}\n` })
    const [after, gone] = await Promise.all([run(["session", "list", "--dir", repo.path]), run(["session", "show", sessionID])])
    expect(after.stdout).not.toContain(sessionID)
    expect(gone.code).toBe(1)
    expect(gone.stderr).toBe(`error: NotFoundError: Session not found: ${sessionID}\n`)
  })

  test("--help works on every command", async () => {
    const commands = [[], ["serve"], ["run"], ["session"], ["session", "list"], ["session", "show"], ["session", "delete"]]
    const results = await Promise.all(commands.map((command) => run([...command, "--help"])))
    results.forEach((result, index) => {
      expect(result.code, commands[index].join(" ")).toBe(0)
      expect(result.stdout).toMatch(new RegExp(`^Usage: spool${commands[index].map((word) => ` ${word}`).join("")} \\[options\\]`))
    })
    expect(results[2].stdout).toContain("--session <id>")
  })

  test("user errors print one clear line and exit 1, never a stack trace", async () => {
    const badConfig = join(data.path, "bad-config")
    mkdirSync(badConfig)
    writeFileSync(join(badConfig, "spool.json"), "{ not json")
    const cases: [args: string[], message: RegExp][] = [
      [["run", "hi", "--session", "ses_doesnotexist", "--dir", repo.path], /^error: NotFoundError: Session not found: ses_doesnotexist\n$/],
      [["session", "show", "ses_doesnotexist"], /^error: NotFoundError: Session not found: ses_doesnotexist\n$/],
      [["session", "delete", "ses_doesnotexist"], /^error: NotFoundError: Session not found: ses_doesnotexist\n$/],
      [["run", "hi", "--model", "claude", "--dir", repo.path], /^error: option .*--model.* argument 'claude' is invalid\. expected provider\/model/],
      [["serve", "--port", "http"], /^error: option .*--port.* argument 'http' is invalid/],
      [["run", "hi", "--model", MODEL, "--dir", badConfig], /^error: ConfigInvalidError: .*spool\.json: /],
      [["session", "list", "--dir", badConfig], /^error: ConfigInvalidError: .*spool\.json: /],
      [["session", "nope"], /^error: unknown command 'nope'/],
    ]
    const results = await Promise.all(cases.map(([args]) => run(args)))
    results.forEach((result, index) => {
      const label = cases[index][0].join(" ")
      expect(result.code, label).toBe(1)
      expect(result.stderr, label).toMatch(cases[index][1])
      expect(result.stderr, label).not.toMatch(STACK)
      expect(result.stdout, label).toBe("")
    })
  })

  test("serve on a port in use exits 1 with a one-line error", async () => {
    server = await startSpool({ env })
    const busy = await run(["serve", "--port", new URL(server.url).port])
    expect(busy.code).toBe(1)
    expect(busy.stderr).toMatch(/^error: listen EADDRINUSE/)
    expect(busy.stderr).not.toMatch(STACK)
    await server.stop()
  })

  test("SIGINT during a run aborts the turn, kills the running command, stores the turn and exits 130", async () => {
    const pidFile = join(data.path, "run-sleep.pid")
    llm.script({ text: "Waiting.", toolCalls: [{ name: "bash", input: { command: sleepCommand(pidFile, 30), description: "Wait a long time" } }] })
    const cli = start(["run", "wait for it", "--model", MODEL, "--dir", repo.path])
    sleeper = await waitForPid(pidFile)
    await expect.poll(() => cli.stderr()).toContain("→ bash")
    cli.child.kill("SIGINT")
    const exit = await Promise.race([cli.exited, new Promise<"hung">((resolve) => setTimeout(() => resolve("hung"), 5_000))])
    expect(exit).toEqual({ code: 130, signal: null })
    expect(cli.stderr()).toMatch(/^interrupted$/m)
    expect(cli.stderr()).not.toMatch(STACK)
    expect(await waitForExit(sleeper)).toBe(true)

    const id = /^session (ses_\w+)$/m.exec(cli.stderr())![1]
    const show = await run(["session", "show", id, "--json"])
    const { messages } = JSON.parse(show.stdout) as { messages: { info: any; parts: any[] }[] }
    const answer = messages.at(-1)!
    expect(answer.info.error?.name).toBe("MessageAbortedError")
    expect(answer.info.time.completed).toBeGreaterThan(0)
    expect(answer.parts.find((part) => part.type === "tool")?.state).toMatchObject({ status: "error", error: "Tool execution aborted", metadata: { interrupted: true } })
  })
})

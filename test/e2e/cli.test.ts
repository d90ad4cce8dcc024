import { mkdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import type { FakeLLM } from "../fixture/fake-llm.ts"
import { startSpool, type SpoolProcess } from "../fixture/spool-server.ts"
import type { TempDir } from "../fixture/tmp.ts"
import { createCliHarness, MODEL, STACK, type CliHarness } from "./cli-harness.ts"
import { killGroup, sleepCommand, waitForExit, waitForPid } from "./process-group.ts"

/**
 * The `spool` command line as a user runs it: `node src/cli/main.ts …` child processes on a temp data
 * directory, talking to the fake LLM through the real Anthropic provider (see cli-harness.ts).
 */

describe("spool CLI", () => {
  let cli: CliHarness
  let llm: FakeLLM
  let repo: TempDir
  let data: TempDir
  let server: SpoolProcess | undefined
  let sleeper: number | undefined
  let env: Record<string, string | undefined>

  const start: CliHarness["start"] = (args, options) => cli.start(args, options)
  const run = (args: string[], extraEnv: Record<string, string | undefined> = {}) => cli.run(args, { env: extraEnv })
  const sessionOf: CliHarness["sessionOf"] = (result) => cli.sessionOf(result)

  beforeAll(async () => {
    cli = await createCliHarness()
    ;({ llm, repo, data, env } = cli)
  })

  afterAll(async () => {
    killGroup(sleeper)
    await server?.stop()
    await cli?.close()
  })

  let sessionID: string
  const failedSessions: string[] = []

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
    expect(result.stderr).toContain("→ bash $ echo hi\n")
    // Each outcome with an excerpt of the output (without the read tool's <path>/<content> markup).
    expect(result.stderr).toContain("✓ read hello.txt\n  │ 1: hello world\n  │ (End of file - total 1 lines)\n")
    expect(result.stderr).toContain("✓ bash Say hi\n  │ hi\n")
    expect(result.stderr).not.toMatch(/\x1b\[/) // no colour when stderr is not a terminal
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
    // It failed before its first step: the session it created is removed again.
    failedSessions.push(sessionOf(failed)!)
    expect(failed.stderr).toContain(`removed session ${sessionOf(failed)} (the run failed before its first step)`)

    const requests = llm.requests.length
    const unauthorized = await run(["run", "hi", "--model", MODEL, "--dir", repo.path], { ANTHROPIC_API_KEY: undefined })
    expect(unauthorized.code).toBe(1)
    expect(unauthorized.stderr).toMatch(/^error: ProviderAuthError/m)
    expect(unauthorized.stderr).not.toMatch(STACK)
    expect(llm.requests).toHaveLength(requests)
    failedSessions.push(sessionOf(unauthorized)!)
    expect(unauthorized.stderr).toContain(`removed session ${sessionOf(unauthorized)}`)
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
    expect(list.stdout).toMatch(new RegExp(`^${sessionID}  [a-z]+-[a-z]+  \\d{4}-\\d\\d-\\d\\dT.*\\$\\d+\\.\\d{4}  \\S`, "m"))
    const listed = JSON.parse(json.stdout).map((session: { id: string }) => session.id)
    expect(listed).toContain(sessionID)
    // The runs that failed before their first step left nothing behind.
    expect(failedSessions).toHaveLength(2)
    for (const failed of failedSessions) expect(listed).not.toContain(failed)
    expect(show.code).toBe(0)
    expect(show.stdout).toMatch(new RegExp(`^${sessionID}  [a-z]+-[a-z]+\n${repo.path}\n`, "m"))
    // Message ids (for revert and diff --message), tool inputs and output excerpts.
    expect(show.stdout).toMatch(/^\[user\] msg_\w+\nWhat does hello\.txt say\?\n\[assistant\] msg_\w+ anthropic\/claude-sonnet-4-5( \$\d+\.\d+)?\nLet me look\.\n  ✓ read \{"filePath":"hello\.txt"\}\n    │ 1: hello world\n/m)
    expect(show.stdout).toContain("  ✓ bash $ echo hi\n    │ hi\n")
    expect(show.stdout).toMatch(/^\[user\] msg_\w+\nAnd now\?\n\[assistant\] msg_\w+ .*\nStill hello world\.\n/m)

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
    const running = start(["run", "wait for it", "--model", MODEL, "--dir", repo.path])
    // Start-up, the model call and the tool's start take a while on a loaded machine: wait for the tool, then its pid.
    await expect.poll(() => running.stderr(), { timeout: 30_000 }).toContain("→ bash")
    sleeper = await waitForPid(pidFile)
    running.child.kill("SIGINT")
    const exit = await Promise.race([running.exited, new Promise<"hung">((resolve) => setTimeout(() => resolve("hung"), 5_000))])
    expect(exit).toEqual({ code: 130, signal: null })
    expect(running.stderr()).toMatch(/^interrupted$/m)
    expect(running.stderr()).not.toMatch(STACK)
    expect(await waitForExit(sleeper)).toBe(true)

    const id = /^session (ses_\w+)$/m.exec(running.stderr())![1]
    const show = await run(["session", "show", id, "--json"])
    const { messages } = JSON.parse(show.stdout) as { messages: { info: any; parts: any[] }[] }
    const answer = messages.at(-1)!
    expect(answer.info.error?.name).toBe("MessageAbortedError")
    expect(answer.info.time.completed).toBeGreaterThan(0)
    expect(answer.parts.find((part) => part.type === "tool")?.state).toMatchObject({ status: "error", error: "Tool execution aborted", metadata: { interrupted: true } })
  })
})

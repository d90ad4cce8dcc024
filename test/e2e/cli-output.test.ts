import { spawn, spawnSync } from "node:child_process"
import { once } from "node:events"
import { existsSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import { BIN, createCliHarness, MAIN, MODEL, STACK, type CliHarness } from "./cli-harness.ts"

/**
 * Issue 9, "a CLI that tells the truth", as a user sees it: tool outcomes with exit codes and output
 * excerpts, retries, prompts from stdin, failed runs that leave no session, session ids by prefix and slug
 * with "did you mean", `session show` with message ids and revert markers, `session list --all`, EPIPE,
 * `import` refusing missing paths and another tool's files, and `bin/spool.js` on an old Node.
 */
const FIXTURES = fileURLToPath(new URL("../fixtures/transcripts/", import.meta.url))

describe("spool CLI output", () => {
  let cli: CliHarness
  let sessionID: string
  let slug: string
  /** Several CLI processes in a row: generous on a loaded machine (each waits on the last). */
  const SLOW = 90_000

  beforeAll(async () => {
    cli = await createCliHarness()
  })
  afterAll(async () => {
    await cli?.close()
  })

  test("run - reads the prompt from stdin; a retry, a failed bash (✗ with its exit code) and each output excerpt are shown", async () => {
    cli.llm.script(
      { error: { status: 529, headers: { "retry-after-ms": "10" } } },
      { toolCalls: [{ name: "bash", input: { command: "echo broken; echo twice >&2; exit 3", description: "Run the broken script" } }] },
      { toolCalls: [{ name: "write", input: { filePath: "notes.txt", content: "one\ntwo\nthree\nfour\nfive\n" } }] },
      { text: "It failed with exit code 3." },
    )
    const result = await cli.run(["run", "-", "--model", MODEL, "--dir", cli.repo.path], { input: "Why does the script fail?\n" })
    sessionID = cli.sessionOf(result)!
    expect(result.stderr).not.toMatch(STACK)
    expect(result.code).toBe(0)
    expect(result.stdout).toBe("It failed with exit code 3.\n")
    const first = cli.llm.requests.find((request) => JSON.stringify(request.body.messages).includes("Why does the script fail?"))
    expect(first?.body.messages[0].content).toMatchObject([{ type: "text", text: "Why does the script fail?" }])
    expect(result.stderr).toMatch(/^retrying 1\/5 in \d+ ms: Provider is overloaded$/m)
    expect(result.stderr).toContain("→ bash $ echo broken; echo twice >&2; exit 3\n✗ bash Run the broken script (exit 3)\n  │ broken\n  │ twice\n")
    expect(result.stderr).not.toMatch(/✓ bash/)
    expect(result.stderr).toMatch(/^✓ write notes\.txt\n  │ Wrote file successfully\.\n/m)
    expect(readFileSync(join(cli.repo.path, "notes.txt"), "utf8")).toBe("one\ntwo\nthree\nfour\nfive\n")
    expect(sessionID).toMatch(/^ses_/)
  })

  test("session show: message ids, tool inputs and abridged outputs, failed bash with exit code, and a pending revert's marker", async () => {
    const { info, messages } = JSON.parse((await cli.run(["session", "show", sessionID, "--json"])).stdout) as { info: { slug: string }; messages: Array<{ info: { id: string; role: string } }> }
    slug = info.slug
    const [user, assistant] = messages.map((message) => message.info.id)
    // Reverting the assistant's answer from its write on (by id prefix, as a user would type it).
    const revert = await cli.run(["revert", sessionID.slice(0, 14), user])
    expect(revert).toMatchObject({ code: 0, stdout: "reverted 1 file(s): notes.txt\n" })
    expect(existsSync(join(cli.repo.path, "notes.txt"))).toBe(false)

    const [show, full] = await Promise.all([cli.run(["session", "show", sessionID]), cli.run(["session", "show", sessionID, "--full"])])
    expect(show.code).toBe(0)
    expect(show.stdout).toContain(`revert pending from ${user} (restored notes.txt): \`spool unrevert ${sessionID}\` undoes it`)
    expect(show.stdout).toContain(`── reverted from here (spool unrevert ${sessionID} restores) ──\n[user] ${user} (reverted)\nWhy does the script fail?\n[assistant] ${assistant} anthropic/claude-sonnet-4-5`)
    expect(show.stdout).toContain("  ✗ bash $ echo broken; echo twice >&2; exit 3 (exit 3)\n    │ broken\n    │ twice\n")
    expect(show.stdout).toMatch(/^  ✓ write \{.*"filePath":"notes\.txt".*\}\n    │ Wrote file successfully\.\n/m)
    expect(show.stdout).not.toMatch(/\x1b\[/)
    expect(full.stdout).toContain("  ✗ bash $ echo broken; echo twice >&2; exit 3 (exit 3)\n")
  }, SLOW)

  test("session ids: a unique prefix (with or without ses_) or a slug works everywhere; a typo gets 'did you mean'", async () => {
    const listed = { id: sessionID, slug }
    const typo = listed.slug.replace(/.$/, (last) => (last === "x" ? "y" : "x"))
    const [bySlug, byPrefix, stats, exported, missed, forced, noColor] = await Promise.all([
      cli.run(["session", "show", listed.slug]),
      cli.run(["session", "show", sessionID.slice(4, 16)]),
      cli.run(["stats", sessionID.slice(0, 16), "--json"]),
      cli.run(["export", listed.slug]),
      cli.run(["session", "show", typo]),
      cli.run(["session", "list"], { env: { FORCE_COLOR: "1" } }),
      cli.run(["session", "list"], { env: { FORCE_COLOR: "1", NO_COLOR: "1" } }),
    ])
    // Colour only when asked for (or on a terminal), and NO_COLOR wins.
    expect(forced.stdout).toContain(`${sessionID}  \x1b[36m${slug}\x1b[39m  \x1b[2m`)
    expect(noColor.stdout).toMatch(new RegExp(`^${sessionID}  ${slug}  \\d{4}-`))
    expect(bySlug.code).toBe(0)
    expect(bySlug.stdout).toContain(`${sessionID}  ${listed.slug}\n`)
    expect(byPrefix.stdout).toBe(bySlug.stdout)
    expect(stats.code).toBe(0)
    expect(JSON.parse(exported.stdout).info.id).toBe(sessionID)
    expect(missed.code).toBe(1)
    expect(missed.stderr.startsWith(`error: NotFoundError: Session not found: ${typo}; did you mean ${sessionID} (${listed.slug}, "`)).toBe(true)
    expect(missed.stderr).toMatch(/"\)\?\n$/)
  }, SLOW)

  test("a run without a model fails before its first step: exit 1, and the session it created is gone", async () => {
    const result = await cli.run(["run", "hi", "--dir", cli.repo.path])
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/^error: BadRequest: No model/m)
    const created = cli.sessionOf(result)!
    expect(result.stderr).toContain(`removed session ${created} (the run failed before its first step)\n`)
    const gone = await cli.run(["session", "show", created])
    expect(gone.code).toBe(1)
    expect(gone.stderr).toMatch(/^error: NotFoundError: Session not found/)
  }, SLOW)

  test("import: a missing path or another tool's files exit 1 with a hint and import nothing; session list --all spans projects", async () => {
    const [missing, wrongTool, codex] = await Promise.all([
      cli.run(["import", "--from", "codex", join(cli.data.path, "nope")]),
      cli.run(["import", "--from", "codex", join(FIXTURES, "claude-code")]),
      cli.run(["import", "--from", "opencode", join(FIXTURES, "codex", "localpush-019c8bfe-small.jsonl")]),
    ])
    expect(missing.code).toBe(1)
    expect(missing.stderr).toBe(`error: ${join(cli.data.path, "nope")}: no such file or directory\nnothing was imported\n`)
    expect(wrongTool.code).toBe(1)
    expect(wrongTool.stderr).toContain(`${join(FIXTURES, "claude-code")} holds Claude Code sessions, not Codex: use --from claude-code\n`)
    expect(codex.code).toBe(1)
    expect(codex.stderr).toContain("holds Codex sessions, not OpenCode: use --from codex")
    const imported = await cli.run(["import", "--from", "codex", join(FIXTURES, "codex", "localpush-019c8bfe-small.jsonl")])
    expect(imported.code).toBe(0)
    const [all, here] = await Promise.all([cli.run(["session", "list", "--all"]), cli.run(["session", "list"])])
    // The run's session and the one imported: the refused imports added nothing.
    expect(all.stdout.trim().split("\n")).toHaveLength(2)
    expect(all.stdout).toContain(`(${cli.repo.path})`)
    expect(all.stdout).toContain("(/redacted/path/ea96e59ed9)")
    expect(here.stdout.trim().split("\n")).toHaveLength(1)
  }, SLOW)

  test("output to a reader that went away (EPIPE) ends quietly with exit code 0", async () => {
    const closedStdout = spawn(process.execPath, [MAIN, "session", "list", "--all"], { cwd: cli.repo.path, env: spawnEnv(cli), stdio: ["ignore", "pipe", "pipe"] })
    closedStdout.stdout!.destroy()
    let stderr = ""
    closedStdout.stderr!.on("data", (chunk) => (stderr += chunk))
    const bothClosed = spawn(process.execPath, [MAIN, "session", "show", sessionID], { cwd: cli.repo.path, env: spawnEnv(cli), stdio: ["ignore", "pipe", "pipe"] })
    bothClosed.stdout!.destroy()
    bothClosed.stderr!.destroy()
    const [[code], [bothCode]] = await Promise.all([once(closedStdout, "close"), once(bothClosed, "close")])
    expect(stderr).toBe("")
    expect(code).toBe(0)
    expect(bothCode).toBe(0)
  }, SLOW)

  // The system Node of this machine (/usr/bin/node) when it is older than Spool needs.
  const oldNode = ["/usr/bin/node", "/usr/local/bin/node"].find((path) => {
    if (!existsSync(path)) return false
    const [major, minor] = spawnSync(path, ["-p", "process.versions.node"], { encoding: "utf8" }).stdout.trim().split(".").map(Number)
    return major < 22 || (major === 22 && minor < 18)
  })
  test.skipIf(!oldNode)("bin/spool.js on Node < 22.18 names the version it needs and exits 1", () => {
    const result = spawnSync(oldNode!, [BIN, "--version"], { encoding: "utf8", env: spawnEnv(cli) })
    expect(result.status).toBe(1)
    expect(result.stderr).toMatch(/^error: Spool needs Node\.js 22\.18 or newer; this is Node\.js \d+\.\d+\.\d+ \(.*node\)\n$/)
    expect(result.stdout).toBe("")
  })
})

/** The harness environment for a hand-made `spawn` (undefined values removed). */
function spawnEnv(cli: CliHarness): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...cli.env }
  for (const [key, value] of Object.entries(env)) if (value === undefined) delete env[key]
  return env
}

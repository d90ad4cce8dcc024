import { existsSync, rmSync } from "node:fs"
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import { tempDir, type TempDir } from "../fixture/tmp.ts"
import { createCliHarness, MODEL, STACK, type CliHarness } from "./cli-harness.ts"

/**
 * Issue 9 §4: `spool run --session X` on a session whose directory is gone is refused with a hint, unless
 * `--dir D` is given on the command line: then the session continues in D (and stays there).
 */
describe("spool run --session on a session whose directory is gone", () => {
  let cli: CliHarness
  let gone: TempDir
  let target: TempDir
  let sessionID = ""

  beforeAll(async () => {
    cli = await createCliHarness()
    gone = tempDir({ git: true, files: { "a.txt": "a\n" } })
    target = tempDir({ git: true, files: { "b.txt": "b\n" } })
    cli.llm.script({ text: "first answer" })
    const first = await cli.run(["run", "--model", MODEL, "--dir", gone.path, "hello"])
    expect(first.code, first.stderr).toBe(0)
    sessionID = cli.sessionOf(first)!
    expect(sessionID).toMatch(/^ses_/)
    rmSync(gone.path, { recursive: true, force: true })
  })

  afterAll(async () => {
    target?.cleanup()
    gone?.cleanup()
    await cli?.close()
  })

  test("without --dir: refused, naming the directory and --dir, and nothing is sent", async () => {
    const requests = cli.llm.requests.length
    const result = await cli.run(["run", "--model", MODEL, "--session", sessionID, "again"], { cwd: target.path })
    expect(result.code).toBe(1)
    expect(result.stderr).toContain(gone.path)
    expect(result.stderr).toContain("--dir")
    expect(result.stderr).not.toMatch(STACK)
    expect(cli.llm.requests.length).toBe(requests)
  })

  test("with --dir: the turn runs and the session now lives in that directory", async () => {
    cli.llm.script({ text: "continued here" })
    const result = await cli.run(["run", "--model", MODEL, "--session", sessionID, "--dir", target.path, "again"])
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toContain("continued here")
    expect(existsSync(gone.path)).toBe(false)
    const shown = await cli.run(["session", "show", "--json", sessionID])
    expect((JSON.parse(shown.stdout) as { info: { directory: string } }).info.directory).toBe(target.path)
  })
})

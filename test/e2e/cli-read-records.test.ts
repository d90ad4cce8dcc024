import { readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import { createCliHarness, MODEL, type CliHarness } from "./cli-harness.ts"

/**
 * Issue 9, tried as a user would: `spool run` reads a file, a later `spool run --session` (another
 * process) edits it — no "You must read file … before overwriting it"; a file the user changed between
 * the two runs is still refused. Also: the agent's `node` is not Spool's pinned one.
 */
describe("spool run --session continues a session's edits", () => {
  let cli: CliHarness
  beforeAll(async () => {
    cli = await createCliHarness()
    writeFileSync(join(cli.repo.path, "other.txt"), "other\n")
  })
  afterAll(async () => {
    await cli?.close()
  })

  test("reads in one run, edits in the next; a file changed in between is refused", async () => {
    cli.llm.script({ toolCalls: [{ name: "read", input: { filePath: "hello.txt" } }, { name: "read", input: { filePath: "other.txt" } }] }, { text: "read both" })
    const first = await cli.run(["run", "read the files", "--model", MODEL, "--dir", cli.repo.path])
    expect(first.code).toBe(0)
    const sessionID = cli.sessionOf(first)!
    writeFileSync(join(cli.repo.path, "other.txt"), "changed by the user\n")

    cli.llm.script(
      { toolCalls: [{ name: "edit", input: { filePath: "hello.txt", oldString: "world", newString: "spool" } }, { name: "edit", input: { filePath: "other.txt", oldString: "changed", newString: "CHANGED" } }] },
      { text: "edited" },
    )
    const second = await cli.run(["run", "edit them", "--session", sessionID, "--model", MODEL])
    expect(second.code).toBe(0)
    expect(readFileSync(join(cli.repo.path, "hello.txt"), "utf8")).toBe("hello spool\n")
    expect(readFileSync(join(cli.repo.path, "other.txt"), "utf8")).toBe("changed by the user\n")
    expect(second.stderr).not.toContain("You must read file")
    expect(second.stderr).toMatch(/has been modified since this session last read it/)
  }, 90_000)
})

import { execFile } from "node:child_process"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { promisify } from "node:util"
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import { startFakeLLM, type FakeLLM } from "../fixture/fake-llm.ts"
import { tempDir, type TempDir } from "../fixture/tmp.ts"

/** `spool diff`, `spool revert`, `spool unrevert` and `spool doctor` as a user runs them. */
const MAIN = fileURLToPath(new URL("../../src/cli/main.ts", import.meta.url))
const exec = promisify(execFile)

describe("spool diff / revert / unrevert / doctor", () => {
  let llm: FakeLLM
  let repo: TempDir
  let data: TempDir
  let env: NodeJS.ProcessEnv

  const spool = async (...args: string[]) => {
    try {
      const { stdout, stderr } = await exec(process.execPath, [MAIN, ...args], { cwd: repo.path, env })
      return { code: 0, stdout, stderr }
    } catch (error) {
      const failed = error as { code: number; stdout: string; stderr: string }
      return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr }
    }
  }

  beforeAll(async () => {
    llm = await startFakeLLM()
    repo = tempDir({ git: true, files: { "hello.txt": "hello world\n" } })
    data = tempDir({ prefix: "spool-data-" })
    env = { ...process.env, SPOOL_DATA_DIR: data.path, XDG_CONFIG_HOME: join(data.path, "config"), SPOOL_LOG_LEVEL: "warn", ANTHROPIC_API_KEY: "test", ANTHROPIC_BASE_URL: llm.anthropicBaseURL }
  })
  afterAll(async () => {
    await llm?.close()
    repo?.cleanup()
    data?.cleanup()
  })

  test("a change made by `spool run` is diffed, reverted, unreverted, and the store is reported", async () => {
    llm.script(
      { toolCalls: [{ name: "read", input: { filePath: "hello.txt" } }] },
      { toolCalls: [{ name: "edit", input: { filePath: "hello.txt", oldString: "hello", newString: "goodbye" } }] },
      { text: "done" },
    )
    const run = await spool("run", "--model", "anthropic/claude-sonnet-4-5", "say goodbye")
    expect(run.code).toBe(0)
    const sessionID = /^session (ses_\w+)$/m.exec(run.stderr)![1]
    expect(readFileSync(join(repo.path, "hello.txt"), "utf8")).toBe("goodbye world\n")

    const diff = await spool("diff", sessionID)
    expect(diff.code).toBe(0)
    expect(diff.stdout).toContain("-hello world")
    expect(diff.stdout).toContain("+goodbye world")
    expect((await spool("diff", sessionID, "--stat")).stdout).toContain("modified\t+1\t-1\thello.txt")

    const show = JSON.parse((await spool("session", "show", sessionID, "--json")).stdout) as { messages: Array<{ info: { id: string; role: string } }> }
    const userMessage = show.messages.find((message) => message.info.role === "user")!.info.id
    const revert = await spool("revert", sessionID, userMessage)
    expect(revert).toMatchObject({ code: 0, stdout: "reverted 1 file(s): hello.txt\n" })
    expect(readFileSync(join(repo.path, "hello.txt"), "utf8")).toBe("hello world\n")

    const unrevert = await spool("unrevert", sessionID)
    expect(unrevert).toMatchObject({ code: 0, stdout: "restored 1 file(s)\n" })
    expect(readFileSync(join(repo.path, "hello.txt"), "utf8")).toBe("goodbye world\n")

    const doctor = JSON.parse((await spool("doctor", "--gc", "--json")).stdout) as { dataDir: string; snapshotBytes: number; snapshotStores: unknown[]; gc: { stores: number } }
    expect(doctor.dataDir).toBe(data.path)
    expect(doctor.snapshotStores).toHaveLength(1)
    expect(doctor.snapshotBytes).toBeGreaterThan(0)
    expect(doctor.gc.stores).toBe(1)

    const missing = await spool("revert", sessionID, "msg_nope")
    expect(missing.code).toBe(1)
    expect(missing.stderr).toBe("error: NotFoundError: Message not found: msg_nope\n")
    // Ten CLI processes in a row: generous on a loaded machine.
  }, 90_000)
})

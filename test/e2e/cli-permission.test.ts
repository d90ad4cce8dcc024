import { spawn } from "node:child_process"
import { existsSync } from "node:fs"
import { once } from "node:events"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import { startFakeLLM, type FakeLLM } from "../fixture/fake-llm.ts"
import { tempDir, type TempDir } from "../fixture/tmp.ts"

/**
 * `spool run` with `"permission": {"bash": "ask"}`: without a terminal the request is refused with a hint
 * on stderr; in a terminal (a pty from util-linux `script`) the user answers the prompt.
 */
const MAIN = fileURLToPath(new URL("../../src/cli/main.ts", import.meta.url))
const hasScript = existsSync("/usr/bin/script")

describe("spool run permission prompts", () => {
  let llm: FakeLLM
  let repo: TempDir
  let data: TempDir
  let env: NodeJS.ProcessEnv

  beforeAll(async () => {
    llm = await startFakeLLM()
    repo = tempDir({ git: true, files: { "spool.json": JSON.stringify({ permission: { bash: "ask" } }) } })
    data = tempDir({ prefix: "spool-data-" })
    env = {
      ...process.env,
      SPOOL_DATA_DIR: data.path,
      XDG_CONFIG_HOME: join(data.path, "config"),
      SPOOL_LOG_LEVEL: "warn",
      SPOOL_MODEL: "anthropic/claude-sonnet-4-5",
      ANTHROPIC_API_KEY: "test",
      ANTHROPIC_BASE_URL: llm.anthropicBaseURL,
    }
  })
  afterAll(async () => {
    await llm?.close()
    repo?.cleanup()
    data?.cleanup()
  })

  const touch = (name: string) => ({ toolCalls: [{ name: "bash", input: { command: `touch ${name}`, description: "Touch" } }] })

  // Concurrent (each `spool run` takes seconds to start and stop); each conversation has its own script.
  test.concurrent("stdin not a terminal: refused, with how to allow it; the turn goes on", async () => {
    llm.scriptFor("make piped", touch("piped"), { text: "could not" })
    const child = spawn(process.execPath, [MAIN, "run", "make", "piped", "--dir", repo.path], { cwd: repo.path, env, stdio: ["pipe", "pipe", "pipe"] })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (chunk) => (stdout += chunk))
    child.stderr.on("data", (chunk) => (stderr += chunk))
    const [code] = await once(child, "close")
    expect(stderr).toContain("? bash: touch piped")
    expect(stderr).toContain(`add "permission": {"bash":{"touch *":"allow"}} to spool.json`)
    expect(stderr).toMatch(/✗ bash: .*spool run is not interactive/)
    expect(stdout).toBe("could not\n")
    expect(code).toBe(0)
    expect(existsSync(join(repo.path, "piped"))).toBe(false)
  })

  test.skipIf(!hasScript).concurrent("in a terminal: the user's `o` lets the command run", async () => {
    llm.scriptFor("make tty", touch("tty"), { text: "made it" })
    const command = [process.execPath, MAIN, "run", "make", "tty", "--dir", repo.path].map((word) => `'${word}'`).join(" ")
    const child = spawn("/usr/bin/script", ["-qec", command, "/dev/null"], { cwd: repo.path, env, stdio: ["pipe", "pipe", "pipe"] })
    let output = ""
    child.stdout.on("data", (chunk) => {
      output += chunk
      if (output.includes("allow? [o]nce, [a]lways, [r]eject:") && !output.includes("allowed once")) child.stdin.write("o\n")
    })
    const [code] = await once(child, "close")
    expect(output).toContain("? bash: touch tty")
    expect(output).toContain("allowed once")
    expect(output).toContain("made it")
    expect(code).toBe(0)
    expect(existsSync(join(repo.path, "tty"))).toBe(true)
  })
})

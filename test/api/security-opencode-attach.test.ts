import { spawn } from "node:child_process"
import { once } from "node:events"
import { existsSync, mkdirSync } from "node:fs"
import { arch } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import { startFakeLLM, type FakeLLM } from "../fixture/fake-llm.ts"
import { startSpool, type SpoolProcess } from "../fixture/spool-server.ts"
import { tempDir, type TempDir } from "../fixture/tmp.ts"

const OPENCODE = [`/tmp/oc/node_modules/opencode-linux-${arch()}/bin/opencode`, `/tmp/oc/node_modules/opencode-linux-${arch()}-baseline/bin/opencode`].find((path) => existsSync(path))
// Opt-in (SPOOL_TEST_OPENCODE=1): one OpenCode run takes 4-15 s (its own start-up), too slow for `npm test`.
const ENABLED = process.env.SPOOL_TEST_OPENCODE === "1"
if (!ENABLED) console.warn("skipping opencode attach test: set SPOOL_TEST_OPENCODE=1 to run it (needs OpenCode 1.18.33 in /tmp/oc)")
else if (!OPENCODE) console.warn("skipping opencode attach test: no OpenCode 1.18.33 in /tmp/oc (see test/compat/start-opencode.sh)")

const PASSWORD = "attach-password"

/**
 * OpenCode 1.18.33's own client against Spool with a password: `opencode run --attach <url> --format
 * json` reads `OPENCODE_SERVER_PASSWORD` (or `--password`) and sends HTTP Basic as `opencode:<password>`,
 * and sends JSON bodies, so the content-type check lets it through. Opt-in with SPOOL_TEST_OPENCODE=1
 * (one OpenCode run takes 4-15 s); skipped when OpenCode is not installed in /tmp/oc
 * (test/compat/start-opencode.sh installs it).
 */

describe.skipIf(!ENABLED || !OPENCODE)("opencode run --attach against Spool", () => {
  let llm: FakeLLM
  let spool: SpoolProcess
  let data: TempDir
  let repo: TempDir
  let home: TempDir

  beforeAll(async () => {
    llm = await startFakeLLM()
    data = tempDir({ prefix: "spool-data-" })
    repo = tempDir({ git: true, files: { "README.md": "# attach\n" } })
    home = tempDir({ prefix: "oc-home-" })
    spool = await startSpool({
      env: { SPOOL_DATA_DIR: data.path, XDG_CONFIG_HOME: data.path, ANTHROPIC_API_KEY: "test", ANTHROPIC_BASE_URL: llm.anthropicBaseURL, SPOOL_SERVER_PASSWORD: PASSWORD },
      args: ["--model", "anthropic/claude-sonnet-4-5", "--dir", repo.path],
    })
  })

  afterAll(async () => {
    await spool?.stop()
    await llm?.close()
    for (const dir of [data, repo, home]) dir?.cleanup()
  })

  const opencode = (args: string[], env: Record<string, string> = {}) => {
    const dirs = Object.fromEntries(["config", "data", "cache", "state"].map((name) => [`XDG_${name.toUpperCase()}_HOME`, join(home.path, name)]))
    for (const dir of Object.values(dirs)) mkdirSync(dir, { recursive: true })
    // stdin must not be an open pipe: `opencode run` would wait to read the message from it.
    const child = spawn(OPENCODE!, ["run", "--attach", spool.url, "--format", "json", ...args], {
      cwd: repo.path,
      stdio: ["ignore", "pipe", "pipe"],
      env: {
        PATH: process.env.PATH,
        HOME: home.path,
        ...dirs,
        OPENCODE_DISABLE_MODELS_FETCH: "1",
        OPENCODE_DISABLE_AUTOUPDATE: "1",
        OPENCODE_DISABLE_SHARE: "1",
        OPENCODE_DISABLE_LSP_DOWNLOAD: "1",
        OPENCODE_DISABLE_DEFAULT_PLUGINS: "1",
        OPENCODE_DISABLE_CLAUDE_CODE: "1",
        npm_config_registry: "http://127.0.0.1:1/",
        ...env,
      },
    })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (chunk) => (stdout += chunk))
    child.stderr.on("data", (chunk) => (stderr += chunk))
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000)
    return once(child, "exit").then(([code]) => {
      clearTimeout(timer)
      return { code: code as number | null, stdout, stderr }
    })
  }


  /** The `--format json` lines of one run. */
  const events = (stdout: string) => stdout.split("\n").filter((line) => line.startsWith("{")).map((line) => JSON.parse(line) as { type: string; part?: { text?: string } })

  test("with OPENCODE_SERVER_PASSWORD: the prompt runs through the JSON-only API and the answer comes back", async () => {
    llm.script({ text: "attached fine" })
    const result = await opencode(["say hi"], { OPENCODE_SERVER_PASSWORD: PASSWORD })
    expect(result.code, result.stderr).toBe(0)
    const lines = events(result.stdout)
    expect(lines.map((line) => line.type)).toContain("step_start")
    expect(lines.filter((line) => line.type === "text").map((line) => line.part?.text)).toContain("attached fine")
    expect(llm.requests).toHaveLength(1)
  })

  // Issue 9: `run --attach` exits as soon as POST /session/:id/message answers; Spool used to answer
  // 0.4-4 ms before publishing the turn's last events, and the final step_finish went missing.
  test("every run receives every event of its turn, the last step_finish included (5 runs)", async () => {
    for (let run = 1; run <= 5; run++) {
      llm.script({ toolCalls: [{ name: "read", input: { filePath: "README.md" } }] }, { text: `run ${run} done` })
      const result = await opencode([`run number ${run}`], { OPENCODE_SERVER_PASSWORD: PASSWORD })
      expect(result.code, result.stderr).toBe(0)
      const types = events(result.stdout).map((line) => line.type)
      // Two steps (the tool call, then the answer): both started and both finished, the answer last.
      expect(types.filter((type) => type === "step_start"), `run ${run}: ${types.join(",")}`).toHaveLength(2)
      expect(types.filter((type) => type === "step_finish"), `run ${run}: ${types.join(",")}`).toHaveLength(2)
      expect(types.at(-1), `run ${run}: ${types.join(",")}`).toBe("step_finish")
      expect(events(result.stdout).filter((line) => line.type === "text").map((line) => line.part?.text)).toContain(`run ${run} done`)
    }
  }, 300_000)
})

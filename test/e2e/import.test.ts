import { execFile } from "node:child_process"
import { appendFileSync, copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { promisify } from "node:util"
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import { startFakeLLM, type FakeLLM } from "../fixture/fake-llm.ts"
import { startSpool, type SpoolProcess } from "../fixture/spool-server.ts"
import { tempDir, type TempDir } from "../fixture/tmp.ts"

/**
 * Issue 5 end to end: `spool import` on the real transcripts (Claude Code, Codex, OpenCode), twice
 * (no duplicates), a grown file adds only what is new, a truncated file with garbage lines imports the
 * rest and reports the bad lines; imported sessions are ordinary sessions: searched, exported and
 * re-imported losslessly, and continued with a new prompt through the API.
 */
const MAIN = fileURLToPath(new URL("../../src/cli/main.ts", import.meta.url))
const FIXTURES = fileURLToPath(new URL("../fixtures/transcripts/", import.meta.url))
const exec = promisify(execFile)

interface Summary {
  files: number
  unchanged: number
  sessions: { created: number; updated: number }
  messagesAdded: number
  partsAdded: number
  problems: number
  problemList: Array<{ path: string; line?: number; message: string }>
}

describe("spool import", () => {
  let data: TempDir
  let inputs: TempDir
  let env: NodeJS.ProcessEnv

  const spool = async (...args: string[]) => {
    try {
      const { stdout, stderr } = await exec(process.execPath, [MAIN, ...args], { env, maxBuffer: 64 * 1024 * 1024 })
      return { code: 0, stdout, stderr }
    } catch (error) {
      const failed = error as { code: number; stdout: string; stderr: string }
      return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr }
    }
  }
  const importJson = async (...args: string[]) => {
    const result = await spool("import", "--json", ...args)
    expect(result.code, result.stderr).toBe(0)
    return JSON.parse(result.stdout) as Summary
  }

  beforeAll(() => {
    data = tempDir({ prefix: "spool-data-" })
    inputs = tempDir({ prefix: "spool-inputs-" })
    for (const source of ["claude-code", "codex"]) {
      mkdirSync(join(inputs.path, source))
      for (const file of readdirSync(join(FIXTURES, source))) copyFileSync(join(FIXTURES, source, file), join(inputs.path, source, file))
    }
    env = { ...process.env, SPOOL_DATA_DIR: data.path, XDG_CONFIG_HOME: join(data.path, "config"), SPOOL_LOG_LEVEL: "warn", HOME: data.path }
  })
  afterAll(() => {
    data?.cleanup()
    inputs?.cleanup()
  })

  test("imports every fixture; a second run changes nothing", async () => {
    const claude = await importJson("--from", "claude-code", join(inputs.path, "claude-code"))
    expect(claude.files).toBe(5)
    expect(claude.sessions.created).toBeGreaterThanOrEqual(5)
    expect(claude.messagesAdded).toBeGreaterThan(0)
    const codex = await importJson("--from", "codex", join(inputs.path, "codex"))
    expect(codex.files).toBe(5)
    expect(codex.sessions.created).toBeGreaterThanOrEqual(5)
    const opencode = await importJson("--from", "opencode", join(FIXTURES, "opencode", "ekisu-t8v6Igr8.export.json"))
    expect(opencode.sessions.created).toBe(1)

    const again = await importJson("--from", "claude-code", join(inputs.path, "claude-code"))
    expect(again).toMatchObject({ files: 5, unchanged: 5, sessions: { created: 0, updated: 0 }, messagesAdded: 0, partsAdded: 0 })
    const forced = await importJson("--force", "--from", "claude-code", join(inputs.path, "claude-code"))
    expect(forced).toMatchObject({ sessions: { created: 0 }, messagesAdded: 0, partsAdded: 0 })

    // spool stats over everything: per source, and the total equals the sum of the groups.
    const stats = JSON.parse((await spool("stats", "--json", "--by", "source")).stdout) as {
      rows: Array<{ key: string; sessions: number; steps: number; tokens: { input: number; cache: { read: number } }; toolCalls: number; toolErrorRate: number }>
      total: { sessions: number; tokens: { input: number; cache: { read: number } } }
    }
    expect(stats.rows.map((row) => row.key).sort()).toEqual(["claude-code", "codex", "opencode"])
    expect(stats.rows.reduce((sum, row) => sum + row.tokens.input, 0)).toBe(stats.total.tokens.input)
    expect(stats.rows.reduce((sum, row) => sum + row.tokens.cache.read, 0)).toBe(stats.total.tokens.cache.read)
    // The OpenCode export's only session: 12,672 cache-read tokens in its last step (see the fixture).
    expect(stats.rows.find((row) => row.key === "opencode")?.tokens.cache.read).toBe(12672)
    expect(stats.rows.find((row) => row.key === "claude-code")!.toolCalls).toBeGreaterThan(20)
  })

  test("a grown file adds only its new records; corrupt lines are reported with their line numbers and skipped", async () => {
    const file = join(inputs.path, "claude-code", "grow.jsonl")
    const lines = readFileSync(join(FIXTURES, "claude-code", "sniffly-ai-music-fed8ce56.jsonl"), "utf8").trimEnd().split("\n")
    const half = Math.floor(lines.length / 2)
    // A different session id so it does not collide with the fixture imported above.
    const rename = (line: string) => line.replaceAll("fed8ce56-bc79-401f-a83e-af084253362f", "aaaaaaaa-bc79-401f-a83e-af084253362f")
    writeFileSync(file, lines.slice(0, half).map(rename).join("\n") + "\n")
    const first = await importJson("--from", "claude-code", file)
    expect(first.sessions.created).toBe(1)
    appendFileSync(file, lines.slice(half).map(rename).join("\n") + "\n")
    const second = await importJson("--from", "claude-code", file)
    expect(second.sessions).toEqual({ created: 0, updated: 1 })
    expect(second.messagesAdded).toBeGreaterThan(0)

    const broken = join(inputs.path, "claude-code", "broken.jsonl")
    const other = readFileSync(join(FIXTURES, "claude-code", "spotter-tool-heavy.jsonl"), "utf8").trimEnd().split("\n")
    const cut = other.slice(0, 10).join("\n") + "\n" + other[10].slice(0, Math.floor(other[10].length / 2)) + "\nnot json at all\n{\"type\":\"mystery\"}\n" + other.slice(11, 20).join("\n") + "\n"
    writeFileSync(broken, cut)
    const result = await importJson("--from", "claude-code", broken)
    expect(result.sessions.created + result.sessions.updated).toBeGreaterThanOrEqual(1)
    const lineNumbers = result.problemList.filter((problem) => problem.path === broken).map((problem) => problem.line)
    expect(lineNumbers).toEqual(expect.arrayContaining([11, 12]))
  })

  describe("imported sessions are ordinary sessions", () => {
    let llm: FakeLLM
    let server: SpoolProcess

    beforeAll(async () => {
      llm = await startFakeLLM()
      server = await startSpool({ env: { ...env, ANTHROPIC_API_KEY: "test", ANTHROPIC_BASE_URL: llm.anthropicBaseURL } })
    })
    afterAll(async () => {
      await server?.stop()
      await llm?.close()
    })

    test("searched, exported and re-imported losslessly, and continued with any model", async () => {
      const search = await spool("search", "--json", "github")
      const found = JSON.parse(search.stdout) as Array<{ id: string; directory: string; match?: { field: string } }>
      const session = found.find((item) => item.match)
      expect(session, search.stdout).toBeDefined()

      const exported = await spool("export", session!.id)
      expect(exported.code).toBe(0)
      const json = JSON.parse(exported.stdout) as { info: { id: string }; messages: Array<{ info: { id: string; role: string }; parts: Array<{ type: string }> }> }
      expect(json.info.id).toBe(session!.id)
      // Parts are listed in source order: every imported model call is bracketed by its step parts.
      for (const message of json.messages.filter((message) => message.info.role === "assistant" && message.parts.some((part) => part.type === "step-start"))) {
        expect(message.parts[0].type).toBe("step-start")
        expect(message.parts.at(-1)!.type).toBe("step-finish")
      }
      const file = join(inputs.path, "export.json")
      writeFileSync(file, exported.stdout)
      const reimport = await importJson("--from", "opencode", file)
      expect(reimport).toMatchObject({ sessions: { created: 0, updated: 1 }, messagesAdded: 0, partsAdded: 0 })
      expect((await spool("export", session!.id)).stdout).toBe(exported.stdout)

      // Continue the imported session with a new prompt through the API (another provider's history). Its
      // directory is another machine's: `?directory=` names where it continues (issue 9).
      const client = server.client(session!.directory)
      llm.script({ text: "continuing the imported work" })
      const answer = await client.session.prompt({ sessionID: session!.id, directory: inputs.path, model: { providerID: "anthropic", modelID: "claude-sonnet-4-5" }, parts: [{ type: "text", text: "what did we do?" }] })
      expect(answer.error).toBeUndefined()
      expect(answer.data!.info.role === "assistant" && answer.data!.info.error).toBeFalsy()
      const request = JSON.stringify(llm.requests.at(-1)!.body)
      expect(request).toContain("what did we do?")
      expect(json.messages.length).toBeGreaterThan(2)
    })
  })
})

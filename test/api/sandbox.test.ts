import { existsSync, readFileSync, writeFileSync } from "node:fs"
import { homedir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import { probeSandbox } from "../../src/tool/sandbox.ts"
import { startFakeLLM, type FakeLLM } from "../fixture/fake-llm.ts"
import { startSpoolApp, type SpoolApp } from "../fixture/spool-app.ts"
import { tempDir, type TempDir } from "../fixture/tmp.ts"

/**
 * Issue 8, sandbox: with `sandbox.enabled` in the config, a turn's `bash` tool call runs under bubblewrap:
 * it writes the work tree, but not a directory outside it, and has no network. (The confinement itself
 * is tested in `src/tool/sandbox.test.ts`; this checks the config reaches the tool.)
 */
const availability = await probeSandbox()
if (!availability.ok) console.warn(`sandbox API test skipped: ${availability.message}`)

describe.skipIf(!availability.ok)("sandbox.enabled in the config", () => {
  let llm: FakeLLM
  let spool: SpoolApp
  let outside: TempDir

  beforeAll(async () => {
    llm = await startFakeLLM()
    outside = tempDir({ prefix: "spool-outside-" })
    const config = join(outside.path, "spool.json")
    writeFileSync(config, JSON.stringify({ sandbox: { enabled: true } }))
    spool = await startSpoolApp({ llm, env: { SPOOL_CONFIG: config } })
  })

  afterAll(async () => {
    await spool?.close()
    await llm?.close()
    outside?.cleanup()
  })

  test("bash writes the work tree but not outside it ($HOME)", async () => {
    const client = spool.client()
    const sessionID = (await client.session.create({ title: "sandboxed" })).data!.id
    // (not under /tmp: the sandbox has a private /tmp, where the path would just not exist)
    const target = join(homedir(), `spool-escaped-${process.pid}-${Date.now()}.txt`)
    llm.script(
      { toolCalls: [{ name: "bash", input: { command: `echo inside > inside.txt; echo out > '${target}' 2>&1 || echo refused`, description: "Try both" } }] },
      { text: "Done." },
    )
    const reply = await client.session.prompt({ sessionID, parts: [{ type: "text", text: "Write both files." }] })
    expect(reply.error).toBeUndefined()
    const messages = (await client.session.messages({ sessionID })).data!
    const tool = messages.flatMap((message) => message.parts).find((part) => part.type === "tool")
    expect(tool?.type === "tool" && tool.state.status).toBe("completed")
    const output = tool?.type === "tool" && tool.state.status === "completed" ? tool.state.output : ""
    expect(output).toContain("Read-only file system")
    expect(output).toContain("refused")
    expect(readFileSync(join(spool.repo, "inside.txt"), "utf8")).toBe("inside\n")
    expect(existsSync(target)).toBe(false)
  })
})

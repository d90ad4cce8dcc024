import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import type { SessionInfo } from "../../src/session/index.ts"
import { startFakeLLM, type FakeLLM } from "../fixture/fake-llm.ts"
import { startSpoolApp, until, type SpoolApp } from "../fixture/spool-app.ts"

/**
 * Issue 3's proof, through the official OpenCode SDK: a turn edits three files; the diff endpoint
 * shows them; revert restores them byte for byte; unrevert brings the changes back; a file the user
 * edited in between is left alone and reported; files nobody in the session touched are never
 * touched; the next prompt deletes the reverted messages.
 */
describe("diff, revert and unrevert", () => {
  let llm: FakeLLM
  let spool: SpoolApp
  const original = { "a.txt": "alpha\n", "b.txt": "beta\r\nwith CRLF\r\n", "src/c.ts": "export const c = 1\n", "untouched.md": "keep me\n" }

  beforeAll(async () => {
    llm = await startFakeLLM()
    spool = await startSpoolApp({ llm, files: original })
  })
  afterAll(async () => {
    await spool?.close()
    await llm?.close()
  })

  const read = (file: string) => readFileSync(join(spool.repo, file), "utf8")

  async function editThreeFiles(sessionID: string) {
    llm.script(
      {
        toolCalls: [
          { name: "read", input: { filePath: "a.txt" } },
          { name: "read", input: { filePath: "b.txt" } },
        ],
      },
      {
        toolCalls: [
          { name: "edit", input: { filePath: "a.txt", oldString: "alpha", newString: "ALPHA" } },
          { name: "write", input: { filePath: "b.txt", content: "beta rewritten\n" } },
          { name: "write", input: { filePath: "src/new.ts", content: "export const fresh = true\n" } },
        ],
      },
      { text: "Changed three files." },
    )
    const answer = await spool.client().session.prompt({ sessionID, parts: [{ type: "text", text: "change a, b, add new" }] })
    expect(answer.error).toBeUndefined()
    return answer.data!
  }

  test("a turn's changes are diffed, reverted byte for byte, and unreverted", async () => {
    const client = spool.client()
    const session = (await client.session.create({ title: "revert" })).data!
    await editThreeFiles(session.id)
    expect(read("a.txt")).toBe("ALPHA\n")

    // The diff endpoint shows exactly the three files; the user message carries its turn's diffs.
    const diff = (await client.session.diff({ sessionID: session.id })).data!
    expect(diff.map((file) => [file.file, file.status, file.additions, file.deletions]).sort()).toEqual([
      ["a.txt", "modified", 1, 1],
      ["b.txt", "modified", 1, 2],
      ["src/new.ts", "added", 1, 0],
    ])
    expect(diff.find((file) => file.file === "a.txt")?.patch).toContain("+ALPHA")
    const messages = (await client.session.messages({ sessionID: session.id })).data!
    const user = messages[0].info
    const turnDiff = (await client.session.diff({ sessionID: session.id, messageID: user.id })).data!
    expect(turnDiff.map((file) => file.file).sort()).toEqual(["a.txt", "b.txt", "src/new.ts"])
    const stored = (await client.session.get({ sessionID: session.id })).data!
    expect(stored.summary).toMatchObject({ additions: 3, deletions: 3, files: 3 })

    // The user edits an unrelated file meanwhile.
    writeFileSync(join(spool.repo, "untouched.md"), "user's own change\n")

    const reverted = await client.session.revert({ sessionID: session.id, messageID: user.id })
    expect(reverted.error).toBeUndefined()
    expect(read("a.txt")).toBe(original["a.txt"])
    expect(read("b.txt")).toBe(original["b.txt"])
    expect(existsSync(join(spool.repo, "src/new.ts"))).toBe(false)
    expect(read("untouched.md")).toBe("user's own change\n")
    expect(reverted.data!.revert).toMatchObject({ messageID: user.id, files: ["a.txt", "b.txt", "src/new.ts"] })
    expect(reverted.data!.revert?.snapshot).toMatch(/^[0-9a-f]{40}$/)
    expect(reverted.data!.revert?.diff).toContain("-ALPHA")
    expect((reverted.data!.revert as SessionInfo["revert"])?.conflicts).toBeUndefined()

    const unreverted = await client.session.unrevert({ sessionID: session.id })
    expect(unreverted.error).toBeUndefined()
    expect(unreverted.data!.revert).toBeUndefined()
    expect(read("a.txt")).toBe("ALPHA\n")
    expect(read("b.txt")).toBe("beta rewritten\n")
    expect(read("src/new.ts")).toBe("export const fresh = true\n")
    expect(read("untouched.md")).toBe("user's own change\n")
  })

  test("a file the user changed after the agent is reported and left alone, unless force", async () => {
    const client = spool.client()
    writeFileSync(join(spool.repo, "a.txt"), original["a.txt"])
    writeFileSync(join(spool.repo, "b.txt"), original["b.txt"])
    rmSync(join(spool.repo, "src/new.ts"))
    const session = (await client.session.create({ title: "conflict" })).data!
    await editThreeFiles(session.id)
    writeFileSync(join(spool.repo, "a.txt"), "the user's newer version\n")
    const user = (await client.session.messages({ sessionID: session.id })).data![0].info

    const reverted = (await client.session.revert({ sessionID: session.id, messageID: user.id })).data!
    // Spool's additions to OpenCode's revert object (see docs/compatibility.md).
    const revert = reverted.revert as SessionInfo["revert"]
    expect(revert?.conflicts).toEqual(["a.txt"])
    expect(revert?.files).toEqual(["b.txt", "src/new.ts"])
    expect(read("a.txt")).toBe("the user's newer version\n")
    expect(read("b.txt")).toBe(original["b.txt"])

    // Unrevert after the user edited a reverted file: refused, nothing changed, unless force.
    writeFileSync(join(spool.repo, "b.txt"), "edited after the revert\n")
    const refused = await spool.fetch(`/session/${session.id}/unrevert`, { method: "POST", body: "{}", headers: { "content-type": "application/json" } })
    expect(refused.status).toBe(409)
    expect(await refused.json()).toMatchObject({ name: "RevertConflictError", data: { files: ["b.txt"] } })
    expect(existsSync(join(spool.repo, "src/new.ts"))).toBe(false)
    const forced = await spool.fetch(`/session/${session.id}/unrevert`, { method: "POST", body: '{"force":true}', headers: { "content-type": "application/json" } })
    expect(forced.status).toBe(200)
    expect(read("b.txt")).toBe("beta rewritten\n")
    expect(read("src/new.ts")).toBe("export const fresh = true\n")
  })

  test("the next prompt deletes the reverted messages; revert on a busy session is 409", async () => {
    const client = spool.client()
    const session = (await client.session.create({ title: "cleanup" })).data!
    llm.script({ text: "first answer" })
    await client.session.prompt({ sessionID: session.id, parts: [{ type: "text", text: "one" }] })
    llm.script({ text: "second answer" })
    await client.session.prompt({ sessionID: session.id, parts: [{ type: "text", text: "two" }] })
    const before = (await client.session.messages({ sessionID: session.id })).data!
    expect(before).toHaveLength(4)
    await client.session.revert({ sessionID: session.id, messageID: before[2].info.id })
    // Hidden, not yet deleted.
    expect((await client.session.messages({ sessionID: session.id })).data!).toHaveLength(4)

    llm.script({ text: "third answer", hang: true })
    const requests = llm.requests.length
    await client.session.promptAsync({ sessionID: session.id, parts: [{ type: "text", text: "three" }] })
    await until(() => llm.requests.length > requests, "the hanging request to reach the model")
    const busy = await spool.fetch(`/session/${session.id}/revert`, { method: "POST", body: JSON.stringify({ messageID: before[0].info.id }), headers: { "content-type": "application/json" } })
    expect(busy.status).toBe(409)
    expect(await busy.json()).toMatchObject({ name: "SessionBusyError" })
    await client.session.abort({ sessionID: session.id })

    const after = (await client.session.messages({ sessionID: session.id })).data!
    const texts = after.map((message) => message.parts.find((part) => part.type === "text")).map((part) => (part?.type === "text" ? part.text : ""))
    expect(texts.slice(0, 3)).toEqual(["one", "first answer", "three"])
    expect(texts).not.toContain("two")
    expect((await client.session.get({ sessionID: session.id })).data!.revert).toBeUndefined()
    // The reverted turn never reached the model.
    expect(JSON.stringify(llm.requests.at(-1)!.body)).not.toContain("second answer")
  })

  test("outside a git repository the directory itself is snapshotted", async () => {
    const { tempDir } = await import("../fixture/tmp.ts")
    const plain = tempDir({ files: { "notes.txt": "v1\n" } })
    try {
      const client = spool.client(plain.path)
      const session = (await client.session.create({})).data!
      expect(session.projectID).toBe("global")
      llm.script({ toolCalls: [{ name: "read", input: { filePath: "notes.txt" } }] }, { toolCalls: [{ name: "write", input: { filePath: "notes.txt", content: "v2\n" } }] }, { text: "done" })
      await client.session.prompt({ sessionID: session.id, parts: [{ type: "text", text: "bump" }] })
      expect(readFileSync(join(plain.path, "notes.txt"), "utf8")).toBe("v2\n")
      const user = (await client.session.messages({ sessionID: session.id })).data![0].info
      const reverted = await client.session.revert({ sessionID: session.id, messageID: user.id })
      expect(reverted.error).toBeUndefined()
      expect(readFileSync(join(plain.path, "notes.txt"), "utf8")).toBe("v1\n")
    } finally {
      plain.cleanup()
    }
  })
})

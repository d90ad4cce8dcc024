import { existsSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import type { RevertPreview, SessionInfo } from "../../src/session/index.ts"
import { startFakeLLM, type FakeLLM } from "../fixture/fake-llm.ts"
import { startSpoolApp, type SpoolApp } from "../fixture/spool-app.ts"

/**
 * Issue 10's revert dialog: `GET /session/:id/revert?messageID=` previews what `POST
 * /session/:id/revert` would restore and which conflicts it would leave alone, through the same plan,
 * and changes nothing; the real revert then does exactly that.
 */
describe("GET /session/:id/revert (preview)", () => {
  let llm: FakeLLM
  let spool: SpoolApp
  const original = { "a.txt": "alpha\n", "b.txt": "beta\n", "untouched.md": "keep me\n" }
  const json = { "content-type": "application/json" }

  beforeAll(async () => {
    llm = await startFakeLLM()
    spool = await startSpoolApp({ llm, files: original })
  })
  afterAll(async () => {
    await spool?.close()
    await llm?.close()
  })

  const read = (file: string) => (existsSync(join(spool.repo, file)) ? readFileSync(join(spool.repo, file), "utf8") : undefined)
  const disk = () => Object.fromEntries(["a.txt", "b.txt", "src/new.ts", "untouched.md"].map((file) => [file, read(file)]))
  const preview = async (sessionID: string, messageID: string) => {
    const response = await spool.fetch(`/session/${sessionID}/revert?messageID=${messageID}`)
    expect(response.status, await response.clone().text()).toBe(200)
    return (await response.json()) as RevertPreview
  }

  test("files to restore or delete, conflicts left alone; nothing changes; the revert then does just that", async () => {
    const client = spool.client()
    const session = (await client.session.create({ title: "preview" })).data!
    llm.script(
      { toolCalls: [{ name: "read", input: { filePath: "a.txt" } }, { name: "read", input: { filePath: "b.txt" } }] },
      {
        toolCalls: [
          { name: "edit", input: { filePath: "a.txt", oldString: "alpha", newString: "ALPHA" } },
          { name: "write", input: { filePath: "b.txt", content: "beta rewritten\n" } },
          { name: "write", input: { filePath: "src/new.ts", content: "export const fresh = true\n" } },
        ],
      },
      { text: "Changed three files." },
    )
    await client.session.prompt({ sessionID: session.id, parts: [{ type: "text", text: "change a, b, add new" }] })
    const user = (await client.session.messages({ sessionID: session.id })).data![0].info
    // Someone else edits b.txt after the agent.
    writeFileSync(join(spool.repo, "b.txt"), "user's own change\n")
    const before = disk()

    const plan = await preview(session.id, user.id)
    expect(plan).toMatchObject({
      sessionID: session.id,
      messageID: user.id,
      files: [
        { file: "a.txt", action: "restore" },
        { file: "src/new.ts", action: "delete" },
      ],
      conflicts: ["b.txt"],
      pending: false,
    })
    expect(plan.diffs.map((diff) => diff.file).sort()).toEqual(["a.txt", "b.txt", "src/new.ts"])
    expect(disk()).toEqual(before)
    expect(((await client.session.get({ sessionID: session.id })).data as SessionInfo).revert).toBeUndefined()

    const reverted = (await (await spool.fetch(`/session/${session.id}/revert`, { method: "POST", headers: json, body: JSON.stringify({ messageID: user.id }) })).json()) as SessionInfo
    expect(reverted.revert!.files).toEqual(plan.files.map((file) => file.file))
    expect(reverted.revert!.conflicts).toEqual(plan.conflicts)
    expect(read("a.txt")).toBe("alpha\n")
    expect(read("src/new.ts")).toBeUndefined()

    // With the revert pending: the preview takes it as undone first, as a new revert would, and still changes nothing.
    const afterRevert = disk()
    const again = await preview(session.id, user.id)
    expect(again).toMatchObject({ pending: true, conflicts: ["b.txt"], files: plan.files })
    expect(disk()).toEqual(afterRevert)
  })

  test("errors: 400 for a missing or malformed ID, 404 for a missing session or message; documented", async () => {
    const session = (await spool.client().session.create({ title: "errors" })).data!
    expect((await spool.fetch(`/session/${session.id}/revert`)).status).toBe(400)
    expect((await spool.fetch(`/session/${session.id}/revert?messageID=nope`)).status).toBe(400)
    const missing = await spool.fetch(`/session/${session.id}/revert?messageID=msg_0000000000000000000000000000`)
    expect(missing.status).toBe(404)
    expect(await missing.json()).toMatchObject({ name: "NotFoundError" })
    expect((await spool.fetch("/session/ses_0000000000000000000000000000/revert?messageID=msg_0000000000000000000000000000")).status).toBe(404)
    const doc = (await (await spool.fetch("/doc")).json()) as { paths: Record<string, { get?: { operationId: string; parameters?: Array<{ name: string; in: string }> } }> }
    expect(doc.paths["/session/{sessionID}/revert"].get!.operationId).toBe("session.revertPreview")
    expect(doc.paths["/session/{sessionID}/revert"].get!.parameters!.filter((parameter) => parameter.in === "query").map((parameter) => parameter.name).sort()).toEqual(["messageID", "partID"])
  })
})

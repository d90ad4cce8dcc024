import { readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { createOpencodeClient } from "@opencode-ai/sdk/v2/client"
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import { createApp, type App } from "../../src/app.ts"
import { createLogger } from "../../src/util/log.ts"
import { startFakeLLM, type FakeLLM } from "../fixture/fake-llm.ts"
import { tempDir, type TempDir } from "../fixture/tmp.ts"

/**
 * Issue 9: read tracking lives in the database, so a session continued by another Spool process on the
 * same data directory (`spool run --session`, a restart) may edit what it read in the first one, and a
 * file changed by someone else in between is still refused.
 */
describe("read records shared by processes on one data directory", () => {
  let llm: FakeLLM
  let data: TempDir
  let repo: TempDir
  const apps: App[] = []
  let config: string

  const open = async () => {
    // Snapshots off: the test is about read records, and each step's git snapshot costs time.
    const env: NodeJS.ProcessEnv = { ...process.env, XDG_CONFIG_HOME: data.path, SPOOL_CONFIG: config, ANTHROPIC_API_KEY: "test", ANTHROPIC_BASE_URL: llm.anthropicBaseURL }
    delete env.SPOOL_MODEL
    const app = await createApp({ dataDir: data.path, cwd: repo.path, env, model: "anthropic/claude-sonnet-4-5", log: createLogger("silent") })
    apps.push(app)
    const url = await app.listen(0, "127.0.0.1")
    return { app, client: createOpencodeClient({ baseUrl: url, directory: repo.path }) }
  }
  type Client = Awaited<ReturnType<typeof open>>["client"]

  /** Runs one turn whose model makes `calls` (in one step), and returns those tool parts' final states. */
  const callTools = async (client: Client, sessionID: string, ...calls: Array<[tool: string, input: Record<string, unknown>]>) => {
    llm.script({ toolCalls: calls.map(([name, input]) => ({ name, input })) }, { text: "done" })
    const answer = await client.session.prompt({ sessionID, parts: [{ type: "text", text: "go" }] })
    expect(answer.error).toBeUndefined()
    const messages = (await client.session.messages({ sessionID })).data!
    const parts = messages.flatMap((message) => message.parts).filter((part) => part.type === "tool")
    return parts.slice(-calls.length).map((part) => (part.type === "tool" ? part.state : undefined))
  }

  beforeAll(async () => {
    llm = await startFakeLLM()
    data = tempDir({ prefix: "spool-data-" })
    repo = tempDir({ git: true, files: { "a.txt": "one\ntwo\n", "b.txt": "alpha\nbeta\n" } })
    config = join(data.path, "test-config.json")
    writeFileSync(config, JSON.stringify({ snapshot: { enabled: false } }))
  })
  afterAll(async () => {
    for (const app of apps) await app.close().catch(() => {})
    await llm?.close()
    repo?.cleanup()
    data?.cleanup()
  })

  test("a read in one app lets a second app edit; a file changed in between is refused", async () => {
    const first = await open()
    const sessionID = (await first.client.session.create({ title: "read records" })).data!.id
    const reads = await callTools(first.client, sessionID, ["read", { filePath: "a.txt" }], ["read", { filePath: "b.txt" }])
    expect(reads).toMatchObject([{ status: "completed" }, { status: "completed" }])
    // The user changes b.txt after the session read it.
    writeFileSync(join(repo.path, "b.txt"), "alpha\nchanged by the user\n")

    // A second process on the same data directory, the first one still open.
    const second = await open()
    const [edited, refused] = await callTools(
      second.client,
      sessionID,
      ["edit", { filePath: "a.txt", oldString: "two", newString: "TWO" }],
      ["edit", { filePath: "b.txt", oldString: "alpha", newString: "ALPHA" }],
    )
    expect(edited).toMatchObject({ status: "completed" })
    expect(readFileSync(join(repo.path, "a.txt"), "utf8")).toBe("one\nTWO\n")
    expect(refused).toMatchObject({ status: "error", error: expect.stringMatching(/has been modified since this session last read it/) })
    expect(readFileSync(join(repo.path, "b.txt"), "utf8")).toBe("alpha\nchanged by the user\n")

    // After a restart (both closed), the session goes on editing its own last write.
    await first.app.close()
    await second.app.close()
    const third = await open()
    const [again] = await callTools(third.client, sessionID, ["edit", { filePath: "a.txt", oldString: "one", newString: "ONE" }])
    expect(again).toMatchObject({ status: "completed" })
    expect(readFileSync(join(repo.path, "a.txt"), "utf8")).toBe("ONE\nTWO\n")

    // Another session never read a.txt: refused, as before.
    const other = (await third.client.session.create({ title: "read records" })).data!.id
    const [unread] = await callTools(third.client, other, ["edit", { filePath: "a.txt", oldString: "ONE", newString: "x" }])
    expect(unread).toMatchObject({ status: "error", error: expect.stringMatching(/You must read file/) })

    // Deleting the session deletes its read records.
    expect(await third.app.db.selectFrom("file_read").select("path").where("session_id", "=", sessionID).execute()).toHaveLength(2)
    await third.client.session.delete({ sessionID })
    expect(await third.app.db.selectFrom("file_read").selectAll().where("session_id", "=", sessionID).execute()).toEqual([])
  })
})

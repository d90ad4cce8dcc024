import { fileURLToPath } from "node:url"
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import { createApp, type App } from "../../src/app.ts"
import { createId } from "../../src/id/index.ts"
import { parsers } from "../../src/importer/index.ts"
import { repository } from "../../src/session/repository.ts"
import { createLogger } from "../../src/util/log.ts"
import { tempDir, type TempDir } from "../fixture/tmp.ts"

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/transcripts/opencode/${name}`, import.meta.url))

/**
 * Issue 9: crash recovery repairs only turns this Spool ran. OpenCode storage with unfinished parts
 * (tools left `running`, texts without an end) is imported; the next start leaves them as imported, but
 * still repairs a turn Spool itself ran in an imported session and left unfinished.
 */
describe("crash recovery and imported sessions", () => {
  let data: TempDir
  let repo: TempDir
  const apps: App[] = []
  const open = async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, XDG_CONFIG_HOME: data.path }
    delete env.SPOOL_CONFIG
    const app = await createApp({ dataDir: data.path, cwd: repo.path, env, log: createLogger("silent") })
    apps.push(app)
    return app
  }
  beforeAll(() => {
    data = tempDir({ prefix: "spool-data-" })
    repo = tempDir({ git: true })
  })
  afterAll(async () => {
    for (const app of apps) await app.close().catch(() => {})
    repo?.cleanup()
    data?.cleanup()
  })

  test("imported unfinished rows are left as imported; Spool's own unfinished turn in an imported session is repaired", async () => {
    const first = await open()
    const summary = await first.importSessions(
      [
        { source: "opencode", path: fixture("synthetic-agentsessions-storage-v2") },
        { source: "opencode", path: fixture("synthetic-cass-storage-legacy") },
        { source: "opencode", path: fixture("ekisu-t8v6Igr8.export.json") },
      ],
      { parsers },
    )
    expect(summary.sessions.created).toBeGreaterThan(0)
    const unfinishedParts = (await repository.unfinishedParts(first.db)).map((part) => part.id).sort()
    const unfinishedMessages = (await repository.unfinishedAssistants(first.db)).map((message) => message.id).sort()
    // The fixtures do hold unfinished rows (else this test could not fail).
    expect(unfinishedParts.length + unfinishedMessages.length).toBeGreaterThan(0)
    const before = await first.db.selectFrom("part").select(["id", "data"]).orderBy("id").execute()

    // A turn Spool ran in an imported session, cut by a crash: an assistant message with a running tool.
    const session = (await first.sessions.list({ directory: "/", allProjects: true, limit: 1 })).items[0]
    const now = Date.now() + 5
    const messageID = createId("message", false, now)
    const user = (await first.sessions.messages(session.id, {})).items.find((message) => message.info.role === "user")!
    await repository.upsertMessage(
      first.db,
      {
        id: messageID,
        sessionID: session.id,
        role: "assistant",
        parentID: user.info.id,
        modelID: "m",
        providerID: "p",
        mode: "build",
        agent: "build",
        path: { cwd: "/", root: "/" },
        cost: 0,
        tokens: { input: 0, output: 0, reasoning: 0, cache: { read: 0, write: 0 } },
        time: { created: now },
      } as never,
      now,
    )
    const toolID = createId("part", false, now)
    await repository.upsertPart(first.db, { id: toolID, sessionID: session.id, messageID, type: "tool", callID: "c1", tool: "bash", state: { status: "running", input: {}, time: { start: now } } } as never, now)
    await first.close()

    // The next start: recovery runs.
    const second = await open()
    const after = await second.db.selectFrom("part").select(["id", "data"]).where("id", "!=", toolID).orderBy("id").execute()
    expect(after).toEqual(before)
    expect((await repository.unfinishedParts(second.db)).map((part) => part.id).sort()).toEqual(unfinishedParts)
    expect((await repository.unfinishedAssistants(second.db)).map((message) => message.id).sort()).toEqual(unfinishedMessages)
    const repaired = (await second.sessions.message(session.id, messageID))!
    expect(repaired.info).toMatchObject({ error: { name: "MessageAbortedError" } })
    expect(repaired.parts[0]).toMatchObject({ state: { status: "error", error: "Tool execution aborted", metadata: { interrupted: true } } })
  })
})

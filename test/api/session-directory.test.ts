import { mkdirSync, symlinkSync, writeFileSync } from "node:fs"
import { homedir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import { startFakeLLM, type FakeLLM } from "../fixture/fake-llm.ts"
import { startSpoolApp, type SpoolApp } from "../fixture/spool-app.ts"
import { tempDir, type TempDir } from "../fixture/tmp.ts"

/**
 * Issue 8, confinement: the directory a client chooses for a session (`?directory=` or the
 * `x-opencode-directory` header) must exist and be a directory, and neither `/` nor the server user's
 * home directory may become a session directory (the file tools confine the agent to it).
 */
let llm: FakeLLM
let spool: SpoolApp
let scratch: TempDir

beforeAll(async () => {
  llm = await startFakeLLM()
  spool = await startSpoolApp({ llm })
  scratch = tempDir({ prefix: "spool-dirs-" })
})

afterAll(async () => {
  await spool?.close()
  await llm?.close()
  scratch?.cleanup()
})

async function createIn(directory: string, via: "query" | "header") {
  const encoded = encodeURIComponent(directory)
  const response =
    via === "query"
      ? await spool.fetch(`/session?directory=${encoded}`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" })
      : await spool.fetch("/session", { method: "POST", headers: { "content-type": "application/json", "x-opencode-directory": encoded }, body: "{}" })
  return { status: response.status, body: (await response.json()) as any }
}

describe("POST /session refuses directories the agent must not work in", () => {
  test.each(["query", "header"] as const)("/ via %s → 400 naming the filesystem root", async (via) => {
    const { status, body } = await createIn("/", via)
    expect(status).toBe(400)
    expect(body.name).toBe("BadRequest")
    expect(body.data.message).toMatch(/^Refusing to use the filesystem root \(\/\) as a session directory/)
  })

  test("/ spelled with .. → 400", async () => {
    const { status, body } = await createIn(join(scratch.path, "..", "..", "..", "..", "..", "..", ".."), "query")
    expect(status).toBe(400)
    expect(body.data.message).toContain("filesystem root")
  })

  test.each(["query", "header"] as const)("the home directory via %s → 400 naming it", async (via) => {
    const { status, body } = await createIn(homedir(), via)
    expect(status).toBe(400)
    expect(body.name).toBe("BadRequest")
    expect(body.data.message).toContain(`Refusing to use the home directory (${homedir()})`)
  })

  test("a symlink to the home directory → 400", async () => {
    const link = join(scratch.path, "home-link")
    symlinkSync(homedir(), link)
    const { status, body } = await createIn(link, "query")
    expect(status).toBe(400)
    expect(body.data.message).toContain("home directory")
  })

  test("a missing directory, or a file → 400", async () => {
    const missing = await createIn(join(scratch.path, "nope"), "query")
    expect(missing.status).toBe(400)
    expect(missing.body.data.message).toBe(`Directory does not exist: ${join(scratch.path, "nope")}`)
    writeFileSync(join(scratch.path, "file.txt"), "x")
    const file = await createIn(join(scratch.path, "file.txt"), "header")
    expect(file.status).toBe(400)
    expect(file.body.data.message).toBe(`Not a directory: ${join(scratch.path, "file.txt")}`)
  })

  test("nothing was stored by the refused requests; a project directory (and one below home) is accepted", async () => {
    const all = await spool.app.sessions.list({ directory: spool.repo, allProjects: true, limit: 100 })
    expect(all.items).toEqual([])
    const project = join(scratch.path, "project")
    mkdirSync(project)
    const created = await spool.client(project).session.create({ title: "ok" })
    expect(created.response.status).toBe(200)
    expect(created.data!.directory).toBe(project)
  })

  test("the SDK client gets the 400 as a named error", async () => {
    const result = await spool.client("/").session.create({})
    expect(result.response.status).toBe(400)
    expect(result.error).toMatchObject({ name: "BadRequest" })
  })
})

describe("listing", () => {
  test("a directory that does not exist just lists nothing", async () => {
    const result = await spool.client(join(scratch.path, "does-not-exist")).session.list()
    expect(result.response.status).toBe(200)
    expect(result.data).toEqual([])
  })
})

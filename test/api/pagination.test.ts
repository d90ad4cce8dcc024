import { mkdirSync } from "node:fs"
import { join } from "node:path"
import type { OpencodeClient, Session } from "@opencode-ai/sdk/v2/client"
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import { startSpoolApp, type SpoolApp } from "../fixture/spool-app.ts"

/** `GET /session` filters and cursor paging; `GET /session/:id/message` paging (spec 11.5, 11.6). */
let spool: SpoolApp
let client: OpencodeClient

beforeAll(async () => {
  spool = await startSpoolApp()
  client = spool.client()
})

afterAll(async () => {
  await spool?.close()
})

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function getJSON<T>(path: string, headers?: Record<string, string>): Promise<{ response: Response; body: T }> {
  const response = await spool.fetch(path, { headers })
  expect(response.status).toBe(200)
  return { response, body: (await response.json()) as T }
}

function decodeCursor(cursor: string): unknown {
  return JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"))
}

describe("GET /session paging", () => {
  const expected: string[] = []

  beforeAll(async () => {
    const created: Session[] = []
    for (let index = 0; index < 25; index++) created.push((await client.session.create({ title: `page ${index}` })).data!)
    // Give every session a distinct time.updated in a shuffled order: the list must follow it.
    const order = created.map((session, index) => ({ session, key: (index * 11) % 25 })).sort((a, b) => a.key - b.key)
    for (const { session } of order) {
      await sleep(2)
      await client.session.update({ sessionID: session.id, metadata: { touched: true } })
    }
    expected.push(...order.map(({ session }) => session.id).reverse())
  })

  test("limit=7 walks every page through X-Next-Cursor and Link, newest first, no duplicates or gaps", async () => {
    const directory = encodeURIComponent(spool.repo)
    let path: string | undefined = `/session?directory=${directory}&limit=7`
    const pages: Session[][] = []
    while (path) {
      const { response, body } = await getJSON<Session[]>(path)
      pages.push(body)
      const cursor = response.headers.get("x-next-cursor")
      const link = response.headers.get("link")
      if (cursor === null) {
        expect(link).toBeNull()
        path = undefined
        continue
      }
      expect(response.headers.get("access-control-expose-headers")).toBe("Link, X-Next-Cursor")
      const last = body.at(-1)!
      expect(decodeCursor(cursor)).toEqual({ id: last.id, time: last.time.updated })
      const match = /^<(http:\/\/[^>]+)>; rel="next"$/.exec(link ?? "")
      expect(match).not.toBeNull()
      const next = new URL(match![1])
      expect(next.origin).toBe(spool.url)
      expect(next.searchParams.get("before")).toBe(cursor)
      expect(next.searchParams.get("limit")).toBe("7")
      expect(next.searchParams.get("directory")).toBe(spool.repo)
      path = `${next.pathname}${next.search}`
    }
    expect(pages.map((page) => page.length)).toEqual([7, 7, 7, 4])
    expect(pages.flat().map((session) => session.id)).toEqual(expected)
    const updated = pages.flat().map((session) => session.time.updated)
    expect(updated).toEqual([...updated].sort((a, b) => b - a))
  })

  test("without limit the whole list comes back in the same order, with no paging headers", async () => {
    const { response, body } = await getJSON<Session[]>(`/session?directory=${encodeURIComponent(spool.repo)}`)
    expect(body.map((session) => session.id)).toEqual(expected)
    expect(response.headers.get("x-next-cursor")).toBeNull()
  })

  test("the SDK's list (limit) returns the newest sessions", async () => {
    const result = await client.session.list({ limit: 3 })
    expect(result.data!.map((session) => session.id)).toEqual(expected.slice(0, 3))
  })

  test("start keeps sessions updated at or after it", async () => {
    const all = (await client.session.list()).data!
    const pivot = all[9]
    const recent = (await client.session.list({ start: pivot.time.updated })).data!
    expect(recent.map((session) => session.id)).toEqual(all.filter((session) => session.time.updated >= pivot.time.updated).map((session) => session.id))
    expect(recent.map((session) => session.id)).toEqual(expected.slice(0, 10))
  })

  test("a bad cursor → 400", async () => {
    const response = await spool.fetch("/session?limit=7&before=not-a-cursor")
    expect(response.status).toBe(400)
    expect(await response.json()).toEqual({ name: "BadRequest", data: { message: "Invalid cursor: not-a-cursor", kind: "Query" } })
  })
})

describe("GET /session filters", () => {
  let filters: Record<string, Session>

  beforeAll(async () => {
    const create = async (title: string, directory = spool.repo, parentID?: string) =>
      (await spool.client(directory).session.create({ title, parentID })).data!
    const subdirectory = join(spool.repo, "packages", "app")
    mkdirSync(subdirectory, { recursive: true })
    const percent = await create("filter: 100% Done")
    const hundred = await create("filter: 100 percent")
    const underscore = await create("filter: snake_case")
    const snakey = await create("filter: snakeXcase")
    const child = await create("filter: child", spool.repo, percent.id)
    const archived = await create("filter: archived")
    await client.session.update({ sessionID: archived.id, time: { archived: Date.now() } })
    const nested = await create("filter: nested", subdirectory)
    filters = { percent, hundred, underscore, snakey, child, archived, nested }
  })

  const titles = (sessions: Session[]) => sessions.map((session) => session.title).filter((title) => title.startsWith("filter: ")).sort()

  test("search matches titles case-insensitively; % and _ are literal", async () => {
    expect(titles((await client.session.list({ search: "%" })).data!)).toEqual(["filter: 100% Done"])
    expect(titles((await client.session.list({ search: "100% done" })).data!)).toEqual(["filter: 100% Done"])
    expect(titles((await client.session.list({ search: "SNAKE_" })).data!)).toEqual(["filter: snake_case"])
    expect(titles((await client.session.list({ search: "filter: 100" })).data!)).toEqual(["filter: 100 percent", "filter: 100% Done"])
    expect((await client.session.list({ search: "no such title" })).data).toEqual([])
  })

  test("roots=true leaves out child sessions", async () => {
    const all = (await client.session.list({ search: "filter: " })).data!
    const roots = (await client.session.list({ search: "filter: ", roots: true })).data!
    expect(all.map((session) => session.id)).toContain(filters.child.id)
    expect(roots.map((session) => session.id)).not.toContain(filters.child.id)
    expect(titles(roots)).toEqual(titles(all).filter((title) => title !== "filter: child"))
  })

  test("archived sessions are excluded by default and included with archived=true", async () => {
    const directory = encodeURIComponent(spool.repo)
    const hidden = await getJSON<Session[]>(`/session?directory=${directory}&search=filter`)
    expect(titles(hidden.body)).toEqual(["filter: 100 percent", "filter: 100% Done", "filter: child", "filter: snakeXcase", "filter: snake_case"])
    const shown = await getJSON<Session[]>(`/session?directory=${directory}&search=filter&archived=true`)
    expect(titles(shown.body)).toEqual([...titles(hidden.body), "filter: archived"].sort())
    const archived = shown.body.find((session) => session.id === filters.archived.id)!
    expect(archived.time.archived).toBeGreaterThan(0)
  })

  test("?directory= is an exact filter; the header alone scopes to the project only", async () => {
    const nested = join(spool.repo, "packages", "app")
    const inRepo = await getJSON<Session[]>(`/session?directory=${encodeURIComponent(spool.repo)}&search=filter`)
    expect(inRepo.body.every((session) => session.directory === spool.repo)).toBe(true)
    expect(inRepo.body.map((session) => session.id)).not.toContain(filters.nested.id)

    const inNested = await getJSON<Session[]>(`/session?directory=${encodeURIComponent(nested)}&search=filter`)
    expect(inNested.body.map((session) => session.id)).toEqual([filters.nested.id])
    expect(inNested.body[0]).toMatchObject({ directory: nested, path: "packages/app", projectID: filters.percent.projectID })

    const project = await getJSON<Session[]>(`/session?search=filter`, { "x-opencode-directory": encodeURIComponent(spool.repo) })
    expect(titles(project.body)).toEqual(titles([...inRepo.body, ...inNested.body]))
  })

  test("another project sees none of these sessions", async () => {
    const other = join(spool.dataDir, "elsewhere")
    mkdirSync(other, { recursive: true })
    const { body } = await getJSON<Session[]>(`/session?directory=${encodeURIComponent(other)}`)
    expect(body).toEqual([])
  })
})

describe("GET /session/:id/message paging", () => {
  let sessionID: string
  let ids: string[]

  beforeAll(async () => {
    sessionID = (await client.session.create({ title: "messages" })).data!.id
    ids = []
    for (let index = 0; index < 7; index++) {
      const user = await client.session.prompt({ sessionID, noReply: true, parts: [{ type: "text", text: `message ${index}` }] })
      ids.push(user.data!.info.id)
    }
  })

  test("limit returns the newest N oldest-first, and before walks back to the first message", async () => {
    let path: string | undefined = `/session/${sessionID}/message?limit=3`
    const pages: string[][] = []
    while (path) {
      const { response, body }: { response: Response; body: Array<{ info: { id: string; time: { created: number } } }> } = await getJSON(path)
      pages.push(body.map((message) => message.info.id))
      const cursor = response.headers.get("x-next-cursor")
      if (!cursor) {
        expect(response.headers.get("link")).toBeNull()
        path = undefined
        continue
      }
      expect(decodeCursor(cursor)).toEqual({ id: body[0].info.id, time: body[0].info.time.created })
      expect(response.headers.get("access-control-expose-headers")).toBe("Link, X-Next-Cursor")
      const next: URL = new URL(/^<([^>]+)>; rel="next"$/.exec(response.headers.get("link") ?? "")![1])
      expect(next.searchParams.get("before")).toBe(cursor)
      expect(next.searchParams.get("limit")).toBe("3")
      path = `${next.pathname}${next.search}`
    }
    expect(pages).toEqual([ids.slice(4, 7), ids.slice(1, 4), ids.slice(0, 1)])
  })

  test("the SDK passes limit and before through", async () => {
    const first = await client.session.messages({ sessionID, limit: 2 })
    expect(first.data!.map((message) => message.info.id)).toEqual(ids.slice(5, 7))
    const cursor = first.response.headers.get("x-next-cursor")!
    const second = await client.session.messages({ sessionID, limit: 2, before: cursor })
    expect(second.data!.map((message) => message.info.id)).toEqual(ids.slice(3, 5))
    expect((second.data![0].parts[0] as { text: string }).text).toBe("message 3")
  })

  test("no limit (or limit=0) returns everything, oldest first, without paging headers", async () => {
    for (const path of [`/session/${sessionID}/message`, `/session/${sessionID}/message?limit=0`]) {
      const { response, body } = await getJSON<Array<{ info: { id: string } }>>(path)
      expect(body.map((message) => message.info.id)).toEqual(ids)
      expect(response.headers.get("x-next-cursor")).toBeNull()
      expect(response.headers.get("link")).toBeNull()
    }
  })

  test("a limit covering everything has no next page", async () => {
    const { response, body } = await getJSON<unknown[]>(`/session/${sessionID}/message?limit=7`)
    expect(body).toHaveLength(7)
    expect(response.headers.get("x-next-cursor")).toBeNull()
  })

  test("before without limit → 400", async () => {
    const cursor = Buffer.from(JSON.stringify({ id: ids[3], time: Date.now() })).toString("base64url")
    const response = await spool.fetch(`/session/${sessionID}/message?before=${cursor}`)
    expect(response.status).toBe(400)
    expect(await response.json()).toEqual({ name: "BadRequest", data: { message: "`before` needs `limit`", kind: "Query" } })
  })

  test.each(["abc", Buffer.from('{"id":1}').toString("base64url"), Buffer.from("[]").toString("base64url")])("bad cursor %s → 400", async (cursor) => {
    const response = await spool.fetch(`/session/${sessionID}/message?limit=2&before=${cursor}`)
    expect(response.status).toBe(400)
    expect(await response.json()).toEqual({ name: "BadRequest", data: { message: `Invalid cursor: ${cursor}`, kind: "Query" } })
  })
})

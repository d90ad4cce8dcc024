import { Hono } from "hono"
import { afterEach, beforeEach, describe, expect, test } from "vitest"
import { z } from "zod"
import { createAuth, type Auth } from "../../auth/index.ts"
import { openSqlite, type DB } from "../../storage/index.ts"
import { createLogger } from "../../util/log.ts"
import { errorHandler } from "../errors.ts"
import { jsonBody } from "../request.ts"
import { parseHost, isLoopbackHostname } from "./access.ts"
import { authGuard, bodySizeLimit, createFailedAttemptLimiter, hostGuard, jsonBodiesOnly, loginRoutes, originGuard, type AccessConfig } from "./index.ts"

/**
 * The security middleware in-process (`app.request`), in `createServer`'s order, in front of two
 * routes: `GET /thing` and `POST /thing` (a JSON body through `jsonBody`). Every refusal must happen
 * before the route runs: `created` counts what got through.
 */
let db: DB
let auth: Auth
let created: number
let access: AccessConfig

function app(options: { credentials?: boolean; attempts?: number } = {}) {
  const server = new Hono()
  server.onError(errorHandler(createLogger("silent")))
  const limiter = createFailedAttemptLimiter(options.attempts ?? 10, 60)
  server.use("*", hostGuard(() => access))
  server.use("*", originGuard(() => access))
  if (options.credentials) server.use("*", authGuard(auth, limiter))
  server.use("*", jsonBodiesOnly())
  server.use("*", bodySizeLimit(() => access))
  if (options.credentials) server.route("/", loginRoutes(auth, limiter))
  server.get("/thing", (c) => c.json({ ok: true }))
  server.post("/thing", async (c) => {
    const body = await jsonBody(c, z.object({ title: z.string().optional() }))
    created++
    return c.json(body)
  })
  return server
}

const JSON_HEADERS = { "content-type": "application/json" }

beforeEach(async () => {
  db = await openSqlite(":memory:")
  auth = createAuth({ db, password: "s3cret" })
  created = 0
  access = {}
})

afterEach(async () => {
  await db.destroy()
})

describe("Host allow-list", () => {
  test.each(["localhost", "localhost:4096", "127.0.0.1:1234", "[::1]:4096", "LOCALHOST:1"])("%s is allowed", async (host) => {
    const response = await app().request(`http://${host}/thing`)
    expect(response.status).toBe(200)
  })

  test.each(["evil.example:4096", "evil.example", "localhost.evil.example", "127.0.0.1.nip.io:4096"])("%s is refused with 403 Host before routing", async (host) => {
    const response = await app().request(`http://${host}/thing`, { method: "POST", headers: JSON_HEADERS, body: "{}" })
    expect(response.status).toBe(403)
    expect(await response.json()).toMatchObject({ name: "ForbiddenError", data: { kind: "Host" } })
    expect(created).toBe(0)
  })

  test("config server.hostnames (any port, or one port) and the bound hostname", async () => {
    access = { hostnames: ["spool.example.com", "other.example:8443"], boundHostname: "box.lan" }
    expect((await app().request("http://spool.example.com:9/thing")).status).toBe(200)
    expect((await app().request("http://other.example:8443/thing")).status).toBe(200)
    expect((await app().request("http://other.example:8444/thing")).status).toBe(403)
    expect((await app().request("http://box.lan:4096/thing")).status).toBe(200)
    access = { boundHostname: "0.0.0.0" }
    expect((await app().request("http://0.0.0.0:4096/thing")).status).toBe(403)
  })

  test("parseHost and loopback names", () => {
    expect(parseHost("Example.COM:80")).toEqual({ name: "example.com", port: "80" })
    expect(parseHost("[::1]:4096")).toEqual({ name: "[::1]", port: "4096" })
    expect(parseHost("[::1")).toBeUndefined()
    expect(parseHost("a:b")).toBeUndefined()
    expect(isLoopbackHostname("127.0.0.1")).toBe(true)
    expect(isLoopbackHostname("127.0.0.2")).toBe(true)
    expect(isLoopbackHostname("::1")).toBe(true)
    expect(isLoopbackHostname("localhost")).toBe(true)
    expect(isLoopbackHostname("0.0.0.0")).toBe(false)
    expect(isLoopbackHostname("192.168.1.5")).toBe(false)
  })
})

describe("Origin check", () => {
  test.each(["http://localhost:3000", "http://127.0.0.1:9999", "http://[::1]:5173", "http://localhost", "http://127.0.0.1:4096"])("%s may POST", async (origin) => {
    const response = await app().request("http://127.0.0.1:4096/thing", { method: "POST", headers: { ...JSON_HEADERS, origin }, body: "{}" })
    expect(response.status).toBe(200)
    expect(response.headers.get("access-control-allow-origin")).toBe(origin)
  })

  test.each(["http://evil.example", "null", "oc://renderer", "tauri://localhost", "https://app.opencode.ai", "http://localhost.evil.example"])(
    "%s is refused with 403 Origin, for GET as for POST",
    async (origin) => {
      for (const init of [{ method: "GET" }, { method: "POST", headers: JSON_HEADERS, body: "{}" }]) {
        const response = await app().request("http://127.0.0.1:4096/thing", { ...init, headers: { ...init.headers, origin } })
        expect(response.status).toBe(403)
        expect(await response.json()).toMatchObject({ name: "ForbiddenError", data: { kind: "Origin" } })
        expect(response.headers.get("access-control-allow-origin")).toBeNull()
      }
      expect(created).toBe(0)
    },
  )

  test("the server's own origin and config server.cors are allowed; preflights answer for allowed origins only", async () => {
    access = { hostnames: ["spool.example.com"], cors: ["https://app.example.com/"] }
    expect((await app().request("http://spool.example.com/thing", { headers: { origin: "https://spool.example.com" } })).status).toBe(200)
    expect((await app().request("http://127.0.0.1:4096/thing", { headers: { origin: "https://app.example.com" } })).status).toBe(200)
    const preflight = await app().request("http://127.0.0.1:4096/thing", { method: "OPTIONS", headers: { origin: "https://app.example.com", "access-control-request-method": "POST" } })
    expect(preflight.status).toBe(204)
    expect(preflight.headers.get("access-control-allow-origin")).toBe("https://app.example.com")
    const foreign = await app().request("http://127.0.0.1:4096/thing", { method: "OPTIONS", headers: { origin: "https://other.example.com", "access-control-request-method": "POST" } })
    expect(foreign.status).toBe(403)
  })
})

describe("JSON-only bodies", () => {
  test.each([
    ["text/plain", '{"title":"x"}'],
    ["text/plain;charset=UTF-8", '{"title":"x"}'],
    ["application/x-www-form-urlencoded", '{"title":"x"}=""'],
    ["multipart/form-data; boundary=x", '--x\r\nContent-Disposition: form-data; name="title"\r\n\r\nx\r\n--x--\r\n'],
    ["application/jsonp", '{"title":"x"}'],
  ])("%s → 415, and the route does not run", async (type, body) => {
    const response = await app().request("http://localhost/thing", { method: "POST", headers: { "content-type": type, "content-length": String(body.length) }, body })
    expect(response.status).toBe(415)
    expect(await response.json()).toMatchObject({ name: "UnsupportedMediaTypeError", data: { contentType: type } })
    expect(created).toBe(0)
  })

  test("jsonBody refuses a non-JSON body of unknown length too", async () => {
    const response = await app().request("http://localhost/thing", { method: "POST", headers: { "content-type": "text/plain" }, body: '{"title":"x"}' })
    expect(response.status).toBe(415)
    expect(created).toBe(0)
  })

  test("application/json (with charset) and empty bodies pass", async () => {
    expect((await app().request("http://localhost/thing", { method: "POST", headers: { "content-type": "application/json; charset=utf-8" }, body: '{"title":"x"}' })).status).toBe(200)
    expect((await app().request("http://localhost/thing", { method: "POST" })).status).toBe(200)
    expect((await app().request("http://localhost/thing", { method: "POST", headers: { "content-type": "text/plain", "content-length": "0" } })).status).toBe(200)
    expect(created).toBe(3)
  })
})

describe("body limit", () => {
  test("a declared length over server.maxBodyBytes → 413 without reading; a streamed one is cut off at the limit", async () => {
    access = { maxBodyBytes: 1024 }
    const declared = await app().request("http://localhost/thing", { method: "POST", headers: { ...JSON_HEADERS, "content-length": "2048" }, body: `{"title":"${"x".repeat(2034)}"}` })
    expect(declared.status).toBe(413)
    expect(await declared.json()).toMatchObject({ name: "PayloadTooLargeError", data: { limit: 1024 } })
    let pulled = 0
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++
        controller.enqueue(new TextEncoder().encode("x".repeat(512)))
        if (pulled === 100) controller.close()
      },
    })
    const streamed = await app().request("http://localhost/thing", { method: "POST", headers: JSON_HEADERS, body: stream, duplex: "half" } as RequestInit)
    expect(streamed.status).toBe(413)
    expect(pulled).toBeLessThan(10)
    expect(created).toBe(0)
    expect((await app().request("http://localhost/thing", { method: "POST", headers: JSON_HEADERS, body: '{"title":"small"}' })).status).toBe(200)
  })
})

describe("authentication", () => {
  const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`

  test("no credentials → 401 with a Basic challenge; the password with any username → 200", async () => {
    const server = app({ credentials: true })
    const missing = await server.request("http://localhost/thing")
    expect(missing.status).toBe(401)
    expect(missing.headers.get("www-authenticate")).toMatch(/^Basic realm="spool"/)
    expect(await missing.json()).toMatchObject({ name: "UnauthorizedError" })
    expect((await server.request("http://localhost/thing", { headers: { authorization: basic("opencode", "s3cret") } })).status).toBe(200)
    expect((await server.request("http://localhost/thing", { headers: { authorization: basic("anyone", "s3cret") } })).status).toBe(200)
    expect((await server.request("http://localhost/thing", { headers: { authorization: basic("opencode", "wrong") } })).status).toBe(401)
  })

  test("a browser's fetch/EventSource gets a Bearer challenge (no native password dialog); navigations get Basic", async () => {
    const server = app({ credentials: true })
    const fetched = await server.request("http://localhost/thing", { headers: { "sec-fetch-mode": "cors", "sec-fetch-site": "same-origin" } })
    expect(fetched.status).toBe(401)
    expect(fetched.headers.get("www-authenticate")).toBe('Bearer realm="spool"')
    const navigated = await server.request("http://localhost/thing", { headers: { "sec-fetch-mode": "navigate", "sec-fetch-site": "none" } })
    expect(navigated.headers.get("www-authenticate")).toMatch(/^Basic realm="spool"/)
    // Node's fetch (the SDK) sends Sec-Fetch-Mode: cors but no Sec-Fetch-Site.
    const sdk = await server.request("http://localhost/thing", { headers: { "sec-fetch-mode": "cors" } })
    expect(sdk.headers.get("www-authenticate")).toMatch(/^Basic realm="spool"/)
  })

  test("a pinned username must match", async () => {
    auth = createAuth({ db, password: "s3cret", username: "alice" })
    const server = app({ credentials: true })
    expect((await server.request("http://localhost/thing", { headers: { authorization: basic("alice", "s3cret") } })).status).toBe(200)
    expect((await server.request("http://localhost/thing", { headers: { authorization: basic("opencode", "s3cret") } })).status).toBe(401)
  })

  test("Bearer tokens: read may only GET (403 Scope), write may POST, revoked → 401; a token as the Basic password works", async () => {
    const read = await auth.tokens.create({ name: "read", scope: "read" })
    const write = await auth.tokens.create({ name: "write", scope: "write" })
    const server = app({ credentials: true })
    const post = (authorization: string) => server.request("http://localhost/thing", { method: "POST", headers: { ...JSON_HEADERS, authorization }, body: "{}" })
    expect((await server.request("http://localhost/thing", { headers: { authorization: `Bearer ${read.token}` } })).status).toBe(200)
    const refused = await post(`Bearer ${read.token}`)
    expect(refused.status).toBe(403)
    expect(await refused.json()).toMatchObject({ name: "ForbiddenError", data: { kind: "Scope" } })
    expect(created).toBe(0)
    expect((await post(`Bearer ${write.token}`)).status).toBe(200)
    expect((await post(basic("opencode", write.token))).status).toBe(200)
    await auth.tokens.revoke("write")
    expect((await post(`Bearer ${write.token}`)).status).toBe(401)
    expect(created).toBe(2)
  })

  test("failed attempts are rate-limited per address: 429 with Retry-After, even for the right password", async () => {
    const server = app({ credentials: true, attempts: 3 })
    for (let attempt = 0; attempt < 3; attempt++) expect((await server.request("http://localhost/thing", { headers: { authorization: basic("x", "wrong") } })).status).toBe(401)
    const limited = await server.request("http://localhost/thing", { headers: { authorization: basic("x", "wrong") } })
    expect(limited.status).toBe(429)
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0)
    expect(await limited.json()).toMatchObject({ name: "TooManyRequestsError" })
    expect((await server.request("http://localhost/thing", { headers: { authorization: basic("x", "s3cret") } })).status).toBe(429)
  })

  test("requests without credentials do not count as failed attempts", async () => {
    const server = app({ credentials: true, attempts: 2 })
    for (let attempt = 0; attempt < 5; attempt++) expect((await server.request("http://localhost/thing")).status).toBe(401)
    expect((await server.request("http://localhost/thing", { headers: { authorization: basic("x", "s3cret") } })).status).toBe(200)
  })

  test("login sets an HttpOnly SameSite=Strict cookie that authenticates; logout ends it", async () => {
    const server = app({ credentials: true })
    const page = await server.request("http://localhost/login")
    expect(page.status).toBe(200)
    expect(page.headers.get("content-type")).toMatch(/text\/html/)
    expect(page.headers.get("content-security-policy")).toContain("default-src 'none'")
    expect(await page.text()).toContain("/auth/login")
    const wrong = await server.request("http://localhost/auth/login", { method: "POST", headers: JSON_HEADERS, body: JSON.stringify({ password: "nope" }) })
    expect(wrong.status).toBe(401)
    expect(wrong.headers.get("www-authenticate")).toBeNull()
    expect(wrong.headers.get("set-cookie")).toBeNull()
    const login = await server.request("http://localhost/auth/login", { method: "POST", headers: JSON_HEADERS, body: JSON.stringify({ password: "s3cret" }) })
    expect(login.status).toBe(200)
    const cookie = login.headers.get("set-cookie")!
    expect(cookie).toMatch(/^spool_session=[\w-]{43};/)
    expect(cookie).toContain("HttpOnly")
    expect(cookie).toContain("SameSite=Strict")
    expect(cookie).toContain("Path=/")
    expect(cookie).not.toContain("Secure")
    const session = cookie.split(";")[0]
    expect((await server.request("http://localhost/thing", { headers: { cookie: session } })).status).toBe(200)
    const logout = await server.request("http://localhost/auth/logout", { method: "POST", headers: { cookie: session } })
    expect(logout.headers.get("set-cookie")).toMatch(/Max-Age=0/)
    expect((await server.request("http://localhost/thing", { headers: { cookie: session } })).status).toBe(401)
  })

  test("login with a token carries the token's scope; Secure behind https", async () => {
    const read = await auth.tokens.create({ name: "read", scope: "read" })
    const server = app({ credentials: true })
    const login = await server.request("http://localhost/auth/login", { method: "POST", headers: { ...JSON_HEADERS, "x-forwarded-proto": "https" }, body: JSON.stringify({ token: read.token }) })
    expect(await login.json()).toEqual({ authenticated: true, scope: "read" })
    const cookie = login.headers.get("set-cookie")!
    expect(cookie).toContain("Secure")
    const session = cookie.split(";")[0]
    expect((await server.request("http://localhost/thing", { headers: { cookie: session } })).status).toBe(200)
    expect((await server.request("http://localhost/thing", { method: "POST", headers: { ...JSON_HEADERS, cookie: session }, body: "{}" })).status).toBe(403)
  })

  test("without a password or token, nothing is required and login is 400", async () => {
    auth = createAuth({ db })
    const server = app({ credentials: true })
    expect((await server.request("http://localhost/thing")).status).toBe(200)
    const login = await server.request("http://localhost/auth/login", { method: "POST", headers: JSON_HEADERS, body: JSON.stringify({ password: "x" }) })
    expect(login.status).toBe(400)
  })
})

// Shape-comparison harness: Spool vs the real OpenCode server (npm `opencode-ai` 1.18.33).
//
//   node test/compat/compare.ts --spool http://127.0.0.1:A --opencode http://127.0.0.1:B [options]
//   node test/compat/compare.ts --spool http://127.0.0.1:A --opencode-captures test/compat/opencode-1.18.33.captures.json
//   node test/compat/compare.ts --opencode http://127.0.0.1:B --capture-out test/compat/opencode-1.18.33.captures.json
//
// It drives the SAME scripted sequence of requests (see `runSequence`) against both servers, one after
// the other, and prints a Markdown table with, per route variant, the differences in
//   * status code, and whether the official SDK (`@opencode-ai/sdk/v2`) saw data / error / threw,
//   * notable headers: Content-Type (media type only), Link (normalised template), X-Next-Cursor
//     (decoded shape), Access-Control-Expose-Headers, Cache-Control, X-Accel-Buffering,
//     X-Content-Type-Options, Vary, WWW-Authenticate (presence),
//   * JSON shape (key paths, JSON types, id prefixes, discriminator literals; see shape.ts) —
//     concrete ids, times, titles and other values are ignored,
//   * for SSE (`GET /event`, `GET /global/event`): headers, SSE field names, first frame type,
//     order of event types and per-event-type frame shapes.
// Exit code: 0 = no differences, 1 = differences, 2 = harness error.
//
// Options
//   --spool URL             candidate server (Spool)                      [label "spool"]
//   --opencode URL          reference server (OpenCode)                    [label "opencode"]
//   --opencode-captures F   use a captures file as the reference instead of a live OpenCode
//   --dir PATH              directory sent as ?directory= / x-opencode-directory to BOTH servers.
//                           Default: a fresh git repo (unique root commit => its own projectID) is
//                           created under $TMPDIR for each side, so session lists start empty.
//                           With a shared --dir, list bodies are still filtered to the sessions this
//                           run created, so repeated runs stay comparable.
//   --model prov/model      model for the noReply message POST (default fakeprov/fakemodel)
//   --capture-out F         write the reference (OpenCode) run, anonymised, as a captures JSON file
//   --spool-capture-out F   same for the candidate run
//   --reference-md F        write a Markdown listing of the reference run (status, headers, shape)
//   --out F                 also write the comparison table to F
//   --update-doc F          replace the generated block of F (docs/compatibility.md) with that listing
//   --sse-ms N              SSE capture window in ms (default 1200)
//   --spool-password P      HTTP Basic password of the candidate (a Spool started with SPOOL_SERVER_PASSWORD);
//   --opencode-password P   same for the reference (OPENCODE_SERVER_PASSWORD). Loopback servers without a
//                           password need neither; every request carries loopback Host, no Origin, and
//                           JSON bodies as application/json, as Spool's Host/Origin/content-type checks want.
//   Without --spool, only --capture-out / --reference-md / --update-doc are produced (no comparison).
//
// Running OpenCode 1.18.33 offline (found by probing, also in test/compat/start-opencode.sh):
//   npm install opencode-ai@1.18.33 into a dir OUTSIDE the repo (e.g. /tmp/oc). Then, from a git repo
//   with one commit, with HOME/XDG_* pointed at temp dirs and a clean environment:
//     env -i PATH=/usr/bin:/bin HOME=$T/home XDG_CONFIG_HOME=$T/config XDG_DATA_HOME=$T/data \
//       XDG_CACHE_HOME=$T/cache XDG_STATE_HOME=$T/state \
//       OPENCODE_DISABLE_MODELS_FETCH=1 OPENCODE_DISABLE_AUTOUPDATE=1 OPENCODE_DISABLE_SHARE=1 \
//       OPENCODE_DISABLE_LSP_DOWNLOAD=1 OPENCODE_DISABLE_DEFAULT_PLUGINS=1 OPENCODE_DISABLE_CLAUDE_CODE=1 \
//       npm_config_registry=http://127.0.0.1:1/ \
//       /tmp/oc/node_modules/opencode-linux-x64/bin/opencode serve --pure --port 4097 --hostname 127.0.0.1
//   (`test/compat/start-opencode.sh` does all of this.) None of the flags is strictly required: the
//   server starts and answers offline without them, using the model catalogue bundled in the binary,
//   but without OPENCODE_DISABLE_MODELS_FETCH it tries https://models.opencode.ai/api.json (logged as
//   "Failed to fetch models.dev"). No provider config is needed: `POST /session/:id/message` with
//   `noReply: true` accepts any {providerID, modelID}; `prompt_async` with an unknown model answers 204
//   and then fails in the background (two `session.error` events, status back to idle).
//   On first use OpenCode also runs a background `npm install @opencode-ai/plugin` in
//   $XDG_CONFIG_HOME/opencode/ (no OPENCODE_* flag disables it); npm_config_registry pointing at a dead
//   address makes it fail silently, with no effect on the API.
//   Use Node 24 (`node_modules/.bin/node`): the system Node 20 cannot run .ts files.

import { execFileSync } from "node:child_process"
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { createOpencodeClient } from "@opencode-ai/sdk/v2"
import type { OpencodeClient } from "@opencode-ai/sdk/v2"
import { diffShapes, formatDiff, formatShape, renderType, shapeOf } from "./shape.ts"

// ---------------------------------------------------------------------------------------------
// Data model (also the format of test/compat/opencode-1.18.33.captures.json)

export interface Exchange {
  method: string
  /** path + query as sent; the run directory is replaced by <dir> */
  path: string
  requestBody?: unknown
  status: number
  /** response headers (lower-case names), minus date / content-length / transfer-encoding / connection / keep-alive */
  headers: Record<string, string>
  bodyKind: "json" | "empty" | "text"
  /** parsed JSON body (bodyKind json), possibly post-processed, see `note` */
  body?: unknown
  /** first 300 chars of a non-JSON body */
  text?: string
  /** how the official SDK saw the response: "data" | "error" | "threw: <message>" (SDK steps only) */
  sdk?: string
  note?: string
}

export interface SseCapture {
  url: string
  status: number
  headers: Record<string, string>
  /** SSE field names seen ("data", "event", "id", "retry", ":comment") */
  fields: string[]
  frames: unknown[]
  /** non-SSE body if the server did not answer with a stream */
  text?: string
  note?: string
}

export interface Step {
  id: string
  label: string
  exchange?: Exchange
  sse?: SseCapture
  error?: string
}

export interface Run {
  target: string
  version?: string
  directory: string
  startedAt: string
  model: { providerID: string; modelID: string }
  ownSessionIDs: string[]
  steps: Step[]
}

export interface CapturesFile {
  about: string
  opencodeVersion: string
  capturedAt: string
  run: Run
}

// ---------------------------------------------------------------------------------------------
// Recording fetch (used by the SDK client and by raw requests)

const DROP_HEADERS = new Set(["date", "content-length", "transfer-encoding", "connection", "keep-alive"])
const TIMEOUT_MS = 30_000

function headersToRecord(h: Headers): Record<string, string> {
  const out: Record<string, string> = {}
  h.forEach((v, k) => {
    if (!DROP_HEADERS.has(k.toLowerCase())) out[k.toLowerCase()] = v
  })
  return out
}

function parseMaybeJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}

class Recorder {
  last: Exchange | undefined
  readonly dir: string
  constructor(dir: string) {
    this.dir = dir
  }

  /** the last recorded exchange (a method, so TS does not narrow across awaits) */
  current(): Exchange | undefined {
    return this.last
  }

  normalisePath(url: URL): string {
    const raw = url.pathname + url.search
    return raw.split(encodeURIComponent(this.dir)).join("<dir>").split(this.dir).join("<dir>")
  }

  fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const req = new Request(input, init)
    const reqText = req.body ? await req.text() : ""
    const res = await fetch(req.url, {
      method: req.method,
      headers: req.headers,
      body: reqText === "" ? undefined : reqText,
      signal: AbortSignal.timeout(TIMEOUT_MS),
    })
    const text = await res.clone().text()
    const ex: Exchange = {
      method: req.method,
      path: this.normalisePath(new URL(req.url)),
      status: res.status,
      headers: headersToRecord(res.headers),
      bodyKind: "empty",
    }
    if (reqText !== "") ex.requestBody = parseMaybeJson(reqText)
    if (text !== "") {
      try {
        ex.body = JSON.parse(text)
        ex.bodyKind = "json"
      } catch {
        ex.bodyKind = "text"
        ex.text = text.slice(0, 300)
      }
    }
    this.last = ex
    return res
  }
}

// ---------------------------------------------------------------------------------------------
// SSE capture

function openSse(url: string, headers: Record<string, string>) {
  const ac = new AbortController()
  const cap: SseCapture = { url, status: 0, headers: {}, fields: [], frames: [] }
  const fields = new Set<string>()
  let firstFrame: () => void = () => {}
  const gotFirst = new Promise<void>((r) => (firstFrame = r))
  const parseBlock = (block: string) => {
    const data: string[] = []
    for (const line of block.split("\n")) {
      if (line === "") continue
      if (line.startsWith(":")) {
        fields.add(":comment")
        continue
      }
      const i = line.indexOf(":")
      const name = i < 0 ? line : line.slice(0, i)
      fields.add(name)
      if (name === "data") data.push(i < 0 ? "" : line.slice(i + 1).replace(/^ /, ""))
    }
    if (data.length) {
      cap.frames.push(parseMaybeJson(data.join("\n")))
      firstFrame()
    }
  }
  const done = (async () => {
    try {
      const res = await fetch(url, { headers: { accept: "text/event-stream", ...headers }, signal: ac.signal })
      cap.status = res.status
      cap.headers = headersToRecord(res.headers)
      if (!(res.headers.get("content-type") ?? "").includes("text/event-stream") || !res.body) {
        cap.text = (await res.text()).slice(0, 300)
        firstFrame()
        return
      }
      const reader = res.body.getReader()
      const dec = new TextDecoder()
      let buf = ""
      for (;;) {
        const { done, value } = await reader.read()
        if (done) break
        buf += dec.decode(value, { stream: true }).replace(/\r\n?/g, "\n")
        let i: number
        while ((i = buf.indexOf("\n\n")) >= 0) {
          parseBlock(buf.slice(0, i))
          buf = buf.slice(i + 2)
        }
      }
    } catch (e) {
      if (!ac.signal.aborted) cap.note = `stream error: ${(e as Error).message}`
    } finally {
      firstFrame()
    }
  })()
  return {
    /** resolves when the first frame arrived (or the stream failed), at most `ms` */
    ready: (ms: number) => Promise.race([gotFirst, sleep(ms)]),
    stop: async (): Promise<SseCapture> => {
      ac.abort()
      await done
      cap.fields = [...fields].sort()
      return cap
    },
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

// ---------------------------------------------------------------------------------------------
// The scripted sequence

interface Ctx {
  /** sent on every request (authorization) */
  headers: Record<string, string>
  base: string
  dir: string
  model: { providerID: string; modelID: string }
  sseMs: number
  rec: Recorder
  client: OpencodeClient
  run: Run
}

interface RawOpts {
  /** string body sent verbatim (with content-type application/json unless contentType given) */
  body?: string
  json?: unknown
  headers?: Record<string, string>
  /** how to pass the directory: query (default), header, or none */
  dirVia?: "query" | "header" | "none"
}

type SdkResult = { data?: unknown; error?: unknown; response?: Response }

function ownSession(ctx: Ctx, ex: Exchange | undefined): string | undefined {
  const b = ex?.body as { id?: unknown; slug?: unknown } | undefined
  if (ex?.status === 200 && b && typeof b.id === "string" && b.id.startsWith("ses_")) {
    if (!ctx.run.ownSessionIDs.includes(b.id)) ctx.run.ownSessionIDs.push(b.id)
    return b.id
  }
  return undefined
}

async function raw(ctx: Ctx, id: string, label: string, method: string, path: string, o: RawOpts = {}) {
  const url = new URL(path, ctx.base)
  const headers: Record<string, string> = { ...ctx.headers, ...o.headers }
  const via = o.dirVia ?? "query"
  if (via === "query") url.searchParams.set("directory", ctx.dir)
  if (via === "header") headers["x-opencode-directory"] = encodeURIComponent(ctx.dir)
  let body = o.body
  if (o.json !== undefined) body = JSON.stringify(o.json)
  if (body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === "content-type"))
    headers["content-type"] = "application/json"
  const step: Step = { id, label }
  ctx.rec.last = undefined
  try {
    await ctx.rec.fetch(url, { method, headers, body })
    step.exchange = ctx.rec.current()
  } catch (e) {
    step.error = (e as Error).message
  }
  ctx.run.steps.push(step)
  return step.exchange
}

async function sdk(ctx: Ctx, id: string, label: string, fn: (c: OpencodeClient) => Promise<SdkResult>) {
  const step: Step = { id, label }
  ctx.rec.last = undefined
  let outcome: string
  let data: unknown
  try {
    const r = await fn(ctx.client)
    data = r.data
    outcome = r.error !== undefined ? "error" : "data"
  } catch (e) {
    outcome = `threw: ${(e as Error).message.split("\n")[0]}`
  }
  const ex = ctx.rec.current()
  if (ex) {
    step.exchange = ex
    ex.sdk = outcome
  } else step.error = outcome
  ctx.run.steps.push(step)
  return { data, exchange: step.exchange }
}

/**
 * Run the sequence against one server. Steps keep their ids/labels across servers. `headers` go on
 * every request (`authorization` for a server with a password: see `basicAuth`).
 */
export async function runSequence(base: string, dir: string, opts: { model: Ctx["model"]; sseMs: number; headers?: Record<string, string> }): Promise<Run> {
  const rec = new Recorder(dir)
  const auth = opts.headers ?? {}
  const client = createOpencodeClient({ baseUrl: base, directory: dir, fetch: rec.fetch as typeof fetch, headers: auth })
  const run: Run = {
    target: base,
    directory: dir,
    startedAt: new Date().toISOString(),
    model: opts.model,
    ownSessionIDs: [],
    steps: [],
  }
  const ctx: Ctx = { base, dir, model: opts.model, sseMs: opts.sseMs, rec, client, run, headers: auth }
  const MISSING_SES = "ses_doesnotexist123"
  const MISSING_MSG = "msg_doesnotexist123"
  const textPart = (text: string) => [{ type: "text" as const, text }]

  const health = await raw(ctx, "global.health", "GET /global/health", "GET", "/global/health", { dirVia: "none" })
  const hb = health?.body as { version?: string } | undefined
  if (hb?.version) run.version = hb.version

  // --- create
  ownSession(ctx, await raw(ctx, "session.create.empty", "POST /session (empty body)", "POST", "/session", { dirVia: "header" }))
  const root = ownSession(ctx, (await sdk(ctx, "session.create.title", "POST /session {title}", (c) => c.session.create({ title: "compat root" }))).exchange) ?? MISSING_SES
  const child = ownSession(ctx, (await sdk(ctx, "session.create.parentID", "POST /session {parentID}", (c) => c.session.create({ parentID: root }))).exchange) ?? MISSING_SES
  await raw(ctx, "session.create.badjson", "POST /session (bad JSON `{bad`)", "POST", "/session", { body: "{bad", dirVia: "header" })
  await raw(ctx, "session.create.title123", 'POST /session {"title":123}', "POST", "/session", { body: '{"title":123}', dirVia: "header" })

  // --- list / status
  await raw(ctx, "session.list.header", "GET /session (x-opencode-directory header only)", "GET", "/session", { dirVia: "header" })
  await sdk(ctx, "session.list.limit", "GET /session?limit=1", (c) => c.session.list({ limit: 1 }))
  await sdk(ctx, "session.list.directory", "GET /session?directory=<dir>", (c) => c.session.list({ directory: dir }))
  await sdk(ctx, "session.list.roots", "GET /session?roots=true", (c) => c.session.list({ roots: true }))
  await sdk(ctx, "session.list.limit0", "GET /session?limit=0", (c) => c.session.list({ limit: 0 }))
  await sdk(ctx, "session.list.limitHuge", "GET /session?limit=1000000", (c) => c.session.list({ limit: 1_000_000 }))
  await sdk(ctx, "session.status", "GET /session/status", (c) => c.session.status())

  // --- get / patch
  await sdk(ctx, "session.get", "GET /session/:id", (c) => c.session.get({ sessionID: root }))
  await sdk(ctx, "session.get.child", "GET /session/:id (child)", (c) => c.session.get({ sessionID: child }))
  await sdk(ctx, "session.get.missing", "GET /session/:id (missing ses_doesnotexist123)", (c) => c.session.get({ sessionID: MISSING_SES }))
  await raw(ctx, "session.get.malformed", "GET /session/foo123 (malformed id)", "GET", "/session/foo123")
  await sdk(ctx, "session.update", "PATCH /session/:id {title, metadata}", (c) =>
    c.session.update({ sessionID: root, title: "compat renamed", metadata: { tag: "x" } }),
  )
  await raw(ctx, "session.update.title123", 'PATCH /session/:id {"title":123}', "PATCH", `/session/${root}`, { body: '{"title":123}' })
  await sdk(ctx, "session.update.missing", "PATCH /session/:id (missing)", (c) => c.session.update({ sessionID: MISSING_SES, title: "x" }))
  await raw(ctx, "session.update.malformed", "PATCH /session/foo123 (malformed id)", "PATCH", "/session/foo123", { json: { title: "x" } })

  // --- children / todo / diff
  await sdk(ctx, "session.children", "GET /session/:id/children", (c) => c.session.children({ sessionID: root }))
  await sdk(ctx, "session.children.missing", "GET /session/:id/children (missing)", (c) => c.session.children({ sessionID: MISSING_SES }))
  await sdk(ctx, "session.todo", "GET /session/:id/todo", (c) => c.session.todo({ sessionID: root }))
  await sdk(ctx, "session.todo.missing", "GET /session/:id/todo (missing)", (c) => c.session.todo({ sessionID: MISSING_SES }))
  await sdk(ctx, "session.diff", "GET /session/:id/diff", (c) => c.session.diff({ sessionID: root }))
  await sdk(ctx, "session.diff.missing", "GET /session/:id/diff (missing)", (c) => c.session.diff({ sessionID: MISSING_SES }))

  // --- messages
  const prompt = (sessionID: string, text: string) => (c: OpencodeClient) =>
    c.session.prompt({ sessionID, noReply: true, model: opts.model, parts: textPart(text) })
  const m1r = await sdk(ctx, "session.prompt.noReply", "POST /session/:id/message {noReply:true}", prompt(root, "hi"))
  const m2r = await sdk(ctx, "session.prompt.noReply.2", "POST /session/:id/message {noReply:true} (2nd)", prompt(root, "hi again"))
  const msgID = (r: { data?: unknown }) => ((r.data as { info?: { id?: string } } | undefined)?.info?.id ?? MISSING_MSG)
  const m1 = msgID(m1r)
  const m2 = msgID(m2r)
  // noReply without any model: OpenCode stores it with its default model; Spool with its default or empty ids
  await sdk(ctx, "session.prompt.noReply.noModel", "POST /session/:id/message {noReply:true} (no model)", (c) =>
    c.session.prompt({ sessionID: child, noReply: true, parts: textPart("no model named") }),
  )
  await raw(ctx, "session.prompt.badparts", 'POST /session/:id/message {"parts":"nope"}', "POST", `/session/${root}/message`, { body: '{"parts":"nope"}' })
  await sdk(ctx, "session.prompt.missing", "POST /session/:id/message (missing session)", prompt(MISSING_SES, "hi"))
  await sdk(ctx, "session.messages", "GET /session/:id/message", (c) => c.session.messages({ sessionID: root }))
  const page1 = await sdk(ctx, "session.messages.limit1", "GET /session/:id/message?limit=1", (c) => c.session.messages({ sessionID: root, limit: 1 }))
  const cursor = page1.exchange?.headers["x-next-cursor"]
  if (cursor)
    await sdk(ctx, "session.messages.page2", "GET /session/:id/message?limit=1&before=<X-Next-Cursor>", (c) =>
      c.session.messages({ sessionID: root, limit: 1, before: cursor }),
    )
  else ctx.run.steps.push({ id: "session.messages.page2", label: "GET /session/:id/message?limit=1&before=<X-Next-Cursor>", error: "no X-Next-Cursor on page 1" })
  await raw(ctx, "session.messages.before.nolimit", "GET /session/:id/message?before=abc (no limit)", "GET", `/session/${root}/message?before=abc`)
  await raw(ctx, "session.messages.before.bad", "GET /session/:id/message?limit=1&before=abc (bad cursor)", "GET", `/session/${root}/message?limit=1&before=abc`)
  await sdk(ctx, "session.messages.missing", "GET /session/:id/message (missing session)", (c) => c.session.messages({ sessionID: MISSING_SES }))
  await sdk(ctx, "session.message", "GET /session/:id/message/:messageID", (c) => c.session.message({ sessionID: root, messageID: m1 }))
  await sdk(ctx, "session.message.missing", "GET /session/:id/message/:messageID (missing message)", (c) =>
    c.session.message({ sessionID: root, messageID: MISSING_MSG }),
  )

  // --- fork
  const fork1 = ownSession(ctx, (await sdk(ctx, "session.fork.messageID", "POST /session/:id/fork {messageID: 2nd msg}", (c) => c.session.fork({ sessionID: root, messageID: m2 }))).exchange)
  if (fork1) await sdk(ctx, "session.fork.messages", "GET /session/:id/message (of the fork)", (c) => c.session.messages({ sessionID: fork1 }))
  ownSession(ctx, await raw(ctx, "session.fork.nobody", "POST /session/:id/fork (no body)", "POST", `/session/${root}/fork`))
  await sdk(ctx, "session.fork.missing", "POST /session/:id/fork (missing session)", (c) => c.session.fork({ sessionID: MISSING_SES }))

  // --- abort
  await sdk(ctx, "session.abort", "POST /session/:id/abort (idle session)", (c) => c.session.abort({ sessionID: root }))
  await sdk(ctx, "session.abort.missing", "POST /session/:id/abort (missing)", (c) => c.session.abort({ sessionID: MISSING_SES }))

  // --- delete message
  await sdk(ctx, "session.deleteMessage", "DELETE /session/:id/message/:messageID", (c) => c.session.deleteMessage({ sessionID: root, messageID: m2 }))
  await sdk(ctx, "session.deleteMessage.missing", "DELETE /session/:id/message/:messageID (missing message)", (c) =>
    c.session.deleteMessage({ sessionID: root, messageID: MISSING_MSG }),
  )
  await sdk(ctx, "session.message.deleted", "GET /session/:id/message/:messageID (after delete)", (c) => c.session.message({ sessionID: root, messageID: m2 }))

  // --- prompt_async with an unknown model (status code + what happens afterwards)
  rec.last = undefined
  await client.session.create({ title: "compat prompt_async" }).catch(() => undefined)
  const s2 = ownSession(ctx, rec.current()) ?? MISSING_SES
  {
    const sse = openSse(`${base}/event?directory=${encodeURIComponent(dir)}`, auth)
    await sse.ready(3000)
    await sleep(250)
    await raw(ctx, "session.promptAsync.unknownModel", "POST /session/:id/prompt_async (unknown model)", "POST", `/session/${s2}/prompt_async`, {
      json: { model: { providerID: "nonexistentprovider", modelID: "nonexistentmodel" }, parts: textPart("hi") },
    })
    // wait until the session is no longer busy (max 10 s), then a little more for trailing events
    const t0 = Date.now()
    while (Date.now() - t0 < 10_000) {
      await sleep(250)
      const st = await client.session.status().catch(() => undefined)
      const map = (st?.data ?? {}) as Record<string, unknown>
      if (!(s2 in map) && Date.now() - t0 > 750) break
    }
    await sleep(500)
    const cap = await sse.stop()
    cap.url = "/event?directory=<dir>"
    ctx.run.steps.push({ id: "sse.event.promptAsync", label: "GET /event (SSE) during a failing prompt_async", sse: cap })
  }
  await sdk(ctx, "session.promptAsync.messages", "GET /session/:id/message (after failed prompt_async)", (c) => c.session.messages({ sessionID: s2 }))
  await sdk(ctx, "session.promptAsync.get", "GET /session/:id (after failed prompt_async)", (c) => c.session.get({ sessionID: s2 }))
  await raw(ctx, "session.promptAsync.missing", "POST /session/:id/prompt_async (missing session)", "POST", `/session/${MISSING_SES}/prompt_async`, {
    json: { parts: textPart("hi") },
  })

  // --- delete session
  await sdk(ctx, "session.delete", "DELETE /session/:id (has a child)", (c) => c.session.delete({ sessionID: root }))
  await sdk(ctx, "session.get.deleted", "GET /session/:id (after delete)", (c) => c.session.get({ sessionID: root }))
  await sdk(ctx, "session.get.deletedChild", "GET /session/:childID (after parent delete)", (c) => c.session.get({ sessionID: child }))
  await sdk(ctx, "session.delete.missing", "DELETE /session/:id (missing)", (c) => c.session.delete({ sessionID: MISSING_SES }))
  await raw(ctx, "session.delete.malformed", "DELETE /session/foo123 (malformed id)", "DELETE", "/session/foo123")

  // --- OpenAPI document
  const doc = await raw(ctx, "doc", "GET /doc (OpenAPI)", "GET", "/doc", { dirVia: "none" })
  if (doc?.bodyKind === "json" && typeof (doc.body as { paths?: unknown } | null)?.paths === "object") {
    doc.body = summariseOpenApi(doc.body)
    doc.note = "body summarised: openapi/info + every /session*, /event, /global/event route with operationId, response codes and query parameter names"
  }

  // --- SSE streams while a session is created, renamed and deleted
  {
    const ev = openSse(`${base}/event?directory=${encodeURIComponent(dir)}`, auth)
    const gl = openSse(`${base}/global/event`, auth)
    const t0 = Date.now()
    await Promise.all([ev.ready(3000), gl.ready(3000)])
    await sleep(250) // OpenCode's /global/event may say server.connected slightly before it is subscribed
    const created = await client.session.create({ title: "compat sse probe" }).catch(() => undefined)
    const sid = (created?.data as { id?: string } | undefined)?.id
    if (sid) {
      await client.session.update({ sessionID: sid, title: "compat sse renamed" }).catch(() => undefined)
      await client.session.delete({ sessionID: sid }).catch(() => undefined)
    }
    await sleep(Math.max(0, opts.sseMs - (Date.now() - t0)))
    const [evCap, glCap] = await Promise.all([ev.stop(), gl.stop()])
    evCap.url = "/event?directory=<dir>"
    glCap.url = "/global/event"
    ctx.run.steps.push({ id: "sse.event", label: "GET /event (SSE) while a session is created, renamed, deleted", sse: evCap })
    ctx.run.steps.push({ id: "sse.global", label: "GET /global/event (SSE) same window", sse: glCap })
  }

  // --- clean up what is left (not recorded)
  for (const id of run.ownSessionIDs) await client.session.delete({ sessionID: id }).catch(() => undefined)

  // list bodies: keep only the sessions this run created (a shared --dir may hold older ones)
  for (const s of run.steps) {
    if (!s.id.startsWith("session.list.") || !Array.isArray(s.exchange?.body)) continue
    const all = s.exchange.body as Array<{ id?: string }>
    const own = all.filter((x) => typeof x?.id === "string" && run.ownSessionIDs.includes(x.id))
    if (own.length !== all.length) {
      s.exchange.body = own
      s.exchange.note = `filtered to sessions created by this run (${all.length - own.length} others removed)`
    }
  }
  return run
}

function summariseOpenApi(doc: unknown): unknown {
  const d = doc as { openapi?: unknown; info?: unknown; paths?: Record<string, Record<string, { operationId?: string; responses?: object; parameters?: Array<{ name?: string; in?: string }> }>> }
  const routes: Record<string, { operationId: Record<string, true>; responses: Record<string, true>; query: Record<string, true> }> = {}
  for (const [p, ops] of Object.entries(d.paths ?? {})) {
    if (!(p.startsWith("/session") || p === "/event" || p === "/global/event")) continue
    for (const [m, op] of Object.entries(ops ?? {})) {
      if (typeof op !== "object" || !op || !("responses" in op || "operationId" in op)) continue
      routes[`${m.toUpperCase()} ${p}`] = {
        operationId: op.operationId ? { [op.operationId]: true } : {},
        responses: Object.fromEntries(Object.keys(op.responses ?? {}).map((k) => [k, true as const])),
        query: Object.fromEntries((op.parameters ?? []).filter((x) => x?.in === "query" && typeof x.name === "string").map((x) => [x.name as string, true as const])),
      }
    }
  }
  return { openapi: d.openapi, info: d.info, pathCount: Object.keys(d.paths ?? {}).length, routes }
}

// ---------------------------------------------------------------------------------------------
// Comparison

function normaliseIdsInPath(p: string): string {
  return p.replace(/\b(ses|msg|prt|evt|wrk)_[0-9A-Za-z]+/g, "<$1_>")
}

function normaliseLink(v: string, dir: string): string {
  return v
    .split(/,(?=\s*<)/)
    .map((part) => {
      const m = /^\s*<([^>]*)>(.*)$/.exec(part)
      if (!m) return part.trim()
      const abs = /^https?:\/\//.test(m[1])
      const u = new URL(m[1], "http://host.invalid")
      const params = [...u.searchParams.entries()]
        .map(([k, val]) => [k, k === "before" ? "<cursor>" : val === dir ? "<dir>" : val] as const)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, val]) => `${k}=${val}`)
        .join("&")
      return `<${abs ? "<origin>" : ""}${normaliseIdsInPath(u.pathname)}${params ? "?" + params : ""}>${m[2].replace(/\s+/g, " ")}`
    })
    .join(", ")
}

function cursorShape(v: string): string {
  try {
    const json = JSON.parse(Buffer.from(v, "base64url").toString("utf8"))
    return "base64url(" + formatShape(shapeOf(json)).join(", ") + ")"
  } catch {
    return "opaque"
  }
}

export function notableHeaders(h: Record<string, string>, dir: string): Record<string, string> {
  const out: Record<string, string> = {}
  const get = (k: string) => h[k]
  if (get("content-type") !== undefined) out["content-type"] = get("content-type").split(";")[0].trim().toLowerCase()
  if (get("link") !== undefined) out["link"] = normaliseLink(get("link"), dir)
  if (get("x-next-cursor") !== undefined) out["x-next-cursor"] = cursorShape(get("x-next-cursor"))
  for (const k of ["access-control-expose-headers", "vary"]) {
    if (get(k) !== undefined)
      out[k] = get(k)
        .split(",")
        .map((s) => s.trim().toLowerCase())
        .filter(Boolean)
        .sort()
        .join(", ")
  }
  for (const k of ["cache-control", "x-accel-buffering", "x-content-type-options"]) {
    if (get(k) !== undefined) out[k] = get(k).trim().toLowerCase().replace(/\s+/g, " ")
  }
  if (get("www-authenticate") !== undefined) out["www-authenticate"] = "present"
  return out
}

/** What gets shaped for an exchange. */
export function exchangeShapeInput(ex: Exchange): unknown {
  return ex.bodyKind === "json" ? ex.body : ex.bodyKind === "empty" ? "<empty body>" : "<non-JSON body>"
}

function sseGroup(frame: unknown, global: boolean): string {
  const f = frame as { type?: string; payload?: { type?: string; syncEvent?: { type?: string } } }
  if (!global) return typeof f?.type === "string" ? f.type : "<no type>"
  const t = f?.payload?.type
  if (t === "sync") return `sync ${f.payload?.syncEvent?.type ?? "?"}`
  return typeof t === "string" ? t : "<no payload.type>"
}

/** What gets shaped for an SSE capture: frames grouped by event type (union of shapes per type). */
export function sseShapeInput(cap: SseCapture, global: boolean): unknown {
  const groups: Record<string, unknown[]> = {}
  for (const fr of cap.frames) (groups[sseGroup(fr, global)] ??= []).push(fr)
  return { frames: groups }
}

export function sseOrder(cap: SseCapture, global: boolean): string[] {
  const out: string[] = []
  for (const fr of cap.frames) {
    const g = sseGroup(fr, global)
    if (out[out.length - 1] !== g) out.push(g)
  }
  return out
}

function headerDiffs(a: Record<string, string>, b: Record<string, string>, aName: string, bName: string): string[] {
  const out: string[] = []
  for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
    if (a[k] === b[k]) continue
    out.push(`header ${k}: ${aName} ${a[k] === undefined ? "(absent)" : "`" + a[k] + "`"} vs ${bName} ${b[k] === undefined ? "(absent)" : "`" + b[k] + "`"}`)
  }
  return out
}

export function compareSteps(a: Step | undefined, b: Step | undefined, aDir: string, bDir: string, aName = "spool", bName = "opencode"): string[] {
  if (!a) return [`step not run on ${aName}`]
  if (!b) return [`step not run on ${bName}`]
  const out: string[] = []
  if (a.error || b.error) {
    if (a.error !== b.error) out.push(`error: ${aName} ${a.error ?? "none"} vs ${bName} ${b.error ?? "none"}`)
  }
  if (a.exchange && b.exchange) {
    const ea = a.exchange
    const eb = b.exchange
    if (ea.status !== eb.status) out.push(`status ${aName} ${ea.status} vs ${bName} ${eb.status}`)
    if (ea.sdk !== eb.sdk) out.push(`sdk saw ${aName} ${ea.sdk} vs ${bName} ${eb.sdk}`)
    out.push(...headerDiffs(notableHeaders(ea.headers, aDir), notableHeaders(eb.headers, bDir), aName, bName))
    for (const d of diffShapes(shapeOf(exchangeShapeInput(ea)), shapeOf(exchangeShapeInput(eb)))) out.push(formatDiff(d, aName, bName))
  } else if (a.exchange || b.exchange) out.push(`response only on ${a.exchange ? aName : bName}`)
  if (a.sse && b.sse) {
    const global = a.id === "sse.global"
    const sa = a.sse
    const sb = b.sse
    if (sa.status !== sb.status) out.push(`status ${aName} ${sa.status} vs ${bName} ${sb.status}`)
    out.push(...headerDiffs(notableHeaders(sa.headers, aDir), notableHeaders(sb.headers, bDir), aName, bName))
    if (sa.fields.join() !== sb.fields.join()) out.push(`SSE fields: ${aName} [${sa.fields}] vs ${bName} [${sb.fields}]`)
    const oa = sseOrder(sa, global)
    const ob = sseOrder(sb, global)
    if (oa.join() !== ob.join()) out.push(`event order: ${aName} [${oa.join(", ")}] vs ${bName} [${ob.join(", ")}]`)
    for (const d of diffShapes(shapeOf(sseShapeInput(sa, global)), shapeOf(sseShapeInput(sb, global)))) out.push(formatDiff(d, aName, bName))
  } else if (a.sse || b.sse) out.push(`SSE capture only on ${a.sse ? aName : bName}`)
  return out
}

function statusCell(s: Step | undefined): string {
  if (!s) return "—"
  if (s.exchange) return `${s.exchange.status}${s.exchange.sdk && s.exchange.sdk !== "data" && s.exchange.sdk !== "error" ? " (sdk threw)" : ""}`
  if (s.sse) return `${s.sse.status}, ${s.sse.frames.length} frames`
  return `error`
}

const mdEscape = (s: string) => s.replace(/\|/g, "\\|").replace(/\n/g, " ")

export function comparisonTable(a: Run, b: Run, aName = "spool", bName = "opencode"): { markdown: string; differing: number } {
  const ids = [...b.steps.map((s) => s.id)]
  for (const s of a.steps) if (!ids.includes(s.id)) ids.push(s.id)
  const lines = [`| Route | ${bName} | ${aName} | Differences (${aName} vs ${bName}) |`, "|---|---|---|---|"]
  let differing = 0
  for (const id of ids) {
    const sa = a.steps.find((s) => s.id === id)
    const sb = b.steps.find((s) => s.id === id)
    const diffs = compareSteps(sa, sb, a.directory, b.directory, aName, bName)
    if (diffs.length) differing++
    const label = (sb ?? sa)!.label
    lines.push(`| ${mdEscape(label)} | ${statusCell(sb)} | ${statusCell(sa)} | ${diffs.length ? diffs.map(mdEscape).join("<br>") : "—"} |`)
  }
  return { markdown: lines.join("\n"), differing }
}

// ---------------------------------------------------------------------------------------------
// Captures / reference listing

export function anonymiseRun(run: Run, asDir = "/home/me/proj", asOrigin = "http://127.0.0.1:4097"): Run {
  let s = JSON.stringify(run)
  const origin = new URL(run.target).origin
  s = s.split(JSON.stringify(encodeURIComponent(run.directory)).slice(1, -1)).join(encodeURIComponent(asDir))
  s = s.split(JSON.stringify(run.directory).slice(1, -1)).join(asDir)
  s = s.split(origin).join(asOrigin)
  return JSON.parse(s) as Run
}

export function loadCaptures(file: string): CapturesFile {
  return JSON.parse(readFileSync(file, "utf8")) as CapturesFile
}

/** Named sub-shapes used by `referenceMarkdown` to keep the listing short. */
export function namedShapes(run: Run): Array<[name: string, type: string]> {
  const body = (id: string) => run.steps.find((s) => s.id === id)?.exchange?.body
  const out: Array<[string, string]> = []
  const add = (name: string, v: unknown) => {
    if (v !== undefined && v !== null && typeof v === "object") out.push([name, renderType([v], new Map(out.map(([n, t]) => [t, n])))])
  }
  add("Session", body("session.get"))
  add("ChildSession", body("session.get.child"))
  add("SessionWithMetadata", body("session.update"))
  const withParts = body("session.message") as { info?: unknown; parts?: unknown[] } | undefined
  add("UserMessage", withParts?.info)
  add("TextPart", withParts?.parts?.[0])
  add("WithParts", withParts)
  add("PromptedSession", body("session.promptAsync.get"))
  add("NotFoundError", body("session.get.missing"))
  add("TaggedBadRequest", body("session.create.badjson"))
  add("SchemaBadRequest", body("session.update.title123"))
  add("UnknownError", body("session.get.malformed"))
  return out
}

export function referenceMarkdown(run: Run): string {
  const named = namedShapes(run)
  const names = new Map(named.map(([n, t]) => [t, n]))
  const code = (s: string) => "`" + s.replace(/`/g, "'") + "`"
  const out: string[] = ["Named shapes (keys sorted; `ses_…` = id string with that prefix; a quoted literal = that exact value):", ""]
  for (const [n, t] of named) out.push(`- **${n}** = ${code(t)}`)
  out.push("", "| Route | Request | Status | Notable headers | Body |", "|---|---|---|---|---|")
  const md = (s: string) => s.replace(/\|/g, "\\|")
  for (const s of run.steps) {
    if (s.error) out.push(`| ${md(s.label)} | | harness: ${md(s.error)} | | |`)
    const e = s.exchange
    if (e) {
      const hdr = Object.entries(notableHeaders(e.headers, run.directory))
        .filter(([k, v]) => !(k === "content-type" && v === "application/json") && k !== "vary")
        .map(([k, v]) => code(`${k}: ${v}`))
      const req = `${e.method} ${normaliseIdsInPath(e.path)}` + (e.requestBody !== undefined ? ` ${normaliseIdsInPath(JSON.stringify(e.requestBody))}` : "")
      let bodyCell =
        e.bodyKind === "json" ? code(renderType([e.body], names)) : e.bodyKind === "empty" ? "(empty)" : `non-JSON ${code((e.text ?? "").slice(0, 40))}`
      const docBody = s.id === "doc" ? (e.body as { openapi?: string; pathCount?: number; routes?: object } | undefined) : undefined
      if (docBody?.routes) bodyCell = `OpenAPI ${docBody.openapi} document, ${docBody.pathCount} paths; its session/event routes are listed below`
      else if (e.note) bodyCell += ` (${e.note})`
      out.push(`| ${md(s.label)} | ${md(code(req))} | ${e.status}${e.sdk && e.sdk !== "data" && e.sdk !== "error" ? ` (SDK ${e.sdk})` : ""} | ${md(hdr.join(" "))} | ${md(bodyCell)} |`)
    }
  }
  const doc = run.steps.find((s) => s.id === "doc")?.exchange?.body as
    | { routes?: Record<string, { operationId: Record<string, true>; responses: Record<string, true>; query?: Record<string, true> }> }
    | undefined
  if (doc?.routes) {
    out.push("", "OpenAPI (`GET /doc`) session/event routes:", "", "| Route | operationId | response codes | query parameters |", "|---|---|---|---|")
    for (const [r, v] of Object.entries(doc.routes))
      out.push(`| ${code(r)} | ${Object.keys(v.operationId).join(", ")} | ${Object.keys(v.responses).join(", ")} | ${Object.keys(v.query ?? {}).join(", ")} |`)
  }
  for (const s of run.steps) {
    if (!s.sse) continue
    const global = s.id === "sse.global"
    const hdr = notableHeaders(s.sse.headers, run.directory)
    out.push("", `**${s.label}** — ${code("GET " + s.sse.url)} → ${s.sse.status}, ${s.sse.frames.length} frames, SSE fields: ${s.sse.fields.join(", ")}`, "")
    out.push("Headers: " + Object.entries(hdr).map(([k, v]) => code(`${k}: ${v}`)).join(", "), "")
    out.push("Event order: " + sseOrder(s.sse, global).map(code).join(" → "), "")
    const groups = sseShapeInput(s.sse, global) as { frames: Record<string, unknown[]> }
    out.push("| frame kind | frame shape |", "|---|---|")
    for (const [g, frames] of Object.entries(groups.frames)) out.push(`| ${code(g)} | ${md(code(renderType(frames, names)))} |`)
  }
  return out.join("\n")
}

// ---------------------------------------------------------------------------------------------
// CLI

function freshRepo(side: string): string {
  const d = mkdtempSync(join(tmpdir(), `spool-compat-${side}-`))
  const git = (...args: string[]) => execFileSync("git", ["-C", d, ...args], { stdio: "ignore" })
  git("init", "-q")
  writeFileSync(join(d, "README.md"), "compat probe\n")
  git("add", "README.md")
  git("-c", "user.email=compat@example.invalid", "-c", "user.name=compat", "commit", "-qm", `init ${side} ${d} ${Date.now()}`)
  return d
}

/** `Authorization: Basic` with username `opencode` (what OpenCode's clients send; Spool takes any), or none. */
export function basicAuth(password: string | undefined): Record<string, string> {
  return password ? { authorization: `Basic ${Buffer.from(`opencode:${password}`).toString("base64")}` } : {}
}

function parseArgs(argv: string[]): Record<string, string> {
  const out: Record<string, string> = {}
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (!a.startsWith("--")) throw new Error(`unexpected argument ${a}`)
    const eq = a.indexOf("=")
    if (eq > 0) out[a.slice(2, eq)] = a.slice(eq + 1)
    else out[a.slice(2)] = argv[++i] ?? ""
  }
  return out
}

async function main() {
  const args = parseArgs(process.argv.slice(2))
  if (!(args.spool || args["reference-md"] || args["capture-out"] || args["update-doc"]) || !(args.opencode || args["opencode-captures"])) {
    console.error("usage: node test/compat/compare.ts [--spool URL] (--opencode URL | --opencode-captures FILE) [--dir PATH] [--model prov/model] [--capture-out F] [--spool-capture-out F] [--reference-md F] [--update-doc F] [--out F] [--sse-ms N] [--spool-password P] [--opencode-password P]")
    process.exit(2)
  }
  const [providerID, ...rest] = (args.model ?? "fakeprov/fakemodel").split("/")
  const model = { providerID, modelID: rest.join("/") }
  const sseMs = Number(args["sse-ms"] ?? 1200)

  let ref: Run
  if (args.opencode) {
    const dir = args.dir ?? freshRepo("opencode")
    console.error(`[compare] reference ${args.opencode} dir=${dir}`)
    ref = await runSequence(args.opencode.replace(/\/$/, ""), dir, { model, sseMs, headers: basicAuth(args["opencode-password"]) })
    if (args["capture-out"]) {
      const file: CapturesFile = {
        about:
          "Raw responses of OpenCode (npm opencode-ai) to the scripted sequence of test/compat/compare.ts. Directory replaced by /home/me/proj; ids are real but random. List bodies are filtered to the sessions the run created; the /doc body is summarised. Recompute shapes with test/compat/shape.ts (shapeOf).",
        opencodeVersion: ref.version ?? "unknown",
        capturedAt: new Date().toISOString(),
        run: anonymiseRun(ref),
      }
      writeFileSync(args["capture-out"], JSON.stringify(file, null, 2) + "\n")
      console.error(`[compare] wrote ${args["capture-out"]}`)
    }
  } else {
    ref = loadCaptures(args["opencode-captures"]).run
    console.error(`[compare] reference from ${args["opencode-captures"]} (OpenCode ${ref.version})`)
  }
  if (args["reference-md"]) writeFileSync(args["reference-md"], referenceMarkdown(args.opencode ? anonymiseRun(ref) : ref) + "\n")
  if (args["update-doc"]) {
    const BEGIN = "<!-- BEGIN GENERATED: compare.ts --update-doc -->"
    const END = "<!-- END GENERATED -->"
    const doc = readFileSync(args["update-doc"], "utf8")
    const i = doc.indexOf(BEGIN)
    const j = doc.indexOf(END)
    if (i < 0 || j < i) throw new Error(`${args["update-doc"]} has no ${BEGIN} … ${END} block`)
    const md = referenceMarkdown(args.opencode ? anonymiseRun(ref) : ref)
    writeFileSync(args["update-doc"], doc.slice(0, i + BEGIN.length) + "\n\n" + md + "\n\n" + doc.slice(j))
    console.error(`[compare] updated ${args["update-doc"]}`)
  }

  if (!args.spool) process.exit(0) // only captures / reference listing were asked for
  const candDir = args.dir ?? freshRepo("spool")
  console.error(`[compare] candidate ${args.spool} dir=${candDir}`)
  const cand = await runSequence(args.spool.replace(/\/$/, ""), candDir, { model, sseMs, headers: basicAuth(args["spool-password"]) })
  if (args["spool-capture-out"]) writeFileSync(args["spool-capture-out"], JSON.stringify({ about: "candidate run", capturedAt: new Date().toISOString(), run: anonymiseRun(cand) }, null, 2) + "\n")

  const { markdown, differing } = comparisonTable(cand, ref)
  const header = [
    `## Shape comparison: spool (${args.spool}, version ${cand.version ?? "?"}) vs opencode (${args.opencode ?? args["opencode-captures"]}, version ${ref.version ?? "?"})`,
    "",
    `${ref.steps.length} steps, ${differing} with differences.`,
    "",
  ].join("\n")
  console.log(header + markdown)
  if (args.out) writeFileSync(args.out, header + markdown + "\n")
  process.exit(differing ? 1 : 0)
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((e) => {
    console.error(e)
    process.exit(2)
  })
}

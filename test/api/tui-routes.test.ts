import { readFileSync } from "node:fs"
import { mkdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import { diffShapes, formatDiff, shapeOf } from "../compat/shape.ts"
import { startFakeLLM, type FakeLLM } from "../fixture/fake-llm.ts"
import { startSpoolApp, type SpoolApp } from "../fixture/spool-app.ts"

/**
 * The routes OpenCode 1.18.33's TUI asks for (issue 9, ../shared/spec/opencode-tui-routes.md): each
 * answer has the shape the real OpenCode server gives (captured in
 * test/compat/opencode-1.18.33-tui.captures.json) and says what is true of Spool.
 */
const captures = JSON.parse(readFileSync(new URL("../compat/opencode-1.18.33-tui.captures.json", import.meta.url), "utf8")) as { routes: Record<string, unknown> }

/** Maps keyed by ids (models by model id, defaults by provider id) become arrays, so shapes compare across different ids. */
function normalise(value: unknown, parentKey?: string): unknown {
  if (Array.isArray(value)) return value.map((item) => normalise(item))
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
    if (parentKey === "models" || parentKey === "default" || parentKey === "variants") return entries.map(([, item]) => normalise(item))
    return Object.fromEntries(entries.map(([key, item]) => [key, normalise(item, key)]))
  }
  return value
}

/**
 * Paths where Spool's shape differs from OpenCode's, relative to the route, each a `formatDiff` line.
 * Only OpenCode-only paths and type mismatches count (Spool may add fields).
 */
function shapeDifferences(route: string, spool: unknown, known: string[] = []): string[] {
  const reference = names(shapeOf(normalise(captures.routes[route])))
  const ours = names(shapeOf(normalise(spool)))
  return diffShapes(ours, reference)
    .filter((difference) => difference.b !== undefined)
    .map((difference) => formatDiff(difference))
    .filter((line) => !known.includes(line))
}

/** `name` values (agent and model names) differ by design: compare them as plain strings. */
function names(shape: ReturnType<typeof shapeOf>): ReturnType<typeof shapeOf> {
  for (const [path, type] of shape) if (path.endsWith(".name") && type.startsWith("string=")) shape.set(path, "string")
  return shape
}

/** Known shape differences: Spool offers no model variants (OpenCode's reasoning-effort presets). */
const NO_VARIANTS = "only opencode: `$.all[].models[].variants[]` (object)"

describe("routes OpenCode's TUI asks for", () => {
  let llm: FakeLLM
  let spool: SpoolApp
  const config = {
    model: "fake/fake-model",
    permission: { bash: "ask" },
    agent: { reviewer: { description: "Reviews code", permission: { edit: "deny" } } },
    provider: {
      fake: { npm: "@ai-sdk/openai-compatible", name: "Fake", options: { baseURL: "", apiKey: "secret-key" }, models: { "fake-model": { name: "Fake model", limit: { context: 100000, output: 4000 } } } },
      keyless: { npm: "@ai-sdk/openai-compatible", options: { baseURL: "http://127.0.0.1:1/v1" } },
    },
  }

  beforeAll(async () => {
    llm = await startFakeLLM()
    config.provider.fake.options.baseURL = llm.openaiBaseURL
    spool = await startSpoolApp({
      llm,
      model: "",
      env: { OPENAI_API_KEY: undefined },
      files: { "README.md": "# test\n", "spool.json": JSON.stringify(config), ".gitignore": "ignored/\n", "src/app.ts": "export {}\n", "src/deep/readme-util.ts": "export {}\n", "ignored/readme.txt": "x\n" },
    })
  })
  afterAll(async () => {
    await spool?.close()
    await llm?.close()
  })

  const get = async (path: string) => {
    const response = await spool.fetch(path)
    expect(response.status, path).toBe(200)
    return (await response.json()) as any
  }

  test("GET /config/providers lists the providers with a key (config or env), with models, prices and limits", async () => {
    const body = await get("/config/providers")
    expect(shapeDifferences("GET /config/providers", body)).toEqual([])
    const ids = body.providers.map((provider: { id: string }) => provider.id)
    // anthropic: ANTHROPIC_API_KEY is set by the fixture; fake: configured key; openai: no key; keyless: no key.
    expect(ids.sort()).toEqual(["anthropic", "fake"])
    const fake = body.providers.find((provider: { id: string }) => provider.id === "fake")
    expect(fake).toMatchObject({ source: "config", options: { apiKey: "[redacted]", baseURL: llm.openaiBaseURL } })
    expect(fake.models["fake-model"]).toMatchObject({ id: "fake-model", providerID: "fake", name: "Fake model", limit: { context: 100000, output: 4000 }, api: { npm: "@ai-sdk/openai-compatible" } })
    // No price known for the fake model: no made-up $0.
    expect(fake.models["fake-model"].cost).toBeUndefined()
    const anthropic = body.providers.find((provider: { id: string }) => provider.id === "anthropic")
    expect(anthropic).toMatchObject({ source: "env", env: ["ANTHROPIC_API_KEY"] })
    expect(anthropic.models["claude-sonnet-4-5"]).toMatchObject({ cost: { input: 3, output: 15, cache: { read: 0.3, write: 3.75 } }, limit: { context: 200000, output: 64000 } })
    expect(body.default).toMatchObject({ fake: "fake-model" })
    expect(Object.keys(anthropic.models)).toContain(body.default.anthropic)
    expect(JSON.stringify(body)).not.toContain("secret-key")
  })

  test("GET /provider: all known providers, connected = those with credentials", async () => {
    const body = await get("/provider")
    expect(shapeDifferences("GET /provider", body, [NO_VARIANTS])).toEqual([])
    expect(body.all.map((provider: { id: string }) => provider.id).sort()).toEqual(["anthropic", "fake", "keyless", "openai"])
    expect(body.connected.sort()).toEqual(["anthropic", "fake"])
  })

  test("GET /agent: Spool's agents with the rules it evaluates", async () => {
    const body = await get("/agent")
    expect(shapeDifferences("GET /agent", body)).toEqual([])
    expect(body.map((agent: { name: string }) => agent.name)).toEqual(["build", "plan", "reviewer"])
    const build = body[0]
    expect(build).toMatchObject({ mode: "primary", native: true, options: {} })
    expect(build.permission).toContainEqual({ permission: "bash", pattern: "*", action: "ask" })
    expect(build.permission.at(-1)).toEqual({ permission: "bash", pattern: "*", action: "ask" })
    expect(body[1].permission).toContainEqual({ permission: "edit", pattern: "*", action: "deny" })
    expect(body[2]).toMatchObject({ name: "reviewer", description: "Reviews code", native: false })
    expect(body[2].permission.at(-1)).toEqual({ permission: "edit", pattern: "*", action: "deny" })
  })

  test("GET /config: the merged config with keys redacted", async () => {
    const body = await get("/config")
    expect(body).toMatchObject({ model: "fake/fake-model", permission: { bash: "ask" }, provider: { fake: { options: { apiKey: "[redacted]" } } } })
    expect(JSON.stringify(body)).not.toContain("secret-key")
  })

  test("/path, /project, /project/current, /vcs describe the repository", async () => {
    const path = await get("/path")
    expect(shapeDifferences("GET /path", path)).toEqual([])
    expect(path).toMatchObject({ directory: spool.repo, worktree: spool.repo, state: spool.dataDir })
    const current = await get("/project/current")
    expect(shapeDifferences("GET /project/current", current)).toEqual([])
    expect(current).toMatchObject({ worktree: spool.repo, vcs: "git", sandboxes: [] })
    expect(current.id).toMatch(/^[0-9a-f]{40}$/)
    const projects = await get("/project")
    expect(shapeDifferences("GET /project", projects)).toEqual([])
    expect(projects.map((project: { id: string }) => project.id)).toContain(current.id)
    const vcs = await get("/vcs")
    expect(shapeDifferences("GET /vcs", vcs)).toEqual([])
    const { execFileSync } = await import("node:child_process")
    expect(vcs.branch).toBe(execFileSync("git", ["branch", "--show-current"], { cwd: spool.repo, encoding: "utf8" }).trim())
    // A session's directory is listed under its project.
    await spool.client().session.create({})
    expect(await get(`/project/${current.id}/directories`)).toEqual([{ directory: spool.repo }])
  })

  test("the optional probes answer what Spool has: nothing to list", async () => {
    for (const route of ["/lsp", "/formatter", "/mcp", "/experimental/resource", "/provider/auth", "/experimental/workspace", "/experimental/workspace/status", "/experimental/capabilities", "/experimental/console"]) {
      const body = await get(route)
      expect(body, route).toEqual(captures.routes[`GET ${route}`])
    }
    const location = await get("/api/location")
    expect(shapeDifferences("GET /api/location", location)).toEqual([])
    for (const name of ["agent", "command", "provider", "model", "integration", "reference", "skill"]) {
      const body = await get(`/api/${name}`)
      expect(body.location, name).toEqual(location)
      expect(Array.isArray(body.data), name).toBe(true)
      if (body.data.length > 0) expect(shapeDifferences(`GET /api/${name}`, body).filter((line) => !line.includes("data[]")), name).toEqual([])
    }
    expect((await get("/api/agent")).data.map((agent: { id: string }) => agent.id)).toEqual(["build", "plan", "reviewer"])
  })

  test("GET /command lists init", async () => {
    const body = await get("/command")
    expect(shapeDifferences("GET /command", body)).toEqual([])
    expect(body.map((command: { name: string }) => command.name)).toEqual(["init"])
  })

  test("file search for @ mentions: fuzzy, directories with a slash, .gitignore respected", async () => {
    const found = await get("/api/fs/find?query=read&limit=20")
    expect(shapeDifferences("GET /api/fs/find", found)).toEqual([])
    const paths = found.data.map((entry: { path: string }) => entry.path)
    expect(paths).toContain("README.md")
    expect(paths).toContain("src/deep/readme-util.ts")
    expect(paths.some((path: string) => path.startsWith("ignored"))).toBe(false)
    expect((await get("/api/fs/find?query=deep&type=directory")).data).toEqual([{ path: "src/deep/", type: "directory" }])
    const files = await get("/find/file?query=app&dirs=false")
    expect(files[0]).toBe("src/app.ts")
    expect(shapeDifferences("GET /find/file", files)).toEqual([])
    const all = await get("/find/file?query=")
    expect(all.slice(0, 2)).toEqual(["src/", "src/deep/"])
    expect((await spool.fetch("/find/file?query=x&limit=0")).status).toBe(400)
    const missing = await spool.fetch("/api/fs/find?query=x&directory=%2Fno%2Fsuch%2Fdir")
    expect(missing.status).toBe(400)
    expect(((await missing.json()) as any).data.message).toBe("Not a directory: /no/such/dir")
  })

  test("POST /session/:id/shell runs the command in the session directory and records it as OpenCode does", async () => {
    mkdirSync(join(spool.repo, "sub"), { recursive: true })
    writeFileSync(join(spool.repo, "sub", "marker.txt"), "m\n")
    const session = (await spool.client(join(spool.repo, "sub")).session.create({})).data!
    const events: string[] = []
    const unsubscribe = spool.app.bus.subscribe((event) => {
      if ((event.properties as { sessionID?: string }).sessionID === session.id) events.push(event.type)
    })
    const response = await spool.fetch(`/session/${session.id}/shell`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ agent: "build", model: { providerID: "fake", modelID: "fake-model" }, command: "echo hello; ls; exit 3" }),
    })
    unsubscribe()
    expect(response.status).toBe(200)
    const body = (await response.json()) as any
    expect(shapeDifferences("POST /session/:id/shell", body)).toEqual([])
    expect(body.info).toMatchObject({ role: "assistant", agent: "build", path: { cwd: join(spool.repo, "sub") } })
    expect(body.info.time.completed).toBeGreaterThan(0)
    expect(body.parts).toHaveLength(1)
    expect(body.parts[0]).toMatchObject({ type: "tool", tool: "bash", state: { status: "completed", input: { command: "echo hello; ls; exit 3" }, metadata: { exit: 3 } } })
    expect(body.parts[0].state.output).toContain("hello\nmarker.txt\n")
    const messages = (await spool.client().session.messages({ sessionID: session.id })).data!
    expect(messages.map((message) => message.info.role)).toEqual(["user", "assistant"])
    expect(messages[0].parts).toMatchObject([{ type: "text", text: "The following tool was executed by the user", synthetic: true }])
    expect(events[0]).toBe("session.status")
    expect(events.slice(-2)).toEqual(["session.status", "session.idle"])
    // No model was called.
    expect(llm.requests).toHaveLength(0)
  })

  test("a running ! command makes the session busy (409) and POST /abort stops it", async () => {
    const session = (await spool.client().session.create({})).data!
    const shell = (command: string) =>
      spool.fetch(`/session/${session.id}/shell`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: { providerID: "fake", modelID: "fake-model" }, command }) })
    const running = shell("sleep 0.3; echo started; sleep 60")
    // Wait until the command has started (its part is running with output).
    for (;;) {
      const parts = (await spool.client().session.messages({ sessionID: session.id })).data!.flatMap((message) => message.parts)
      if (parts.some((part) => part.type === "tool" && part.state.status === "running" && String((part.state as { metadata?: { output?: string } }).metadata?.output ?? "").includes("started"))) break
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    expect((await shell("true")).status).toBe(409)
    const revert = await spool.fetch(`/session/${session.id}/revert`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ messageID: "msg_0000000000000000000000000" }) })
    expect(revert.status).toBe(409)
    expect((await spool.fetch(`/session/${session.id}/abort`, { method: "POST" })).status).toBe(200)
    const body = (await (await running).json()) as any
    expect(body.parts[0].state.status).toBe("completed")
    expect(body.parts[0].state.output).toContain("started")
    expect(body.parts[0].state.output).toContain("User aborted the command")
    expect(spool.app.status.get(session.id).type).toBe("idle")
  })

  test("POST /session/:id/command runs init as a prompt; an unknown command is 400", async () => {
    const session = (await spool.client().session.create({})).data!
    llm.script({ text: "Wrote AGENTS.md" })
    const post = (body: unknown) => spool.fetch(`/session/${session.id}/command`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) })
    const response = await post({ command: "init", arguments: "focus on tests", model: "fake/fake-model" })
    expect(response.status).toBe(200)
    const body = (await response.json()) as any
    expect(body.info).toMatchObject({ role: "assistant", providerID: "fake", modelID: "fake-model" })
    expect(body.parts.find((part: { type: string }) => part.type === "text").text).toBe("Wrote AGENTS.md")
    const sent = JSON.stringify(llm.requests.at(-1)!.body)
    expect(sent).toContain("AGENTS.md")
    expect(sent).toContain("focus on tests")
    const unknown = await post({ command: "review", arguments: "" })
    expect(unknown.status).toBe(400)
    expect(((await unknown.json()) as any).data.message).toContain('Unknown command "review"')
  })

  test("/doc documents the new routes", async () => {
    const doc = (await get("/doc")) as { paths: Record<string, unknown> }
    for (const path of ["/config/providers", "/provider", "/agent", "/config", "/path", "/vcs", "/command", "/find/file", "/api/fs/find", "/session/{sessionID}/shell", "/session/{sessionID}/command"]) {
      expect(Object.keys(doc.paths), path).toContain(path)
    }
  })
})

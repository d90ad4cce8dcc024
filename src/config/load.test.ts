import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, test } from "vitest"
import { CONFIG_SCHEMA_FILE, configJsonSchema, configJsonSchemaText } from "./json-schema.ts"
import { ConfigInvalidError, loadConfig, readConfigFile } from "./load.ts"
import { mergeConfig } from "./merge.ts"
import { toolAllowed } from "./tools.ts"

function dir() {
  return mkdtempSync(join(tmpdir(), "spool-config-"))
}

/** The ConfigInvalidError thrown by `action` (fails the test when none is thrown). */
function invalid(action: () => unknown) {
  try {
    action()
  } catch (error) {
    if (ConfigInvalidError.isInstance(error)) return error
    throw error
  }
  throw new Error("expected ConfigInvalidError")
}

describe("config", () => {
  test("substitutes {env:} and {file:}, relative to the config file; commented-out lines are left alone", () => {
    const root = dir()
    writeFileSync(join(root, "key.txt"), 'se"cret\n')
    writeFileSync(
      join(root, "spool.jsonc"),
      `{ // comment
        "model": "{env:MODEL}",
        // "x": "{file:missing.txt}",
        "provider": { "x": { "options": { "apiKey": "{file:key.txt}", "baseURL": "{env:UNSET}" } } },
      }`,
    )
    const config = readConfigFile(join(root, "spool.jsonc"), { MODEL: "anthropic/claude-sonnet-4-5" })
    expect(config.model).toBe("anthropic/claude-sonnet-4-5")
    expect(config.provider?.x.options?.apiKey).toBe('se"cret')
    expect(config.provider?.x.options?.baseURL).toBe("")
    writeFileSync(join(root, "spool.json"), `{ "model": "{file:missing.txt}" }`)
    expect(invalid(() => readConfigFile(join(root, "spool.json"), {})).message).toMatch(/bad file reference \{file:missing.txt\}/)
  })

  test("project file overrides the global one; SPOOL_CONFIG overrides both", () => {
    const home = dir()
    const project = dir()
    const explicit = join(dir(), "explicit.json")
    const globalDir = join(home, "spool")
    mkdirSync(globalDir, { recursive: true })
    writeFileSync(join(globalDir, "spool.json"), JSON.stringify({ model: "a/global", steps: 7 }))
    writeFileSync(join(project, "spool.json"), JSON.stringify({ model: "a/project" }))
    expect(loadConfig(project, { XDG_CONFIG_HOME: home })).toMatchObject({ model: "a/project", steps: 7 })
    writeFileSync(explicit, JSON.stringify({ model: "a/explicit" }))
    expect(loadConfig(project, { XDG_CONFIG_HOME: home, SPOOL_CONFIG: explicit })).toMatchObject({ model: "a/explicit", steps: 7 })
    // Without XDG_CONFIG_HOME the global directory is <home>/.config/spool.
    const other = dir()
    mkdirSync(join(other, ".config", "spool"), { recursive: true })
    writeFileSync(join(other, ".config", "spool", "spool.jsonc"), `{ "steps": 3 }`)
    expect(loadConfig(project, {}, { home: other })).toEqual({ model: "a/project", steps: 3 })
    expect(invalid(() => loadConfig(project, { SPOOL_CONFIG: join(project, "nope.json") }, { home: other })).data.path).toBe(join(project, "nope.json"))
  })

  test("deep merge: objects key by key, instructions concatenated and de-duplicated, other arrays replaced", () => {
    const home = dir()
    const project = dir()
    mkdirSync(join(home, "spool"))
    writeFileSync(
      join(home, "spool", "spool.json"),
      JSON.stringify({
        instructions: ["a.md", "b.md"],
        agent: { build: { model: "p/global", steps: 5, tools: ["read", "bash"] } },
        provider: { local: { options: { baseURL: "http://global", apiKey: "k" } } },
        compaction: { auto: false, reserved: 1000 },
      }),
    )
    writeFileSync(
      join(project, "spool.json"),
      JSON.stringify({
        instructions: ["b.md", "c.md"],
        agent: { build: { steps: 9, tools: ["read"] }, review: { prompt: "Review." } },
        provider: { local: { options: { baseURL: "http://project" } } },
        compaction: { prune: true },
      }),
    )
    expect(loadConfig(project, { XDG_CONFIG_HOME: home })).toEqual({
      instructions: ["a.md", "b.md", "c.md"],
      agent: { build: { model: "p/global", steps: 9, tools: ["read"] }, review: { prompt: "Review." } },
      provider: { local: { options: { baseURL: "http://project", apiKey: "k" } } },
      compaction: { auto: false, reserved: 1000, prune: true },
    })
    expect(mergeConfig({ steps: 1 }, {})).toEqual({ steps: 1 })
  })

  test("with a worktree, files from the worktree root down to the directory are read, nearest last", () => {
    const home = dir()
    const root = dir()
    mkdirSync(join(root, "a", "b"), { recursive: true })
    writeFileSync(join(root, "spool.json"), JSON.stringify({ model: "p/root", steps: 2, instructions: ["root.md"] }))
    writeFileSync(join(root, "a", "spool.jsonc"), `{ "model": "p/a", "instructions": ["a.md"] }`)
    const env = { XDG_CONFIG_HOME: home }
    expect(loadConfig(join(root, "a", "b"), env, { worktree: root })).toEqual({ model: "p/a", steps: 2, instructions: ["root.md", "a.md"] })
    expect(loadConfig(join(root, "a", "b"), env)).toEqual({})
  })

  test("schema errors name the file, the line and the JSON path", () => {
    const root = dir()
    const file = join(root, "spool.jsonc")
    writeFileSync(
      file,
      [
        "{",
        "  // agents",
        '  "agent": {',
        '    "build": { "steps": "many" },',
        '    "plan": { "tools": { "bash": "no" } }',
        "  },",
        '  "compaction": {',
        '    "auto": true,',
        '    "reservd": 100',
        "  },",
        '  "modle": "x",',
        '  "cache": { "ttl": "2h" }',
        "}",
      ].join("\n"),
    )
    const error = invalid(() => readConfigFile(file, {}))
    expect(error.data.path).toBe(file)
    expect(error.data.issues?.map(({ path, line, column }) => ({ path, line, column }))).toEqual([
      { path: "agent.build.steps", line: 4, column: 16 },
      { path: "agent.plan.tools", line: 5, column: 15 },
      { path: "compaction.reservd", line: 9, column: 5 },
      { path: "modle", line: 11, column: 3 },
      { path: "cache.ttl", line: 12, column: 14 },
    ])
    expect(error.message).toContain('compaction.reservd (line 9, column 5): unknown key "reservd"')
    expect(error.message).toMatch(/agent\.build\.steps \(line 4, column 16\): .*expected number/)
  })

  test("positions refer to the file as written, not to the substituted text", () => {
    const root = dir()
    const file = join(root, "spool.json")
    writeFileSync(file, `{\n  "model": "{env:LONG}", "steps": 0\n}`)
    const error = invalid(() => readConfigFile(file, { LONG: "provider/a-very-long-model-name" }))
    expect(error.data.issues).toEqual([{ path: "steps", line: 2, column: 26, message: expect.stringMatching(/>0|too small/i) }])
  })

  test("bad JSON is reported with its line", () => {
    const root = dir()
    writeFileSync(join(root, "spool.json"), '{\n  "model": "x"\n  "steps": 3\n}')
    const error = invalid(() => readConfigFile(join(root, "spool.json"), {}))
    expect(error.data.path).toBe(join(root, "spool.json"))
    expect(error.message).toBe("CommaExpected at line 3, column 3")
  })

  test("settings sections parse", () => {
    const root = dir()
    const settings = {
      $schema: "./schema/spool.schema.json",
      steps: 50,
      agent: { review: { description: "Reviews", prompt: "p", model: "a/b", tools: { "*": false, read: true }, steps: 3 } },
      compaction: { auto: true, reserved: 20000, prune: false },
      snapshot: { enabled: false, maxFileBytes: 1024 },
      cache: { ttl: "1h" },
      provider: { local: { env: ["X"], models: { m: { tool_call: true, limit: { context: 10, output: 5 } } } } },
    }
    writeFileSync(join(root, "spool.json"), JSON.stringify(settings))
    expect(readConfigFile(join(root, "spool.json"), {})).toMatchObject({ ...settings, provider: { local: { models: { m: { limit: { context: 10, output: 5 } } } } } })
  })

  test("toolAllowed: list = exactly these, map = last matching key, wildcards", () => {
    expect(toolAllowed(["read", "web*"], "read")).toBe(true)
    expect(toolAllowed(["read", "web*"], "webfetch")).toBe(true)
    expect(toolAllowed(["read"], "bash")).toBe(false)
    expect(toolAllowed({ "*": false, read: true }, "read")).toBe(true)
    expect(toolAllowed({ "*": false, read: true }, "bash")).toBe(false)
    expect(toolAllowed({ bash: false }, "read")).toBeUndefined()
    expect(toolAllowed(undefined, "read")).toBeUndefined()
  })
})

describe("JSON schema", () => {
  test("the committed schema/spool.schema.json equals the generated one (run `npm run schema`)", () => {
    expect(readFileSync(CONFIG_SCHEMA_FILE, "utf8")).toBe(configJsonSchemaText())
  })

  test("is strict and self-documenting", () => {
    const schema = configJsonSchema() as { additionalProperties: unknown; properties: Record<string, { description?: string; additionalProperties?: unknown }> }
    expect(schema.additionalProperties).toBe(false)
    for (const [key, property] of Object.entries(schema.properties)) expect(property.description, key).toBeTruthy()
    expect(Object.keys(schema.properties)).toEqual(
      expect.arrayContaining(["model", "provider", "agent", "instructions", "steps", "compaction", "snapshot", "cache"]),
    )
  })
})

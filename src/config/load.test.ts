import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, test } from "vitest"
import { loadConfig, readConfigFile } from "./load.ts"

function dir() {
  return mkdtempSync(join(tmpdir(), "spool-config-"))
}

describe("config", () => {
  test("substitutes {env:} and {file:}, relative to the config file", () => {
    const root = dir()
    writeFileSync(join(root, "key.txt"), 'se"cret\n')
    writeFileSync(
      join(root, "spool.jsonc"),
      `{ // comment
        "model": "{env:MODEL}",
        "provider": { "x": { "options": { "apiKey": "{file:key.txt}", "baseURL": "{env:UNSET}" } } },
      }`,
    )
    const config = readConfigFile(join(root, "spool.jsonc"), { MODEL: "anthropic/claude-sonnet-4-5" })
    expect(config.model).toBe("anthropic/claude-sonnet-4-5")
    expect(config.provider?.x.options?.apiKey).toBe('se"cret')
    expect(config.provider?.x.options?.baseURL).toBe("")
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
    expect(loadConfig(project, { XDG_CONFIG_HOME: home, SPOOL_CONFIG: explicit }).model).toBe("a/explicit")
  })

  test("reports unknown keys, type errors and bad JSON with the file", () => {
    const root = dir()
    writeFileSync(join(root, "spool.json"), JSON.stringify({ modle: "x" }))
    expect(() => readConfigFile(join(root, "spool.json"), {})).toThrow(/modle/)
    writeFileSync(join(root, "spool.json"), JSON.stringify({ steps: "many" }))
    expect(() => readConfigFile(join(root, "spool.json"), {})).toThrow(/steps/)
    writeFileSync(join(root, "spool.json"), "{ nope")
    expect(() => readConfigFile(join(root, "spool.json"), {})).toThrow(/spool.json|offset/)
  })
})

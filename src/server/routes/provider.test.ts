import { describe, expect, test } from "vitest"
import { knownProviders, providerDefaults } from "./provider.ts"

/** Which providers `resolveModel` can call, and so which `GET /config/providers` lists as connected. */
describe("knownProviders", () => {
  const connected = (config: Parameters<typeof knownProviders>[0], env: NodeJS.ProcessEnv) =>
    knownProviders(config, env)
      .filter((entry) => entry.connected)
      .map((entry) => entry.listing.id)
      .sort()

  test("built-ins need their key in env or config", () => {
    expect(connected({}, {})).toEqual([])
    expect(connected({}, { ANTHROPIC_API_KEY: "k" })).toEqual(["anthropic"])
    expect(connected({}, { OPENAI_API_KEY: "k" })).toEqual(["openai"])
    expect(connected({ provider: { openai: { options: { apiKey: "k" } } } }, {})).toEqual(["openai"])
  })

  test("a custom provider needs a key and, when OpenAI-compatible, a baseURL; another adapter reads its key variable", () => {
    expect(connected({ provider: { local: { options: { baseURL: "http://127.0.0.1:1/v1" } } } }, {})).toEqual([])
    expect(connected({ provider: { local: { options: { apiKey: "k" } } } }, {})).toEqual([])
    expect(connected({ provider: { local: { options: { apiKey: "k", baseURL: "http://127.0.0.1:1/v1" } } } }, {})).toEqual(["local"])
    expect(connected({ provider: { proxy: { npm: "@ai-sdk/anthropic" } } }, { ANTHROPIC_API_KEY: "k" })).toEqual(["anthropic", "proxy"])
  })

  test("the default model is listed and is its provider's default; keys are redacted", () => {
    const config = { model: "local/my-model", provider: { local: { options: { apiKey: "secret", baseURL: "http://127.0.0.1:1/v1" } } } }
    const local = knownProviders(config, {}).find((entry) => entry.listing.id === "local")!.listing
    expect(Object.keys(local.models)).toEqual(["my-model"])
    expect(local.models["my-model"].cost).toBeUndefined()
    expect(local.options.apiKey).toBe("[redacted]")
    expect(providerDefaults([local], config, undefined)).toEqual({ local: "my-model" })
  })
})

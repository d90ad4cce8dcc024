import { createRequire } from "node:module"
import type * as GenaiPrices from "@pydantic/genai-prices"
import { describe, expect, it } from "vitest"
import { isPriced, knownPrice, modelInfo, stepCost } from "./models.ts"
import { catalogModel, catalogModels } from "./price-catalog.ts"

const genai = createRequire(import.meta.url)("@pydantic/genai-prices") as typeof GenaiPrices
const tokens = (input: number, output: number, reasoning = 0, read = 0, write = 0) => ({ input, output, reasoning, cache: { read, write } })
const at = (date: string) => Date.parse(date)

describe("price catalogue (@pydantic/genai-prices, offline)", () => {
  it("prices every model of the Claude Code / Codex / OpenCode fixtures, with cache and 1-hour write rates", () => {
    // USD per million tokens as the catalogue has them (Anthropic and OpenAI pricing pages).
    expect(modelInfo("claude-opus-4-6", "anthropic").cost).toEqual({ input: 5, output: 25, cacheRead: 0.5, cacheWrite: 6.25, cacheWrite1h: 10 })
    expect(modelInfo("claude-sonnet-4-6", "anthropic").cost).toEqual({ input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75, cacheWrite1h: 6 })
    expect(modelInfo("claude-opus-4-5").cost).toMatchObject({ input: 5, output: 25, cacheRead: 0.5, cacheWrite: 6.25, cacheWrite1h: 10 })
    expect(modelInfo("claude-haiku-4-5").cost).toMatchObject({ input: 1, output: 5, cacheRead: 0.1, cacheWrite: 1.25, cacheWrite1h: 2 })
    expect(modelInfo("claude-sonnet-4-20250514", "anthropic").cost).toMatchObject({ input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75, cacheWrite1h: 6 })
    expect(modelInfo("claude-opus-4-20250514", "anthropic").cost).toMatchObject({ input: 15, output: 75, cacheRead: 1.5, cacheWrite: 18.75, cacheWrite1h: 30 })
    // OpenAI has no cache-write price: writes are billed as input (the catalogue's rule).
    expect(modelInfo("gpt-5.3-codex", "openai").cost).toEqual({ input: 1.75, output: 14, cacheRead: 0.175, cacheWrite: 1.75, cacheWrite1h: 1.75 })
    expect(modelInfo("gpt-5.2-codex", "openai").cost).toMatchObject({ input: 1.75, output: 14, cacheRead: 0.175 })
    expect(modelInfo("gpt-4o-mini", "openai").cost).toMatchObject({ input: 0.15, output: 0.6, cacheRead: 0.075 })
    expect(modelInfo("deepseek-v4-pro", "opencode-go").cost).toBeDefined()
    for (const model of ["gpt-5.6-sol", "gpt-5.6-luna", "gpt-5.5", "gpt-5.4", "gpt-5.2", "gpt-5.1", "claude-opus-4-8", "claude-sonnet-5", "claude-opus-5", "claude-3-opus"]) {
      expect(isPriced(modelInfo(model)), model).toBe(true)
    }
  })

  it("an unknown model is unpriced: no cost, stepCost 0, no limits", () => {
    const info = modelInfo("codex-auto-review", "openai")
    expect(info).toEqual({})
    expect(isPriced(info)).toBe(false)
    expect(stepCost(info, tokens(1000, 100))).toBe(0)
    expect(knownPrice("openai", "codex-auto-review")).toBeUndefined()
    expect(knownPrice("local", "llama-9000")).toBeUndefined()
    expect(knownPrice("anthropic", "")).toBeUndefined()
  })

  it("config prices win and count as known, even a free model's 0", () => {
    const config = { provider: { local: { models: { "llama-9000": { cost: { input: 0, output: 0 } } } } } }
    expect(knownPrice("local", "llama-9000", config)).toEqual({ input: 0, output: 0, cacheRead: 0, cacheWrite: 0 })
    expect(knownPrice("local", "llama-9001", config)).toBeUndefined()
    expect(knownPrice("anthropic", "claude-sonnet-4-6", config)).toMatchObject({ input: 3, output: 15 })
    // A configured price keeps the catalogue's cache prices it does not name.
    const cheaper = { provider: { openai: { models: { "gpt-5.3-codex": { cost: { input: 1, output: 10 } } } } } }
    expect(knownPrice("openai", "gpt-5.3-codex", cheaper)).toEqual({ input: 1, output: 10, cacheRead: 0.175, cacheWrite: 1.75 })
  })

  it("a custom provider id falls back to the model's own provider; dated ids match their family", () => {
    expect(catalogModel("gpt-5", { providerID: "my-proxy" })).toMatchObject({ providerID: "openai", modelID: "gpt-5" })
    expect(catalogModel("claude-sonnet-4-5-20250929", { providerID: "anthropic" })).toMatchObject({ providerID: "anthropic", modelID: "claude-sonnet-4-5" })
  })

  it("prices in force at the step's time (gpt-5.6-luna was cut 80 % on 2026-07-30)", () => {
    expect(modelInfo("gpt-5.6-luna", "openai", at("2026-07-01")).cost).toMatchObject({ input: 1, output: 6, cacheRead: 0.1 })
    expect(modelInfo("gpt-5.6-luna", "openai", at("2026-08-03")).cost).toMatchObject({ input: 0.2, output: 1.2, cacheRead: 0.02 })
  })

  it("limits: Spool's table first, else the catalogue's context window (output unknown = 0)", () => {
    expect(modelInfo("claude-opus-4-6").limit).toEqual({ context: 200_000, output: 64_000 })
    expect(modelInfo("claude-sonnet-4-5-20250929").limit).toEqual({ context: 200_000, output: 64_000 })
    expect(modelInfo("gpt-5.3-codex").limit).toEqual({ context: 400_000, output: 0 })
    expect(modelInfo("claude-sonnet-5").limit).toEqual({ context: 1_000_000, output: 0 })
    expect(modelInfo("gpt-9-imaginary").limit).toBeUndefined()
  })

  it("lists a provider's models with prices and windows", () => {
    const anthropic = catalogModels("anthropic")
    expect(anthropic.find((model) => model.modelID === "claude-opus-4-6")).toMatchObject({ providerID: "anthropic", cost: { input: 5, output: 25 }, context: 1_000_000 })
    expect(catalogModels("openai").some((model) => model.modelID === "gpt-5.3-codex")).toBe(true)
    expect(catalogModels("no-such-provider")).toEqual([])
  })
})

describe("stepCost", () => {
  // The same usage through genai-prices' own calculator: its `input_tokens` include cache reads and
  // writes (and the 1-hour writes are part of the cache writes), its `output_tokens` include reasoning.
  function reference(model: string, provider: string, step: ReturnType<typeof tokens>, write1h: number, when: number): number {
    const usage = {
      input_tokens: step.input + step.cache.read + step.cache.write,
      cache_read_tokens: step.cache.read,
      cache_write_tokens: step.cache.write,
      ...(write1h ? { cache_write_1h_tokens: write1h } : {}),
      output_tokens: step.output + step.reasoning,
    }
    return genai.calcPrice(usage, model, { providerId: provider, timestamp: new Date(when) })!.total_price
  }

  const cases: Array<[string, string, ReturnType<typeof tokens>, number, string]> = [
    ["claude-opus-4-6", "anthropic", tokens(1200, 800, 0, 90_000, 4_000), 3_000, "2026-11-01"],
    ["claude-sonnet-4-5", "anthropic", tokens(500, 2000, 0, 150_000, 60_000), 10_000, "2026-11-01"], // 210k prompt: the >200k tier
    ["claude-sonnet-4-6", "anthropic", tokens(10, 10, 0, 10, 10), 0, "2026-01-15"], // before the flat price of 2026-03-13
    ["gpt-5.3-codex", "openai", tokens(367_673, 18_179, 17_896, 6_836_352), 0, "2026-02-23"],
    ["gpt-5.5", "openai", tokens(20_000, 3_000, 1_000, 260_000), 0, "2026-11-01"], // 280k prompt: the >272k tier
    ["gpt-5.6-luna", "openai", tokens(9_173, 18, 63, 3_584), 0, "2026-08-03"],
    ["deepseek-v4-pro", "deepseek", tokens(4_000, 500, 200, 12_000), 0, "2026-11-01T03:00:00Z"],
  ]
  for (const [model, provider, step, write1h, when] of cases) {
    it(`equals genai-prices' calcPrice: ${model} at ${when}`, () => {
      const cost = stepCost(modelInfo(model, provider, at(when)), step, write1h)
      expect(cost).toBeGreaterThan(0)
      expect(cost).toBeCloseTo(reference(model, provider, step, write1h, at(when)), 12)
    })
  }

  it("reasoning at the output price; 1-hour writes at their own rate, else 2× input (a config price)", () => {
    const configured = { cost: { input: 2, output: 10, cacheRead: 0.2, cacheWrite: 2.5 } }
    expect(stepCost(configured, tokens(1_000_000, 500_000, 500_000))).toBeCloseTo(2 + 10, 12)
    expect(stepCost(configured, tokens(0, 0, 0, 0, 1_000_000), 400_000)).toBeCloseTo(0.6 * 2.5 + 0.4 * 4, 12)
    expect(stepCost(configured, tokens(Number.NaN, -5, Infinity))).toBe(0)
  })
})

import { createRequire } from "node:module"
import type * as GenaiPrices from "@pydantic/genai-prices"

/**
 * USD per million tokens, in OpenCode's token categories (`cache.read`, `cache.write` are prompt
 * tokens billed apart from `input`; reasoning is billed as output).
 */
export interface Rates {
  input: number
  output: number
  cacheRead: number
  /** The 5-minute cache write (OpenAI-style providers: charged at the input price). */
  cacheWrite: number
  /** The 1-hour cache write (Anthropic: 2× input); when absent, 2× `input`. */
  cacheWrite1h?: number
}

/**
 * A model's prices: base rates plus long-context tiers. A step whose prompt (input + cache read +
 * cache write tokens) is greater than a tier's `above` is billed wholly at that tier's rates (the last
 * such tier wins), as Anthropic's >200k and OpenAI's >272k prices work (and as genai-prices applies
 * its `tiers`).
 */
export interface ModelCost extends Rates {
  tiers?: Array<Rates & { above: number }>
}

/** One model as the bundled catalogue knows it. */
export interface CatalogModel {
  /** The catalogue's provider id (`anthropic`, `openai`, `deepseek`, …). */
  providerID: string
  /** The catalogue's model id (may differ from the asked id: `claude-sonnet-4-20250514` → `claude-sonnet-4-0`). */
  modelID: string
  name?: string
  /** Undefined when the catalogue lists the model without token prices. */
  cost?: ModelCost
  /** Context window in tokens, when the catalogue has one (it has no output limits). */
  context?: number
}

type Genai = typeof GenaiPrices
type GenaiModel = GenaiPrices.ModelInfo
type GenaiProvider = GenaiPrices.Provider

let genai: Genai | undefined
/**
 * The catalogue package, loaded on first use (~0.3 s; most commands never price anything). It
 * carries its data inside: nothing is fetched (its opt-in `updatePrices` downloader is never called).
 */
function catalogue(): Genai {
  genai ??= createRequire(import.meta.url)("@pydantic/genai-prices") as Genai
  return genai
}

const resolved = new Map<string, { provider: GenaiProvider; model: GenaiModel } | null>()
const converted = new WeakMap<GenaiPrices.ModelPrice, ModelCost | null>()

/**
 * Looks a model up in the bundled `@pydantic/genai-prices` catalogue (offline; the data is the
 * package's, updated by updating the package). The provider id is tried first when the catalogue
 * knows it (`anthropic`, `openai`, `google`, `openrouter`, …), else the model id alone picks the
 * provider (a custom OpenAI-compatible provider serving `gpt-5` gets OpenAI's prices). Dated ids
 * match their family (the catalogue's own matching rules). Prices are those in force at `at`
 * (epoch ms, default now): the catalogue records price changes by start date and off-peak windows.
 *
 * @returns undefined when the catalogue has no such model.
 */
export function catalogModel(modelID: string, options: { providerID?: string; at?: number } = {}): CatalogModel | undefined {
  const key = `${options.providerID ?? ""}\n${modelID}`
  let hit = resolved.get(key)
  if (hit === undefined) {
    hit = lookup(modelID, options.providerID) ?? null
    resolved.set(key, hit)
  }
  if (!hit) return undefined
  const price = pricesAt(hit.model, options.at ?? Date.now())
  const cost = toCost(price)
  return {
    providerID: hit.provider.id,
    modelID: hit.model.id,
    ...(hit.model.name ? { name: hit.model.name } : {}),
    ...(cost ? { cost } : {}),
    ...(hit.model.context_window ? { context: hit.model.context_window } : {}),
  }
}

/**
 * Every model the catalogue lists for a provider (`anthropic`, `openai`, …), with prices in force at
 * `at` (epoch ms, default now) — for listing a provider's models (OpenCode's `GET /config/providers`).
 * Empty for a provider the catalogue does not know.
 */
export function catalogModels(providerID: string, at?: number): CatalogModel[] {
  const provider = catalogue().findProvider({ providerId: providerID })
  if (!provider) return []
  return provider.models.map((model) => {
    const cost = toCost(pricesAt(model, at ?? Date.now()))
    return {
      providerID: provider.id,
      modelID: model.id,
      ...(model.name ? { name: model.name } : {}),
      ...(cost ? { cost } : {}),
      ...(model.context_window ? { context: model.context_window } : {}),
    }
  })
}

function lookup(modelID: string, providerID: string | undefined): { provider: GenaiProvider; model: GenaiModel } | undefined {
  const { calcPrice, findProvider } = catalogue()
  const id = modelID.trim()
  if (!id) return undefined
  const attempt = (providerId?: string) => {
    try {
      const result = calcPrice({}, id, providerId ? { providerId } : {})
      return result ? { provider: result.provider, model: result.model } : undefined
    } catch {
      return undefined
    }
  }
  const known = providerID ? findProvider({ providerId: providerID }) : undefined
  return (known ? attempt(providerID) : undefined) ?? attempt()
}

/**
 * The price entry in force at `at`, by genai-prices' rule (`calcPrice`): the last entry whose
 * constraint holds (a `start_date` on or before `at`, or a UTC `time_of_date` window containing it),
 * else the first.
 */
function pricesAt(model: GenaiModel, at: number): GenaiPrices.ModelPrice {
  if (!Array.isArray(model.prices)) return model.prices
  const when = new Date(Number.isFinite(at) ? at : Date.now())
  for (let index = model.prices.length - 1; index >= 0; index--) {
    const { constraint, prices } = model.prices[index]
    if (!constraint) return prices
    if (constraint.type === "start_date" && when >= new Date(constraint.start_date)) return prices
    if (constraint.type === "time_of_date") {
      const seconds = when.getUTCHours() * 3600 + when.getUTCMinutes() * 60 + when.getUTCSeconds() + when.getUTCMilliseconds() / 1000
      const start = secondsOfDay(constraint.start_time)
      const end = secondsOfDay(constraint.end_time)
      if (end < start ? seconds >= start || seconds < end : seconds >= start && seconds < end) return prices
    }
  }
  return model.prices[0].prices
}

/** `HH:MM:SS[.fff](Z|±HH:MM)` → seconds after UTC midnight. */
function secondsOfDay(time: string): number {
  const match = /^(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(Z|([+-])(\d{2}):(\d{2}))$/.exec(time)
  if (!match) return Number.NaN
  const [, h, m, s, zone, sign, oh = "0", om = "0"] = match
  const offset = zone === "Z" ? 0 : (sign === "+" ? 1 : -1) * (Number(oh) * 3600 + Number(om) * 60)
  return (Number(h) * 3600 + Number(m) * 60 + Number(s) - offset + 86_400) % 86_400
}

/**
 * genai-prices' per-million prices → Spool's rates. Missing cache prices fall back as genai-prices
 * bills them: cache reads and writes at the input price, 1-hour writes at the cache-write price.
 * Undefined without both an input and an output price.
 */
function toCost(price: GenaiPrices.ModelPrice): ModelCost | undefined {
  const cached = converted.get(price)
  if (cached !== undefined) return cached ?? undefined
  const at = (key: string, tokens: number): number | undefined => {
    const value = price[key]
    if (value === undefined) return undefined
    if (typeof value === "number") return value
    let rate = value.base
    for (const tier of [...value.tiers].sort((a, b) => a.start - b.start)) if (tokens > tier.start) rate = tier.price
    return rate
  }
  const rates = (tokens: number): Rates | undefined => {
    const input = at("input_mtok", tokens)
    const output = at("output_mtok", tokens)
    if (input === undefined || output === undefined) return undefined
    const cacheWrite = at("cache_write_mtok", tokens) ?? input
    return { input, output, cacheRead: at("cache_read_mtok", tokens) ?? input, cacheWrite, cacheWrite1h: at("cache_write_1h_mtok", tokens) ?? cacheWrite }
  }
  const base = rates(0)
  let cost: ModelCost | undefined
  if (base) {
    const starts = new Set<number>()
    for (const value of Object.values(price)) if (value && typeof value === "object") for (const tier of value.tiers) starts.add(tier.start)
    const tiers = [...starts].sort((a, b) => a - b).map((above) => ({ above, ...rates(above + 1)! }))
    cost = tiers.length > 0 ? { ...base, tiers } : base
  }
  converted.set(price, cost ?? null)
  return cost
}

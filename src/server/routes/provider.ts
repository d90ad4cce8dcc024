import { Hono } from "hono"
import { z } from "zod"
import type { Config } from "../../config/index.ts"
import { catalogModels, modelInfo, parseModel, type ModelCost } from "../../provider/index.ts"
import { describeJson } from "./describe.ts"

/**
 * A model as OpenCode 1.18's `GET /config/providers` lists it (`Provider.Model`). Spool fills what it
 * knows: prices (USD per million tokens) and limits (tokens) from config, else the bundled catalogue
 * (`@pydantic/genai-prices`) and Spool's limit table. `cost` is absent for a model with no known price
 * (never a made-up `0`); a limit of `0` means unknown. Capabilities are those Spool uses (tool calls,
 * text in and out).
 */
export interface ProviderModel {
  id: string
  providerID: string
  api: { id: string; url: string; npm: string }
  name: string
  family: string
  capabilities: {
    temperature: boolean
    reasoning: boolean
    attachment: boolean
    toolcall: boolean
    input: Record<"text" | "audio" | "image" | "video" | "pdf", boolean>
    output: Record<"text" | "audio" | "image" | "video" | "pdf", boolean>
    interleaved: boolean
  }
  cost?: { input: number; output: number; cache: { read: number; write: number } }
  limit: { context: number; output: number }
  status: "active"
  options: Record<string, unknown>
  headers: Record<string, string>
  release_date: string
  variants: Record<string, unknown>
}

/** A provider as OpenCode 1.18 lists it (`{id, name, source, env, options, models}`). */
export interface ProviderListing {
  id: string
  name: string
  /** `env` when the key comes from the environment, `config` when the provider is configured in spool.json. */
  source: "env" | "config"
  /** Environment variables that carry its key. */
  env: string[]
  /** The configured options, with `apiKey` and header values replaced by `"[redacted]"`. */
  options: Record<string, unknown>
  models: Record<string, ProviderModel>
}

/** Spool's built-in providers (see `resolveModel`): the adapter, the key variable, the display name. */
const BUILTIN: Record<string, { npm: string; env: string; name: string }> = {
  anthropic: { npm: "@ai-sdk/anthropic", env: "ANTHROPIC", name: "Anthropic" },
  openai: { npm: "@ai-sdk/openai", env: "OPENAI", name: "OpenAI" },
}

/** Model ids preferred as a provider's default when the config names none (OpenCode prefers these families too). */
const PREFERRED = [/^claude-sonnet-4-5$/, /^claude-sonnet-4/, /^gpt-5$/, /^gpt-5/, /^claude-/, /^gpt-/]

/**
 * The providers Spool knows, each with whether `resolveModel` can call it, by the same rules: a
 * built-in (`anthropic`, `openai`) or configured provider whose API key is set (config
 * `provider.<id>.options.apiKey`, else `ANTHROPIC_API_KEY` / `OPENAI_API_KEY` for providers speaking
 * those adapters), and, for an OpenAI-compatible provider, an `options.baseURL`.
 */
export function knownProviders(config: Config, env: NodeJS.ProcessEnv): Array<{ listing: ProviderListing; connected: boolean }> {
  const ids = [...new Set([...Object.keys(BUILTIN), ...Object.keys(config.provider ?? {})])]
  return ids.map((id) => {
    const entry = config.provider?.[id]
    const builtin = BUILTIN[id]
    const npm = entry?.npm ?? builtin?.npm ?? "@ai-sdk/openai-compatible"
    const prefix = npm === "@ai-sdk/anthropic" ? "ANTHROPIC" : npm === "@ai-sdk/openai" ? "OPENAI" : undefined
    const options = entry?.options ?? {}
    const envKey = prefix ? env[`${prefix}_API_KEY`] : undefined
    const apiKey = options.apiKey ?? envKey
    const baseURL = options.baseURL ?? (prefix ? env[`${prefix}_BASE_URL`] : undefined)
    const connected = Boolean(apiKey) && (npm !== "@ai-sdk/openai-compatible" || Boolean(baseURL))
    const listing: ProviderListing = {
      id,
      name: entry?.name ?? builtin?.name ?? id,
      source: entry ? "config" : "env",
      env: prefix ? [`${prefix}_API_KEY`] : [],
      options: redact(options),
      models: providerModels(id, npm, baseURL ?? "", config),
    }
    return { listing, connected }
  })
}

/**
 * The models of a provider: the catalogue's models of that provider id, the models configured under
 * `provider.<id>.models`, and the default model (`model` in config) when it names this provider.
 */
function providerModels(providerID: string, npm: string, url: string, config: Config): Record<string, ProviderModel> {
  const models: Record<string, ProviderModel> = {}
  const configured = config.provider?.[providerID]?.models ?? {}
  const catalogued = catalogModels(providerID)
  const ids = new Set<string>([...catalogued.map((model) => model.modelID), ...Object.keys(configured)])
  const wanted = [parseModel(config.model), parseModel(config.small_model), ...Object.values(config.agent ?? {}).map((agent) => parseModel(agent.model))]
  for (const ref of wanted) if (ref?.providerID === providerID) ids.add(ref.modelID)
  for (const id of ids) {
    const catalogue = catalogued.find((model) => model.modelID === id)
    const own = configured[id]
    const info = modelInfo(id, providerID)
    const cost: ModelCost | undefined = own?.cost
      ? { input: own.cost.input, output: own.cost.output, cacheRead: own.cost.cache_read ?? 0, cacheWrite: own.cost.cache_write ?? 0 }
      : (catalogue?.cost ?? info.cost)
    const limit = own?.limit ?? info.limit ?? { context: catalogue?.context ?? 0, output: 0 }
    const none = { text: false, audio: false, image: false, video: false, pdf: false }
    models[id] = {
      id,
      providerID,
      api: { id, url, npm },
      name: own?.name ?? catalogue?.name ?? id,
      family: "",
      capabilities: { temperature: true, reasoning: false, attachment: false, toolcall: true, input: { ...none, text: true }, output: { ...none, text: true }, interleaved: false },
      ...(cost ? { cost: { input: cost.input, output: cost.output, cache: { read: cost.cacheRead, write: cost.cacheWrite } } } : {}),
      limit: { context: limit.context, output: limit.output },
      status: "active",
      options: {},
      headers: {},
      release_date: "",
      variants: {},
    }
  }
  return models
}

/** The default model of each listed provider: the default model when on it, else its first configured model, else a preferred family, else its first model. */
export function providerDefaults(providers: ProviderListing[], config: Config, fallback: string | undefined): Record<string, string> {
  const chosen = parseModel(fallback ?? config.model)
  const defaults: Record<string, string> = {}
  for (const provider of providers) {
    const ids = Object.keys(provider.models)
    if (ids.length === 0) continue
    if (chosen?.providerID === provider.id && provider.models[chosen.modelID]) {
      defaults[provider.id] = chosen.modelID
      continue
    }
    const configured = Object.keys(config.provider?.[provider.id]?.models ?? {})[0]
    const preferred = PREFERRED.map((pattern) => ids.filter((id) => pattern.test(id)).sort().reverse()[0]).find(Boolean)
    defaults[provider.id] = configured ?? preferred ?? ids[0]
  }
  return defaults
}

function redact(options: Record<string, unknown>): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...options }
  if (copy.apiKey !== undefined) copy.apiKey = "[redacted]"
  if (copy.headers && typeof copy.headers === "object") copy.headers = Object.fromEntries(Object.keys(copy.headers).map((name) => [name, "[redacted]"]))
  return copy
}

const ProviderSchema = z.object({ id: z.string(), name: z.string(), source: z.string(), env: z.array(z.string()), options: z.record(z.string(), z.any()), models: z.record(z.string(), z.any()) }).meta({ id: "Provider" })

/** What the provider routes read, per request (config may be reloaded). */
export interface ProviderRouteDeps {
  config: () => Config
  env: NodeJS.ProcessEnv
  /** The default model, `provider/model` (flag, config or `SPOOL_MODEL`). */
  defaultModel: () => string | undefined
}

/**
 * OpenCode 1.18's provider listings, answered with what Spool can really call:
 * - `GET /config/providers` → `{providers, default: {providerID: modelID}}`: the connected providers only
 *   (a key is set; a custom provider also needs its baseURL). Empty only when no provider is usable —
 *   OpenCode's TUI then asks to connect one, which is the truth.
 * - `GET /provider` → `{all, default, connected}`: the built-in providers and every configured one, and
 *   the ids of the connected ones.
 */
export function providerRoutes(deps: ProviderRouteDeps) {
  const app = new Hono()
  const listing = () => {
    const config = deps.config()
    const known = knownProviders(config, deps.env)
    return { config, known }
  }
  app.get(
    "/config/providers",
    describeJson({
      operationId: "config.providers",
      summary: "Providers Spool can call (a key is set), with their models' prices and limits, and the default model of each",
      tag: "config",
      response: z.object({ providers: z.array(ProviderSchema), default: z.record(z.string(), z.string()) }),
    }),
    (c) => {
      const { config, known } = listing()
      const providers = known.filter((entry) => entry.connected).map((entry) => entry.listing)
      return c.json({ providers, default: providerDefaults(providers, config, deps.defaultModel()) })
    },
  )
  app.get(
    "/provider",
    describeJson({
      operationId: "provider.list",
      summary: "Every provider Spool knows (built-in and configured), the default model of each, and the connected ones (a key is set)",
      tag: "provider",
      response: z.object({ all: z.array(ProviderSchema), default: z.record(z.string(), z.string()), connected: z.array(z.string()) }),
    }),
    (c) => {
      const { config, known } = listing()
      const all = known.map((entry) => entry.listing)
      return c.json({ all, default: providerDefaults(all, config, deps.defaultModel()), connected: known.filter((entry) => entry.connected).map((entry) => entry.listing.id) })
    },
  )
  app.get("/provider/auth", describeJson({ operationId: "provider.auth", summary: "Login methods per provider: none (Spool takes keys from env and config only)", tag: "provider", response: z.record(z.string(), z.any()) }), (c) =>
    c.json({}),
  )
  return app
}

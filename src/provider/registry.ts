import type { LanguageModel } from "ai"
import type { Config } from "../config/index.ts"
import { ProviderAuthError } from "./error.ts"
import { knownPrice, modelInfo, type ModelInfo } from "./models.ts"
import { anthropicSdk, openaiCompatibleSdk, openaiSdk } from "./sdk.ts"

/** A model reference as the API carries it. */
export interface ModelRef {
  providerID: string
  modelID: string
}

/** A resolved model: the AI SDK model plus its price and limits. */
export interface ResolvedModel extends ModelRef {
  language: LanguageModel
  info: ModelInfo
  /** Which wire protocol the adapter speaks (drives prompt-cache options). */
  api: "anthropic" | "openai" | "openai-compatible"
}

/** Parses `provider/model` (the model may contain further slashes). `undefined` when malformed. */
export function parseModel(value: string | undefined): ModelRef | undefined {
  if (!value) return undefined
  const slash = value.indexOf("/")
  if (slash <= 0 || slash === value.length - 1) return undefined
  return { providerID: value.slice(0, slash), modelID: value.slice(slash + 1) }
}

/**
 * Resolves a model from config and environment. Built-in providers: `anthropic`
 * (`ANTHROPIC_API_KEY`, `ANTHROPIC_BASE_URL`) and `openai` (`OPENAI_API_KEY`, `OPENAI_BASE_URL`); any
 * other id must be configured under `provider.<id>` with `options.baseURL` and is spoken to as an
 * OpenAI-compatible endpoint unless its `npm` names another adapter. Config options win over env.
 *
 * The adapter package is loaded on the first call that needs it (see `sdk.ts`).
 *
 * @throws ProviderAuthError when no API key is configured (no request is made), or when the provider
 * is unknown.
 */
export function resolveModel(ref: ModelRef, config: Config, env: NodeJS.ProcessEnv = process.env): ResolvedModel {
  const entry = config.provider?.[ref.providerID]
  const options = entry?.options ?? {}
  const configured = entry?.models?.[ref.modelID]
  const info: ModelInfo = { ...modelInfo(ref.modelID, ref.providerID) }
  // A configured price wins; cache prices it leaves out keep the catalogue's (as OpenCode merges them).
  if (configured?.cost) info.cost = knownPrice(ref.providerID, ref.modelID, config)
  if (configured?.limit) info.limit = configured.limit

  const npm = entry?.npm ?? (ref.providerID === "anthropic" ? "@ai-sdk/anthropic" : ref.providerID === "openai" ? "@ai-sdk/openai" : "@ai-sdk/openai-compatible")
  const envPrefix = npm === "@ai-sdk/anthropic" ? "ANTHROPIC" : npm === "@ai-sdk/openai" ? "OPENAI" : undefined
  const apiKey = options.apiKey ?? (envPrefix ? env[`${envPrefix}_API_KEY`] : undefined)
  const baseURL = options.baseURL ?? (envPrefix ? env[`${envPrefix}_BASE_URL`] : undefined)

  if (!entry && !envPrefix) {
    throw new ProviderAuthError({
      providerID: ref.providerID,
      message: `Unknown provider "${ref.providerID}": configure provider.${ref.providerID}.options.baseURL in spool.json`,
    })
  }
  if (!apiKey) {
    const hint = envPrefix ? `set ${envPrefix}_API_KEY or ` : ""
    throw new ProviderAuthError({
      providerID: ref.providerID,
      message: `No API key for provider "${ref.providerID}": ${hint}provider.${ref.providerID}.options.apiKey in spool.json`,
    })
  }

  if (npm === "@ai-sdk/anthropic") {
    const provider = anthropicSdk().createAnthropic({ apiKey, baseURL, headers: options.headers })
    return { ...ref, info, api: "anthropic", language: provider(ref.modelID) }
  }
  if (npm === "@ai-sdk/openai") {
    const provider = openaiSdk().createOpenAI({ apiKey, baseURL, headers: options.headers })
    return { ...ref, info, api: "openai", language: provider(ref.modelID) }
  }
  if (!baseURL) {
    throw new ProviderAuthError({ providerID: ref.providerID, message: `Provider "${ref.providerID}" needs options.baseURL` })
  }
  const provider = openaiCompatibleSdk().createOpenAICompatible({ name: ref.providerID, apiKey, baseURL, headers: options.headers, includeUsage: true })
  return { ...ref, info, api: "openai-compatible", language: provider(ref.modelID) }
}

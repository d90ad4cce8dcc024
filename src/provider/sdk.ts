import { createRequire } from "node:module"

/**
 * The AI SDK packages, loaded on first use rather than at start-up: they are a large share of what
 * the server would otherwise load before it can answer (~140 ms, tens of MiB), and only model calls
 * need them. They are loaded with `require()` of their ES modules (Node >= 22.12), synchronously, so
 * `resolveModel` and the other callers keep their signatures; the module instances are the ones an
 * `import` gives.
 *
 * Load AI SDK packages only through these functions (type-only imports are fine): a `require()` that
 * meets a module another dynamic `import()` is still loading throws `ERR_REQUIRE_CYCLE_MODULE`.
 */
const require = createRequire(import.meta.url)

/**
 * Defined as `true` in the production bundle (`scripts/bundle.ts`), which carries the packages as
 * `sdk-*.js` files in the directory of all its chunks, so that they share its copy of zod.
 */
declare const SPOOL_BUNDLE: boolean | undefined
const bundled = typeof SPOOL_BUNDLE !== "undefined" && SPOOL_BUNDLE

/** `ai`: `streamText`, `generateText`, `tool`, errors. */
export function aiSdk(): typeof import("ai") {
  return require(bundled ? "./sdk-ai.js" : "ai")
}

/** `@ai-sdk/anthropic` */
export function anthropicSdk(): typeof import("@ai-sdk/anthropic") {
  return require(bundled ? "./sdk-anthropic.js" : "@ai-sdk/anthropic")
}

/** `@ai-sdk/openai` */
export function openaiSdk(): typeof import("@ai-sdk/openai") {
  return require(bundled ? "./sdk-openai.js" : "@ai-sdk/openai")
}

/** `@ai-sdk/openai-compatible` */
export function openaiCompatibleSdk(): typeof import("@ai-sdk/openai-compatible") {
  return require(bundled ? "./sdk-openai-compatible.js" : "@ai-sdk/openai-compatible")
}

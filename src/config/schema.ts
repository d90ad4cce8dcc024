import { z } from "zod"

/**
 * A provider entry, named as OpenCode's config names it (`provider.<id>`): `options.baseURL` and
 * `options.apiKey` reach the AI SDK provider; `npm` picks the adapter for a custom id
 * (`@ai-sdk/anthropic`, `@ai-sdk/openai`, default `@ai-sdk/openai-compatible`).
 */
export const ProviderConfig = z.object({
  npm: z.string().optional(),
  name: z.string().optional(),
  options: z
    .object({ baseURL: z.string().optional(), apiKey: z.string().optional(), headers: z.record(z.string(), z.string()).optional() })
    .loose()
    .optional(),
  models: z
    .record(
      z.string(),
      z.object({
        name: z.string().optional(),
        /** USD per million tokens. */
        cost: z
          .object({ input: z.number(), output: z.number(), cache_read: z.number().optional(), cache_write: z.number().optional() })
          .optional(),
        limit: z.object({ context: z.number(), output: z.number() }).optional(),
      }),
    )
    .optional(),
})

/** `spool.json` / `spool.jsonc`. Unknown keys are rejected so typos surface. */
export const Config = z
  .object({
    $schema: z.string().optional(),
    /** Default model, `provider/model` (e.g. `anthropic/claude-sonnet-4-5`). */
    model: z.string().optional(),
    provider: z.record(z.string(), ProviderConfig).optional(),
    /** Maximum LLM steps in one agent turn (default 100). */
    steps: z.number().int().positive().optional(),
  })
  .strict()
export type Config = z.infer<typeof Config>
export type ProviderConfig = z.infer<typeof ProviderConfig>

import { Hono } from "hono"
import { z } from "zod"
import type { Config } from "../../config/index.ts"
import { describeJson } from "./describe.ts"

/**
 * `GET /config`: the merged configuration (global and project spool.json, `{env:}`/`{file:}`
 * substituted). Spool's key names are OpenCode's (`model`, `small_model`, `provider`, `agent`,
 * `permission`, `instructions`, `compaction`, `snapshot`, `server` …), so it is returned as is, except
 * that secrets are not sent over HTTP: `provider.<id>.options.apiKey` and header values read
 * `"[redacted]"` (OpenCode returns them verbatim).
 */
export function configRoutes(deps: { config: () => Config }) {
  const app = new Hono()
  app.get("/config", describeJson({ operationId: "config.get", summary: "The merged configuration (API keys redacted)", tag: "config", response: z.record(z.string(), z.any()) }), (c) =>
    c.json(redactConfig(deps.config())),
  )
  return app
}

/** A copy of `config` with every provider's `options.apiKey` and header values replaced by `"[redacted]"`. */
export function redactConfig(config: Config): Config {
  if (!config.provider) return config
  const provider = Object.fromEntries(
    Object.entries(config.provider).map(([id, entry]) => {
      if (!entry.options) return [id, entry]
      const options = { ...entry.options }
      if (options.apiKey !== undefined) options.apiKey = "[redacted]"
      if (options.headers) options.headers = Object.fromEntries(Object.keys(options.headers).map((name) => [name, "[redacted]"]))
      return [id, { ...entry, options }]
    }),
  )
  return { ...config, provider }
}

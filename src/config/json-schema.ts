import { fileURLToPath } from "node:url"
import { z } from "zod"
import { Config } from "./schema.ts"

/**
 * The JSON Schema (draft 2020-12) of `spool.json` / `spool.jsonc`, generated from the zod schema with
 * `z.toJSONSchema` (input side: what a user writes). Field descriptions come from `.describe()`.
 * The same document is committed as `schema/spool.schema.json` (`npm run schema` rewrites it) and is
 * what a server may answer for `GET /config/schema`.
 */
export function configJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(Config, { io: "input", target: "draft-2020-12" }) as Record<string, unknown>
}

/** `configJsonSchema()` as the exact text of `schema/spool.schema.json` (2-space indent, final newline). */
export function configJsonSchemaText(): string {
  return JSON.stringify(configJsonSchema(), null, 2) + "\n"
}

/** Absolute path of the committed schema file, `<repo>/schema/spool.schema.json`. */
export const CONFIG_SCHEMA_FILE: string = fileURLToPath(new URL("../../schema/spool.schema.json", import.meta.url))

import type { Context } from "hono"
import { resolve } from "node:path"
import { z } from "zod"
import { isId, type IdKind } from "../id/index.ts"
import { BadRequestError } from "../util/named-error.ts"
import { isJsonContentType, unsupportedMediaType } from "./security/content-type.ts"

/**
 * The instance directory of a request, as OpenCode routes it (spec 11.2): `?directory=`, else the
 * `x-opencode-directory` header, else the server's working directory. URL-decoded and made absolute.
 */
export function requestDirectory(c: Context, fallback: string): string {
  const raw = c.req.query("directory") ?? c.req.header("x-opencode-directory")
  if (!raw) return fallback
  let decoded = raw
  try {
    decoded = decodeURIComponent(raw)
  } catch {
    // keep the raw value
  }
  return resolve(decoded)
}

/** A path (or given query) parameter that must carry an ID prefix. @throws BadRequestError (400), never a 500. */
export function idParam(c: Context, name: string, kind: IdKind, value: string = c.req.param(name) ?? ""): string {
  if (!isId(kind, value)) {
    throw new BadRequestError({ message: `Invalid ${kind} ID "${value}": expected the "${kind === "session" ? "ses" : kind === "message" ? "msg" : kind === "part" ? "prt" : "evt"}_" prefix`, kind: "Params" })
  }
  return value
}

/**
 * Reads and validates a JSON body. An empty body counts as `{}` (OpenCode accepts empty create/fork
 * bodies). A non-empty body must be `Content-Type: application/json` (the `jsonBodiesOnly` middleware
 * refuses most others before the handler; this catches bodies whose length was not declared).
 * @throws UnsupportedMediaTypeError (415) for another type; BadRequestError with the zod issue and its path.
 */
export async function jsonBody<Schema extends z.ZodType>(c: Context, schema: Schema): Promise<z.infer<Schema>> {
  const text = await c.req.text()
  let value: unknown = {}
  if (text.trim() !== "") {
    const contentType = c.req.header("content-type")
    if (!isJsonContentType(contentType)) throw unsupportedMediaType(contentType)
    try {
      value = JSON.parse(text)
    } catch (error) {
      throw new BadRequestError({ message: `Malformed JSON body: ${(error as Error).message}`, kind: "Payload" })
    }
  }
  return validate(schema, value, "Payload")
}

/**
 * Validates query parameters. Pass the same zod object to the route's `doc({query})` so `GET /doc`
 * documents exactly what the handler accepts (`queryParameters`). @throws BadRequestError
 */
export function queryParams<Schema extends z.ZodType>(c: Context, schema: Schema): z.infer<Schema> {
  return validate(schema, c.req.query(), "Query")
}

/** `?directory=`, read by `requestDirectory`: part of the query schema of every route that calls it. */
export const DirectoryQuery = z.object({
  directory: z.string().optional().describe("Instance directory (absolute, may be URL-encoded); the `x-opencode-directory` header is the alternative; default: the server's working directory"),
})

/** One OpenAPI 3.1 query parameter object. */
export interface QueryParameter {
  name: string
  in: "query"
  required: boolean
  description?: string
  schema: Record<string, unknown>
}

/**
 * The OpenAPI `parameters` (`in: "query"`) of a query schema, one per property, derived from the zod
 * object the handler validates with (its input side: `"true"`/`"1"` strings, coerced numbers), so the
 * document and the validation cannot drift. A property's `.describe()` text becomes its description.
 */
export function queryParameters(schema: z.ZodObject): QueryParameter[] {
  const json = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as { properties?: Record<string, Record<string, unknown>>; required?: string[] }
  return Object.entries(json.properties ?? {}).map(([name, { description, ...property }]) => ({
    name,
    in: "query",
    required: json.required?.includes(name) ?? false,
    ...(typeof description === "string" ? { description } : {}),
    schema: property,
  }))
}

function validate<Schema extends z.ZodType>(schema: Schema, value: unknown, kind: string): z.infer<Schema> {
  const result = schema.safeParse(value)
  if (!result.success) {
    throw new BadRequestError({ message: z.prettifyError(result.error).slice(0, 1024), kind })
  }
  return result.data
}

/** Query boolean as OpenCode accepts it: `true`/`false` strings or absent. */
export const QueryBoolean = z
  .enum(["true", "false", "1", "0"])
  .transform((value) => value === "true" || value === "1")
  .optional()

/** Encodes a keyset cursor as base64url JSON `{id, time}` (OpenCode's message cursor, spec 11.6). */
export function encodeCursor(cursor: { id: string; time: number }): string {
  return Buffer.from(JSON.stringify({ id: cursor.id, time: cursor.time })).toString("base64url")
}

/** Decodes a cursor. @throws BadRequestError for anything that is not a valid cursor. */
export function decodeCursor(value: string): { id: string; time: number } {
  try {
    const parsed = JSON.parse(Buffer.from(value, "base64url").toString("utf8")) as { id?: unknown; time?: unknown }
    if (typeof parsed.id === "string" && typeof parsed.time === "number") return { id: parsed.id, time: parsed.time }
  } catch {
    // fall through
  }
  throw new BadRequestError({ message: `Invalid cursor: ${value}`, kind: "Query" })
}

/**
 * Sets the paging headers of a list response when a next page exists: `Link: <url>; rel="next"`,
 * `X-Next-Cursor`, and `Access-Control-Expose-Headers` so browsers can read them.
 */
export function setNextPage(c: Context, next: { id: string; time: number } | undefined, limit: number): void {
  if (!next) return
  const cursor = encodeCursor(next)
  const url = new URL(c.req.url)
  url.searchParams.set("limit", String(limit))
  url.searchParams.set("before", cursor)
  c.header("Link", `<${url.toString()}>; rel="next"`)
  c.header("X-Next-Cursor", cursor)
  c.header("Access-Control-Expose-Headers", "Link, X-Next-Cursor")
}

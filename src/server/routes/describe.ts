import { describeRoute, resolver } from "hono-openapi"
import type { z } from "zod"
import { queryParameters } from "../request.ts"
import { ErrorBody } from "./doc.ts"

/**
 * OpenAPI description of one of the routes OpenCode's TUI asks for (config, providers, agents,
 * project, find, shell …): its summary, tag, optional JSON body, 200 response and error statuses, and
 * the query parameters it reads, derived from the zod object the handler validates with
 * (`queryParameters`, as for every other route in `GET /doc`), so the two cannot drift.
 */
export function describeJson(options: {
  operationId: string
  summary: string
  tag: string
  body?: z.ZodType
  response?: z.ZodType
  /** The query schema the handler validates with (`queryParams`, or `DirectoryQuery` for `requestDirectory`). */
  query?: z.ZodObject
  errors?: Array<400 | 404 | 409>
}) {
  const responses: Record<string, unknown> = {
    200: { description: "OK", content: options.response ? { "application/json": { schema: resolver(options.response) } } : undefined },
  }
  for (const status of options.errors ?? []) responses[String(status)] = { description: "Error", content: { "application/json": { schema: resolver(ErrorBody) } } }
  return describeRoute({
    operationId: options.operationId,
    summary: options.summary,
    tags: [options.tag],
    ...(options.query ? { parameters: queryParameters(options.query) as never } : {}),
    requestBody: options.body ? { content: { "application/json": { schema: resolver(options.body) } } } : undefined,
    responses: responses as never,
  })
}

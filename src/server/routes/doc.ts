import { describeRoute, resolver } from "hono-openapi"
import { z } from "zod"
import { queryParameters } from "../request.ts"

/** Error body schema shared by every route's 4xx documentation. */
export const ErrorBody = z
  .object({ name: z.string(), data: z.record(z.string(), z.any()) })
  .meta({ id: "Error", description: "A named error: `{name, data: {message, ...}}`" })

/**
 * Documents a route for the OpenAPI document: its summary, optional JSON request body and its 200
 * response, plus the 400/404 error bodies, and `query`: the zod object the handler passes to
 * `queryParams` (or `DirectoryQuery` when it calls `requestDirectory`), documented as its query
 * parameters. Validation itself happens in the handler.
 */
export function doc(options: {
  operationId: string
  summary: string
  body?: z.ZodType
  query?: z.ZodObject
  response?: z.ZodType
  status?: 200 | 204
  errors?: Array<400 | 404 | 409>
}) {
  const responses: Record<string, unknown> = {}
  if (options.status === 204) responses["204"] = { description: "Accepted" }
  else responses["200"] = { description: "OK", content: options.response ? { "application/json": { schema: resolver(options.response) } } : undefined }
  for (const status of options.errors ?? [400, 404]) {
    responses[String(status)] = { description: "Error", content: { "application/json": { schema: resolver(ErrorBody) } } }
  }
  return describeRoute({
    operationId: options.operationId,
    summary: options.summary,
    tags: ["session"],
    ...(options.query ? { parameters: queryParameters(options.query) as never } : {}),
    requestBody: options.body ? { content: { "application/json": { schema: resolver(options.body) } } } : undefined,
    responses: responses as never,
  })
}

import { describeRoute, resolver } from "hono-openapi"
import type { z } from "zod"
import { ErrorBody } from "./doc.ts"

/**
 * OpenAPI description of one of the routes OpenCode's TUI asks for (config, providers, agents,
 * project, find, shell …): its summary, tag, optional JSON body, 200 response and error statuses, and
 * the query parameters it reads (documented by name; validation happens in the handler).
 */
export function describeJson(options: {
  operationId: string
  summary: string
  tag: string
  body?: z.ZodType
  response?: z.ZodType
  query?: Array<{ name: string; description: string; required?: boolean }>
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
    ...(options.query
      ? { parameters: options.query.map((parameter) => ({ name: parameter.name, in: "query", required: parameter.required ?? false, description: parameter.description, schema: { type: "string" } })) as never }
      : {}),
    requestBody: options.body ? { content: { "application/json": { schema: resolver(options.body) } } } : undefined,
    responses: responses as never,
  })
}

/** The `directory` query parameter every instance route accepts (else `x-opencode-directory`, else the server's cwd). */
export const DIRECTORY_PARAMETER = { name: "directory", description: "Instance directory (else the `x-opencode-directory` header, else the server's working directory)" }

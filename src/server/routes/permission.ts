import { Hono } from "hono"
import { describeRoute, resolver } from "hono-openapi"
import { z } from "zod"
import { PermissionReplyInput, PermissionRequestInfo, PermissionRespondInput, type PermissionRegistry } from "../../permission/index.ts"
import { NotFoundError } from "../../util/named-error.ts"
import { DirectoryQuery, idParam, jsonBody, queryParameters, requestDirectory } from "../request.ts"
import { ErrorBody } from "./doc.ts"

function permissionDoc(options: { operationId: string; summary: string; query?: z.ZodObject; body?: z.ZodType; response: z.ZodType; errors: Array<400 | 404> }) {
  const responses: Record<string, unknown> = { 200: { description: "OK", content: { "application/json": { schema: resolver(options.response) } } } }
  for (const status of options.errors) responses[String(status)] = { description: "Error", content: { "application/json": { schema: resolver(ErrorBody) } } }
  return describeRoute({
    operationId: options.operationId,
    summary: options.summary,
    tags: ["permission"],
    ...(options.query ? { parameters: queryParameters(options.query) as never } : {}),
    requestBody: options.body ? { content: { "application/json": { schema: resolver(options.body) } } } : undefined,
    responses: responses as never,
  })
}

/**
 * OpenCode 1.18's permission routes: `GET /permission` lists pending requests (those of sessions in the
 * request's directory when `?directory=` or `x-opencode-directory` names one, otherwise all);
 * `POST /permission/:requestID/reply {reply, message?}` answers one (`true`); the deprecated
 * `POST /session/:sessionID/permissions/:permissionID {response}` does the same. Unlike OpenCode, which
 * answers `true` for any id, an unknown request (or one of another session) is 404.
 */
export function permissionRoutes(deps: { permissions: PermissionRegistry; cwd: string }) {
  const { permissions } = deps
  const app = new Hono()

  app.get("/permission", permissionDoc({ operationId: "permission.list", summary: "Pending permission requests", query: DirectoryQuery, response: z.array(PermissionRequestInfo), errors: [] }), (c) => {
    const named = c.req.query("directory") !== undefined || c.req.header("x-opencode-directory") !== undefined
    return c.json(permissions.list(named ? requestDirectory(c, deps.cwd) : undefined))
  })

  app.post(
    "/permission/:requestID/reply",
    permissionDoc({ operationId: "permission.reply", summary: "Answer a permission request: once, always or reject (with an optional message for the model)", body: PermissionReplyInput, response: z.boolean(), errors: [400, 404] }),
    async (c) => {
      const requestID = c.req.param("requestID")
      const body = await jsonBody(c, PermissionReplyInput)
      if (!(await permissions.reply(requestID, body.reply, body.message))) throw new NotFoundError({ message: `Permission request not found: ${requestID}` })
      return c.json(true)
    },
  )

  app.post(
    "/session/:sessionID/permissions/:permissionID",
    permissionDoc({ operationId: "permission.respond", summary: "Answer a permission request (deprecated; use POST /permission/:requestID/reply)", body: PermissionRespondInput, response: z.boolean(), errors: [400, 404] }),
    async (c) => {
      const sessionID = idParam(c, "sessionID", "session")
      const permissionID = c.req.param("permissionID")
      const body = await jsonBody(c, PermissionRespondInput)
      if (permissions.sessionOf(permissionID) !== sessionID || !(await permissions.reply(permissionID, body.response))) {
        throw new NotFoundError({ message: `Permission request not found: ${permissionID}` })
      }
      return c.json(true)
    },
  )

  return app
}

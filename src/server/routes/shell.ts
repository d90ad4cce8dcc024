import { Hono } from "hono"
import { z } from "zod"
import { MessageID, WithParts } from "../../session/index.ts"
import type { ShellRunner } from "../../session/shell.ts"
import { idParam, jsonBody } from "../request.ts"
import { describeJson } from "./describe.ts"

/** `POST /session/:id/shell` (OpenCode 1.18 `SessionPrompt.ShellInput`). */
const ShellInput = z
  .object({
    agent: z.string().optional(),
    model: z.object({ providerID: z.string(), modelID: z.string() }).optional(),
    command: z.string().min(1),
    messageID: MessageID.optional(),
  })
  .meta({ id: "SessionShellInput" })

/**
 * `POST /session/:id/shell {command, agent?, model?, messageID?}` (OpenCode's `!` mode): runs the command
 * in the session directory and answers with the assistant message holding its `bash` tool part (see
 * `createShellRunner`). 400 for a bad body or no model, 404 for a missing session, 409 while the session
 * is busy.
 */
export function shellRoutes(deps: { shell: ShellRunner }) {
  const app = new Hono()
  app.post(
    "/session/:sessionID/shell",
    describeJson({ operationId: "session.shell", summary: "Run a shell command the user typed; recorded as a user message and an assistant message with a bash tool part", tag: "session", body: ShellInput, response: WithParts, errors: [400, 404, 409] }),
    async (c) => {
      const id = idParam(c, "sessionID", "session")
      const body = await jsonBody(c, ShellInput)
      return c.json(await deps.shell.run(id, body))
    },
  )
  return app
}

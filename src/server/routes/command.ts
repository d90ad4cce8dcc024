import { Hono } from "hono"
import { z } from "zod"
import { parseModel } from "../../provider/index.ts"
import { INIT_PROMPT, MessageID, PromptInput, WithParts, type PromptRunner, type SessionService } from "../../session/index.ts"
import { BadRequestError } from "../../util/named-error.ts"
import { idParam, jsonBody } from "../request.ts"
import { describeJson } from "./describe.ts"

/** A command as OpenCode 1.18's `GET /command` lists it. */
export interface CommandListing {
  name: string
  description: string
  source: "command"
  template: string
  hints: string[]
}

/**
 * Spool's commands: `init` (OpenCode's built-in `/init`), an agent turn that creates or improves the
 * project's AGENTS.md (`INIT_PROMPT`, the same turn as `POST /session/:id/init`). The user's arguments
 * (`$ARGUMENTS`, OpenCode's hint) are appended to the prompt.
 */
export const COMMANDS: CommandListing[] = [{ name: "init", description: "create or improve AGENTS.md", source: "command", template: INIT_PROMPT, hints: ["$ARGUMENTS"] }]

/** `POST /session/:id/command` (OpenCode 1.18): `model` is `provider/model`. */
const CommandInput = z
  .object({
    messageID: MessageID.optional(),
    agent: z.string().optional(),
    model: z.string().optional(),
    variant: z.string().optional(),
    command: z.string(),
    arguments: z.string().default(""),
    parts: PromptInput.shape.parts.optional(),
  })
  .meta({ id: "SessionCommandInput" })

/** The prompt text of a command with its arguments. @throws BadRequestError for an unknown command. */
export function commandPrompt(name: string, args: string): string {
  const command = COMMANDS.find((entry) => entry.name === name)
  if (!command) throw new BadRequestError({ message: `Unknown command "${name}": Spool has ${COMMANDS.map((entry) => entry.name).join(", ")}`, kind: "Payload" })
  const extra = args.trim()
  return extra ? `${command.template}\n\nThe user adds:\n${extra}` : command.template
}

/**
 * `GET /command` → the commands above; `POST /session/:id/command {command, arguments, agent?, model?,
 * messageID?, parts?}` runs one as a prompt of the session and answers with the turn's last assistant
 * message (as `POST /session/:id/message`). 400 for an unknown command or a malformed `model`, 404 for
 * a missing session.
 */
export function commandRoutes(deps: { prompts: PromptRunner; sessions: SessionService }) {
  const app = new Hono()
  const CommandSchema = z.object({ name: z.string(), description: z.string(), source: z.string(), template: z.string(), hints: z.array(z.string()) }).meta({ id: "Command" })
  app.get("/command", describeJson({ operationId: "command.list", summary: "Commands a session can run (`init`)", tag: "command", response: z.array(CommandSchema) }), (c) => c.json(COMMANDS))

  app.post(
    "/session/:sessionID/command",
    describeJson({ operationId: "session.command", summary: "Run a command (`init`) as a prompt of the session and wait for the answer", tag: "session", body: CommandInput, response: WithParts, errors: [400, 404, 409] }),
    async (c) => {
      const id = idParam(c, "sessionID", "session")
      const body = await jsonBody(c, CommandInput)
      const text = commandPrompt(body.command, body.arguments)
      const model = body.model === undefined || body.model === "" ? undefined : parseModel(body.model)
      if (body.model && !model) throw new BadRequestError({ message: `Invalid model "${body.model}": expected provider/model`, kind: "Payload" })
      await deps.sessions.get(id)
      const result = await deps.prompts.prompt(id, {
        ...(body.messageID ? { messageID: body.messageID } : {}),
        ...(body.agent ? { agent: body.agent } : {}),
        ...(model ? { model } : {}),
        ...(body.variant ? { variant: body.variant } : {}),
        parts: [{ type: "text", text }, ...(body.parts ?? [])],
      })
      return c.json(result)
    },
  )
  return app
}

import { Hono } from "hono"
import { z } from "zod"
import { exportSession, formatExport } from "../../importer/export.ts"
import { SessionInfo, Todo, WithParts, type SessionService } from "../../session/index.ts"
import { NotFoundError } from "../../util/named-error.ts"
import { idParam } from "../request.ts"
import { doc } from "./doc.ts"

/** What `GET /session/:id/export` needs. */
export interface ExportRouteDeps {
  sessions: SessionService
}

/** OpenCode's export JSON (`opencode export`, `spool export`): what `opencode import` and `spool import` read. */
const SessionExport = z.object({ info: SessionInfo, messages: z.array(WithParts), todos: z.array(Todo) }).meta({ id: "SessionExport" })

/** A file name for a download: the slug (else the id), with anything but letters, digits, `.`, `_` and `-` replaced. */
export function exportFileName(info: { id: string; slug?: string }): string {
  const base = (info.slug || info.id).replace(/[^A-Za-z0-9._-]/g, "_").replace(/^\.+/, "_")
  return `${base || info.id}.json`
}

/**
 * `GET /session/:id/export`: the session as `spool export` writes it (the same function, byte for
 * byte: `{info, messages: [{info, parts}], todos}`, `info.metadata.spool.exportVersion` marking Spool's
 * export), as a download (`Content-Disposition: attachment; filename="<slug>.json"`). 404 for a
 * missing session, 400 for a malformed ID.
 */
export function exportRoutes(deps: ExportRouteDeps) {
  const app = new Hono()
  app.get(
    "/session/:sessionID/export",
    doc({ operationId: "session.export", summary: "Download the session as OpenCode export JSON (what `spool export` writes)", response: SessionExport, errors: [400, 404] }),
    async (c) => {
      const id = idParam(c, "sessionID", "session")
      const data = await exportSession(async (sessionID) => {
        const info = await deps.sessions.get(sessionID)
        return { info, messages: (await deps.sessions.messages(sessionID, {})).items, todos: await deps.sessions.todos(sessionID) }
      }, id)
      if (!data) throw new NotFoundError({ message: `Session not found: ${id}` })
      return c.body(formatExport(data), 200, {
        "content-type": "application/json; charset=utf-8",
        "content-disposition": `attachment; filename="${exportFileName(data.info)}"`,
      })
    },
  )
  return app
}

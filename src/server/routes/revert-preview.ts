import { Hono } from "hono"
import { z } from "zod"
import { MessageID, PartID, RevertPreview, type Reverter } from "../../session/index.ts"
import { idParam, queryParams } from "../request.ts"
import { doc } from "./doc.ts"

/** What the revert preview needs. */
export interface RevertPreviewRouteDeps {
  reverter: Reverter
}

/** `GET /session/:id/revert` query: the body `POST /session/:id/revert` would get, without `force`. */
const RevertPreviewQuery = z.object({
  messageID: MessageID.describe("The message a revert would start at (a user message: its whole turn)"),
  partID: PartID.optional().describe("A part inside the message to start at instead"),
})

/**
 * `GET /session/:id/revert?messageID=&partID=`: a dry run of `POST /session/:id/revert` (the same plan
 * and conflict check, `Reverter.preview`): the files it would restore (or delete, when the session
 * created them), the conflicts it would leave alone, and the changes being undone, without changing
 * any file or the session. 400 for a malformed ID or when revert is impossible
 * (`SnapshotUnavailableError`: snapshots off, directory gone, turn recorded elsewhere); 404 for a
 * missing session, message or part.
 */
export function revertPreviewRoutes(deps: RevertPreviewRouteDeps) {
  const app = new Hono()
  app.get(
    "/session/:sessionID/revert",
    doc({ operationId: "session.revertPreview", summary: "Preview a revert: the files it would restore and the conflicts it would leave alone; changes nothing", query: RevertPreviewQuery, response: RevertPreview, errors: [400, 404] }),
    async (c) => {
      const id = idParam(c, "sessionID", "session")
      const query = queryParams(c, RevertPreviewQuery)
      return c.json(await deps.reverter.preview(id, query))
    },
  )
  return app
}

import type { Context } from "hono"
import { HTTPException } from "hono/http-exception"
import { randomBytes } from "node:crypto"
import { ConfigInvalidError } from "../config/index.ts"
import { ProviderAuthError } from "../provider/index.ts"
import { RevertConflictError, SnapshotUnavailableError } from "../session/index.ts"
import { BadRequestError, NamedError, NotFoundError, SessionBusyError, UnknownError } from "../util/named-error.ts"
import type { Logger } from "../util/log.ts"

/** HTTP status of each named error; anything unnamed is a 500 `UnknownError` with a log reference. */
function statusOf(error: NamedError): 400 | 404 | 409 | 500 {
  if (NotFoundError.isInstance(error)) return 404
  if (
    BadRequestError.isInstance(error) ||
    ConfigInvalidError.isInstance(error) ||
    ProviderAuthError.isInstance(error) ||
    SnapshotUnavailableError.isInstance(error)
  ) {
    return 400
  }
  if (SessionBusyError.isInstance(error) || RevertConflictError.isInstance(error)) return 409
  return 500
}

/**
 * The server's single error handler: named errors become `{name, data}` with their status
 * (404 NotFoundError; 400 BadRequest, SnapshotUnavailableError; 409 SessionBusyError,
 * RevertConflictError); Hono's own 4xx (malformed JSON) become
 * 400 BadRequest; anything else is logged with a reference and answered
 * `500 {name: "UnknownError", data: {message, ref}}` — never a stack trace.
 */
export function errorHandler(log: Logger) {
  return (error: Error, c: Context) => {
    if (error instanceof NamedError) return c.json(error.toObject(), statusOf(error))
    if (error instanceof HTTPException && error.status < 500) {
      return c.json(new BadRequestError({ message: error.message || "Bad request", kind: "Body" }).toObject(), 400)
    }
    const ref = `err_${randomBytes(4).toString("hex")}`
    log.error({ err: error, ref, path: c.req.path }, "unexpected server error")
    return c.json(new UnknownError({ message: "Unexpected server error. Check server logs for details.", ref }).toObject(), 500)
  }
}

import type { Context } from "hono"
import { HTTPException } from "hono/http-exception"
import { randomBytes } from "node:crypto"
import { ConfigInvalidError } from "../config/index.ts"
import { ProviderAuthError } from "../provider/index.ts"
import { RevertConflictError, SnapshotUnavailableError } from "../session/index.ts"
import {
  BadRequestError,
  ForbiddenError,
  NamedError,
  NotFoundError,
  PayloadTooLargeError,
  SessionBusyError,
  StorageFullError,
  TooManyRequestsError,
  UnauthorizedError,
  UnknownError,
  UnsupportedMediaTypeError,
} from "../util/named-error.ts"
import type { Logger } from "../util/log.ts"
import { isStorageFull, toStorageError } from "../util/storage-full.ts"

/** HTTP status of each named error; anything unnamed is a 500 `UnknownError` with a log reference. */
export function statusOf(error: NamedError): 400 | 401 | 403 | 404 | 409 | 413 | 415 | 429 | 500 | 507 {
  if (NotFoundError.isInstance(error)) return 404
  if (UnauthorizedError.isInstance(error)) return 401
  if (ForbiddenError.isInstance(error)) return 403
  if (PayloadTooLargeError.isInstance(error)) return 413
  if (UnsupportedMediaTypeError.isInstance(error)) return 415
  if (TooManyRequestsError.isInstance(error)) return 429
  if (StorageFullError.isInstance(error)) return 507
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
 * (400 BadRequest, SnapshotUnavailableError; 401 UnauthorizedError; 403 ForbiddenError; 404
 * NotFoundError; 409 SessionBusyError, RevertConflictError; 413 PayloadTooLargeError; 415
 * UnsupportedMediaTypeError; 429 TooManyRequestsError; 507 StorageFullError); Hono's own 4xx (malformed JSON) become
 * 400 BadRequest; a raw "disk full" error that reached the handler unnamed (`SQLITE_FULL`, `ENOSPC`,
 * `EDQUOT`, also as a `cause`) is 507 `StorageFullError`; anything else is logged with a reference and answered
 * `500 {name: "UnknownError", data: {message, ref}}` — never a stack trace.
 */
export function errorHandler(log: Logger) {
  return (error: Error, c: Context) => {
    if (error instanceof NamedError) return c.json(error.toObject(), statusOf(error))
    if (isStorageFull(error)) {
      log.warn({ err: error, path: c.req.path }, "storage full")
      return c.json((toStorageError(error) as InstanceType<typeof StorageFullError>).toObject(), 507)
    }
    if (error instanceof HTTPException && error.status < 500) {
      return c.json(new BadRequestError({ message: error.message || "Bad request", kind: "Body" }).toObject(), 400)
    }
    const ref = `err_${randomBytes(4).toString("hex")}`
    log.error({ err: error, ref, path: c.req.path }, "unexpected server error")
    return c.json(new UnknownError({ message: "Unexpected server error. Check server logs for details.", ref }).toObject(), 500)
  }
}

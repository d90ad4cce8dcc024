import { z } from "zod"

/**
 * Serialisable errors with a stable name and zod-typed data, after OpenCode's `NamedError`
 * (`packages/opencode/src/util/error.ts`). The same `{name, data}` object is stored on assistant
 * messages, sent in `session.error` events and returned as HTTP error bodies.
 */
export abstract class NamedError extends Error {
  abstract readonly data: Record<string, unknown>
  abstract toObject(): { name: string; data: Record<string, unknown> }

  /**
   * Declares a named error class. `isInstance` checks the name rather than the prototype, so it works
   * across duplicate module copies and on plain `{name, data}` objects read back from storage.
   */
  static create<Name extends string, Data extends z.ZodType<Record<string, unknown>>>(name: Name, data: Data) {
    const schema = z.object({ name: z.literal(name), data }).meta({ id: name })
    const result = class extends NamedError {
      static readonly Schema = schema
      override readonly name = name as Name
      readonly data: z.infer<Data>
      constructor(input: z.infer<Data>, options?: ErrorOptions) {
        super(typeof input.message === "string" ? input.message : name, options)
        this.data = input
      }
      static isInstance(input: unknown): input is InstanceType<typeof result> {
        return typeof input === "object" && input !== null && (input as { name?: unknown }).name === name
      }
      toObject() {
        return { name: this.name, data: this.data }
      }
    }
    Object.defineProperty(result, "name", { value: name })
    return result
  }
}

/** A session, message or part that does not exist. HTTP 404. */
export const NotFoundError = NamedError.create("NotFoundError", z.object({ message: z.string() }))
/** Malformed input: an ID without its prefix, a body failing its schema, a bad cursor. HTTP 400. */
export const BadRequestError = NamedError.create(
  "BadRequest",
  z.object({ message: z.string(), kind: z.string().optional() }),
)
/** The operation needs an idle session (revert, unrevert, delete-message). HTTP 409. */
export const SessionBusyError = NamedError.create(
  "SessionBusyError",
  z.object({ message: z.string(), sessionID: z.string() }),
)
/** Anything unexpected. HTTP 500, with a `ref` that appears in the server log. */
export const UnknownError = NamedError.create(
  "UnknownError",
  z.object({ message: z.string(), ref: z.string().optional() }),
)
/** Missing or wrong credentials (password, API token, session cookie). HTTP 401 with `WWW-Authenticate`. */
export const UnauthorizedError = NamedError.create("UnauthorizedError", z.object({ message: z.string() }))
/**
 * A request the server refuses whoever sends it: a `Host` that is not this server's (DNS rebinding), an
 * `Origin` that is not allowed, a token whose scope does not cover the route. HTTP 403. `kind` says which
 * check refused it: `Host`, `Origin`, `Scope`, `Directory`.
 */
export const ForbiddenError = NamedError.create("ForbiddenError", z.object({ message: z.string(), kind: z.string().optional() }))
/** A request body over `server.maxBodyBytes`. HTTP 413. `limit` is in bytes. */
export const PayloadTooLargeError = NamedError.create("PayloadTooLargeError", z.object({ message: z.string(), limit: z.number() }))
/** A body whose `Content-Type` the route does not take (JSON routes take only `application/json`). HTTP 415. */
export const UnsupportedMediaTypeError = NamedError.create("UnsupportedMediaTypeError", z.object({ message: z.string(), contentType: z.string().optional() }))
/**
 * The database cannot be written because the disk (or its quota) is full (`SQLITE_FULL`). HTTP 507. Stored
 * on the assistant message of a turn it ended, when that can still be written. Nothing committed is lost;
 * writes resume once space is freed.
 */
export const StorageFullError = NamedError.create("StorageFullError", z.object({ message: z.string() }))
/** Too many failed sign-in attempts from one address. HTTP 429 with `Retry-After` (seconds). */
export const TooManyRequestsError = NamedError.create("TooManyRequestsError", z.object({ message: z.string(), retryAfter: z.number() }))

import type { Context, MiddlewareHandler } from "hono"
import { UnsupportedMediaTypeError } from "../../util/named-error.ts"
import { statusOf } from "../errors.ts"
import { nodeHttp } from "../node.ts"

/** Methods whose body the API reads. */
const BODY_METHODS: ReadonlySet<string> = new Set(["POST", "PUT", "PATCH", "DELETE"])

/** `application/json`, optionally with parameters (`; charset=utf-8`). */
const JSON_TYPE = /^application\/json\s*(;|$)/i

/** Whether a `Content-Type` value is `application/json` (with or without parameters). */
export function isJsonContentType(contentType: string | undefined | null): boolean {
  return contentType !== undefined && contentType !== null && JSON_TYPE.test(contentType.trim())
}

/** The 415 error for a body of `contentType`. */
export function unsupportedMediaType(contentType: string | undefined | null): InstanceType<typeof UnsupportedMediaTypeError> {
  return new UnsupportedMediaTypeError({
    message: `Request bodies must be JSON (Content-Type: application/json); got ${contentType ? `"${contentType}"` : "no Content-Type"}.`,
    ...(contentType ? { contentType } : {}),
  })
}

/**
 * Every body the API reads is JSON: a `POST`/`PUT`/`PATCH`/`DELETE` that carries a body (non-zero
 * `Content-Length`, or `Transfer-Encoding`) must say `Content-Type: application/json`, else 415
 * `UnsupportedMediaTypeError` before any handler runs. This is what stops cross-site "simple" requests
 * (`text/plain`, form-encoded), which browsers send without a preflight. Bodiless requests (the SDK's
 * `abort`, empty create bodies) pass whatever their type. `jsonBody` (request.ts) checks again after
 * reading, for requests whose length is unknown here.
 */
export function jsonBodiesOnly(): MiddlewareHandler {
  return async (c, next) => {
    if (!BODY_METHODS.has(c.req.method)) return next()
    const { contentType, hasBody } = bodyHeaders(c)
    if (!hasBody || isJsonContentType(contentType)) return next()
    const error = unsupportedMediaType(contentType)
    return c.json(error.toObject(), statusOf(error))
  }
}

function bodyHeaders(c: Context): { contentType: string | undefined; hasBody: boolean } {
  const node = nodeHttp(c)
  if (node) {
    const headers = node.incoming.headers
    const length = headers["content-length"]
    return { contentType: headers["content-type"], hasBody: (length !== undefined && length !== "0") || headers["transfer-encoding"] !== undefined }
  }
  const length = c.req.header("content-length")
  return { contentType: c.req.header("content-type"), hasBody: length !== undefined ? length !== "0" : c.req.raw.body !== null }
}

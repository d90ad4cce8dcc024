import { z } from "zod"
import { NamedError, StorageFullError, UnknownError } from "../util/named-error.ts"

/**
 * The errors a model call (and so an assistant message) can end with: OpenCode's assistant error union
 * (`packages/schema/src/v1/session.ts`, spec 2.2). Each serialises to `{name, data}`.
 */
export const ProviderAuthError = NamedError.create(
  "ProviderAuthError",
  z.object({ providerID: z.string(), message: z.string() }),
)
export const MessageOutputLengthError = NamedError.create("MessageOutputLengthError", z.object({}))
export const MessageAbortedError = NamedError.create("MessageAbortedError", z.object({ message: z.string() }))
export const ContextOverflowError = NamedError.create(
  "ContextOverflowError",
  z.object({ message: z.string(), responseBody: z.string().optional() }),
)
export const ContentFilterError = NamedError.create("ContentFilterError", z.object({ message: z.string() }))
export const StructuredOutputError = NamedError.create(
  "StructuredOutputError",
  z.object({ message: z.string(), retries: z.number() }),
)
/** A provider HTTP failure. `isRetryable` mirrors the AI SDK's `APICallError.isRetryable`. */
export const APIError = NamedError.create(
  "APIError",
  z.object({
    message: z.string(),
    statusCode: z.number().optional(),
    isRetryable: z.boolean(),
    responseHeaders: z.record(z.string(), z.string()).optional(),
    responseBody: z.string().optional(),
    metadata: z.record(z.string(), z.string()).optional(),
  }),
)
export { UnknownError }

/**
 * The `{name, data}` union stored in `AssistantMessage.error` and sent in `session.error`: OpenCode's,
 * plus Spool's `StorageFullError` (a turn stopped because its record could not be stored: disk full).
 */
export const MessageError = z.discriminatedUnion("name", [
  ProviderAuthError.Schema,
  UnknownError.Schema,
  StorageFullError.Schema,
  MessageOutputLengthError.Schema,
  MessageAbortedError.Schema,
  StructuredOutputError.Schema,
  ContextOverflowError.Schema,
  ContentFilterError.Schema,
  APIError.Schema,
])
export type MessageError = z.infer<typeof MessageError>

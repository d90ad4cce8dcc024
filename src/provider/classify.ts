import type { APICallError, LoadAPIKeyError } from "ai"
import { looksTransient } from "../util/retry.ts"
import {
  APIError,
  ContextOverflowError,
  MessageAbortedError,
  ProviderAuthError,
  UnknownError,
  type MessageError,
} from "./error.ts"

/** A provider failure as data: the `{name, data}` error to store, whether to retry, and the hint headers. */
export interface ClassifiedError {
  error: MessageError
  retryable: boolean
  headers?: Record<string, string>
}

/**
 * `AISDKError.hasMarker` of `@ai-sdk/provider`, which `APICallError.isInstance` and the like call:
 * AI SDK errors carry `Symbol.for("vercel.ai.error.<name>") = true`, recognised across package
 * copies and versions. Checked here so that classifying an error does not load the AI SDK (see `sdk.ts`).
 */
function isAiSdkError<T>(error: unknown, name: string): error is T {
  const marker = Symbol.for(`vercel.ai.error.${name}`)
  return error != null && typeof error === "object" && (error as Record<symbol, unknown>)[marker] === true
}

const OVERFLOW = /prompt is too long|context.length|maximum context|context window|too many tokens|exceeds the context/i

/**
 * Maps anything thrown or streamed by an AI SDK call to OpenCode's assistant error union
 * (mapping after `message-v2.ts` `fromError`, spec 2.2 and 8):
 * aborts → `MessageAbortedError`; missing keys → `ProviderAuthError`; context overflow → `ContextOverflowError`
 * (never retried); HTTP failures → `APIError` retryable on 429, 5xx (incl. Anthropic 529 overloaded) or a
 * transient-looking message; network resets → retryable `APIError`; anything else → `UnknownError`.
 */
export function classifyError(error: unknown, providerID: string, aborted = false): ClassifiedError {
  if (aborted || (error instanceof Error && error.name === "AbortError")) {
    return { error: new MessageAbortedError({ message: "Aborted" }).toObject() as MessageError, retryable: false }
  }
  if (isAiSdkError<LoadAPIKeyError>(error, "AI_LoadAPIKeyError")) {
    return { error: new ProviderAuthError({ providerID, message: error.message }).toObject() as MessageError, retryable: false }
  }
  if (isAiSdkError<APICallError>(error, "AI_APICallError")) {
    const text = `${error.message} ${error.responseBody ?? ""}`
    if (OVERFLOW.test(text)) {
      return {
        error: new ContextOverflowError({ message: error.message, responseBody: error.responseBody }).toObject() as MessageError,
        retryable: false,
      }
    }
    const status = error.statusCode
    const retryable = error.isRetryable || (status !== undefined && (status === 429 || status >= 500)) || looksTransient(error.message)
    const message = status === 529 || /overloaded/i.test(text) ? "Provider is overloaded" : error.message
    return {
      error: new APIError({
        message,
        statusCode: status,
        isRetryable: retryable,
        responseHeaders: error.responseHeaders,
        responseBody: error.responseBody,
      }).toObject() as MessageError,
      retryable,
      headers: error.responseHeaders,
    }
  }
  const message = error instanceof Error ? `${error.message}${causeText(error)}` : String(error)
  if (looksTransient(message)) {
    return { error: new APIError({ message, isRetryable: true }).toObject() as MessageError, retryable: true }
  }
  if (OVERFLOW.test(message)) {
    return { error: new ContextOverflowError({ message }).toObject() as MessageError, retryable: false }
  }
  return { error: new UnknownError({ message }).toObject() as MessageError, retryable: false }
}

function causeText(error: Error): string {
  const cause = (error as { cause?: unknown }).cause
  if (cause instanceof Error) return `: ${cause.message}${(cause as NodeJS.ErrnoException).code ? ` (${(cause as NodeJS.ErrnoException).code})` : ""}`
  return ""
}

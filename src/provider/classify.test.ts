import { APICallError, LoadAPIKeyError } from "ai"
import { describe, expect, test } from "vitest"
import { classifyError } from "./classify.ts"

/** classify.ts recognises AI SDK errors by their marker, without loading the AI SDK itself. */
describe("classifyError", () => {
  test("APICallError: retryable on 429 with its headers; overflow never retried", () => {
    const limited = new APICallError({ message: "rate limited", url: "http://x", requestBodyValues: {}, statusCode: 429, responseHeaders: { "retry-after": "1" } })
    expect(classifyError(limited, "anthropic")).toMatchObject({ retryable: true, headers: { "retry-after": "1" }, error: { name: "APIError", data: { statusCode: 429 } } })
    const overflow = new APICallError({ message: "prompt is too long", url: "http://x", requestBodyValues: {}, statusCode: 400 })
    expect(classifyError(overflow, "anthropic")).toMatchObject({ retryable: false, error: { name: "ContextOverflowError" } })
  })

  test("LoadAPIKeyError becomes ProviderAuthError", () => {
    expect(classifyError(new LoadAPIKeyError({ message: "no key" }), "openai")).toMatchObject({ retryable: false, error: { name: "ProviderAuthError", data: { providerID: "openai", message: "no key" } } })
  })

  test("look-alikes without the marker are not AI SDK errors", () => {
    const fake = Object.assign(new Error("boom"), { name: "AI_APICallError", statusCode: 429 })
    expect(classifyError(fake, "anthropic")).toMatchObject({ retryable: false, error: { name: "UnknownError" } })
  })
})

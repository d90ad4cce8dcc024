/**
 * Retry policy for provider calls, after OpenCode 1.18 (`session/retry.ts`, spec section 8):
 * delay = `retry-after-ms` header (ms), else `retry-after` (seconds or an HTTP date), else
 * exponential `2000 × 2^(attempt−1)` ms plus up to 25 % jitter, capped at 30 s when the server sent no
 * hint. At most `MAX_ATTEMPTS` retries.
 */
export const MAX_ATTEMPTS = 5
const BASE_DELAY_MS = 2000
const MAX_UNHINTED_DELAY_MS = 30_000
const MAX_DELAY_MS = 2 ** 31 - 1

/** Delay in ms before retry number `attempt` (1-based), honouring the response headers when present. */
export function retryDelay(attempt: number, headers?: Record<string, string | undefined>, random = Math.random): number {
  const retryAfterMs = headers?.["retry-after-ms"]
  if (retryAfterMs !== undefined && Number.isFinite(Number(retryAfterMs))) {
    return clamp(Number(retryAfterMs))
  }
  const retryAfter = headers?.["retry-after"]
  if (retryAfter !== undefined) {
    const seconds = Number(retryAfter)
    if (Number.isFinite(seconds)) return clamp(seconds * 1000)
    const date = Date.parse(retryAfter)
    if (Number.isFinite(date)) return clamp(date - Date.now())
  }
  const base = BASE_DELAY_MS * 2 ** (attempt - 1)
  return Math.min(Math.ceil(base + base * 0.25 * random()), MAX_UNHINTED_DELAY_MS)
}

function clamp(ms: number): number {
  return Math.max(0, Math.min(Math.ceil(ms), MAX_DELAY_MS))
}

const TRANSIENT = /\b(429|500|502|503|504|524|529)\b|rate.?limit|too many requests|overloaded|service unavailable|internal server error|server error|ECONNRESET|ETIMEDOUT|ECONNREFUSED|EPIPE|fetch failed|socket hang up|timed? ?out|try again later|resource exhausted|at capacity/i

/** True when an error message or body looks transient (network reset, overload, rate limit). */
export function looksTransient(text: string): boolean {
  return TRANSIENT.test(text)
}

/** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason)
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort)
      resolve()
    }, ms)
    const onAbort = () => {
      clearTimeout(timer)
      reject(signal?.reason)
    }
    signal?.addEventListener("abort", onAbort, { once: true })
  })
}

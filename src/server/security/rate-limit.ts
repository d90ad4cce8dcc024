import type { Context } from "hono"
import { RateLimiterMemory, RateLimiterRes } from "rate-limiter-flexible"
import { TooManyRequestsError } from "../../util/named-error.ts"
import { statusOf } from "../errors.ts"
import { nodeHttp } from "../node.ts"

/** Failed sign-ins allowed per client address in each window. */
export const FAILED_ATTEMPTS = 10
/** The window (and the lock-out once exceeded), in seconds. */
export const FAILED_ATTEMPTS_WINDOW_SECONDS = 60

/**
 * Counts failed sign-ins (a wrong password, an unknown token, a failed `POST /auth/login`) per client
 * address, in memory, with `rate-limiter-flexible`: past `points` failures within `durationSeconds`,
 * every request from that address gets 429 `TooManyRequestsError` with `Retry-After` until the window
 * ends — correct credentials too, so guessing cannot go on. Requests without credentials do not count.
 * The address is the TCP peer: behind a reverse proxy every client shares the proxy's address
 * (`X-Forwarded-For` is not trusted, as any client can send it).
 */
export interface FailedAttemptLimiter {
  /** Seconds until `key` may try again, or `undefined` when it is not locked out. */
  blocked(key: string): Promise<number | undefined>
  /** Records a failure; returns the seconds to wait when this one crossed the limit. */
  fail(key: string): Promise<number | undefined>
}

/** Creates the limiter (see `FailedAttemptLimiter`). */
export function createFailedAttemptLimiter(points: number = FAILED_ATTEMPTS, durationSeconds: number = FAILED_ATTEMPTS_WINDOW_SECONDS): FailedAttemptLimiter {
  const limiter = new RateLimiterMemory({ points, duration: durationSeconds, keyPrefix: "spool-auth" })
  const seconds = (res: RateLimiterRes) => Math.max(1, Math.ceil(res.msBeforeNext / 1000))
  return {
    async blocked(key) {
      const res = await limiter.get(key)
      return res && res.consumedPoints > points ? seconds(res) : undefined
    },
    async fail(key) {
      try {
        await limiter.consume(key)
        return undefined
      } catch (rejection) {
        if (rejection instanceof RateLimiterRes) return seconds(rejection)
        throw rejection
      }
    },
  }
}

/** The client address a request came from (the TCP peer), `"local"` in-process. */
export function clientAddress(c: Context): string {
  return nodeHttp(c)?.incoming.socket.remoteAddress ?? "local"
}

/** The 429 answer, with `Retry-After` in seconds. */
export function tooManyRequests(c: Context, retryAfter: number): Response {
  const error = new TooManyRequestsError({ message: `Too many failed sign-in attempts from this address; try again in ${retryAfter} s.`, retryAfter })
  return c.json(error.toObject(), statusOf(error), { "Retry-After": String(retryAfter) })
}

/**
 * Timed HTTP calls against the server under test, with Node's built-in `fetch` (undici, keep-alive
 * connection pool). Every call reads the whole body, so a latency covers the complete response.
 */
import { performance } from "node:perf_hooks"

/** A completed request: status, parsed JSON body (undefined when not JSON) and wall time in ms. */
export interface Timed<T = unknown> {
  status: number
  body: T
  ms: number
}

/** Sends one request and times it from before `fetch` to the last byte of the body. */
export async function timed<T = unknown>(url: string, init: RequestInit = {}): Promise<Timed<T>> {
  const start = performance.now()
  const response = await fetch(url, init)
  const text = await response.text()
  const ms = performance.now() - start
  let body: unknown
  try {
    body = text === "" ? undefined : JSON.parse(text)
  } catch {
    body = undefined
  }
  return { status: response.status, body: body as T, ms }
}

/** Like `timed`, but throws unless the status is 200. */
export async function timedOk<T = unknown>(url: string, init: RequestInit = {}): Promise<Timed<T>> {
  const result = await timed<T>(url, init)
  if (result.status !== 200) throw new Error(`${init.method ?? "GET"} ${url}: HTTP ${result.status} ${JSON.stringify(result.body)?.slice(0, 300)}`)
  return result
}

/** Result of a closed-loop throughput run. */
export interface Throughput {
  concurrency: number
  requests: number
  errors: number
  seconds: number
  perSecond: number
}

/**
 * Closed-loop load: `concurrency` workers each send `request()` back to back for `seconds`; a
 * request counts as an error when it throws or `request()` resolves false.
 */
export async function throughput(request: () => Promise<boolean>, concurrency: number, seconds: number): Promise<Throughput> {
  const start = performance.now()
  const deadline = start + seconds * 1000
  let requests = 0
  let errors = 0
  const worker = async () => {
    while (performance.now() < deadline) {
      const ok = await request().catch(() => false)
      requests++
      if (!ok) errors++
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  const elapsed = (performance.now() - start) / 1000
  return { concurrency, requests, errors, seconds: elapsed, perSecond: requests / elapsed }
}

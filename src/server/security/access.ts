/**
 * Who may talk to the server, as configured: `server.hostnames`, `server.cors` and `server.maxBodyBytes`
 * from spool.json, plus the address `spool serve` bound. Read per request (config can be reloaded).
 */
export interface AccessConfig {
  /** Extra `Host` names (`name` = any port, `name:port` = that port only). */
  hostnames?: string[]
  /** Extra browser origins allowed (OpenCode's `server.cors`), e.g. `https://app.example.com`. */
  cors?: string[]
  /** Largest request body in bytes (default `DEFAULT_MAX_BODY_BYTES`). */
  maxBodyBytes?: number
  /** The hostname or address passed to `listen` (`--hostname`); wildcards (`0.0.0.0`, `::`) add nothing. */
  boundHostname?: string
}

/** `server.maxBodyBytes` when unset: 10 MiB. */
export const DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024

/** `Host` names that always reach the server: the loopback names (any port). */
export const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(["localhost", "127.0.0.1", "[::1]"])

/**
 * Splits a `Host` header value (`name`, `name:port`, `[v6]`, `[v6]:port`) into a lowercased name (IPv6
 * kept in brackets) and the port text (`""` when absent). `undefined` for a malformed value.
 */
export function parseHost(host: string): { name: string; port: string } | undefined {
  const value = host.trim().toLowerCase()
  if (value === "") return undefined
  if (value.startsWith("[")) {
    const end = value.indexOf("]")
    if (end < 0) return undefined
    const rest = value.slice(end + 1)
    if (rest !== "" && !/^:\d*$/.test(rest)) return undefined
    return { name: value.slice(0, end + 1), port: rest.slice(1) }
  }
  const colon = value.indexOf(":")
  if (colon < 0) return { name: value, port: "" }
  if (value.indexOf(":", colon + 1) >= 0) return { name: `[${value}]`, port: "" } // a bare IPv6 address
  const port = value.slice(colon + 1)
  if (!/^\d*$/.test(port)) return undefined
  return { name: value.slice(0, colon), port }
}

/** An address or hostname as it appears in a `Host` header: lowercased, IPv6 in brackets, IPv4-mapped IPv6 unwrapped. */
export function hostName(address: string): string {
  let value = address.trim().toLowerCase()
  if (value.startsWith("[") && value.endsWith("]")) value = value.slice(1, -1)
  if (value.startsWith("::ffff:") && value.includes(".")) value = value.slice("::ffff:".length)
  return value.includes(":") ? `[${value}]` : value
}

/** Whether `hostname` (a `--hostname` value) is a loopback name or address: binding it serves only this machine. */
export function isLoopbackHostname(hostname: string): boolean {
  const name = hostName(hostname)
  return LOOPBACK_HOSTS.has(name) || /^127(\.\d{1,3}){3}$/.test(name) || name === "[::ffff:127.0.0.1]"
}

/** Whether `hostname` is a wildcard bind address (every interface). */
export function isWildcardHostname(hostname: string): boolean {
  const name = hostName(hostname)
  return name === "0.0.0.0" || name === "[::]" || name === ""
}

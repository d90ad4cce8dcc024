import { pino, type Logger } from "pino"

/**
 * Creates the process logger. JSON lines on stderr (so `spool run` can stream answers on stdout);
 * level from `SPOOL_LOG_LEVEL` (default `info`; tests set `silent`).
 */
export function createLogger(level = process.env.SPOOL_LOG_LEVEL ?? "info"): Logger {
  return pino({ level, base: undefined }, pino.destination(2))
}
export type { Logger }

/**
 * Which session counts the usage of each Claude API response, across all files of one parse.
 *
 * Rules (spec `transcript-formats.md` 1.4, 1.7, 1.10, 4.2 — ccusage's dedupe, with its known gaps
 * closed):
 * - A response is identified by `message.id + ":" + requestId`. Resumed/forked sessions (older CLIs)
 *   start with a copy of the earlier history, so the same key appears in several files: the first
 *   session parsed counts it, later copies keep their messages but count zero tokens.
 * - Without a `requestId` (some gateways) the `message.id` alone is scoped by session, because
 *   gateways reuse ids across sessions (ccusage #1635).
 * - A sidechain/sub-agent message whose `message.id` was already counted elsewhere under a different
 *   `requestId` is a replay of the parent's message (side questions, ccusage #913): not counted.
 *
 * Across separate import runs there is no ledger: the deterministic IDs make the re-import an upsert.
 */
export class UsageLedger {
  private readonly counted = new Map<string, string>()
  private readonly messageIds = new Map<string, string>()

  /**
   * Claims the usage of one response for `sessionSource`. Returns undefined when this session counts it,
   * else the source id of the session that already did.
   */
  claim(sessionSource: string, messageId: string | undefined, requestId: string | undefined, sidechain: boolean): string | undefined {
    if (!messageId) return undefined
    const key = requestId ? `${messageId}:${requestId}` : `${sessionSource}#${messageId}`
    const owner = this.counted.get(key)
    if (owner !== undefined) return owner
    const earlier = this.messageIds.get(messageId)
    if (sidechain && requestId && earlier !== undefined && earlier !== sessionSource) return earlier
    this.counted.set(key, sessionSource)
    if (!this.messageIds.has(messageId)) this.messageIds.set(messageId, sessionSource)
    return undefined
  }
}

import type { PermissionRule } from "./rule.ts"

/**
 * A rule denies the call. The message names the permission, the pattern and the rule so the model can
 * choose another way instead of retrying (the tool part ends in `error` with it; the turn goes on).
 */
export class PermissionDeniedError extends Error {
  override readonly name = "PermissionDeniedError"
  readonly rule: PermissionRule
  constructor(permission: string, pattern: string, rule: PermissionRule) {
    super(
      `Permission denied: the user has set a rule that denies \`${permission}\` for \`${pattern}\` (rule ${JSON.stringify(rule)}). ` +
        `Do not retry this call or work around the rule; continue without it, or ask the user to change the rule.`,
    )
    this.rule = rule
  }
}

/**
 * The user answered `reject` (or the request was refused for them, e.g. a non-interactive `spool run`);
 * `feedback` is their message for the model.
 */
export class PermissionRejectedError extends Error {
  override readonly name = "PermissionRejectedError"
  readonly feedback: string | undefined
  constructor(permission: string, patterns: string[], feedback?: string) {
    const what = `\`${permission}\`${patterns.length > 0 ? ` for ${patterns.map((pattern) => `\`${pattern}\``).join(", ")}` : ""}`
    super(
      feedback
        ? `The user rejected permission to use ${what} with this feedback: ${feedback}`
        : `The user rejected permission to use ${what}. Do not retry this call unless the user asks for it.`,
    )
    this.feedback = feedback
  }
}

/** The turn was aborted while the call waited for the user's answer. */
export class PermissionAbortedError extends Error {
  override readonly name = "PermissionAbortedError"
  constructor() {
    super("The turn was aborted while waiting for the user's permission.")
  }
}

export { matchWildcard } from "./wildcard.ts"
export { disabledTools, evaluate, mergeRulesets, toolPermission, type PermissionAction, type PermissionRule, type Ruleset } from "./rule.ts"
export { rulesFromConfig, rulesFromTools } from "./config.ts"
export { agentRuleset, BUILTIN_AGENTS, DEFAULT_RULES, knownAgents, turnRuleset } from "./agents.ts"
export { PermissionAbortedError, PermissionDeniedError, PermissionRejectedError } from "./errors.ts"
export {
  PermissionEvent,
  permissionEventDefinitions,
  PermissionReply,
  PermissionReplyInput,
  PermissionRequestInfo,
  PermissionRespondInput,
} from "./schema.ts"
export { createPermissionRegistry, type AskInput, type PermissionRegistry, type PermissionRegistryOptions } from "./registry.ts"

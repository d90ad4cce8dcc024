export {
  CONFIG_FILE_NAMES,
  ConfigInvalidError,
  configFileCandidates,
  loadConfig,
  readConfigFile,
  substitute,
  type LoadConfigOptions,
} from "./load.ts"
export { formatJsonPath, type ConfigIssue } from "./locate.ts"
export { CONFIG_SCHEMA_FILE, configJsonSchema, configJsonSchemaText } from "./json-schema.ts"
export { deepMerge, mergeConfig } from "./merge.ts"
export { configDirectory, dataDirectory } from "./paths.ts"
export {
  AgentConfig,
  CacheConfig,
  CompactionConfig,
  Config,
  PermissionAction,
  PermissionConfig,
  PermissionRuleConfig,
  ProviderConfig,
  SandboxConfig,
  ServerConfig,
  SnapshotConfig,
} from "./schema.ts"
export { toolAllowed } from "./tools.ts"

export { ConfigInvalidError, loadConfig, readConfigFile } from "./load.ts"
export { configDirectory, dataDirectory } from "./paths.ts"
export { Config, ProviderConfig } from "./schema.ts"

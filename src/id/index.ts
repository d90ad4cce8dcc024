export { createId, idSchema, isId, prefixes, type IdKind } from "./id.ts"

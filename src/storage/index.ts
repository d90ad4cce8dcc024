export type { Database, DB, MessageTable, PartTable, ProjectTable, SessionTable, TodoTable } from "./database.ts"
export { migrate, openSqlite } from "./sqlite.ts"
export { claimDatabase } from "./liveness.ts"

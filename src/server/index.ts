export { createServer, type ServerDeps } from "./server.ts"
export { ServerConnected, ServerHeartbeat } from "./routes/event.ts"

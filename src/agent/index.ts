export type { AgentEvent, StepUsage, TurnResult } from "./events.ts"
export { runAgentTurn, type AgentTurnInput } from "./loop.ts"
export { toStepUsage } from "./usage.ts"

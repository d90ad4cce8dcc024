export * from "./error.ts"
export { modelInfo, stepCost, type ModelInfo } from "./models.ts"
export { parseModel, resolveModel, type ModelRef, type ResolvedModel } from "./registry.ts"
export { classifyError, type ClassifiedError } from "./classify.ts"

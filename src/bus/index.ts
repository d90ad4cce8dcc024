export { createBus, type Bus, type Listener } from "./bus.ts"
export { defineEvent, type BusEvent, type EventDefinition } from "./event.ts"

import type { z } from "zod"

/**
 * A typed event definition: a dotted type name (`message.part.updated`) and the zod schema of its
 * `properties`. Definitions are collected in a registry so the SSE/OpenAPI union is generated from
 * them (after OpenCode's `Bus.event`, `packages/opencode/src/bus/index.ts`).
 */
export interface EventDefinition<Type extends string = string, Properties extends z.ZodType = z.ZodType> {
  type: Type
  properties: Properties
}

/** Declares an event type with its properties schema. */
export function defineEvent<Type extends string, Properties extends z.ZodType>(
  type: Type,
  properties: Properties,
): EventDefinition<Type, Properties> {
  return { type, properties }
}

/** One published event as sent on the wire: `{id: "evt_…", type, properties}` (spec 7.1). */
export interface BusEvent {
  id: string
  type: string
  properties: unknown
  /** Directory of the session the event belongs to; routes `/event?directory=` (not sent on the wire). */
  directory?: string
}

declare const jsonbOf: unique symbol

/**
 * A value for a jsonb column, as it is sent: JSON text (pg would send a JS array as a Postgres array), typed with
 * what it holds so that a column only takes a value of its own type.
 */
export type Jsonb<T> = string & { readonly [jsonbOf]: T }

/** The one way a value is written to a jsonb column (or a jsonb parameter). */
export function jsonb<T>(value: T): Jsonb<T> {
  return JSON.stringify(value) as Jsonb<T>
}

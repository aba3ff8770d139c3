const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** Whether a string is a UUID, as Postgres' uuid type takes it (a value that is not fails the whole statement). */
export function isUuid(value: string): boolean {
  return UUID.test(value)
}

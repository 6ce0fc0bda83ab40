// Lookup tables indexed by outside text (a message, a call note, a site config).

/**
 * A frozen table without a prototype: a key such as `constructor`, `valueOf` or `__proto__` finds
 * nothing instead of an Object.prototype function (found by fuzzing: an MRN system "valueOf" became a
 * function in a Patient identifier). Every table read with outside keys is built with this.
 */
export function table<V>(entries: Readonly<Record<string, V>>): Readonly<Record<string, V>> {
  return Object.freeze(Object.assign(Object.create(null) as Record<string, V>, entries));
}

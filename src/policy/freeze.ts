/** Real immutability for the Maps and Sets inside a PolicySet. */

function refuse(): never {
  throw new TypeError('a PolicySet is immutable; load a new one and swap it');
}

/** Freezes a Map or Set for real: Object.freeze alone leaves set/add/delete/clear working. */
export function freezeCollection<T extends Map<unknown, unknown> | Set<unknown>>(c: T): T {
  for (const method of ['set', 'add', 'delete', 'clear']) {
    if (method in c) Object.defineProperty(c, method, { value: refuse });
  }
  return Object.freeze(c);
}

/** A random UUID (v4) from the platform's CSPRNG; Node, browsers and workers all provide `crypto.randomUUID`. */
export const randomUuid = (): string => globalThis.crypto.randomUUID()

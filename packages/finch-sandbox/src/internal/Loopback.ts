/** Hostnames and addresses that stay on this machine: the only ones a dev/test fake should touch by default. */
export const isLoopbackHost = (host: string) =>
  host === "localhost" || host === "::1" || host === "[::1]" || /^127(?:\.\d{1,3}){3}$/.test(host)

/** A peer address as Node reports it (IPv4, IPv6 or IPv4-mapped IPv6). */
export const isLoopbackAddress = (address: string | undefined) =>
  address !== undefined && (address === "::1" || address.startsWith("127.") || address.startsWith("::ffff:127."))

/**
 * The one redaction every connection string, error and log line goes through before a person sees it: a password
 * in the user info, and any query parameter that can carry a secret (`password`, `sslpassword`, `sslkey`, …), are
 * replaced by `****`. The user name, host and database stay: they say which login and server are in use.
 */

const mask = "****"

/** Parameter names whose values are secrets (or name files holding one), in a URL query or a `key=value` string. */
const secretParameter = /pass|secret|token|key|cert/i

/** A connection URL, with its credentials masked; anything that is not a URL is redacted as text. */
export const redactUrl = (url: string): string => {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return redactKeyValues(url)
  }
  if (parsed.password !== "") parsed.password = mask
  for (const name of [...parsed.searchParams.keys()]) {
    if (secretParameter.test(name)) parsed.searchParams.set(name, mask)
  }
  // URLSearchParams encodes the mask; the literal reads better.
  return parsed.toString().replaceAll(encodeURIComponent(mask), mask)
}

/** `password=…` and the like in libpq's `key=value` form (quoted values included). */
const redactKeyValues = (text: string): string =>
  text.replace(
    /\b([A-Za-z_]*(?:pass|secret|token|key|cert)[A-Za-z_]*)\s*=\s*('(?:[^'\\]|\\.)*'|[^\s&]+)/gi,
    (_, name: string) => `${name}=${mask}`,
  )

/** Any URL with a scheme (`postgres://…`, `postgresql://…`, …) inside free text. */
const urlInText = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>`]+/gi

/** SQL's `PASSWORD '…'` (a server log may quote the statement that failed). */
const sqlPassword = /\bpassword\s+'(?:[^']|'')*'/gi

/** A message, error text or log line with every connection URL, `key=value` and SQL password in it redacted. */
export const redactText = (text: string): string =>
  redactKeyValues(text.replace(urlInText, redactUrl)).replace(sqlPassword, `PASSWORD '${mask}'`)

// Only an improvement (the pages work without it): a one-time message in the address (?outcome, ?error, ?notice,
// ?done) is dropped from it once shown, so reloading the page does not announce it again.
const url = new URL(window.location.href)
const oneTime = ["outcome", "error", "notice", "done", "connection_id"].filter((key) => url.searchParams.has(key))
if (oneTime.length > 0) {
  for (const key of oneTime) url.searchParams.delete(key)
  window.history.replaceState(null, "", `${url.pathname}${url.search}${url.hash}`)
}

/**
 * The frame of every page: landmarks, a skip link, the navigation, and the stylesheet we serve.
 * Pages are hono `html` templates, not JSX: Node's type stripping runs our `.ts` directly and cannot run `.tsx`.
 */
import { html } from "hono/html"
import type { HtmlEscapedString } from "hono/utils/html"

/** Rendered HTML (interpolated values are escaped by `html`). */
export type Html = HtmlEscapedString | Promise<HtmlEscapedString>

/** Which navigation entry is the current page: `other` shows the navigation with none current, `none` hides it. */
export type Section = "connections" | "employees" | "other" | "none"

/** A full document around `body`. */
export const Layout = (props: {
  readonly title: string
  readonly section: Section
  readonly body: Html
  /** Reload the page every so many seconds (while something runs), without JavaScript. */
  readonly refreshSeconds?: number | undefined
}) => html`<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <meta name="referrer" content="no-referrer" />
    ${props.refreshSeconds === undefined ? "" : html`<meta http-equiv="refresh" content="${props.refreshSeconds}" />`}
    <title>${props.title} · finch-connections</title>
    <link rel="stylesheet" href="/pages/static/pages.css" />
    <script src="/pages/static/pages.js" defer></script>
  </head>
  <body>
    <a class="skip" href="#main">Skip to content</a>
    <header class="site">
      ${
        props.section === "none"
          ? ""
          : html`<nav aria-label="Main">
              <ul>
                <li><a href="/pages/connections" ${props.section === "connections" ? html`aria-current="page"` : ""}>Connections</a></li>
                <li><a href="/pages/employees" ${props.section === "employees" ? html`aria-current="page"` : ""}>Employees</a></li>
              </ul>
            </nav>`
      }
    </header>
    <main id="main" tabindex="-1">${props.body}</main>
  </body>
</html>`

/** A hidden CSRF field for a form of the session. */
export const csrfField = (token: string) => html`<input type="hidden" name="csrf" value="${token}" />`

/** A status message announced to screen readers. */
export const notice = (kind: "ok" | "warning" | "error", text: string) =>
  html`<p class="notice notice-${kind}" role="${kind === "ok" ? "status" : "alert"}">${text}</p>`

/** A date as people read it (UTC, to the minute), inside `<time>`. */
export const time = (date: Date) =>
  html`<time datetime="${date.toISOString()}">${date.toISOString().slice(0, 16).replace("T", " ")} UTC</time>`

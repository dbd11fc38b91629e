/**
 * The page shown when the pages cannot go on: no or a bad session, a refused form, a failure.
 */
import { html } from "hono/html"
import { Layout } from "./Layout.ts"

/** The error page: what happened and what to do. */
export const ErrorPage = (props: { readonly title: string; readonly message: string; readonly signedIn: boolean }) =>
  Layout({
    title: props.title,
    section: props.signedIn ? "other" : "none",
    body: html`<h1>${props.title}</h1>
      <p>${props.message}</p>
      ${
        props.signedIn
          ? html`<p><a href="/pages/connections">Back to your connections</a></p>`
          : html`<p>Ask the application you came from for a new link to this page.</p>`
      }`,
  })

/** The small HTML pages of the simulated Finch Connect. */
import { type Completion, reauthenticationReaches } from "./Connect.ts"
import { companiesReachedBy } from "./Scenarios.ts"
import type { Session } from "./State.ts"
import type { World } from "./World.ts"

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[ch] ?? ch)

const hidden = (name: string, value: string | undefined) =>
  value === undefined ? "" : `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`

const layout = (title: string, body: string) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem}label{display:block;margin:.8rem 0 .2rem}
input,select{width:100%;padding:.4rem}button{margin-top:1.2rem;padding:.5rem 1.2rem}.note{color:#666;font-size:.9rem}</style>
</head><body><h1>${escapeHtml(title)}</h1>${body}</body></html>`

/** Step one: provider and login. */
export const connectPage = (world: World, session: Session, extra: { state: string | undefined }) => {
  // Assisted-only providers show only when the session asked for them (`manual: true`), as in Finch Connect.
  const providers = [...world.state.providers.values()].filter((provider) => session.manual || provider.manual !== true)
  const fixed = session.provider_id
  const providerField =
    fixed === null
      ? `<label for="provider_id">Provider</label><select id="provider_id" name="provider_id">${providers
          .map((p) => `<option value="${escapeHtml(p.id)}">${escapeHtml(p.display_name)}</option>`)
          .join("")}</select>`
      : `<p>Provider: <strong>${escapeHtml(world.state.providers.get(fixed)?.display_name ?? fixed)}</strong></p>${hidden("provider_id", fixed)}`
  const reauthenticating =
    session.connection_id === null ? undefined : world.state.connections.get(session.connection_id)
  // Re-authentication logs in again as the connection's own login.
  const username = reauthenticating === undefined ? "good_user" : (reauthenticating.accounts[0]?.username ?? "")
  const heading = session.kind === "reauthenticate" ? "Reconnect your payroll system" : "Connect your payroll system"
  return layout(
    heading,
    `<p class="note">Finch sandbox — for ${escapeHtml(session.customer_name ?? "your employer")}.
Products: ${escapeHtml((session.products ?? []).join(", ") || "as before")}.</p>
<form method="post" action="/authorize">
${hidden("session", session.id)}${hidden("state", extra.state)}
${providerField}
<label for="username">Username</label><input id="username" name="username" value="${escapeHtml(username)}">
<label for="password">Password</label><input id="password" name="password" type="password" value="good_pass">
<p class="note">The same username reaches the same company; use good_user_1, good_user_2… for others, multi_entity for several entities.</p>
<button type="submit">Connect</button></form>`,
  )
}

/**
 * Step two, when the login reaches several companies or a company with several entities and the person has not
 * chosen yet: the company and entity picker. Undefined when there is nothing to choose.
 */
export const loginReachesChoice = (world: World, session: Session, choice: Completion): string | undefined => {
  if (choice.company_id !== undefined || choice.entity_ids !== undefined) return undefined
  const provider_id = choice.provider_id ?? session.provider_id ?? "gusto"
  if (!world.state.providers.has(provider_id) || (choice.username ?? "").startsWith("bad_")) return undefined
  if (choice.password !== undefined && choice.password !== "good_pass") return undefined
  const reauthenticating =
    session.connection_id === null ? undefined : world.state.connections.get(session.connection_id)
  // Re-authenticating offers the connection's company, unless the login is one that reaches other companies only.
  const elsewhere =
    reauthenticating === undefined ? undefined : reauthenticationReaches(world, reauthenticating, choice)
  const companies =
    reauthenticating === undefined || elsewhere !== undefined
      ? companiesReachedBy(world.state, provider_id, choice.username ?? "good_user")
      : [world.state.companyOf(reauthenticating)]
  const only = companies[0]
  if (companies.length <= 1 && (only === undefined || only.entities.length <= 1)) return undefined
  const options = companies
    .map(
      (
        company,
        index,
      ) => `<label><input type="radio" name="company_id" value="${escapeHtml(company.id)}"${index === 0 ? " checked" : ""} style="width:auto">
${escapeHtml(company.data.legal_name ?? company.id)}</label>${
        company.entities.length > 1
          ? company.entities
              .map(
                (entity) =>
                  `<label style="margin-left:1.5rem"><input type="checkbox" name="entity_ids" value="${escapeHtml(entity.id)}"${reauthenticating === undefined || elsewhere !== undefined || reauthenticating.entity_ids.includes(entity.id) ? " checked" : ""} style="width:auto"> ${escapeHtml(entity.name)}</label>`,
              )
              .join("")
          : ""
      }`,
    )
    .join("")
  return layout(
    "Choose the company",
    `<form method="post" action="/authorize">
${hidden("session", session.id)}${hidden("state", choice.state)}${hidden("provider_id", provider_id)}
${hidden("username", choice.username)}${hidden("password", choice.password)}
${options}<button type="submit">Continue</button></form>`,
  )
}

/** The embedded flow's end: the code the Connect SDK would hand to `onSuccess`. */
export const connectedPage = (code: string) =>
  layout("Connected", `<p>Connected. Authorization code: <code id="code">${escapeHtml(code)}</code></p>`)

/** A failure shown to the person in Connect. */
export const errorPage = (message: string) =>
  layout(
    "Could not connect",
    `<p id="error">${escapeHtml(message)}</p><p><a href="javascript:history.back()">Back</a></p>`,
  )

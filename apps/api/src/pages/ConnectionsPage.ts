/**
 * The connections page: each connection's provider, company and entities, its logins with their products and
 * status, where its employee sync stands (queued, running, the last one ended), and forms to reconnect, sync,
 * disconnect and connect more; plus what the last action did.
 */
import type { Account, Connection } from "@finch-connections/core/Connection"
import type { EndedSync, ListedConnection } from "@finch-connections/core/ConnectionListing"
import { Option } from "effect"
import { html } from "hono/html"
import { csrfField, type Html, Layout, notice, time } from "./Layout.ts"
import type { ProviderInfo } from "./ProviderCatalog.ts"

/** What the page says at the top after an action (from the redirect's query). */
export interface Flash {
  readonly outcome?: string | undefined
  readonly error?: string | undefined
  readonly notice?: string | undefined
}

/** The plain-words message for an outcome, error or notice; unknown values say nothing. */
export const flashMessage = (flash: Flash): Html | "" => {
  switch (flash.outcome) {
    case "connection_created":
      return notice("ok", "Connected: a new connection was added.")
    case "account_added":
      return notice("ok", "Connected: this login was added to a company you had already connected.")
    case "token_replaced":
      return notice("ok", "Reconnected: the login's access was renewed; the connection stays the same.")
  }
  switch (flash.error) {
    case "connection_owned_by_another_customer":
      return notice(
        "error",
        "Not connected: that company is already connected by another account of this application. Nothing was changed.",
      )
    case "foreign_connect_session":
      return notice("error", "Not connected: the Finch Connect session was opened for someone else.")
  }
  switch (flash.notice) {
    case "sync_requested":
      return notice("ok", "A sync was requested. Below it shows as queued until it starts, then running until it ends.")
    case "disconnected":
      return notice("ok", "Disconnected. Its access at Finch was ended.")
  }
  return ""
}

const statusText: Record<string, string> = {
  active: "Connected",
  pending: "Waiting for the provider",
  reauth_required: "Needs reconnecting",
  error: "Error at the provider",
  disconnected: "Disconnected",
  connected: "Connected",
  processing: "Being set up",
  error_no_account_setup: "Account not set up at the provider",
  error_permissions: "Missing permissions at the provider",
  revoked: "Access refused by Finch",
}

const statusBadge = (status: string) => html`<span class="badge badge-${status}">${statusText[status] ?? status}</span>`

const finishedText: Record<EndedSync["status"], string> = {
  succeeded: "Succeeded",
  partial: "Partly succeeded (Finch could not give some records)",
  failed: "Failed",
}

/** A sync running or waiting for a worker, in words; "" when none is. */
const pendingText = (listed: ListedConnection) => {
  const running = Option.match(listed.runningSync, {
    onNone: () => "",
    onSome: (sync) =>
      Option.match(sync.startedAt, { onNone: () => html`Running`, onSome: (at) => html`Running since ${time(at)}` }),
  })
  return Option.match(listed.queuedSync, {
    onNone: () => running,
    onSome: (sync) => {
      const queued = html`${running === "" ? "Sync queued" : "another sync queued"} since ${time(sync.requestedAt)}${Option.match(
        sync.retryAt,
        { onNone: () => "", onSome: (retryAt) => html`, next try at ${time(retryAt)}` },
      )}`
      return running === "" ? queued : html`${running}; ${queued}`
    },
  })
}

/** What the connection's syncs are doing, with the last one that ended beside a pending one. */
const syncText = (listed: ListedConnection) => {
  const pending = pendingText(listed)
  return Option.match(listed.lastSync, {
    onNone: () => (pending === "" ? html`Never synced` : pending),
    onSome: (ended) => {
      const result = html`${finishedText[ended.status]}, ${time(ended.finishedAt)}`
      return pending === "" ? result : html`${pending}<br />Previous sync: ${result}`
    },
  })
}

/** How a person knows a login: its username as Finch said it, else (Finch never said) its account id. */
const loginName = (account: Account): string => Option.getOrElse(account.username, () => account.accountId)

const accountRow = (connection: Connection, account: Account, csrf: string) => {
  const live = account.status !== "disconnected" && account.status !== "revoked"
  const needsReauth = account.status === "reauth_required" || account.status === "revoked"
  return html`<tr>
    <th scope="row">
      <span class="login">${loginName(account)}</span>
      ${Option.match(account.authenticationMethod, { onNone: () => "", onSome: (method) => html`<br /><small>${method}</small>` })}
    </th>
    <td>${account.products.join(", ")}</td>
    <td>${statusBadge(account.status)}</td>
    <td class="actions">
      ${
        account.status !== "disconnected"
          ? html`<form method="post" action="/pages/connections/${connection.id}/reauthenticate">
              ${csrfField(csrf)}
              <input type="hidden" name="account_id" value="${account.accountId}" />
              <button type="submit" class="${needsReauth ? "primary" : "secondary"}">Reconnect<span class="visually-hidden"> login ${loginName(account)}</span></button>
            </form>`
          : ""
      }
      ${
        live && connection.liveAccounts.length > 1
          ? html`<a class="button secondary" href="/pages/connections/${connection.id}/disconnect?account_id=${encodeURIComponent(account.accountId)}">Disconnect<span class="visually-hidden"> login ${loginName(account)}</span></a>`
          : ""
      }
    </td>
  </tr>`
}

/**
 * The company's Finch id, labelled as an id (the entities below name the company); a key of our own
 * (`connection:…`, `entity:…`, for providers that report no company id, such as multi-entity ones and Deel) means
 * nothing to a person, so it is said not to be reported.
 */
const companyText = (connection: Connection, providerName: string) =>
  /^(connection|entity):/.test(connection.companyId)
    ? html`<span class="muted">not reported by ${providerName}</span>`
    : connection.companyId

const connectionCard = (
  listed: ListedConnection,
  provider: ProviderInfo | undefined,
  csrf: string,
  highlighted: boolean,
) => {
  const { connection } = listed
  const name = provider?.name ?? connection.providerId
  const headingId = `connection-${connection.id}`
  return html`<article class="connection${highlighted ? " highlighted" : ""}" aria-labelledby="${headingId}">
    <header>
      ${provider?.logo ? html`<img class="logo" src="${provider.logo}" alt="" width="40" height="40" />` : html`<span class="logo" aria-hidden="true">${name.slice(0, 1).toUpperCase()}</span>`}
      <h2 id="${headingId}">${name}</h2>
      ${statusBadge(connection.status)}
    </header>
    ${
      connection.status === "reauth_required"
        ? notice("warning", `${name} asks for a login to be reconnected: use Reconnect on the login below.`)
        : ""
    }
    <dl>
      <dt>Finch company id</dt><dd>${companyText(connection, name)}</dd>
      ${
        connection.entities.length > 0
          ? html`<dt>Entities</dt><dd><ul class="entities">${connection.entities.map(
              (entity) => html`<li>${Option.getOrElse(entity.name, () => entity.id)}</li>`,
            )}</ul></dd>`
          : ""
      }
      <dt>Employee sync</dt><dd>${syncText(listed)}</dd>
    </dl>
    <table>
      <caption>Logins</caption>
      <thead><tr><th scope="col">Login</th><th scope="col">Products</th><th scope="col">Status</th><th scope="col">Actions</th></tr></thead>
      <tbody>${connection.accounts.map((account) => accountRow(connection, account, csrf))}</tbody>
    </table>
    ${
      connection.status === "disconnected"
        ? ""
        : html`<div class="actions">
            <form method="post" action="/pages/connections/${connection.id}/sync">
              ${csrfField(csrf)}
              <button type="submit" class="secondary">Sync now<span class="visually-hidden"> ${name}</span></button>
            </form>
            <a class="button danger" href="/pages/connections/${connection.id}/disconnect">Disconnect<span class="visually-hidden"> ${name}</span></a>
          </div>`
    }
  </article>`
}

/** The whole page. */
export const ConnectionsPage = (props: {
  readonly customerName: string
  /** Each with where its syncs stand. */
  readonly connections: ReadonlyArray<ListedConnection>
  readonly providers: ReadonlyMap<string, ProviderInfo>
  readonly csrf: string
  readonly flash: Flash
  readonly highlight?: string | undefined
}) =>
  Layout({
    title: "Connections",
    section: "connections",
    // While a sync waits or runs the page reloads itself, so its start and end show without anyone pressing anything.
    refreshSeconds: props.connections.some(
      (listed) => Option.isSome(listed.runningSync) || Option.isSome(listed.queuedSync),
    )
      ? 10
      : undefined,
    body: html`<h1>${props.customerName}: connections</h1>
      ${flashMessage(props.flash)}
      <form method="post" action="/pages/connections" class="connect">
        ${csrfField(props.csrf)}
        <button type="submit" class="primary">Connect another provider, account or entity</button>
      </form>
      ${
        props.connections.length === 0
          ? html`<p>Nothing is connected yet.</p>`
          : props.connections.map((listed) =>
              connectionCard(
                listed,
                props.providers.get(listed.connection.providerId),
                props.csrf,
                listed.connection.id === props.highlight,
              ),
            )
      }`,
  })

/** The confirmation step before a disconnect. */
export const DisconnectPage = (props: {
  readonly connection: Connection
  readonly provider: ProviderInfo | undefined
  readonly accountId: string | undefined
  readonly csrf: string
}) => {
  const name = props.provider?.name ?? props.connection.providerId
  const login =
    props.accountId === undefined
      ? undefined
      : Option.match(props.connection.account(props.accountId), {
          onNone: () => props.accountId,
          onSome: loginName,
        })
  const what =
    login === undefined
      ? `the whole ${name} connection (company ${props.connection.companyId}, every login)`
      : `the login ${login} of the ${name} connection (the other logins stay)`
  return Layout({
    title: "Disconnect",
    section: "connections",
    body: html`<h1>Disconnect ${name}?</h1>
      <p>This disconnects ${what} at Finch and deletes its access. Reconnecting later means signing in again.</p>
      <form method="post" action="/pages/connections/${props.connection.id}/disconnect">
        ${csrfField(props.csrf)}
        ${props.accountId === undefined ? "" : html`<input type="hidden" name="account_id" value="${props.accountId}" />`}
        <p>
          <input type="checkbox" id="confirm" name="confirm" value="yes" required />
          <label for="confirm">Yes, disconnect ${login === undefined ? name : `login ${login}`}</label>
        </p>
        <button type="submit" class="danger">Disconnect</button>
        <a class="button secondary" href="/pages/connections">Cancel</a>
      </form>`,
  })
}

/**
 * The employees page: one row per reconciled person with the connections their records come from; and one person's
 * page with the source records side by side, why each was merged, and the "same person" / "not the same person"
 * decisions.
 */
import type { PersonRecordView, PersonView } from "@finch-connections/store-postgres/PersonDirectory"
import { html } from "hono/html"
import { csrfField, type Html, Layout, notice } from "./Layout.ts"
import { agreementWords, manualKey, scoreWords } from "./MatchEvidence.ts"

/** How a connection is named on these pages. */
export type ConnectionNames = ReadonlyMap<string, string>

const displayName = (record: PersonRecordView) =>
  [record.firstName, record.lastName].filter((part) => part !== null && part !== "").join(" ") || record.individualId

/** A person's name: its first record's. */
export const personName = (person: PersonView) => {
  const first = person.records[0]
  return first === undefined ? person.personId : displayName(first)
}

const connectionName = (names: ConnectionNames, connectionId: string) =>
  names.get(connectionId) ?? `connection ${connectionId.slice(0, 8)}`

const agreementList = (keys: ReadonlyArray<string>) =>
  html`<ul>${keys.map((key) => html`<li>${agreementWords(key)}</li>`)}</ul>`

/** Why a record is in the person: a person's decision, or the details that agreed and how strongly. */
const why = (record: PersonRecordView, index: number): Html => {
  if (index === 0 || record.score === null) return html`<p>The record this person starts from.</p>`
  const agreed = record.matchedBy.filter((key) => key !== manualKey)
  if (record.matchedBy.includes(manualKey)) {
    return html`<p>A person decided these are the same person.</p>
      ${agreed.length === 0 ? "" : html`<p>These details also agree:</p>${agreementList(agreed)}`}`
  }
  return html`${
    agreed.length === 0
      ? html`<p>Matched automatically; no agreeing details were recorded.</p>`
      : html`<p>Matched automatically, because these details agree:</p>${agreementList(agreed)}`
  }
    <p>How sure: ${scoreWords(record.score)}.</p>`
}

/** The list of persons. */
export const EmployeesPage = (props: {
  readonly persons: ReadonlyArray<PersonView>
  readonly names: ConnectionNames
  readonly next: string | null
}) =>
  Layout({
    title: "Employees",
    section: "employees",
    body: html`<h1>Employees</h1>
      <p>Each row is one person, reconciled across your connections.</p>
      ${
        props.persons.length === 0
          ? html`<p>No employees yet: they appear after a connection's first sync.</p>`
          : html`<table>
              <caption>People</caption>
              <thead><tr><th scope="col">Name</th><th scope="col">Appears in</th><th scope="col">Records</th></tr></thead>
              <tbody>${props.persons.map(
                (person) => html`<tr>
                  <th scope="row"><a href="/pages/employees/${encodeURIComponent(person.personId)}">${personName(person)}</a></th>
                  <td>${[...new Set(person.records.map((record) => connectionName(props.names, record.connectionId)))].join(", ")}</td>
                  <td>${person.records.length} record${person.records.length === 1 ? "" : "s"}</td>
                </tr>`,
              )}</tbody>
            </table>`
      }
      ${props.next === null ? "" : html`<p><a href="/pages/employees?after=${encodeURIComponent(props.next)}">Next page</a></p>`}`,
  })

/** What a decision did, said on the person's page. */
const decisionNotice = (done: string | undefined) =>
  done === "not_same_person"
    ? notice("ok", "Recorded: not the same person. The records were reconciled again.")
    : done === "same_person"
      ? notice("ok", "Recorded: the same person. The records were reconciled again.")
      : ""

/** One person. */
export const PersonPage = (props: {
  readonly person: PersonView
  readonly names: ConnectionNames
  readonly others: ReadonlyArray<PersonView>
  readonly csrf: string
  readonly done?: string | undefined
}) => {
  const anchor = props.person.records[0]
  const name = personName(props.person)
  return Layout({
    title: name,
    section: "employees",
    body: html`<p><a href="/pages/employees">All employees</a></p>
      <h1>${name}</h1>
      ${decisionNotice(props.done)}
      <h2>Source records</h2>
      <div class="records">
        ${props.person.records.map(
          (record, index) => html`<section class="record" aria-labelledby="record-${index}">
            <h3 id="record-${index}">${displayName(record)}</h3>
            <dl>
              <dt>Connection</dt><dd>${connectionName(props.names, record.connectionId)}</dd>
              <dt>Finch individual id</dt><dd>${record.individualId}</dd>
              ${record.entityId === null ? "" : html`<dt>Entity</dt><dd>${record.entityId}</dd>`}
            </dl>
            <h4>Why it is here</h4>
            ${why(record, index)}
            ${
              index > 0 && anchor !== undefined
                ? html`<form method="post" action="/pages/employees/decisions">
                    ${csrfField(props.csrf)}
                    <input type="hidden" name="record_a" value="${anchor.recordId}" />
                    <input type="hidden" name="record_b" value="${record.recordId}" />
                    <input type="hidden" name="decision" value="not_same_person" />
                    <button type="submit" class="danger">Not the same person<span class="visually-hidden"> as ${displayName(anchor)} (record ${index + 1})</span></button>
                  </form>`
                : ""
            }
          </section>`,
        )}
      </div>
      ${
        anchor === undefined || props.others.length === 0
          ? ""
          : html`<h2>Same person as someone else?</h2>
            <form method="post" action="/pages/employees/decisions">
              ${csrfField(props.csrf)}
              <input type="hidden" name="record_a" value="${anchor.recordId}" />
              <input type="hidden" name="decision" value="same_person" />
              <label for="record_b">Another person</label>
              <select id="record_b" name="record_b" required>
                ${props.others.flatMap((other) => {
                  const first = other.records[0]
                  return first === undefined
                    ? []
                    : [
                        html`<option value="${first.recordId}">${personName(other)} — ${connectionName(props.names, first.connectionId)}</option>`,
                      ]
                })}
              </select>
              <button type="submit" class="secondary">Same person</button>
            </form>`
      }`,
  })
}

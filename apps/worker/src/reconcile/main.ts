/**
 * `pnpm reconcile <records.jsonl> [--out assignments.jsonl]` — see packages/core/src/reconciliation/README.md.
 * Paths are relative to where pnpm was started (INIT_CWD), not to this package. A failure is one line on stderr
 * and exit code 1; a wrong command line prints the usage and exits with 2.
 */
import * as path from "node:path"
import * as util from "node:util"
import * as Effect from "effect/Effect"
import { reconcileFile } from "./ReconcileFile.ts"

const usage = "usage: pnpm reconcile <records.jsonl> [--out assignments.jsonl]"

const commandLine = (() => {
  try {
    return util.parseArgs({ options: { out: { type: "string" } }, allowPositionals: true, strict: true })
  } catch {
    return undefined
  }
})()
const [inputArg, ...extra] = commandLine?.positionals ?? []
if (commandLine === undefined || inputArg === undefined || extra.length > 0) {
  console.error(usage)
  process.exit(2)
}
const outputArg = commandLine.values.out
const base = process.env.INIT_CWD ?? process.cwd()

const program = reconcileFile(
  path.resolve(base, inputArg),
  outputArg === undefined ? undefined : path.resolve(base, outputArg),
).pipe(
  Effect.tap((stats) =>
    Effect.sync(() =>
      console.error(
        `reconciled ${stats.records} records into ${stats.persons} persons (${stats.merges} merges, ${stats.candidatePairs} candidate pairs)`,
      ),
    ),
  ),
  Effect.catchAll((error) =>
    Effect.sync(() => {
      console.error(`reconcile: ${error.message}`)
      process.exitCode = 1
    }),
  ),
)

Effect.runPromise(program)

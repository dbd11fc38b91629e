/** The providers the sandbox knows, shaped like Finch's `GET /providers` items. */
import type { AuthenticationType, Provider } from "./Wire.ts"

export interface ProviderRecord extends Provider {
  /** The method a new connection uses unless the session names one. */
  readonly defaultAuthentication: AuthenticationType
  /** Whether the provider returns SSNs at all. */
  readonly ssnSupported: boolean
  /** Whether SSNs come as `encrypted_ssn` (an opaque string) rather than plain `ssn`. */
  readonly ssnEncrypted?: boolean
  /** Country and currency of generated workers when not the US (e.g. an employer of record). */
  readonly workerCountry?: string
  /** False when the provider's tokens come without `company_id` (the connection is the only key). */
  readonly reportsCompanyId?: boolean
}

const organization = ["company", "directory", "individual", "employment", "ssn"]
const payroll = ["payment", "pay_statement"]

const provider = (
  id: string,
  display_name: string,
  methods: ReadonlyArray<AuthenticationType>,
  extra: Partial<ProviderRecord> = {},
): ProviderRecord => ({
  id,
  display_name,
  products: extra.products ?? [...organization, ...payroll, "benefits"],
  authentication_methods: methods.map((type) => ({ type })),
  manual: methods[0] === "assisted",
  mfa_required: extra.mfa_required ?? false,
  primary_color: extra.primary_color ?? "#3b5bdb",
  defaultAuthentication: methods[0] ?? "credential",
  ssnSupported: extra.ssnSupported ?? true,
  beta: false,
  ...(extra.workerCountry === undefined ? {} : { workerCountry: extra.workerCountry }),
  ...(extra.reportsCompanyId === undefined ? {} : { reportsCompanyId: extra.reportsCompanyId }),
  ...(extra.ssnEncrypted === undefined ? {} : { ssnEncrypted: extra.ssnEncrypted }),
})

/** Real provider ids, so data looks like what apps see from Finch. */
export const catalogue: ReadonlyArray<ProviderRecord> = [
  provider("gusto", "Gusto", ["oauth"], { mfa_required: true, primary_color: "#f45d47" }),
  provider("adp_run", "ADP RUN", ["credential"], { mfa_required: true, primary_color: "#d0271d" }),
  provider("adp_workforce_now", "ADP Workforce Now", ["api_token", "assisted"], { primary_color: "#d0271d" }),
  provider("paychex_flex", "Paychex Flex", ["credential", "assisted"], {
    mfa_required: true,
    primary_color: "#004b8d",
  }),
  provider("rippling", "Rippling", ["oauth"], { primary_color: "#502d3c" }),
  provider("bamboo_hr", "BambooHR", ["api_token"], { products: organization, primary_color: "#73c41d" }),
  provider("justworks", "Justworks", ["credential"], { primary_color: "#1d6fe5" }),
  provider("trinet", "TriNet", ["credential", "assisted"], { primary_color: "#0a7ec2" }),
  provider("insperity", "Insperity", ["assisted"], { primary_color: "#e2231a" }),
  provider("deel", "Deel", ["api_token"], {
    products: ["company", "directory", "individual", "employment", "payment"],
    ssnSupported: false,
    workerCountry: "GB",
    reportsCompanyId: false,
    primary_color: "#15357a",
  }),
  provider("paylocity", "Paylocity", ["credential", "assisted"], { primary_color: "#f58025" }),
  provider("workday", "Workday", ["credential"], { primary_color: "#0875e1", ssnEncrypted: true }),
]

/** The provider as `GET /providers` shows it (without the sandbox's own settings). */
export const toWire = (record: ProviderRecord): Provider => {
  const {
    defaultAuthentication: _a,
    ssnSupported: _s,
    workerCountry: _w,
    reportsCompanyId: _r,
    ssnEncrypted: _e,
    ...wire
  } = record
  return wire
}

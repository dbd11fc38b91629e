/**
 * The JSON shapes Finch puts on the wire (SDK 10.8.1 names), as the sandbox serves them.
 * Kept free of behaviour so tests can check them against the official SDK's types.
 */

export type ConnectionStatusType =
  | "pending"
  | "processing"
  | "connected"
  | "error_no_account_setup"
  | "error_permissions"
  | "reauth"

export type AuthenticationType = "assisted" | "credential" | "api_token" | "oauth"

export type ClientType = "development" | "production" | "sandbox"

export type ConnectionType = "finch" | "provider"

export interface Location {
  line1: string | null
  line2: string | null
  city: string | null
  state: string | null
  postal_code: string | null
  country: string | null
  name?: string | null
  source_id?: string | null
}

export interface Income {
  amount: number | null
  currency: string | null
  effective_date: string | null
  unit:
    | "yearly"
    | "quarterly"
    | "monthly"
    | "semi_monthly"
    | "bi_weekly"
    | "weekly"
    | "daily"
    | "hourly"
    | "fixed"
    | null
}

export interface Company {
  id: string
  legal_name: string | null
  ein: string | null
  primary_email: string | null
  primary_phone_number: string | null
  entity: {
    type: "llc" | "lp" | "corporation" | "sole_proprietor" | "non_profit" | "partnership" | "cooperative" | null
    subtype: "s_corporation" | "c_corporation" | "b_corporation" | null
  } | null
  departments: Array<{ name: string | null; parent: { name: string | null } | null } | null> | null
  locations: Array<Location | null> | null
  accounts: Array<{
    account_name: string | null
    account_number: string | null
    account_type: "checking" | "savings" | null
    institution_name: string | null
    routing_number: string | null
  }> | null
}

export interface Individual {
  id: string
  first_name: string | null
  middle_name: string | null
  last_name: string | null
  preferred_name: string | null
  emails?: Array<{ data: string; type: "work" | "personal" | null }> | null
  phone_numbers: Array<{ data: string | null; type: "work" | "personal" | null } | null> | null
  gender: "female" | "male" | "other" | "decline_to_specify" | null
  ethnicity:
    | "asian"
    | "white"
    | "black_or_african_american"
    | "native_hawaiian_or_pacific_islander"
    | "american_indian_or_alaska_native"
    | "hispanic_or_latino"
    | "two_or_more_races"
    | "decline_to_specify"
    | null
  marital_status: "single" | "married" | "divorced" | "widowed" | "domestic_partner" | "unknown" | null
  dob: string | null
  residence: Location | null
  ssn?: string | null
  encrypted_ssn?: string | null
}

export interface Employment {
  id: string
  first_name: string | null
  middle_name: string | null
  last_name: string | null
  title: string | null
  manager: { id: string } | null
  department: { name: string | null } | null
  employment: {
    type: "employee" | "contractor" | null
    subtype: "full_time" | "intern" | "part_time" | "temp" | "seasonal" | "individual_contractor" | null
  } | null
  employment_status: "active" | "deceased" | "leave" | "onboarding" | "prehire" | "retired" | "terminated" | null
  is_active: boolean | null
  start_date: string | null
  end_date: string | null
  latest_rehire_date: string | null
  class_code: string | null
  flsa_status: "exempt" | "non_exempt" | "unknown" | null
  highly_compensated_employee: boolean | null
  key_employee: boolean | null
  union_code: string | null
  union_local: string | null
  location: Location | null
  income?: Income | null
  income_history?: Array<Income | null> | null
  custom_fields?: Array<{ name?: string | null; value?: string | number | boolean | object | null }> | null
  source_id?: string | null
}

export interface DirectoryItem {
  id: string
  first_name: string | null
  middle_name: string | null
  last_name: string | null
  manager: { id: string } | null
  department: { name: string | null } | null
  is_active: boolean | null
}

export interface ErrorBody {
  code: number
  name: string
  finch_code?: string
  message: string
}

export interface ConnectionStatus {
  status: ConnectionStatusType
  last_successful_sync?: string | null
  message?: string
}

export interface EntityStatus {
  id: string
  name: string | null
  source_id: string | null
  status: ConnectionStatusType | "disconnected"
}

export interface Introspection {
  id: string
  client_id: string
  client_type: ClientType
  connection_id: string
  connection_status: ConnectionStatus
  connection_type: ConnectionType
  products: Array<string>
  provider_id: string
  account_id?: string
  authentication_methods?: Array<{
    type: AuthenticationType
    connection_status?: ConnectionStatus
    products?: Array<string>
  }>
  company_id?: string
  customer_email?: string | null
  customer_id?: string | null
  customer_name?: string | null
  entities?: Array<EntityStatus>
  manual?: boolean
  payroll_provider_id?: string
  username?: string | null
}

export interface CreateAccessTokenResponse {
  access_token: string
  token_type: string
  connection_id: string
  connection_type: ConnectionType
  client_type: ClientType
  provider_id: string
  products: Array<string>
  entity_ids: Array<string>
  company_id?: string
  account_id?: string
  customer_id?: string | null
  customer_name?: string | null
}

export interface Provider {
  id: string
  display_name: string
  products: Array<string>
  authentication_methods?: Array<{
    type: "assisted" | "credential" | "api_token" | "api_credential" | "oauth" | "api"
    benefits_support?: { [key: string]: unknown }
    supported_fields?: { [key: string]: unknown }
  }>
  beta?: boolean
  icon?: string
  logo?: string
  manual?: boolean
  mfa_required?: boolean
  primary_color?: string
}

export interface Money {
  amount: number | null
  currency: string
}

export interface Payment {
  id: string
  pay_date: string | null
  debit_date: string | null
  pay_period: { start_date: string | null; end_date: string | null } | null
  company_debit: Money | null
  gross_pay: Money | null
  net_pay: Money | null
  employer_taxes: Money | null
  employee_taxes: Money | null
  individual_ids: Array<string> | null
  pay_frequencies: Array<PayFrequency> | null
  pay_group_ids: Array<string> | null
}

export interface PayStatement {
  individual_id: string
  type: "regular_payroll" | "off_cycle_payroll" | "one_time_payment" | null
  payment_method: "check" | "direct_deposit" | "other" | null
  total_hours: number | null
  gross_pay: Money | null
  net_pay: Money | null
  earnings: Array<{
    type: "salary" | "wage" | "1099" | "overtime" | "bonus" | "other" | null
    name: string | null
    amount: number | null
    currency: string | null
    hours: number | null
  } | null> | null
  taxes: Array<{
    type: "state" | "federal" | "local" | "fica" | null
    name: string | null
    employer: boolean | null
    amount: number | null
    currency: string | null
  }> | null
  employee_deductions: Array<{
    name: string | null
    amount: number | null
    currency: string | null
    pre_tax: boolean | null
    type: "401k" | "s125_medical" | null
  }> | null
  employer_contributions: Array<{
    name: string | null
    amount: number | null
    currency: string | null
    type: "401k" | "s125_medical" | null
  }> | null
}

export type PayFrequency =
  | "annually"
  | "semi_annually"
  | "quarterly"
  | "monthly"
  | "semi_monthly"
  | "bi_weekly"
  | "weekly"
  | "daily"
  | "other"

/** `GET /employer/pay-groups/{id}`; the list leaves out `individual_ids`. */
export interface PayGroup {
  id: string
  name: string
  pay_frequencies: Array<PayFrequency>
  individual_ids: Array<string>
}

/** Every product a Connect session may request (SDK enum). */
export const products = [
  "benefits",
  "company",
  "deduction",
  "directory",
  "documents",
  "employment",
  "individual",
  "payment",
  "pay_statement",
  "plans",
  "plans_dependents",
  "plans_enrollments",
  "recordkeeping",
  "ssn",
] as const

export const connectionStatuses: ReadonlyArray<ConnectionStatusType> = [
  "pending",
  "processing",
  "connected",
  "error_no_account_setup",
  "error_permissions",
  "reauth",
]

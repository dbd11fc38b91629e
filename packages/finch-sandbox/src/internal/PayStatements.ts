/** Pay statements derived from a payment and each paid person's income, so they add up the same every time. */
import type { CompanyRecord, Employee } from "./Companies.ts"
import type { Payment, PayStatement } from "./Wire.ts"

/** Finch's maximum number of payments per `POST /employer/pay-statement` request. */
export const maxPayments = 10

const periodGross = (employee: Employee): { amount: number; hours: number | null; hourly: boolean } => {
  const income = employee.employment.income
  const amount = income?.amount ?? 0
  switch (income?.unit) {
    case "yearly":
      return { amount: Math.round(amount / 26), hours: 80, hourly: false }
    case "hourly":
      return { amount: amount * 64, hours: 64, hourly: true }
    case "monthly":
      return { amount: Math.round(amount / 2), hours: null, hourly: false }
    default:
      return { amount, hours: null, hourly: false }
  }
}

/** The statement of one person in one payment. */
export const statementFor = (employee: Employee, payment: Payment): PayStatement => {
  const { amount: gross, hours, hourly } = periodGross(employee)
  const currency = employee.employment.income?.currency ?? "usd"
  const contractor = employee.employment.employment?.type === "contractor"
  if (contractor) {
    return {
      individual_id: employee.id,
      type: "regular_payroll",
      payment_method: "direct_deposit",
      total_hours: null,
      gross_pay: { amount: gross, currency },
      net_pay: { amount: gross, currency },
      earnings: [{ type: "1099", name: "Contractor payment", amount: gross, currency, hours: null }],
      taxes: [],
      employee_deductions: [],
      employer_contributions: [],
    }
  }
  const federal = Math.round(gross * 0.12)
  const state = Math.round(gross * 0.04)
  const fica = Math.round(gross * 0.0765)
  const retirement = employee.employment.source_id !== null && Number(employee.employment.source_id) % 2 === 0
  const deduction = retirement ? Math.round(gross * 0.05) : 0
  const state_code = employee.employment.location?.state ?? "CA"
  return {
    individual_id: employee.id,
    type: payment.pay_frequencies?.includes("other") === true ? "off_cycle_payroll" : "regular_payroll",
    payment_method: "direct_deposit",
    total_hours: hours,
    gross_pay: { amount: gross, currency },
    net_pay: { amount: gross - federal - state - fica - deduction, currency },
    earnings: [
      hourly
        ? { type: "wage", name: "Regular Hours", amount: gross, currency, hours }
        : { type: "salary", name: "Salary", amount: gross, currency, hours },
    ],
    taxes: [
      { type: "federal", name: "Federal Income Tax", employer: false, amount: federal, currency },
      { type: "state", name: `State Withholding - ${state_code}`, employer: false, amount: state, currency },
      { type: "fica", name: "FICA", employer: false, amount: fica, currency },
      { type: "fica", name: "FICA (employer)", employer: true, amount: fica, currency },
    ],
    employee_deductions: retirement
      ? [{ name: "Pre-Tax 401k", amount: deduction, currency, pre_tax: true, type: "401k" }]
      : [],
    employer_contributions: retirement
      ? [{ name: "401k Match", amount: Math.round(deduction / 2), currency, type: "401k" }]
      : [],
  }
}

/** Every statement of a payment, for the people still on the company's books. */
export const statementsOf = (company: CompanyRecord, payment: Payment): Array<PayStatement> =>
  (payment.individual_ids ?? []).flatMap((id) => {
    const employee = company.byId.get(id)
    return employee === undefined ? [] : [statementFor(employee, payment)]
  })

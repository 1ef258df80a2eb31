"""Fees (domain.md §5, F1–F13): writes, split by matter; the public API is importable from here:

from fees import services
services.quote_fee(est, fiscal_year=…)        quotes     quotes, SME (F3), group discount (F4), first year (F6)
services.save_billing_contact(est, …)         contacts   請求書送付先 (F10) and the e-mail about money
services.issue_invoice(m, fiscal_year=…)      invoices   issue, numbers, renewal in bulk, credit notes (F13)
services.record_payment([inv], …)             payments   payments, bank statement import and review
services.export_debit_requests(day)           debit      mandates, 全銀 runs and their result import (F7, F12)
services.store_document_pdf("invoice", pk)    documents  receipts (F11), PDFs
services.invoice_pdf_link(inv)                links      the signed links of invoice/statement mails to their PDF
services.issue_statement(org)                 billing_statements  請求明細書: one mail for a head office's sites

Reads (amounts due, renewal candidates, mandates, billing contact) are in `fees.selectors`. Every write is a
transaction; PDFs and e-mails are queued after commit (`jaim.queue.enqueue`, by task name: no import of
`fees.tasks` here, which imports these services).
"""

from fees.services.billing_statements import (
    issue_statement,
    issue_statements,
    open_invoices,
    organisations_awaiting_statement,
    prefers_statement,
    set_billing_preference,
    statement_organisations,
    statement_pdf_bytes,
    wants_statement,
)
from fees.services.contacts import BILLING_FIELDS, Recipient, save_billing_contact
from fees.services.debit import (
    MANDATE_FIELDS,
    bank_names,
    customer_number,
    export_debit_requests,
    import_debit_results,
    register_debit_mandate,
    revoke_debit_mandate,
)
from fees.services.documents import render_document_bytes, request_receipt, store_document_pdf
from fees.services.invoices import (
    bill_new_membership,
    format_invoice_number,
    invoice_mails,
    invoice_prefix,
    issue_credit_note,
    issue_invoice,
    issue_renewal_invoices,
    renewal_debit_date,
    send_invoice_mails,
    transfer_due_date,
)
from fees.services.links import (
    invoice_for_link,
    invoice_pdf_link,
    revoke_pdf_links,
    statement_for_link,
    statement_pdf_link,
)
from fees.services.payments import (
    ignore_statement_line,
    import_bank_statement,
    record_payment,
    settle_statement_line,
)
from fees.services.quotes import (
    SME_CAPITAL_LIMIT_YEN,
    SME_EMPLOYEE_LIMIT,
    Quote,
    QuoteLine,
    compute_quote,
    default_first_year_rate,
    first_year_amount,
    get_schedule,
    group_discount_applies,
    is_sme,
    meets_sme_thresholds,
    quote_fee,
    quote_with_claims,
    quotes_with_claims,
)

__all__ = [
    "BILLING_FIELDS",
    "MANDATE_FIELDS",
    "Quote",
    "QuoteLine",
    "Recipient",
    "SME_CAPITAL_LIMIT_YEN",
    "SME_EMPLOYEE_LIMIT",
    "bank_names",
    "bill_new_membership",
    "compute_quote",
    "customer_number",
    "default_first_year_rate",
    "export_debit_requests",
    "first_year_amount",
    "format_invoice_number",
    "get_schedule",
    "group_discount_applies",
    "ignore_statement_line",
    "import_bank_statement",
    "import_debit_results",
    "invoice_for_link",
    "invoice_mails",
    "invoice_pdf_link",
    "invoice_prefix",
    "is_sme",
    "issue_credit_note",
    "issue_invoice",
    "issue_renewal_invoices",
    "issue_statement",
    "issue_statements",
    "open_invoices",
    "organisations_awaiting_statement",
    "prefers_statement",
    "set_billing_preference",
    "statement_for_link",
    "statement_organisations",
    "statement_pdf_bytes",
    "statement_pdf_link",
    "wants_statement",
    "meets_sme_thresholds",
    "quote_fee",
    "quote_with_claims",
    "quotes_with_claims",
    "record_payment",
    "revoke_pdf_links",
    "register_debit_mandate",
    "render_document_bytes",
    "renewal_debit_date",
    "request_receipt",
    "revoke_debit_mandate",
    "save_billing_contact",
    "send_invoice_mails",
    "settle_statement_line",
    "store_document_pdf",
    "transfer_due_date",
]

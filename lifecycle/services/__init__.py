"""Writes for the lifecycle (verb-first services). Split by matter; everything is importable from here:

from lifecycle import services
services.run_renewal(on=…)            services.continue_membership(m, by=…)
services.request_withdrawal(m, …)     services.confirm_withdrawal(req, by=…)   services.cancel_withdrawal(…)
services.complete_withdrawals(on=…)   services.lapse_unpaid_memberships(on=…)  services.reinstate_membership(…)
services.send_reminders(on=…)         services.flag_missing_wage_reports(on=…)
services.submit_wage_report(m, …)     services.submit_additional_wage_report(r, …)
"""

from lifecycle.services.lapse import LAPSE_JOB, lapse_unpaid_memberships, reinstate_membership
from lifecycle.services.reminders import REMINDERS_JOB, send_reminders
from lifecycle.services.renewal import CHUNK_SIZE as RENEWAL_CHUNK_SIZE
from lifecycle.services.renewal import RENEWAL_JOB, continue_membership, renew_chunk, run_renewal
from lifecycle.services.wage import (
    WAGE_JOB,
    flag_missing_wage_reports,
    remove_wage_evidence,
    submit_additional_wage_report,
    submit_wage_report,
)
from lifecycle.services.withdrawal import (
    WITHDRAWALS_JOB,
    cancel_withdrawal,
    complete_withdrawals,
    confirm_withdrawal,
    request_withdrawal,
)

# The jobs, in the order a day runs them (withdrawals and lapses of the day before reminders about them).
JOBS = {
    WITHDRAWALS_JOB: complete_withdrawals,
    LAPSE_JOB: lapse_unpaid_memberships,
    RENEWAL_JOB: run_renewal,
    WAGE_JOB: flag_missing_wage_reports,
    REMINDERS_JOB: send_reminders,
}

__all__ = [
    "JOBS",
    "LAPSE_JOB",
    "RENEWAL_CHUNK_SIZE",
    "RENEWAL_JOB",
    "REMINDERS_JOB",
    "WAGE_JOB",
    "WITHDRAWALS_JOB",
    "cancel_withdrawal",
    "complete_withdrawals",
    "confirm_withdrawal",
    "continue_membership",
    "flag_missing_wage_reports",
    "lapse_unpaid_memberships",
    "reinstate_membership",
    "remove_wage_evidence",
    "renew_chunk",
    "request_withdrawal",
    "run_renewal",
    "send_reminders",
    "submit_additional_wage_report",
    "submit_wage_report",
]

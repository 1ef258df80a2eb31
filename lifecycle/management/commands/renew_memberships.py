from lifecycle.management.base import JobCommand
from lifecycle.services import RENEWAL_JOB


class Command(JobCommand):
    help = "Issue next year's invoices and renewal confirmations for the due renewal season. Safe to run twice; --date catches up a missed day."
    job = RENEWAL_JOB

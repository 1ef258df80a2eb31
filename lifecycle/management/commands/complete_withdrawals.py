from lifecycle.management.base import JobCommand
from lifecycle.services import WITHDRAWALS_JOB


class Command(JobCommand):
    help = "Confirmed withdrawals whose day has come become WITHDRAWN (delisted that day). Safe to run twice; --date catches up a missed day."
    job = WITHDRAWALS_JOB

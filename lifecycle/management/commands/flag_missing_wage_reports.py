from lifecycle.management.base import JobCommand
from lifecycle.services import WAGE_JOB


class Command(JobCommand):
    help = "After the deadline, flag members that filed no wage-increase report. Safe to run twice; --date catches up a missed day."
    job = WAGE_JOB

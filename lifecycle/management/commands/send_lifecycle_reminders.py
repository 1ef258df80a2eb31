from lifecycle.management.base import JobCommand
from lifecycle.services import REMINDERS_JOB


class Command(JobCommand):
    help = "Send the reminders that fell due (rules are data; one per rule, subject and day). Safe to run twice; --date catches up a missed day."
    job = REMINDERS_JOB

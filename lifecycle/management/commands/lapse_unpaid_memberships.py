from lifecycle.management.base import JobCommand
from lifecycle.services import LAPSE_JOB


class Command(JobCommand):
    help = "Memberships whose renewal fee is unpaid after the grace period lapse. Safe to run twice; --date catches up a missed day."
    job = LAPSE_JOB

import datetime as dt
from zoneinfo import ZoneInfo

import time_machine

TOKYO = ZoneInfo("Asia/Tokyo")


def at(day: dt.date, hour: int = 10):
    """Freeze time on `day` (Asia/Tokyo)."""
    return time_machine.travel(dt.datetime(day.year, day.month, day.day, hour, tzinfo=TOKYO), tick=False)

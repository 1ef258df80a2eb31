import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from tests.security.helpers import staff_user, verified_login

TOKYO = ZoneInfo("Asia/Tokyo")


def at(day: dt.date, hour: int = 10):
    """Freeze time on `day` (Asia/Tokyo)."""
    return time_machine.travel(dt.datetime(day.year, day.month, day.day, hour, tzinfo=TOKYO), tick=False)


@pytest.fixture
def admin_client(client, db):
    """An administrator signed in with a verified second factor."""
    user = staff_user(group="administrator")
    verified_login(client, user)
    client.user = user
    return client


@pytest.fixture
def finance_client(client, db):
    user = staff_user(group="finance")
    verified_login(client, user)
    client.user = user
    return client


@pytest.fixture
def reviewer_client(client, db):
    user = staff_user(group="reviewer")
    verified_login(client, user)
    client.user = user
    return client

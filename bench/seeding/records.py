"""The planner's records: one small object per company, site, membership, application, invoice, identity
change and debit mandate, and the context read from the database. Moments are Tokyo times (`at`)."""

import datetime as dt
import functools
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from bench.names import Address

TOKYO = ZoneInfo("Asia/Tokyo")
OPENED = dt.date(2025, 7, 1)  # JAIM applications open


@functools.cache
def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=TOKYO)


_MINUTES = [dt.timedelta(minutes=m) for m in range(24 * 60)]
_DAYS = [dt.timedelta(days=d) for d in range(800)]


def at(day: dt.date, minutes: int = 600) -> dt.datetime:
    """A moment on `day` in Tokyo, `minutes` after midnight (default 10:00)."""
    return _midnight(day) + _MINUTES[minutes]


def days(n: int) -> dt.timedelta:
    return _DAYS[n] if 0 <= n < 800 else dt.timedelta(days=n)


@dataclass(slots=True, eq=False)
class Org:
    id: int
    kind: str
    corporate_number: str | None
    name: str
    kana: str
    title: str
    representative: str
    address: Address
    line: str
    phone: str
    capital: int | None
    employees: int | None
    created: dt.datetime
    middles: tuple
    user_id: int = 0
    user_name: str = ""
    email: str = ""
    access_id: int = 0
    is_support: bool = False
    support_reg: str = ""
    sme_verified_on: dt.date | None = None
    renamed: tuple | None = None  # (old name, old furigana, moment) when a merger renamed it
    sites: list = field(default_factory=list)
    associations: list = field(default_factory=list)  # [(association id, applied_on, complete_on)]
    contact: dict | None = None
    payer_id: int | None = None  # a support organisation that pays for it (F12)
    anchored: bool = False  # its first site stands at its own address (the prefecture round)


@dataclass(slots=True, eq=False)
class Site:
    id: int
    org: Org
    name: str
    kana: str
    address: Address
    line: str
    phone: str
    created: dt.datetime
    eins: str
    operating_since: dt.date | None
    old: tuple | None = None  # (name, address, line, moment) before a completed relocation/rename took effect
    memberships: list = field(default_factory=list)
    apps: list = field(default_factory=list)
    change: "Change | None" = None
    grant: tuple | None = None  # (support organisation id, granted_at)
    contact: dict | None = None
    mandate: "Mandate | None" = None


@dataclass(slots=True, eq=False)
class Mem:
    id: int
    site: Site
    status: str
    codes: list
    decided: dt.date
    activated: dt.date | None = None
    requested_at: dt.datetime | None = None
    effective_on: dt.date | None = None
    reason: str = ""
    withdrawn: dt.date | None = None
    lapsed: dt.date | None = None
    number: str = ""
    moves: list = field(default_factory=list)  # [(moment, from, to, note, actor id)]
    invoices: list = field(default_factory=list)
    terms: list = field(default_factory=list)  # [(fiscal year, answer, answered_at)]


@dataclass(slots=True, eq=False)
class App:
    id: int
    site: Site
    kind: str
    status: str
    created: dt.datetime
    codes: list = field(default_factory=list)
    moves: list = field(default_factory=list)  # [(moment, from, to, note, actor id)]
    messages: list = field(default_factory=list)  # [(kind, message, deadline, moment, author id)]
    fields: dict = field(default_factory=dict)  # other Application fields by attname
    submitted: dt.datetime | None = None
    receipt: str = ""
    pledged: bool = False
    mem: "Mem | None" = None  # the membership it created or changed


@dataclass(slots=True, eq=False)
class Inv:
    id: int
    mem: Mem
    fy: int
    kind: str
    method: str
    issue: dt.date
    due: dt.date
    notice: dt.date | None
    sme: bool
    group: bool
    quote: object  # fees.services.Quote: lines and total
    buyer: tuple  # name, department, person, postal code, address
    est_name: str
    payer_id: int | None
    issued_by: int | None
    status: str = "ISSUED"
    paid_on: dt.date | None = None
    number: str = ""
    payment: tuple | None = None  # (method, received_on, payer name, reference, recorded_by)
    debit: tuple | None = None  # (collection date, result code)
    events: list = field(default_factory=list)  # [(moment, action, from, to, note, actor)]
    total: int = 0  # the quote's total (yen)


@dataclass(slots=True, eq=False)
class Change:
    id: int
    site: Site
    kind: str
    old_org: str
    old_est: str
    old_address: str
    new_org: str
    new_est: str
    new_address: Address | None
    new_line: str
    accepted: dt.date
    effective: dt.date | None
    due: dt.date
    done: dt.date | None
    new_kana: str = ""


@dataclass(slots=True, eq=False)
class Mandate:
    id: int
    site: Site
    bank: str
    bank_kana: str
    branch: str
    branch_kana: str
    account: str
    holder: str
    payer_id: int | None
    created: dt.datetime
    first_done: bool = False


@dataclass
class Context:
    """What the planner needs from the database: ids to start from, staff, reference data, today."""

    today: dt.date
    ids: dict  # model label -> next id
    reviewers: list
    finance_id: int
    codes_by_middle: dict  # "24" -> [eligible detail codes]
    code_addons: dict  # code -> "textile" / "printing" / "packing" / ""
    associations: list  # [(id, is_regular_member)]
    pledges: dict  # kind -> [pledge ids]
    banks: list  # [(bank code, bank kana, branch code, branch kana)]
    debit_dates: dict  # fiscal year -> renewal debit date of that year's fee
    corporate_serial: int  # serials below this are taken (earlier seeds)
    quote: object  # (fiscal year, sme, group, notice date) -> fees.services.Quote


def pref_name(code: str) -> str:
    from jaim.validators import PREFECTURE_NAMES

    return PREFECTURE_NAMES[code]

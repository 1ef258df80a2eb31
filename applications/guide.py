"""The guided path on My Page (a selector): where the user and each establishment stand on
法人 → 事業所 → 申請 → 審査 → 入金 → 名簿掲載 (R1, R7, R9), what is missing and the next action.

Templates read flags (`done`, `current`, `is_complete`) and ready-made texts and links; they never compare status
strings. A fixed number of queries whatever the number of establishments: the establishments come with their
memberships prefetched (members.selectors.mypage_establishments), the open applications are one query."""

from dataclasses import dataclass, field

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from applications import selectors
from applications.models import Application, Kind
from members import selectors as member_selectors
from members.models import Membership

STEPS = (
    ("organisation", gettext_lazy("法人")),
    ("establishment", gettext_lazy("事業所")),
    ("application", gettext_lazy("申請")),
    ("review", gettext_lazy("審査")),
    ("payment", gettext_lazy("入金")),
    ("roster", gettext_lazy("名簿掲載")),
)
_ORDER = [key for key, _label in STEPS]
S = Application.Status
M = Membership.Status


@dataclass(frozen=True)
class Step:
    key: str
    label: str
    done: bool
    current: bool


@dataclass(frozen=True)
class Action:
    label: str
    url: str


@dataclass
class Place:
    """One establishment (or, before there is one, the user) on the path."""

    current: str  # the key of the step it is on ("roster" with is_complete once listed)
    missing: str  # what is missing, in the applicant's words
    action: Action | None  # the next thing to do, or None when it is the secretariat's turn
    establishment: object | None = None
    is_complete: bool = False  # listed on the roster: the path is done
    waits_for_us: bool = False  # the user has something to do (not only the secretariat)
    steps: list[Step] = field(default_factory=list)

    def __post_init__(self):
        at = _ORDER.index(self.current)
        self.steps = [
            Step(key, str(label), done=i < at or self.is_complete, current=i == at and not self.is_complete)
            for i, (key, label) in enumerate(STEPS)
        ]


def _open_new_applications(establishments) -> dict:
    """{establishment id: its open NEW application} in one query."""
    apps = (
        Application.objects.filter(
            establishment__in=[e.pk for e in establishments],
            kind=Kind.NEW,
            status__in=Application.OPEN_STATUSES,
        )
        .only("pk", "status", "establishment_id", "furthest_step", "return_deadline", "kind")
        .order_by("establishment_id", "-created_at")
    )
    result = {}
    for a in apps:
        result.setdefault(a.establishment_id, a)
    return result


def _current_membership(establishment):
    """The open membership from the prefetched memberships (no query)."""
    open_statuses = (M.AWAITING_PAYMENT, M.ACTIVE, M.WITHDRAWAL_REQUESTED)
    return next((m for m in establishment.memberships.all() if m.status in open_statuses), None)


def place_of(establishment, application=None) -> Place:
    """Where one establishment stands: its open membership first, then its open new-membership application."""
    est = establishment
    m = _current_membership(est)
    if m is not None and m.status == M.AWAITING_PAYMENT:
        return Place(
            "payment",
            _("審査が終わり、初年度会費の請求書を発行しました。入金が確認されると会員名簿に掲載されます。"),
            Action(_("請求書を確認する"), reverse("members:establishment_detail", args=[est.pk]) + "#fees"),
            est,
            waits_for_us=True,
        )
    if m is not None:
        return Place(
            "roster",
            _("会員名簿に掲載されています（会員番号 %(n)s）。") % {"n": m.member_number},
            None,
            est,
            is_complete=True,
        )
    last = max(est.memberships.all(), key=lambda x: x.pk, default=None)
    if application is None and last is not None and last.status == M.LAPSED:
        return Place(
            "payment",
            _(
                "会費が未納のため会員資格が失効し、会員名簿から削除されました。入金を確認した後、事務局が復活します。"
            ),
            Action(_("請求書を確認する"), reverse("members:establishment_detail", args=[est.pk]) + "#fees"),
            est,
            waits_for_us=True,
        )
    if application is None:
        rejoin = last is not None and last.status == M.WITHDRAWN
        return Place(
            "application",
            _("退会済みです。再入会には、新しい入会申請と審査が必要です。")
            if rejoin
            else _("入会申請がまだです。産業分類・出荷実績・製品と工場の画像・誓約をそろえて申請します。"),
            Action(
                _("入会申請を始める"),
                reverse("applications:start") + f"?establishment={est.pk}&kind={Kind.NEW}",
            ),
            est,
            waits_for_us=True,
        )
    detail = reverse("applications:detail", args=[application.pk])
    if application.status == S.DRAFT:
        step = selectors.resume_step(application)
        url = (
            reverse("applications:review", args=[application.pk])
            if step == "review"
            else reverse("applications:step", args=[application.pk, step])
        )
        return Place(
            "application",
            _("入会申請の下書きがあります。残りの入力と書類をそろえて提出してください。"),
            Action(_("入力を続ける"), url),
            est,
            waits_for_us=True,
        )
    if application.status == S.RETURNED:
        return Place(
            "review",
            _("事務局から修正の依頼があります。内容を確認し、期限までに再提出してください。"),
            Action(_("修正する"), detail),
            est,
            waits_for_us=True,
        )
    return Place(
        "review",
        _("事務局が受付順に審査しています（通常2〜3か月）。不足があれば個別に御連絡します。"),
        Action(_("申請の内容を見る"), detail),
        est,
    )


@dataclass
class Guide:
    """My Page's path: the next step first (`next`), then every establishment's place."""

    next: Place | None
    places: list[Place]

    @property
    def is_new_user(self) -> bool:
        return not self.places


def guide_for(user) -> Guide:
    """The user's next step and the place of each establishment they may act for."""
    establishments = list(member_selectors.mypage_establishments(user).prefetch_related("memberships"))
    if not establishments:
        organisations = list(member_selectors.organisations_for(user).order_by("pk")[:1])
        if not organisations:
            first = Place(
                "organisation",
                _("まず、事業所を所有する法人（会社または個人事業主）を登録してください。"),
                Action(_("法人を登録する"), reverse("members:organisation_create")),
                waits_for_us=True,
            )
        else:
            first = Place(
                "establishment",
                _(
                    "法人を登録しました。次に、会員となる事業所（工場）を登録してください。入会は事業所ごとです。"
                ),
                Action(
                    _("事業所を登録する"), reverse("members:establishment_create", args=[organisations[0].pk])
                ),
                waits_for_us=True,
            )
        return Guide(next=first, places=[])
    apps = _open_new_applications(establishments)
    places = [place_of(e, apps.get(e.pk)) for e in establishments]
    todo = [p for p in places if p.waits_for_us]
    return Guide(next=todo[0] if todo else None, places=places)


def place_for_establishment(establishment) -> Place:
    """One establishment's place on the path, for its own page (two queries)."""
    application = _open_new_applications([establishment]).get(establishment.pk)
    return place_of(establishment, application)

"""Sections this app adds to the establishment page and My Page (members.panels)."""

from jaim.dates import fiscal_year_end, fiscal_year_of, today
from lifecycle import selectors
from members import selectors as member_selectors


def establishment_panel(request, establishment):
    """Renewal confirmation, withdrawal (退会する), lapse and the wage-increase report of one establishment."""
    on = today()
    status = selectors.establishment_status(establishment, on)
    if status["membership"] is None:
        return None
    season = status["season"]
    may_manage = member_selectors.may_manage(request, establishment)
    withdrawal = status.get("withdrawal")
    return (
        "lifecycle/panel_establishment.html",
        {
            **status,
            "est": establishment,
            "today": on,
            "may_manage": may_manage,
            # the decisions the page shows as buttons (the template asks, it does not decide)
            "can_withdraw": status["membership"].is_active and not withdrawal and may_manage,
            "can_cancel_withdrawal": bool(withdrawal and withdrawal.is_pending and may_manage),
            "year_end": fiscal_year_end(season.previous_year)
            if season
            else fiscal_year_end(fiscal_year_of(on)),
        },
    )


def mypage_panel(request):
    """What needs doing (renewal answers, wage reports) across the user's establishments, soonest first."""
    items = selectors.todo_for_user(request.user, today())
    if not items:
        return None
    return ("lifecycle/panel_mypage.html", {"items": items})

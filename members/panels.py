"""Other apps add sections to My Page without members importing them (imports run one way).

An app calls register_establishment_panel(fn) in its AppConfig.ready(); fn(request, establishment) returns
(template_name, context) or None. Panels render in order of `order`."""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Panel:
    order: int
    render: Callable


_ESTABLISHMENT: list[Panel] = []
_MYPAGE: list[Panel] = []


def register_establishment_panel(fn, *, order: int = 50) -> None:
    if all(p.render is not fn for p in _ESTABLISHMENT):
        _ESTABLISHMENT.append(Panel(order, fn))
        _ESTABLISHMENT.sort(key=lambda p: p.order)


def register_mypage_panel(fn, *, order: int = 50) -> None:
    if all(p.render is not fn for p in _MYPAGE):
        _MYPAGE.append(Panel(order, fn))
        _MYPAGE.sort(key=lambda p: p.order)


def establishment_panels(request, establishment) -> list[tuple[str, dict]]:
    return [r for r in (p.render(request, establishment) for p in _ESTABLISHMENT) if r]


def mypage_panels(request) -> list[tuple[str, dict]]:
    return [r for r in (p.render(request) for p in _MYPAGE) if r]

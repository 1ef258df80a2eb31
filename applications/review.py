"""Other apps add what they know about an applicant to the staff review screen, without applications importing
them (imports run one way, as members.panels for My Page).

An app calls register_review_section(fn) in its AppConfig.ready(); fn(application) returns HTML (already
escaped, e.g. format_html) or None when it has nothing to say. Sections show in order of `order`."""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Section:
    order: int
    render: Callable


_SECTIONS: list[Section] = []


def register_review_section(fn, *, order: int = 50) -> None:
    if all(s.render is not fn for s in _SECTIONS):
        _SECTIONS.append(Section(order, fn))
        _SECTIONS.sort(key=lambda s: s.order)


def review_sections(application) -> list:
    return [html for html in (s.render(application) for s in _SECTIONS) if html]

"""One helper for every state machine: check the move against the model's dict, record it, audit it."""

from django.contrib.contenttypes.models import ContentType
from django.utils.translation import gettext as _

from jaim.errors import DomainError
from jaim.models import AuditEvent


def audit(obj, action: str, *, actor=None, from_status: str = "", to_status: str = "", note: str = ""):
    """Write one audit row about obj (call inside the transaction that made the change)."""
    return AuditEvent.objects.create(
        content_type=ContentType.objects.get_for_model(obj.__class__),
        object_id=str(obj.pk),
        action=action,
        actor=actor if (actor is not None and getattr(actor, "pk", None)) else None,
        from_status=from_status,
        to_status=to_status,
        note=note,
    )


def check_move(obj, to: str, *, transitions: dict, field: str = "status") -> str:
    """DomainError unless obj.<field> may move to `to`; the current value otherwise. Changes and writes nothing."""
    current = getattr(obj, field)
    if to not in transitions.get(current, ()):
        label = dict(obj._meta.get_field(field).choices)
        raise DomainError(
            _("「%(from)s」から「%(to)s」へは変更できません。")
            % {"from": label.get(current, current), "to": label.get(to, to)},
            code="illegal_transition",
        )
    return current


def move(obj, to: str, *, transitions: dict, actor=None, note: str = "", field: str = "status"):
    """Set obj.<field> to `to` if the move is legal, else DomainError. Writes the audit row; caller saves."""
    current = check_move(obj, to, transitions=transitions, field=field)
    setattr(obj, field, to)
    audit(obj, f"{field}:{to}", actor=actor, from_status=current, to_status=to, note=note)
    return obj


def choice_flags(*fields: str):
    """Class decorator: a read-only `is_<choice>` property for every choice of each named field
    (`Application.is_returned`, `Invoice.is_transfer`), so that templates ask the object — `{% if app.is_returned %}`
    — instead of comparing it with a code they would have to spell ("RETURNED"), which fails silently when misspelt.
    Two fields' choices may not produce the same name (refused at import)."""

    def decorate(cls):
        for field_name in fields:
            for value in cls._meta.get_field(field_name).choices:
                code = value[0]
                name = "is_" + str(code).lower().replace("-", "_")
                if hasattr(cls, name):
                    raise TypeError(f"{cls.__name__}.{name} exists already ({field_name}={code!r})")
                setattr(cls, name, property(lambda self, f=field_name, c=code: getattr(self, f) == c))
        return cls

    return decorate

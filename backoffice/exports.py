"""Any admin list as a file: the list's own changelist (filters, search, ordering as on screen) rebuilt with
`ModelAdmin.get_changelist_instance`, its columns (list_display) as the header, every matching row — not one page.

Installed on every ModelAdmin of the admin site by wrapping the site's registry (backoffice.apps): no app's
admin.py is edited. The button sits in the list's object tools."""

import datetime as dt
import html
import json
import re

from django.contrib.admin.utils import label_for_field, lookup_field
from django.db import models
from django.http import HttpRequest, QueryDict
from django.template.loader import select_template
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.translation import gettext as _

from jaim import tabular

# Query parameters of a changelist that are not about which rows are listed.
IGNORED_PARAMS = ("p", "all", "_facets", "_changelist_filters", "e")
CHANGELIST_TEMPLATE = "backoffice/admin/change_list_export.html"


def list_query(query_dict) -> str:
    """The filtering part of a changelist's query string."""
    q = query_dict.copy()
    for key in IGNORED_PARAMS:
        q.pop(key, None)
    return q.urlencode()


def build_request(user, query: str, path: str = "/") -> HttpRequest:
    """A GET request as the changelist would see it, for rebuilding a list outside a request (in a task)."""
    request = HttpRequest()
    request.method = "GET"
    request.path = request.path_info = path
    request.GET = QueryDict(query)
    request.user = user
    request.META = {"SERVER_NAME": "localhost", "SERVER_PORT": "80"}
    return request


def changelist(model_admin, request):
    """The changelist exactly as the admin builds it for this request (IncorrectLookupParameters if the query is
    not one the list accepts)."""
    return model_admin.get_changelist_instance(request)


def columns(cl) -> list[str]:
    return [name for name in cl.list_display if name != "action_checkbox"]


def headers(cl) -> list[str]:
    return ["ID"] + [
        strip_tags(str(label_for_field(name, cl.model, cl.model_admin))) or name for name in columns(cl)
    ]


def _plain(value) -> str:
    return html.unescape(strip_tags(str(value))).strip()


def _cell(f, attr, value, *, excel: bool):
    """One value as a file holds it: choices by their label, yes/no for booleans, local time, numbers as numbers."""
    if value is None:
        return ""
    if f is None:
        if getattr(attr, "boolean", False):
            return _("はい") if value else _("いいえ")
    elif getattr(f, "flatchoices", None):
        return str(dict(f.flatchoices).get(value, value))
    elif isinstance(f, models.BooleanField):
        return _("はい") if value else _("いいえ")
    elif isinstance(f, models.JSONField):
        return json.dumps(value, ensure_ascii=False, default=str)
    if isinstance(value, bool):
        return _("はい") if value else _("いいえ")
    if isinstance(value, dt.datetime):
        local = timezone.localtime(value) if timezone.is_aware(value) else value
        return local.replace(tzinfo=None, microsecond=0) if excel else local.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value if excel else value.isoformat()
    if isinstance(value, int | float):
        return value
    if isinstance(value, models.Model):
        return _plain(value)
    if hasattr(value, "all") and callable(value.all):  # a related manager
        return "、".join(_plain(v) for v in value.all())
    return _plain(value)


def rows(cl, *, excel: bool = False, chunk_size: int = 2000):
    """Every row of the list (all pages), in the list's order."""
    names = columns(cl)
    for obj in cl.queryset.iterator(chunk_size=chunk_size):
        out = [obj.pk]
        for name in names:
            try:
                f, attr, value = lookup_field(name, obj, cl.model_admin)
            except (AttributeError, models.ObjectDoesNotExist):
                f, attr, value = None, None, None
            out.append(_cell(f, attr, value, excel=excel))
        yield out


def write_csv(header: list[str], data) -> bytes:
    return tabular.csv_bytes(header, data)


def write_xlsx(header: list[str], data, *, title: str) -> bytes:
    return tabular.xlsx_bytes(header, data, sheet_title=title)


def render(cl, fmt: str, *, title: str) -> tuple[bytes, int]:
    """The file's bytes and the number of data rows."""
    count = 0

    def counted(source):
        nonlocal count
        for r in source:
            count += 1
            yield r

    if fmt == "xlsx":
        data = write_xlsx(headers(cl), counted(rows(cl, excel=True)), title=title)
    else:
        data = write_csv(headers(cl), counted(rows(cl)))
    return data, count


CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def download_name(opts, fmt: str) -> str:
    title = re.sub(r"[\\/:*?\"<>|\s]+", "_", str(opts.verbose_name_plural))
    return f"{title}_{timezone.localtime():%Y%m%d_%H%M}.{fmt}"


# --- installing the buttons on every ModelAdmin -----------------------------------------------------------------


def _default_templates(opts) -> list[str]:
    return [
        f"admin/{opts.app_label}/{opts.model_name}/change_list.html",
        f"admin/{opts.app_label}/change_list.html",
        "admin/change_list.html",
    ]


def add_export_buttons(model_admin) -> None:
    """Give one ModelAdmin the CSV / Excel buttons: its changelist renders through a template that extends the
    one it had (its own buttons stay) and adds ours, with the list's current filters in the links."""
    if getattr(model_admin, "_backoffice_exports", False):
        return
    opts = model_admin.model._meta
    parent = model_admin.change_list_template or _default_templates(opts)
    original_view = model_admin.changelist_view

    def changelist_view(request, extra_context=None):
        query = list_query(request.GET)
        suffix = f"?{query}" if query else ""
        templates = parent if isinstance(parent, list | tuple) else [parent]
        context = {
            "backoffice_parent_template": select_template(templates).template,
            **{
                f"backoffice_export_{fmt}": reverse(
                    "backoffice:export", args=[opts.app_label, opts.model_name, fmt]
                )
                + suffix
                for fmt in ("csv", "xlsx")
            },
            **(extra_context or {}),
        }
        return original_view(request, extra_context=context)

    model_admin.change_list_template = CHANGELIST_TEMPLATE
    model_admin.changelist_view = changelist_view
    model_admin._backoffice_exports = True

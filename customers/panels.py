"""Panels other apps add to the customer page's key figures, without customers importing them.

settings.CUSTOMER_PAGE_PANELS lists dotted paths to callables `(customer, request) -> result`:
- a dict {"title": str, "template": str, "context": dict} rendered with that template, or
  {"title": str, "html": str} (already escaped/safe HTML);
- a plain string (HTML) shown under no title;
- None when the panel has nothing for this customer (it is left out).
A panel that raises is logged and shown as unavailable, so a broken module never breaks the page.
When no panel shows anything, the page says "No survey answers yet".

settings.MY_WORK_PANELS lists dotted paths to callables `(request) -> {"title": str, "html": str} | None` shown
on My work under its summary (feedback: the customers needing attention, loaded by htmx); the same failure rule.

settings.CUSTOMER_LIST_COLUMNS lists dotted paths to callables `(request) -> [(name, django_tables2 Column)]`
added to the customer list and search results (customers.tables.CustomerTable), after its own columns. A column
reads an annotation the list's queryset already has (settings.CUSTOMER_API_EXTENSIONS, customers/extensions.py),
so it costs no query per row; an orderable one sorts by its `order(queryset, is_descending)` (nulls last, with a
tie-breaker so pages do not overlap). A callable that raises is logged and adds nothing.

settings.CUSTOMER_CASE_BADGES lists dotted paths to callables `(cases, request) -> {case id: HTML}` that add a
badge to a customer's listed cases (the recent resolved cases: their CSAT); one query per callable, whatever
the number of cases. A callable that raises is logged and adds nothing.
"""

import logging
from dataclasses import dataclass

from django.conf import settings
from django.template.loader import render_to_string
from django.utils.html import format_html
from django.utils.module_loading import import_string
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RenderedPanel:
    title: str
    html: str
    failed: bool = False


def customer_panels(customer, request) -> list[RenderedPanel]:
    panels = []
    for dotted in getattr(settings, "CUSTOMER_PAGE_PANELS", ()):
        try:
            result = import_string(dotted)(customer, request)
            if result is None:
                continue
            if isinstance(result, str):
                panels.append(RenderedPanel("", mark_safe(result)))  # noqa: S308 - the callable returns HTML
            elif "template" in result:
                html = render_to_string(result["template"], result.get("context") or {}, request=request)
                panels.append(RenderedPanel(str(result.get("title", "")), mark_safe(html)))  # noqa: S308
            else:
                panels.append(RenderedPanel(str(result.get("title", "")), mark_safe(result.get("html", ""))))  # noqa: S308
        except Exception:  # a broken panel must not break the customer page
            logger.exception("customer page panel %s failed for customer %s", dotted, customer.pk)
            panels.append(
                RenderedPanel(dotted.rsplit(".", 1)[-1], format_html("{}", _("Unavailable right now.")), True)
            )
    return panels


def case_badges(cases, request) -> dict[int, list[str]]:
    """{case id: [badge HTML, …]} from settings.CUSTOMER_CASE_BADGES for these cases (see the module docstring)."""
    cases = list(cases)
    badges: dict[int, list[str]] = {}
    if not cases:
        return badges
    for dotted in getattr(settings, "CUSTOMER_CASE_BADGES", ()):
        try:
            found = import_string(dotted)(cases, request) or {}
        except Exception:  # a broken module must not break the customer page
            logger.exception("case badges %s failed", dotted)
            continue
        for case_id, html in found.items():
            badges.setdefault(case_id, []).append(mark_safe(html))  # noqa: S308 - the callable returns HTML
    return badges


def customer_list_columns(request) -> list[tuple]:
    """[(name, Column)] of settings.CUSTOMER_LIST_COLUMNS for this request (see the module docstring)."""
    columns = []
    for dotted in getattr(settings, "CUSTOMER_LIST_COLUMNS", ()):
        try:
            columns.extend(import_string(dotted)(request) or [])
        except Exception:  # a broken module must not break the customer list
            logger.exception("customer list columns %s failed", dotted)
    return columns


def my_work_panels(request) -> list[RenderedPanel]:
    """The panels of settings.MY_WORK_PANELS for this request (see the module docstring)."""
    panels = []
    for dotted in getattr(settings, "MY_WORK_PANELS", ()):
        try:
            result = import_string(dotted)(request)
            if result is not None:
                panels.append(RenderedPanel(str(result.get("title", "")), mark_safe(result.get("html", ""))))  # noqa: S308
        except Exception:  # a broken module must not break My work
            logger.exception("My work panel %s failed", dotted)
    return panels

"""The navigation every page shows, filtered by what the user may use.

Items name a URL and the permission it needs; an item whose URL is not (yet)
installed is left out, so the menu grows as apps add pages.
"""

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class NavItem:
    label: str  # lazy: translated when shown
    url_name: str
    icon: str
    permission: str | None = None  # None: any signed-in user
    staff_only: bool = False


NAV_ITEMS = (
    NavItem(_("My work"), "customers:my_work", "inbox", "customers.view_case"),
    NavItem(_("Customers"), "customers:customer_list", "people", "customers.view_customer"),
    NavItem(_("Cases"), "customers:case_list", "life-preserver", "customers.view_case"),
    NavItem(_("Journeys"), "journeys:map_list", "signpost-split", "journeys.view_journeymap"),
    NavItem(_("Surveys"), "feedback:survey_list", "ui-radios", "feedback.view_survey"),
    NavItem(_("Reports"), "feedback:report_overview", "graph-up", "feedback.view_reports"),
    NavItem(_("Campaigns"), "feedback:report_campaigns", "megaphone", "feedback.view_marketing_reports"),
    NavItem(_("My figures"), "feedback:report_mine", "person-badge", "feedback.view_own_reports"),
    NavItem(_("API"), "api-docs", "braces", None),
    NavItem(_("Admin"), "admin:index", "gear", None, staff_only=True),
)


def nav_for(user) -> list[dict]:
    if not user.is_authenticated:
        return []
    items = []
    for item in NAV_ITEMS:
        if item.staff_only and not user.is_staff:
            continue
        if item.permission and not user.has_perm(item.permission):
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue
        items.append({"label": item.label, "url": url, "icon": item.icon, "url_name": item.url_name})
    # "My figures" is for reps; managers already see every report.
    names = {i["url_name"] for i in items}
    if "feedback:report_overview" in names:
        items = [i for i in items if i["url_name"] != "feedback:report_mine"]
    return items

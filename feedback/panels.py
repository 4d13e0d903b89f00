"""The customer page's CX key figures (registered in settings.CUSTOMER_PAGE_PANELS; see customers/panels.py)."""

from django.utils.translation import gettext as _

from . import selectors
from .choices import SurveyKind
from .scales import SCALES, is_detractor


def customer_scores_panel(customer, request):
    """Latest NPS, CSAT and CES with their dates; None (nothing shown) without answers or the right to see them."""
    if request is not None and not request.user.has_perm("feedback.view_response"):
        return None
    latest = selectors.latest_scores_for_customer(customer)
    if not latest:
        return None
    tiles = []
    for kind in (SurveyKind.NPS, SurveyKind.CSAT, SurveyKind.CES):
        response = latest.get(kind)
        tiles.append(
            {
                "kind": kind,
                "label": kind.upper(),
                "response": response,
                "scale": SCALES[kind].scale_range,
                "detractor": response is not None and is_detractor(kind, response.score),
            }
        )
    return {"title": _("Customer experience"), "template": "feedback/panels/scores.html", "context": {"tiles": tiles}}

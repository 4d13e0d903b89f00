"""The public survey page in headless chromium: answered with the keyboard alone on a phone-sized screen."""

import pytest
from django.utils import timezone

from customers.tests.factories import CustomerFactory
from feedback.choices import InvitationStatus
from feedback.models import Response
from feedback.tests.factories import InvitationFactory, SurveyFactory
from feedback.tokens import survey_url

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_a_customer_answers_with_the_keyboard_on_a_phone(browser_page):
    page = browser_page
    page.set_viewport_size({"width": 360, "height": 740})
    invitation = InvitationFactory(
        survey=SurveyFactory(kind="nps"),
        customer=CustomerFactory(first_name="Lucía", language="es"),
        status=InvitationStatus.SENT,
        sent_at=timezone.now(),
    )
    page.goto(page.base_url + survey_url(invitation.pk, score=7, absolute=False))
    assert page.locator("h1").count() == 1
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    assert page.locator("input[type=radio]:checked").get_attribute("value") == "7"

    page.keyboard.press("Tab")  # the skip link
    assert page.evaluate("document.activeElement.textContent.trim()") == "Ir a la encuesta"
    page.keyboard.press("Tab")  # into the score group, on the selected score
    assert page.evaluate("document.activeElement.value") == "7"
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    assert page.locator("input[type=radio]:checked").get_attribute("value") == "5"
    page.keyboard.press("Tab")  # the comment box
    page.keyboard.type("Regular, la entrega llegó tarde.")
    page.keyboard.press("Tab")  # the submit button
    assert page.evaluate("document.activeElement.type") == "submit"
    page.keyboard.press("Enter")
    page.wait_for_selector("[data-testid=thanks]")
    assert page.inner_text("[data-testid=thanks]") == "¡Gracias!"

    response = Response.objects.get()
    assert (response.score, response.comment, response.language) == (5, "Regular, la entrega llegó tarde.", "es")


@pytest.mark.parametrize(("kind", "rows"), [("ces", 1), ("nps", 2)])
def test_score_buttons_are_all_the_same_size_on_a_phone(browser_page, kind, rows):
    """A scale that wraps keeps equal buttons (a stretched last one reads as a different answer);
    the 1–7 effort scale fits on one row of a 390-pixel phone."""
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    invitation = InvitationFactory(
        survey=SurveyFactory(kind=kind), status=InvitationStatus.SENT, sent_at=timezone.now()
    )
    page.goto(page.base_url + survey_url(invitation.pk, absolute=False))

    boxes = page.evaluate(
        "() => Array.from(document.querySelectorAll('.score-btn')).map(label => {"
        " const box = label.getBoundingClientRect(); return [Math.round(box.width), Math.round(box.top)]; })"
    )
    assert len({width for width, _top in boxes}) == 1
    assert boxes[0][0] >= 40 and len({top for _width, top in boxes}) == rows
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")

"""The journeys admin in headless chromium, as a marketer uses it: a map built from scratch in the
nested inlines, stages and touchpoints reordered by dragging (django-nested-admin's handles),
published, cloned, edited, republished, and read on the map page."""

import pytest

from journeys.choices import MapStatus
from journeys.models import JourneyMap

from .factories import JourneyMapFactory, StageFactory, TouchpointFactory, build_map

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

ADMIN = "/admin/journeys/journeymap/"


def drag_above(page, handle, target):
    """Press on a nested-admin drag handle and move the mouse in steps until the item sits above `target`."""
    handle.scroll_into_view_if_needed()
    box = handle.bounding_box()
    x, y = box["x"] + 4, box["y"] + min(6, box["height"] / 2)
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x, y - 10)  # jQuery UI sortable starts after a small move
    page.mouse.move(x, y)
    page.wait_for_selector(".ui-sortable-helper")
    top = target.bounding_box()["y"]
    page.mouse.move(x, top - 5, steps=25)
    page.mouse.move(x, top - 8, steps=3)
    page.mouse.up()
    page.wait_for_selector(".ui-sortable-helper", state="detached")


def run_action(page, journey_map, action):
    page.goto(page.base_url + ADMIN)
    page.check(f"input[name=_selected_action][value='{journey_map.pk}']")
    page.select_option("select[name=action]", action)
    page.click("button[name=index]")
    page.wait_for_load_state()
    return page.inner_text("ul.messagelist")


def status_in_changelist(page, journey_map):
    row = page.locator("#result_list tbody tr", has=page.locator(f"input[value='{journey_map.pk}']"))
    return row.locator("td.field-status").inner_text()


def test_marketer_builds_reorders_clones_edits_and_publishes_a_map(browser_login, marketer_user):
    page = browser_login("marketer")
    # A tall window keeps both stages in view while dragging.
    page.set_viewport_size({"width": 1360, "height": 2400})

    # A persona first.
    page.goto(page.base_url + "/admin/journeys/persona/add/")
    page.fill("#id_name", "Vera the shopper")
    page.fill("#id_summary", "Buys online, hates waiting")
    page.check("input[name=preferred_channels][value=email]")
    page.click("input[name=_save]")
    assert "was added successfully" in page.inner_text("ul.messagelist")

    # A map with two stages and their touchpoints, all in the nested inlines; persona by autocomplete.
    page.goto(page.base_url + ADMIN + "add/")
    page.fill("#id_name", "Retail")
    page.click(".field-persona .select2-selection")
    page.fill(".select2-search__field", "Vera")
    page.click(".select2-results__option:has-text('Vera the shopper')")
    stages = [
        ("Awareness", "1", [("Social ad", "r-ad", "social"), ("Newsletter", "r-news", "email")]),
        ("Purchase", "-1", [("Checkout", "r-checkout", "web")]),
    ]
    for i, (stage, emotion, touchpoints) in enumerate(stages):
        page.click("text=Add another Journey Stage")
        page.fill(f"#id_stages-{i}-name", stage)
        page.fill(f"#id_stages-{i}-emotion_score", emotion)
        page.fill(f"#id_stages-{i}-customer_goal", f"Goal of {stage}")
        for j, (name, key, channel) in enumerate(touchpoints):
            page.locator(f"#stages-{i}").get_by_text("Add another Touchpoint").click()
            page.fill(f"#id_stages-{i}-touchpoints-{j}-name", name)
            page.fill(f"#id_stages-{i}-touchpoints-{j}-key", key)
            page.select_option(f"#id_stages-{i}-touchpoints-{j}-channel", channel)
    page.click("input[name=_continue]")
    assert "was added successfully" in page.inner_text("ul.messagelist")
    original = JourneyMap.objects.get(name="Retail")
    assert (original.persona.name, original.owner, original.status) == ("Vera the shopper", marketer_user, "draft")

    # Reorder by dragging: Purchase above Awareness, Newsletter above Social ad.
    drag_above(page, page.locator("#stages-1 > h3"), page.locator("#stages-0 > h3"))
    assert page.input_value("#id_stages-1-position") == "0"
    drag_above(page, page.locator("#stages-0-touchpoints-1 .djn-drag-handler"), page.locator("#stages-0-touchpoints-0"))
    assert page.input_value("#id_stages-0-touchpoints-1-position") == "0"
    page.click("input[name=_continue]")
    assert "was changed successfully" in page.inner_text("ul.messagelist")
    headings = page.locator("#stages-group .djn-item > h3 .inline_label").all_inner_texts()
    assert headings == ["Purchase", "Awareness"]
    awareness = page.locator(".djn-item", has=page.locator("h3", has_text="Awareness"))
    assert [awareness.locator(f"input[name$='touchpoints-{j}-name']").input_value() for j in range(2)] == [
        "Newsletter",
        "Social ad",
    ]

    # Publish, clone, rename a touchpoint in the clone, publish the clone.
    assert "Published “Retail v1”" in run_action(page, original, "publish_maps")
    assert "Cloned into the draft “Retail v2”" in run_action(page, original, "clone_maps")
    clone = JourneyMap.objects.get(name="Retail", version=2)
    page.click(f"#result_list a[href$='/{clone.pk}/change/']")
    checkout = page.locator("input[name$='-name'][value='Checkout']")
    checkout.fill("One-click checkout")
    page.click("input[name=_continue]")
    assert "was changed successfully" in page.inner_text("ul.messagelist")
    assert "Published “Retail v2”" in run_action(page, clone, "publish_maps")
    assert status_in_changelist(page, original) == "Archived"
    assert status_in_changelist(page, clone) == "Published"
    original.refresh_from_db()
    assert original.touchpoints.filter(name="Checkout").exists()  # the original kept its name

    # The map page, from the clone's "View map" link.
    page.set_viewport_size({"width": 1360, "height": 900})
    row = page.locator("#result_list tbody tr", has=page.locator(f"input[value='{clone.pk}']"))
    view_map = row.get_by_role("link", name="View map")
    results = page.locator(".results").bounding_box()
    assert view_map.bounding_box()["x"] + view_map.bounding_box()["width"] <= results["x"] + results["width"]
    view_map.click()
    page.wait_for_selector("[data-testid=journey-grid]")
    assert page.locator("h1").inner_text().startswith("Retail v2")
    assert page.locator("th.stage-head").all_inner_texts() == ["Purchase", "Awareness"]
    assert page.locator("[data-row=goal] td").all_inner_texts() == ["Goal of Purchase", "Goal of Awareness"]
    cards = page.locator("[data-row=touchpoints] td").nth(1).locator(".tp-card .fw-semibold").all_inner_texts()
    assert cards == ["Newsletter", "Social ad"]  # groups follow the touchpoint order
    assert "One-click checkout" in page.locator("[data-row=touchpoints] td").first.inner_text()
    assert page.locator("[data-testid=persona]").inner_text() == "Vera the shopper"


def test_validation_says_what_to_fix(browser_login, marketer_user):
    live = JourneyMapFactory(name="Support", status=MapStatus.PUBLISHED)
    TouchpointFactory(stage=StageFactory(journey_map=live, name="Contact"), name="Live chat", key="support-chat")
    page = browser_login("marketer")
    page.goto(page.base_url + ADMIN + "add/")
    page.fill("#id_name", "Web shop")
    for i, (stage, touchpoints) in enumerate(
        [("First", [("A", "same")]), ("Second", [("B", "same"), ("C", "support-chat")])]
    ):
        page.click("text=Add another Journey Stage")
        page.fill(f"#id_stages-{i}-name", stage)
        for j, (name, key) in enumerate(touchpoints):
            page.locator(f"#stages-{i}").get_by_text("Add another Touchpoint").click()
            page.fill(f"#id_stages-{i}-touchpoints-{j}-name", name)
            page.fill(f"#id_stages-{i}-touchpoints-{j}-key", key)
            page.select_option(f"#id_stages-{i}-touchpoints-{j}-channel", "web")
    page.click("input[name=_save]")

    assert "Please correct the errors below." in page.inner_text("#content")
    errors = page.locator("#stages-1-touchpoints-group .errorlist").all_inner_texts()
    assert "Key “same” is already used in this map by touchpoint “A” in stage “First”." in errors
    assert (
        "Key “support-chat” is already used by the published map “Support v1”, stage “Contact” "
        "(touchpoint “Live chat”)." in errors
    )
    # What the marketer typed is still there to fix.
    assert page.input_value("#id_stages-1-touchpoints-1-key") == "support-chat"
    assert not JourneyMap.objects.filter(name="Web shop").exists()

    # Publishing a map without a touchpoint.
    bare = JourneyMapFactory(name="Bare")
    StageFactory(journey_map=bare, name="Only stage")
    message = run_action(page, bare, "publish_maps")
    assert message == "“Bare v1” cannot be published: it needs at least one stage with one touchpoint."
    assert status_in_changelist(page, bare) == "Draft"


def test_reps_and_managers_read_maps_in_the_admin_but_cannot_edit(browser_login, rep_user, manager_user):
    journey_map = JourneyMapFactory(name="Readonly")
    TouchpointFactory(stage=StageFactory(journey_map=journey_map, name="Awareness"), name="Ad", key="ro-ad")
    for username in ("rep", "manager"):
        page = browser_login(username)
        page.goto(page.base_url + ADMIN)
        assert page.locator("#result_list").get_by_text("Readonly").count() == 1
        assert page.locator("select[name=action]").count() == 0  # no clone, publish or archive
        assert page.get_by_role("link", name="Add journey map").count() == 0
        page.goto(page.base_url + ADMIN + f"{journey_map.pk}/change/")
        content = page.inner_text("#content")
        assert "View journey map" in content and "Awareness" in content and "ro-ad" in content
        fields = page.locator("#content form").locator("input:not([type=hidden]), textarea, select")
        assert fields.count() == 0
        assert page.locator("input[name=_save]").count() == 0
        assert page.get_by_text("Add another Journey Stage").is_hidden()
        # Nothing to drag on a page that cannot be saved.
        assert page.locator(".djn-drag-handler").count() == 0
        page.context.clear_cookies()


def test_map_page_fits_a_phone_and_prints_on_landscape_pages(browser_login, rep_user):
    journey_map = build_map(stages=8, touchpoints_per_stage=2)
    page = browser_login("rep")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(page.base_url + journey_map.get_absolute_url())
    assert page.evaluate("document.documentElement.scrollWidth") == 390  # the grid scrolls in its own box
    page.evaluate("document.querySelector('.journey-scroll').scrollLeft = 600")
    label = page.locator("[data-row=touchpoints] th.row-label").bounding_box()
    box = page.locator(".journey-scroll").bounding_box()
    assert abs(label["x"] - box["x"]) < 2  # row labels stay in view while the stages scroll

    # Print: A4 landscape, 8 mm margins -> 281 mm (1062 CSS px) of width for all eight stages.
    page.set_viewport_size({"width": 1062, "height": 750})
    page.emulate_media(media="print")
    assert page.locator("nav.navbar").is_hidden() and page.locator("[data-testid=period-form]").is_hidden()
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(255, 255, 255)"
    grid = page.locator("[data-testid=journey-grid]").bounding_box()
    assert grid["x"] >= 0 and grid["x"] + grid["width"] <= 1062
    assert page.evaluate("document.documentElement.scrollWidth") <= 1062
    pdf = page.pdf(prefer_css_page_size=True)
    assert b"/MediaBox [0 0 841.91998 594.95996]" in pdf  # A4, landscape


def test_stages_fold_to_their_headers_and_a_folded_map_still_saves(browser_login, marketer_user):
    journey_map = build_map(stages=3, touchpoints_per_stage=2)
    page = browser_login("marketer")
    page.goto(f"{page.base_url}{ADMIN}{journey_map.pk}/change/")
    first, second = page.locator("#stages-0"), page.locator("#stages-1")
    name = page.locator("#id_stages-1-name")
    assert name.is_visible()

    page.get_by_role("button", name="Fold all stages").click()
    assert not name.is_visible() and not page.locator("#id_stages-0-touchpoints-0-key").is_visible()
    assert "Stage 1 · 2 touchpoints" in " ".join(second.locator("h3").inner_text().split())
    assert second.get_by_role("button", name="Unfold").get_attribute("aria-expanded") == "false"

    first.get_by_role("button", name="Unfold").click()  # one stage back
    assert page.locator("#id_stages-0-name").is_visible() and not name.is_visible()

    # folded fields are still sent: an edit in an unfolded stage saves, the folded ones are kept
    page.fill("#id_stages-0-name", "Discover")
    page.click("input[name=_continue]")
    page.wait_for_load_state()
    assert "was changed successfully" in page.inner_text("ul.messagelist")
    names = list(journey_map.stages.order_by("position").values_list("name", flat=True))
    assert names == ["Discover", "Stage 1", "Stage 2"]
    assert journey_map.touchpoints.count() == 6

    # a stage with an error stays open when everything is folded, so the error is seen
    page.fill("#id_stages-2-touchpoints-0-key", journey_map.touchpoints.order_by("pk").first().key)
    page.click("input[name=_continue]")
    page.wait_for_load_state()
    page.get_by_role("button", name="Fold all stages").click()
    assert page.locator("#id_stages-2-touchpoints-0-key").is_visible()
    assert not page.locator("#id_stages-1-name").is_visible()

    # a stage added while the others are folded comes open, with its own fold button
    page.click("text=Add another Journey Stage")
    added = page.locator("#stages-3")
    assert page.locator("#id_stages-3-name").is_visible()
    assert added.get_by_role("button", name="Fold").get_attribute("aria-expanded") == "true"


def test_a_position_typed_by_hand_orders_the_stages_and_touchpoints(browser_login, marketer_user):
    journey_map = build_map(stages=3, touchpoints_per_stage=2)
    page = browser_login("marketer")
    page.goto(f"{page.base_url}{ADMIN}{journey_map.pk}/change/")
    page.fill("#id_stages-2-position", "0")  # Stage 2 first, tied with Stage 0: the row order breaks the tie
    page.fill("#id_stages-1-touchpoints-0-position", "5")  # Touchpoint 1.0 last
    page.click("input[name=_continue]")
    page.wait_for_load_state()
    assert "was changed successfully" in page.inner_text("ul.messagelist")
    stages = list(journey_map.stages.order_by("position").values_list("name", "position"))
    assert stages == [("Stage 0", 0), ("Stage 2", 1), ("Stage 1", 2)]
    stage_1 = journey_map.stages.get(name="Stage 1")
    touchpoints = list(stage_1.touchpoints.order_by("position").values_list("name", "position"))
    assert touchpoints == [("Touchpoint 1.1", 0), ("Touchpoint 1.0", 1)]
    assert page.locator("#stages-group .djn-item > h3 .inline_label").all_inner_texts() == [
        "Stage 0",
        "Stage 2",
        "Stage 1",
    ]


def test_every_touchpoint_field_fits_the_window_at_1366_px(browser_login, marketer_user):
    """Description and targets wrap to a second line of the touchpoint (each with its column's label) instead
    of running past the window, and a touchpoint added on the page gets the same labels."""
    journey_map = build_map(stages=2, touchpoints_per_stage=2)
    page = browser_login("marketer")
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(f"{page.base_url}{ADMIN}{journey_map.pk}/change/")
    page.locator("#stages-0 .djn-add-handler").first.click()
    fields = page.locator("[id^='id_stages-0-touchpoints-']:not([type=hidden])")
    overflowing = page.evaluate(
        """(ids) => ids.map(id => document.getElementById(id)).filter(el => el && el.offsetParent !== null)
               .filter(el => el.getBoundingClientRect().right > window.innerWidth)
               .map(el => el.id)""",
        fields.evaluate_all("els => els.map(el => el.id)"),
    )
    assert overflowing == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    labels = page.locator("#stages-0 td.field-target_csat").evaluate_all(
        "tds => tds.filter(td => td.offsetParent !== null).map(td => td.dataset.label)"
    )
    assert labels == ["CSAT target (%)"] * 3  # the two touchpoints and the one just added

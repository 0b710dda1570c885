"""Entering records: a sale with a customer chosen by type-ahead and a line, validation
errors shown next to their fields and fixed, and the form walked with the keyboard."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import SignedIn, screenshot


def choose(page: Page, field, text: str, option: str, keyboard: bool = False) -> None:
    """Type ``text`` in a type-ahead ``field`` and pick ``option`` from its suggestions."""
    field.click()
    field.press_sequentially(text, delay=30)
    suggestions = page.locator(f"[id='{field.get_attribute('aria-controls')}']")
    expect(suggestions).to_have_attribute("role", "listbox")
    choice = suggestions.get_by_role("option", name=re.compile(re.escape(option)))
    expect(choice.first).to_be_visible()
    if keyboard:
        field.press("ArrowDown")
        expect(choice.first).to_have_attribute("aria-selected", "true")
        field.press("Enter")
    else:
        choice.first.click()
    expect(suggestions).to_be_hidden()
    expect(field).to_have_value(re.compile(re.escape(option)))


def error_of(page: Page, field):
    """The error message an input points at with ``aria-describedby``."""
    described = (field.get_attribute("aria-describedby") or "").split()
    errors = [i for i in described if i.endswith("error")]
    assert errors, f"the input points at no error message (aria-describedby={described})"
    return page.locator(f"[id='{errors[0]}']")


def lines(page: Page):
    """The rows of the form's child table (the sale's lines)."""
    return page.locator("[data-lines] tbody tr")


def fill_line(page: Page, row, product: str, typed: str, quantity: str,
              unit_price: str | None = None) -> None:
    choose(page, row.get_by_role("combobox", name="Product"), typed, product)
    row.get_by_role("textbox", name="Quantity").fill(quantity)
    if unit_price is not None:
        row.get_by_role("textbox", name="Unit price").fill(unit_price)


def test_create_a_sale_with_a_line_and_a_customer_chosen_by_type_ahead(signed_in: SignedIn) -> None:
    page = signed_in("carla")
    page.goto("/app/sale")
    page.get_by_role("link", name=re.compile(r"^New")).click()
    expect(page).to_have_url(re.compile(r"/app/sale/new$"))
    expect(page.get_by_role("heading", name="New Sale")).to_be_visible()

    page.get_by_label("Subject").fill("Hinges for Rossi")
    choose(page, page.get_by_role("combobox", name="Customer"), "bottega", "Bottega Rossi",
           keyboard=True)

    # The form offers one empty line; fill it, add a second one and fill that too.
    fill_line(page, lines(page).first, "Hinge", "hin", "4", "2.50")
    count = lines(page).count()
    page.get_by_role("button", name="Add line").click()
    expect(lines(page)).to_have_count(count + 1)
    fill_line(page, lines(page).last, "Bolt", "bol", "10", "0.50")
    screenshot(page, "form")

    page.get_by_role("button", name="Save").click()

    expect(page).to_have_url(re.compile(r"/app/sale/\d+$"))
    expect(page.get_by_role("heading", name=re.compile("Hinges for Rossi"))).to_be_visible()
    main = page.get_by_role("main")
    expect(main.get_by_role("link", name="Bottega Rossi")).to_be_visible()
    hinge = main.get_by_role("row").filter(has_text="Hinge")
    expect(hinge).to_have_count(1)
    expect(hinge).to_contain_text("4")
    expect(hinge).to_contain_text("€10.00")
    bolt = main.get_by_role("row").filter(has_text="Bolt")
    expect(bolt).to_have_count(1)
    expect(bolt).to_contain_text("€5.00")
    expect(main).to_contain_text("€15.00")  # the sale's total
    screenshot(page, "detail")

    # The customer's page lists the sale among the records that link to it.
    main.get_by_role("link", name="Bottega Rossi").click()
    expect(page.get_by_role("heading", name=re.compile("Bottega Rossi"))).to_be_visible()
    related = page.get_by_role("region", name="Related records")
    expect(related.get_by_role("row").filter(has_text="Hinges for Rossi")).to_have_count(1)


def test_a_validation_error_is_shown_next_to_its_field_and_fixed(signed_in: SignedIn) -> None:
    page = signed_in("carla")
    page.goto("/app/customer/new")
    page.get_by_label("Company").fill("Nuova Ditta")
    page.get_by_label("VAT").fill("IT01")  # ACME's: VAT numbers are unique
    page.get_by_label("City").fill("Bari")
    page.get_by_role("button", name="Save").click()

    # Still the form, with the message by the VAT field and everything typed kept.
    vat = page.get_by_label("VAT")
    expect(vat).to_have_attribute("aria-invalid", "true")
    message = error_of(page, vat)
    expect(message).to_be_visible()
    expect(message).to_contain_text(re.compile("already|unique|exists", re.I))
    expect(page.get_by_label("Company")).to_have_value("Nuova Ditta")
    expect(page.get_by_label("City")).to_have_value("Bari")
    expect(vat).to_have_value("IT01")
    screenshot(page, "form-error")

    vat.fill("IT77")
    page.get_by_role("button", name="Save").click()
    expect(page).to_have_url(re.compile(r"/app/customer/\d+$"))
    expect(page.get_by_role("heading", name=re.compile("Nuova Ditta"))).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text("IT77")


def test_a_bad_number_then_an_empty_required_field(signed_in: SignedIn) -> None:
    page = signed_in("carla")
    page.goto("/app/sale/new")
    choose(page, page.get_by_role("combobox", name="Customer"), "zeta", "Zeta Impianti")
    fill_line(page, lines(page).first, "Screwdriver", "screw", "two")
    # Past the browser's own check of the empty subject, so the server's messages show.
    page.locator("form[data-record-form]").evaluate("form => { form.noValidate = true; }")
    page.get_by_role("button", name="Save").click()

    quantity = lines(page).first.get_by_role("textbox", name="Quantity")
    expect(quantity).to_have_attribute("aria-invalid", "true")
    expect(error_of(page, quantity)).to_contain_text("Not a valid number")
    expect(quantity).to_have_value("two")
    expect(page.get_by_role("alert")).to_contain_text("Quantity")
    expect(page.get_by_role("combobox", name="Customer")).to_have_value("Zeta Impianti")
    expect(lines(page).first.get_by_role("combobox", name="Product")).to_have_value(
        "Screwdriver")
    screenshot(page, "form-bad-number")

    quantity.fill("2")
    page.locator("form[data-record-form]").evaluate("form => { form.noValidate = true; }")
    page.get_by_role("button", name="Save").click()
    subject = page.get_by_label("Subject")
    expect(subject).to_have_attribute("aria-invalid", "true")
    expect(error_of(page, subject)).to_contain_text(re.compile("required", re.I))
    expect(lines(page).first.get_by_role("textbox", name="Quantity")).to_have_value("2")

    subject.fill("Two screwdrivers")
    page.get_by_role("button", name="Save").click()
    expect(page).to_have_url(re.compile(r"/app/sale/\d+$"))
    expect(page.get_by_role("heading", name=re.compile("Two screwdrivers"))).to_be_visible()
    row = page.get_by_role("main").get_by_role("row").filter(has_text="Screwdriver")
    expect(row).to_contain_text("2")
    expect(page.get_by_role("main").get_by_role("link", name="Zeta Impianti")).to_be_visible()


def test_tab_walks_the_form_fields_to_the_save_button(signed_in: SignedIn) -> None:
    page = signed_in("carla")
    page.goto("/app/customer/new")
    page.get_by_label("Company").fill("Tabbed Ltd")
    reached = []
    for _ in range(30):
        focused = page.evaluate(
            "() => { const e = document.activeElement;"
            " return e.labels && e.labels.length ? e.labels[0].innerText.trim()"
            " : (e.innerText || e.value || e.name || '').trim(); }")
        reached.append(focused)
        if focused == "Save":
            break
        page.keyboard.press("Tab")
    assert reached[-1] == "Save", f"Tab never reached Save: {reached}"
    for label in ("Company", "VAT", "City", "Kind"):
        assert any(r.lower().startswith(label.lower()) for r in reached), \
            f"{label} skipped: {reached}"
    firsts = [r.split()[0].lower() for r in reached if r]
    assert [w for w in firsts if w in ("company", "vat", "city", "kind")] == \
        ["company", "vat", "city", "kind"], reached

    # Enter on the focused button saves: the form is usable without a mouse.
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/app/customer/\d+$"))
    expect(page.get_by_role("heading", name=re.compile("Tabbed Ltd"))).to_be_visible()

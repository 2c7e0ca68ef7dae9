"""A whole home visit driven as an adviser would, checking the screen and the services."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

from pytestqt.qtbot import QtBot

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWizard

from sp_desktop.domain.choices import Consent, ReferralStatus, VisitStatus
from sp_desktop.domain.wellbeing import Ons4Item
from sp_desktop.store.database import store_exists

from sp_desktop.ui.dialogs.person_details import PersonDetailsDialog
from sp_desktop.ui.dialogs.referral import ReferralDialog
from sp_desktop.ui.dialogs.unlock import UnlockDialog
from sp_desktop.ui.main_window import MainWindow

from .conftest import PASSPHRASE
from .helpers import (
    WAIT_MS,
    click,
    go_to_section,
    press,
    settle,
    shortcut,
    type_into,
    wait_for,
)

NOTES_CONNECTION = "Sees her daughter on Sundays; the weekdays feel long since Ray died."
NOTES_MONEY = "Worried about the heating bill this winter."
WHAT_MATTERS = "Getting out of the house and having someone to talk to."


def first_run(qtbot: QtBot, window: MainWindow) -> str:
    window.start()
    qtbot.waitUntil(lambda: window.first_run is not None and window.first_run.isVisible())
    wizard = window.first_run
    assert wizard is not None
    type_into(qtbot, wizard.about.name, "Jo Adams")
    type_into(qtbot, wizard.about.team, "North")
    click(qtbot, wizard.button(QWizard.WizardButton.NextButton))
    choice = wizard.passphrase.choice
    type_into(qtbot, choice.first, "jo")
    assert "Very weak" in choice.meter.format() or "Weak" in choice.meter.format()
    assert not wizard.button(QWizard.WizardButton.CommitButton).isEnabled()
    choice.first.clear()
    type_into(qtbot, choice.first, PASSPHRASE)
    type_into(qtbot, choice.second, PASSPHRASE)
    assert choice.meter.format().startswith("Strength: ") and "strong" in choice.meter.format()
    click(qtbot, wizard.button(QWizard.WizardButton.CommitButton))
    qtbot.waitUntil(lambda: wizard.currentPage() is wizard.recovery, timeout=WAIT_MS)
    key = wizard.recovery.key.text()
    assert re.fullmatch(r"([A-Z2-7]{4}-){7}[A-Z2-7]{4}", key)
    assert any("not be shown again" in t.text() for t in wizard.recovery.findChildren(QLabel))
    finish = wizard.button(QWizard.WizardButton.FinishButton)
    assert not finish.isEnabled(), "the key must be kept before carrying on"
    wizard.reject()  # closing now would lose the key: refused
    assert wizard.isVisible()
    click(qtbot, wizard.recovery.kept)
    click(qtbot, finish)
    qtbot.waitUntil(lambda: window.session.is_unlocked, timeout=WAIT_MS)
    settle(window, qtbot)
    return key


def test_a_whole_home_visit(qtbot: QtBot, window: MainWindow, data_dir: Path) -> None:
    # --- first run ---------------------------------------------------------------------------
    first_run(qtbot, window)
    assert store_exists(data_dir)
    assert window.stack.currentWidget() is window.caseload
    assert window.caseload.empty.isVisible()
    assert "No one is on your caseload yet" in window.caseload.empty.text()
    assert window.lock_state.text() == "Unlocked — working as Jo Adams"

    # --- lock, then unlock (a wrong passphrase first) ------------------------------------
    shortcut(qtbot, window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert not window.session.is_unlocked
    assert window.stack.currentWidget() is window.locked_screen
    assert window.lock_state.text().startswith("Locked")
    click(qtbot, window.locked_screen.unlock_button)
    unlock = wait_for(qtbot, window, UnlockDialog)
    type_into(qtbot, unlock.passphrase, "kettle violet harbour fork")
    press(qtbot, unlock.passphrase, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: unlock.field.error.isVisible(), timeout=WAIT_MS)
    assert "did not unlock" in unlock.field.error.text()
    assert unlock.isVisible() and not window.session.is_unlocked
    unlock.passphrase.clear()
    type_into(qtbot, unlock.passphrase, PASSPHRASE)
    click(qtbot, unlock.unlock_button)
    qtbot.waitUntil(lambda: window.session.is_unlocked, timeout=WAIT_MS)
    settle(window, qtbot)

    # --- a new person, with an NHS number that fails its check --------------------------
    click(qtbot, window.caseload.add_button)
    details = wait_for(qtbot, window, PersonDetailsDialog)
    type_into(qtbot, details.given_name, "Zoë")
    type_into(qtbot, details.family_name, "Brown")
    type_into(qtbot, details.date_of_birth, "12/03/1941")
    type_into(qtbot, details.nhs_number, "943 476 5918")
    nhs = details.errors.fields["nhs_number"]
    assert nhs.error.isVisible(), "a failing NHS number is flagged beside the field"
    assert "does not pass its check" in nhs.error.text()
    click(qtbot, details.save_button)
    assert details.isVisible(), "not saved while the NHS number is wrong"
    details.nhs_number.clear()
    type_into(qtbot, details.nhs_number, "943 476 5919")
    assert not nhs.error.isVisible()
    type_into(qtbot, details.gp_practice, "Elm Surgery")
    click(qtbot, details.save_button)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.person, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: window.person.overview is not None, timeout=WAIT_MS)
    assert window.person.name.text() == "Zoë Brown"
    assert "NHS number 943 476 5919" in window.person.summary.text()
    assert not window.person.visit_button.isEnabled()
    assert "referral first" in window.person.why_no_visit.text()

    # --- referral with consent ---------------------------------------------------------------
    click(qtbot, window.person.referral_button)
    referral = wait_for(qtbot, window, ReferralDialog)
    referral.source.setCurrentIndex(referral.source.findText("GP"))
    type_into(qtbot, referral.referrer_name, "Dr Patel")
    type_into(qtbot, referral.referrer_organisation, "Elm Surgery")
    type_into(qtbot, referral.reason, "Lonely since her husband died")
    click(qtbot, referral.consent_given)
    click(qtbot, referral.save_button)
    qtbot.waitUntil(lambda: window.person.visit_button.isEnabled(), timeout=WAIT_MS)
    assert "Consent given" in window.person.referral.text()

    # --- the visit ---------------------------------------------------------------------------
    click(qtbot, window.person.visit_button)
    qtbot.waitUntil(lambda: window.visit.summary is not None, timeout=WAIT_MS)
    visit = window.visit
    assert visit.title.text() == "Home visit with Zoë Brown"
    assert visit.pages.currentIndex() == 0
    click(qtbot, visit.next_button)  # from the opening to the first life domain
    connection = visit.domain_pages[0]
    assert connection.domain.title == "Loneliness and connection"
    assert visit.pages.currentIndex() == 1
    type_into(qtbot, connection.notes, NOTES_CONNECTION)
    type_into(qtbot, connection.concern_words, "Nobody to talk to in the week")
    click(qtbot, connection.severity.buttons[7])
    click(qtbot, connection.add_button)
    qtbot.waitUntil(lambda: connection.concerns.rowCount() == 1, timeout=WAIT_MS)
    assert connection.concerns.data(connection.concerns.index(0, 0)) == (
        "“Nobody to talk to in the week” — worries them 7 out of 10"
    )
    assert connection.concern_words.text() == ""

    assert visit.sections.item(1).text() == "✓ Loneliness and connection"
    assert visit.sections.item(2).text().strip() == "Home", "no tick where nothing was said"
    go_to_section(qtbot, window, "Money and benefits")
    money = next(p for p in visit.domain_pages if p.domain.key == "money")
    type_into(qtbot, money.notes, NOTES_MONEY)
    type_into(qtbot, money.concern_words, "The heating bill")
    click(qtbot, money.severity.buttons[8])
    press(qtbot, money.concern_words, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: money.concerns.rowCount() == 1, timeout=WAIT_MS)

    go_to_section(qtbot, window, "What matters to them")
    type_into(qtbot, visit.what_matters, WHAT_MATTERS)

    go_to_section(qtbot, window, "Steps")
    type_into(qtbot, visit.steps.words, "Try the Tuesday lunch club")
    by_when = date.today() + timedelta(days=200)  # steps may look up to two years ahead
    type_into(qtbot, visit.steps.by_when, f"{by_when:%d/%m/%Y}")
    click(qtbot, visit.steps.add_button)
    qtbot.waitUntil(lambda: visit.steps.model.rowCount() == 1, timeout=WAIT_MS)
    type_into(qtbot, visit.steps.words, "Ask about a benefits check")
    press(qtbot, visit.steps.words, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: visit.steps.model.rowCount() == 2, timeout=WAIT_MS)
    assert visit.steps.model.data(visit.steps.model.index(0, 1)) == f"{by_when:%a %d %b %Y}"

    go_to_section(qtbot, window, "Wellbeing questions")
    form = visit.wellbeing
    boxes = form.boxes
    assert boxes[Ons4Item.ANXIETY].question.text() == (
        "On a scale where nought is 'not at all anxious' and 10 is 'completely anxious', "
        "overall, how anxious did you feel yesterday?"
    )
    assert form.preamble.text().startswith("Next I would like to ask you four questions")
    click(qtbot, boxes[Ons4Item.LIFE_SATISFACTION].rating.buttons[6])
    assert boxes[Ons4Item.LIFE_SATISFACTION].meaning.text() == "Answer: 6 — medium."
    assert not form.save_button.isEnabled()
    click(qtbot, boxes[Ons4Item.WORTHWHILE].rating.buttons[7])
    click(qtbot, boxes[Ons4Item.HAPPINESS].rating.buttons[5])
    decline = boxes[Ons4Item.ANXIETY].rating.decline_button
    assert decline is not None
    click(qtbot, decline)
    assert boxes[Ons4Item.ANXIETY].meaning.text() == "They preferred not to say."
    assert "first time" in boxes[Ons4Item.WORTHWHILE].change.text()
    click(qtbot, form.save_button)
    qtbot.waitUntil(lambda: form.is_saved, timeout=WAIT_MS)

    go_to_section(qtbot, window, "Finish and sign")
    qtbot.waitUntil(lambda: "Nobody to talk to" in visit.finish_view.toPlainText(), timeout=WAIT_MS)
    summary = visit.finish_view.toPlainText()
    for expected in (
        NOTES_CONNECTION,
        NOTES_MONEY,
        WHAT_MATTERS,
        "“The heating bill” — worries them 8 out of 10",
        "Try the Tuesday lunch club",
        "How satisfied you are with your life: 6 (medium)",
        "How anxious you felt: prefers not to say",
        "Not signed yet.",
    ):
        assert expected in summary, expected
    click(qtbot, visit.sign_button)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.person, timeout=WAIT_MS)
    settle(window, qtbot)
    qtbot.waitUntil(lambda: window.person.timeline.rowCount() >= 5, timeout=WAIT_MS)
    whats = [
        window.person.timeline.data(window.person.timeline.index(r, 1))
        for r in range(window.person.timeline.rowCount())
    ]
    assert "Home visit" in whats
    assert window.person.visit_button.text() == "Start a home visit"

    # --- what the services hold ------------------------------------------------------------
    ws = window.session.ws
    person_id = window.person.person_id
    assert person_id is not None
    person = ws.people.get(person_id)
    assert (person.display_name, str(person.nhs_number)) == ("Zoë Brown", "943 476 5919")
    (referral_row,) = ws.people.referrals_of(person_id)
    assert (referral_row.consent, referral_row.status) == (Consent.GIVEN, ReferralStatus.ACTIVE)
    assert referral_row.referrer_name == "Dr Patel"
    (signed,) = ws.visits.of_person(person_id)
    assert signed.status is VisitStatus.SIGNED and signed.signed_by == "Jo Adams"
    assert signed.notes == {"connection": NOTES_CONNECTION, "money": NOTES_MONEY}
    assert signed.what_matters == WHAT_MATTERS
    concerns = {(c.domain, c.words, c.severity) for c in ws.visits.concerns_of(person_id)}
    assert concerns == {
        ("connection", "Nobody to talk to in the week", 7),
        ("money", "The heating bill", 8),
    }
    steps = [(s.words, s.progress) for s in ws.visits.steps_of(person_id)]
    assert steps == [("Try the Tuesday lunch club", 0), ("Ask about a benefits check", 0)]
    (assessment,) = ws.wellbeing.history(person_id)
    scores = assessment.scores
    assert (scores.life_satisfaction, scores.worthwhile, scores.happiness, scores.anxiety) == (
        6,
        7,
        5,
        None,
    )
    assert ws.drafts.pending() == []

    # --- a signed visit opens read-only; corrections are new entries ------------------------
    row = next(r for r in range(len(whats)) if whats[r] == "Home visit")
    window.person.table.setFocus()
    window.person.table.selectRow(row)
    press(qtbot, window.person.table, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.visit.summary is not None, timeout=WAIT_MS)
    assert window.visit.summary is not None and window.visit.summary.signed
    assert window.visit.domain_pages[0].notes.isReadOnly()
    assert not window.visit.sign_button.isVisible()
    assert window.visit.correct_button.isVisible()
    assert "This record cannot be changed" in window.visit.finish_view.toPlainText()

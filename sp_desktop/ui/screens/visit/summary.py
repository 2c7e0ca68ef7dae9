"""The visit as it will be signed, in plain words: the finish page's summary."""

from __future__ import annotations

import html

from sp_desktop.domain.measures import AnswerKind, Item, Result, Sitting, catalogue
from sp_desktop.services.resources import conversation_guide
from sp_desktop.services.visit_summary import VisitSummary

from sp_desktop.ui.fields import nice_date
from sp_desktop.ui.screens.wellbeing import change_words


def summary_html(
    summary: VisitSummary, notes: dict[str, str], what_matters: str, pending: str = ""
) -> str:
    """The visit as it will be signed, in plain words (scores always with their band)."""
    visit = summary.record.visit
    esc = html.escape
    parts = [
        f"<h2>{esc(visit.place.label)} visit with {esc(summary.person.display_name)}</h2>",
        f"<p>{esc(nice_date(visit.visit_date))}. "
        + (
            f"Signed by {esc(visit.signed_by or '')}. This record cannot be changed."
            if summary.signed
            else "Not signed yet."
        )
        + "</p>",
    ]
    if pending:
        parts.append(f"<p><b>Please note:</b> {esc(pending)}</p>")
    parts.append("<h3>What matters to them</h3>")
    parts.append(f"<p>{esc(what_matters) or '<i>Nothing written.</i>'}</p>")
    concerns_here = [c for c in summary.concerns if c.visit_id == visit.id]
    parts.append("<h3>The conversation</h3>")
    talked = False
    for domain in conversation_guide().domains:
        text = notes.get(domain.key, "").strip()
        mine = [c for c in concerns_here if c.domain == domain.key]
        if not text and not mine:
            continue
        talked = True
        parts.append(f"<h4>{esc(domain.title)}</h4>")
        if text:
            parts.append("<p>" + esc(text).replace("\n", "<br>") + "</p>")
        if mine:
            parts.append("<ul>")
            parts.extend(
                f"<li>Concern: “{esc(c.words)}” — worries them {c.severity} out of 10</li>"
                for c in mine
            )
            parts.append("</ul>")
    if not talked:
        parts.append("<p><i>No notes or concerns yet.</i></p>")
    parts.append("<h3>Their steps so far</h3>")
    if summary.steps:
        parts.append("<ul>")
        for step in summary.steps:
            by_when = f", by {esc(nice_date(step.target_date))}" if step.target_date else ""
            progress = f"progress {step.progress} out of 10"
            parts.append(f"<li>{esc(step.words)}{by_when} — {progress}</li>")
        parts.append("</ul>")
    else:
        parts.append("<p><i>No steps yet.</i></p>")
    parts.append("<h3>Wellbeing</h3>")
    parts.append(_wellbeing_html(summary))
    if summary.record.addenda:
        # Under the signed record, never in place of it: who corrected what, and when.
        parts.append("<h3>Corrections added since it was signed</h3>")
        for addendum in summary.record.addenda:
            parts.append(
                f"<p><b>Correction by {esc(addendum.written_by)}, "
                f"{esc(nice_date(addendum.written_on))}:</b><br>"
                + esc(addendum.words).replace("\n", "<br>")
                + "</p>"
            )
    return "\n".join(parts)


def _wellbeing_html(summary: VisitSummary) -> str:
    """Each measure answered at this visit, question by question, with the change since the
    first time it was asked (words from the measure's own definition)."""
    day = summary.record.visit.visit_date
    latest: dict[str, Sitting] = {}
    for sitting in summary.sittings:
        if sitting.taken_on == day:
            latest[sitting.measure] = sitting
    known = catalogue()
    shown = [known[key] for key in known if key in latest]
    shown.sort(key=lambda m: m.key != "ons4")
    if not shown:
        return "<p><i>The wellbeing questions were not answered at this visit.</i></p>"
    rows = []
    for definition in shown:
        sitting = latest[definition.key]
        first = summary.first_sitting(definition.key)
        compare = first if first is not None and first.id != sitting.id else None
        if len(shown) > 1:
            rows.append(f"<p><b>{html.escape(definition.title)}</b></p>")
        rows.append("<ul>")
        for item in definition.items:
            result = next(
                (r for r in definition.results if not r.summed and r.items[0].key == item.key),
                None,
            )
            score = sitting.answers.get(item.key)
            answer = scores_line(item, result, score)
            change = change_words(item, result, compare, score) if compare else ""
            rows.append(
                f"<li>{html.escape(item.plain_label)}: {html.escape(answer)}. "
                f"{html.escape(change)}</li>"
            )
        for result in definition.results:
            if result.summed:
                total = result.score(sitting.answers)
                words = (
                    "no score"
                    if total is None
                    else (f"{result.number(total)} ({result.words(total)})")
                )
                rows.append(f"<li>{html.escape(result.label)}: {html.escape(words)}.</li>")
        rows.append("</ul>")
    return "".join(rows)


def scores_line(item: Item, result: Result | None, score: int | None) -> str:
    """An answer in words: "6 (medium)", "Often", or "prefers not to say"."""
    if score is None:
        return "prefers not to say"
    if item.kind is AnswerKind.CHOICE:
        return item.labels[score]
    if result is not None and result.bands:
        return f"{score} ({result.band(score)})"
    return str(score)

"""Fetching a council's directory from its Open Referral UK API, every page, politely.

`fetch_source("https://…/services")` asks for the first page, then the next ones the answer
names (HSDS 3.0 `page_number`/`total_pages`, ORUK 1.0 `number`/`totalPages`), one request at
a time with a pause between them, and gives back one `Source` of every service fetched. A
server that says "too many requests" (429, 503) is waited for as it asks (within reason); a
page that fails ends the fetch with a finding saying which page and why, and the pages
fetched so far are still read, marked as part of the list so they can never replace it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx

from sp_desktop.interchange import oruk
from sp_desktop.interchange.directory_files.findings import Finding, Kind
from sp_desktop.interchange.directory_files.sources import Pages, Record, Source, json_value_source

USER_AGENT = "SP Desktop directory fetch (social prescribing; one request at a time)"
DEFAULT_DELAY = 1.0  # seconds between requests: a council's API is not ours to load
MAX_PAGES = 1_000
MAX_RETRIES = 3
MAX_WAIT = 60.0  # the longest Retry-After honoured before giving up on a page


class FetchRefused(ValueError):
    """The address cannot be fetched (not http or https); the message says why in words."""


@dataclass(frozen=True, slots=True)
class FetchPolicy:
    """How politely to fetch: the pause between requests, how many pages at most, page size."""

    delay: float = DEFAULT_DELAY
    max_pages: int = MAX_PAGES
    per_page: int | None = None
    timeout: float = 30.0


def page_url(url: str, page: int, per_page: int | None) -> str:
    """The address of page `page`, keeping every other query parameter the office gave."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if k not in ("page", "per_page")]
    query.append(("page", str(page)))
    if per_page:
        query.append(("per_page", str(per_page)))
    return urlunsplit(parts._replace(query=urlencode(query)))


def fetch_source(
    url: str,
    policy: FetchPolicy = FetchPolicy(),
    *,
    client: httpx.Client | None = None,
    sleep: Callable[[float], None] = time.sleep,
    progress: Callable[[int, int | None], None] | None = None,
) -> Source:
    """Every page of the list at `url` as one source (see the module docstring)."""
    if urlsplit(url).scheme not in ("http", "https"):
        raise FetchRefused("The directory's address should start with https:// (or http://).")
    own = client is None
    client = client or httpx.Client(timeout=policy.timeout, follow_redirects=True,
                                    headers={"User-Agent": USER_AGENT,
                                             "Accept": "application/json"})
    try:
        return _fetch_all(client, url, policy, sleep, progress)
    finally:
        if own:
            client.close()


def _fetch_all(
    client: httpx.Client,
    url: str,
    policy: FetchPolicy,
    sleep: Callable[[float], None],
    progress: Callable[[int, int | None], None] | None,
) -> Source:
    records: list[Record] = []
    findings: list[Finding] = []
    held: list[int] = []
    total_pages: int | None = None
    total_items: int | None = None
    next_url: str | None = page_url(url, 1, policy.per_page) if policy.per_page else url
    previous_ids: list[Any] | None = None
    requests = 0
    while next_url is not None:
        if requests:
            sleep(policy.delay)
        requests += 1
        label = f"page {len(held) + 1}"
        raw, problem = _get_json(client, next_url, sleep)
        if problem:
            findings.append(Finding(Kind.UNREADABLE, label, "", problem, True))
            break
        source = json_value_source(raw, label)
        page_ids = [r.data.get("id") for r in source.records]
        if page_ids and page_ids == previous_ids:  # a server that ignores ?page= repeats itself
            findings.append(Finding(Kind.UNREADABLE, label, "", (
                "is the same as the page before: the directory's server did not page its "
                "answer, so fetching stopped here."), True))
            break
        previous_ids = page_ids
        number, count, items = _paging(raw)
        number = number or len(held) + 1
        held.append(number)
        total_pages = count or total_pages or 1
        total_items = items or total_items
        findings.extend(f for f in source.findings if f.kind is not Kind.PAGES)
        records.extend(source.records)  # each already says its page when there are several
        if progress is not None:
            progress(number, total_pages)
        if not source.records or number >= total_pages or _last(raw):
            next_url = None
        elif len(held) >= policy.max_pages:
            findings.append(Finding(Kind.PAGES, url, "", (
                f"Fetching stopped after {policy.max_pages:,} pages (the most asked for)."),
                False))
            next_url = None
        else:
            next_url = page_url(url, _next_param(raw, number), policy.per_page)
    pages = None
    if total_pages and total_pages > 1:
        pages = Pages(tuple(sorted(set(held))), total_pages, total_items)
        if not pages.complete:
            findings.append(Finding(Kind.PAGES, url, "", pages.describe().replace(
                "This file holds", "The fetch holds"), False))
    return Source(records, pages, findings)


def _get_json(
    client: httpx.Client, url: str, sleep: Callable[[float], None]
) -> tuple[Any, str]:
    """The answer's JSON, or why there is none in words."""
    for attempt in range(MAX_RETRIES + 1):
        try:
            answer = client.get(url)
        except httpx.TimeoutException:
            return None, "did not arrive in time: the directory's server may be busy; try later."
        except httpx.HTTPError:
            return None, ("could not be fetched: check the address and that this computer can "
                          "reach it.")
        if answer.status_code in (429, 503) and attempt < MAX_RETRIES:
            wait = _retry_after(answer.headers.get("Retry-After"))
            if wait is None:
                return None, "was refused as too many requests, and the server named no wait."
            sleep(wait)
            continue
        if answer.status_code >= 400:
            return None, f"was refused by the directory's server (HTTP {answer.status_code})."
        if len(answer.content) > oruk.MAX_FILE_BYTES:
            return None, oruk.too_large(len(answer.content))
        try:
            return json.loads(answer.content.decode("utf-8-sig")), ""
        except RecursionError:
            return None, "is nested too deeply to be a directory."
        except ValueError:
            return None, "is not JSON: the address may be a web page rather than the API."
    return None, "was refused as too many requests, again and again."


def _retry_after(value: str | None) -> float | None:
    if value is None:
        return 5.0
    try:
        wait = float(value)
    except ValueError:
        return 5.0  # an HTTP date: wait a little rather than parse it
    return wait if 0 <= wait <= MAX_WAIT else None


def _paging(raw: Any) -> tuple[int | None, int | None, int | None]:
    """(page number from 1, total pages, total items) of a page envelope."""
    if not isinstance(raw, dict):
        return None, None, None

    def whole(key: str) -> int | None:
        value = raw.get(key)
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    if "contents" in raw:
        return whole("page_number"), whole("total_pages"), whole("total_items")
    if "content" in raw:
        number = whole("number")
        return (None if number is None else number + 1), whole("totalPages"), whole(
            "totalElements")
    return None, None, None


def _next_param(raw: Any, number: int) -> int:
    """The `page` to ask for next, counted as this API counts (ORUK 1.0 pages from 0)."""
    if isinstance(raw, dict) and "content" in raw and "contents" not in raw:
        return number  # `number` was 0-based: the next one is our 1-based count
    return number + 1


def _last(raw: Any) -> bool:
    return isinstance(raw, dict) and (raw.get("last_page") is True or raw.get("last") is True)

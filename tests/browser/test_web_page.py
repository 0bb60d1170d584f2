"""The web page and the admin page in headless Chromium, against the whole stack run as processes.

redis-server (the `redis_server` fixture), the stand-in registries (`python -m tests.standin`), an
arq worker and the API (uvicorn) each run as their own process, wired together by CCO_* variables.
Screenshots land in docs/ (screenshot.png, admin-screenshot.png) for the README when
CCO_UPDATE_SCREENSHOTS=1 is set, else in the test's temp dir (a test run leaves the tree clean).
"""

from __future__ import annotations

import html
import json
import os
import re
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Dialog, Page, expect, sync_playwright

from tests.stack import Stack
from tests.standin.corpus import make_corpus
from tests.standin.records import Draft, DraftAuthor
from tests.standin.series import CROSSREF_SERIES

ROOT = Path(__file__).resolve().parents[2]
_DOCS = ROOT / "docs"
DOCS = _DOCS if os.environ.get("CCO_UPDATE_SCREENSHOTS") == "1" else Path(tempfile.mkdtemp())
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ADMIN_TOKEN = "browser-test-admin-token"
MARKUP_DOI = "10.1371/markup.test.0001"
# Upstream sends the markup escaped, so it survives tag stripping and ends up as literal text.
MARKUP_TITLE = "<img src=x onerror=alert(1)> <script>alert(2)</script> is a title"
DONE_TIMEOUT_MS = 90_000
PLAIN_DOI = r"10\.\d+/[a-z0-9.]+"
SOURCE_NAMES = {"crossref": "Crossref", "datacite": "DataCite", "medra": "mEDRA", "jalc": "JaLC"}

BROWSER_ENV = {
    "CCO_ADMIN_TOKEN": ADMIN_TOKEN,
    "CCO_OUTBOUND_ALLOW_PRIVATE": "true",  # the landing pages are the stand-in's, on loopback
    "CCO_RETRY_ATTEMPTS": "2",
    "CCO_RETRY_WAIT_INITIAL_S": "0.05",
    "CCO_RETRY_WAIT_MAX_S": "0.2",
}


def _write_corpus(path: Path) -> None:
    """A small corpus plus one work whose title is markup, which the page must show as text."""
    corpus = make_corpus(22, 6, 0, 2, seed=11)
    plos = CROSSREF_SERIES[0]
    corpus.add(
        Draft(
            doi=MARKUP_DOI,
            agency=plos.agency,
            template=plos.template,
            work_type=plos.work_type,
            publisher=plos.publisher,
            # Upstream sends the markup escaped, so it survives tag stripping as literal text.
            title=html.escape(MARKUP_TITLE, quote=False),
            authors=(
                DraftAuthor(
                    given="Ada", family="Lovelace", orcid="https://orcid.org/0000-0002-1825-0097"
                ),
            ),
            date=(2021, 3, 4),
            container=plos.containers[0] if plos.containers else None,
            created="2021-03-04T05:06:07.000Z",
        )
    )
    path.write_text(corpus.to_json(), encoding="utf-8")


@pytest.fixture
def chromium() -> str:
    """Debian's Chromium; a laptop without it skips, CI fails."""
    if os.path.exists(CHROMIUM):
        return CHROMIUM
    if os.environ.get("CI"):
        pytest.fail(
            f"{CHROMIUM} is missing; CI must run the browser tests (apt-get install chromium)"
        )
    pytest.skip(
        f"{CHROMIUM} is missing on this machine (apt-get install chromium); CI runs this test"
    )


@pytest.fixture
def make_stack(redis_server: Any, tmp_path: Path) -> Iterator[Callable[..., Stack]]:
    """Starts the stack with extra stand-in arguments (one stack per test); stops it after."""
    stacks: list[Stack] = []

    def make(*standin_args: str) -> Stack:
        running = Stack(directory=tmp_path, redis_url=redis_server.url, extra_env=BROWSER_ENV)
        stacks.append(running)
        corpus_file = tmp_path / "corpus.json"
        _write_corpus(corpus_file)
        running.start_standin("--corpus", str(corpus_file), "--no-limits", *standin_args)
        running.start_worker()
        running.start_api()
        return running

    try:
        yield make
    finally:
        for running in stacks:
            running.stop()
            print(running.logs())  # pytest shows it when the test failed


@pytest.fixture
def stack(make_stack: Callable[..., Stack]) -> Stack:
    return make_stack()


@pytest.fixture
def browser(chromium: str) -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme="light")
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    try:
        yield opened
    finally:
        context.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"


def _plain_doi(corpus: dict[str, Any]) -> str:
    """A DOI of letters, digits and dots: its upper-case resolver spelling is the same DOI."""
    return str(next(w["doi"] for w in corpus["works"] if re.fullmatch(PLAIN_DOI, w["doi"])))


def _row(page: Page, doi: str) -> Any:
    return page.locator("#rows tr", has=page.locator(".identifier", has_text=doi))


@pytest.mark.browser
@pytest.mark.timeout(240)
def test_curator_pastes_dois_and_watches_them_enrich(stack: Stack, page: Page) -> None:
    """Paste, start, follow to 100 %, read the table, filter it, download, reload and resume."""
    works = stack.corpus["works"]
    missing = stack.corpus["missing"]
    duplicate = "https://doi.org/" + _plain_doi(stack.corpus).upper()
    landing = f"{stack.standin}/landing/www.ncei.noaa.gov/archive/accession/GOMMAPPS"
    lines = [w["doi"] for w in works] + missing
    lines += ["not-a-doi", landing, duplicate]
    dialogs: list[str] = []

    def dismiss(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", dismiss)

    page.goto(f"{stack.api}/")
    expect(page.get_by_label("Paste identifiers, one a line")).to_be_visible()
    page.get_by_label("Paste identifiers, one a line").fill("\n".join(lines))
    page.get_by_role("button", name="Start enrichment").click()

    expect(page.locator("#ingest-summary")).to_have_text(
        f"{len(lines)} identifiers: {len(works) + len(missing)} DOIs, 1 other identifier, "
        "1 duplicate merged, 1 invalid"
    )
    assert re.search(r"\?session=[A-Za-z0-9_-]+$", page.url), page.url
    expect(page.locator("#state-badge")).to_have_attribute(
        "data-state", "completed", timeout=DONE_TIMEOUT_MS
    )
    expect(page.locator("#percent")).to_have_text("100%")
    expect(page.locator("#progress")).to_have_attribute("aria-valuenow", "100")

    rows = page.locator("#rows tr")
    expect(rows).to_have_count(len(lines) - 1)
    expect(page.locator("#rows tr[data-status=enriched]")).to_have_count(len(works) + 1)
    expect(page.locator("#rows tr[data-status=not_found]")).to_have_count(len(missing))
    expect(page.locator("#rows tr[data-status=invalid]")).to_have_count(1)
    expect(page.locator("#chips")).to_contain_text(f"{len(works) + 1} enriched")
    page_row = page.locator("#rows tr", has=page.locator(".identifier", has_text=landing))
    expect(page_row.locator(".scheme")).to_have_text("URL")
    expect(page_row.locator("td.source")).to_have_text("Landing page")
    expect(page_row.locator(".work")).to_contain_text("Cetacean, sea turtle, and seabird")

    known = [w for w in works if w["title"] and w["doi"] != MARKUP_DOI]
    for work in (known[0], known[3], next(w for w in known if w["registry"] == "datacite")):
        row = _row(page, work["doi"])
        expect(row.locator(".work")).to_have_text(work["title"])
        if re.fullmatch(PLAIN_DOI, work["doi"]):  # else the href is percent-encoded
            expect(row.locator(".work")).to_have_attribute("href", work["url"])
        expect(row.locator("td.year")).to_have_text(str(work["year"] or ""))
        expect(row.locator(".scheme")).to_have_text("DOI")
        expect(row.locator("td.source")).to_have_text(SOURCE_NAMES[work["registry"]])

    # Markup in a title is shown as text: no element made from it, no script run.
    markup = _row(page, MARKUP_DOI)
    expect(markup.locator(".work")).to_have_text(MARKUP_TITLE)
    expect(page.locator("#rows img, #rows script")).to_have_count(0)
    expect(markup.locator("a.orcid")).to_have_attribute(
        "href", "https://orcid.org/0000-0002-1825-0097"
    )

    # Filter by status, then search, then back to everything.
    page.locator("#filters button[data-filter=not_found]").click()
    expect(page.locator("#filters button[data-filter=not_found]")).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(rows).to_have_count(len(missing))
    expect(page.locator("#rows tr:not([data-status=not_found])")).to_have_count(0)
    page.locator("#filters button[data-filter=all]").click()
    expect(rows).to_have_count(len(lines) - 1)
    page.get_by_label("Find in titles, DOIs and authors").fill(known[3]["title"])
    expect(rows).to_have_count(1)
    page.get_by_label("Find in titles, DOIs and authors").fill("")
    expect(rows).to_have_count(len(lines) - 1)

    for link in page.locator("a[data-format]").all():
        href = link.get_attribute("href")
        assert href is not None
        assert link.get_attribute("download") is not None
        response = page.request.get(f"{stack.api}{href}")
        assert response.status == 200, (href, response.status, response.text()[:300])
        assert response.headers["content-disposition"].startswith("attachment"), href
        assert response.body(), href

    # A reload resumes the session from the URL.
    page.reload()
    expect(page.locator("#state-badge")).to_have_attribute("data-state", "completed")
    expect(rows).to_have_count(len(lines) - 1)
    assert dialogs == []


def _edited_cco(corpus: dict[str, Any]) -> dict[str, Any]:
    """The real CCO cut to two collections and some parts, plus four DOIs it leaves hollow.

    A curator's edit: the NCEI collection and three of its nine accessions (the other six are
    now outside the CCO), the SEAMAP collection and its six DOIs (all described by the map), and
    four of the stand-in's DOIs added bare, to enrich.
    """
    with (ROOT / "tests" / "data" / "cco" / "gommapps_output.json").open(encoding="utf-8") as f:
        document: dict[str, Any] = json.load(f)
    entries = document["ore:describes"]["ore:aggregates"]
    added = [w["doi"] for w in corpus["works"] if w["title"] and w["doi"] != MARKUP_DOI][:4]
    hollow = [{"identifier": {"propertyID": "URL", "@id": f"https://doi.org/{d}"}} for d in added]
    document["ore:describes"]["ore:aggregates"] = entries[:4] + entries[13:20] + hollow
    return document


@pytest.mark.browser
@pytest.mark.timeout(120)
def test_curator_re_ingests_a_cco_and_sees_parts_under_their_collection(
    stack: Stack, page: Page
) -> None:
    """A finished CCO uploaded as .jsonld: kept as described, the hollow DOIs enriched, each
    collection's parts nested under it, every row showing its identifier kind and source."""
    document = _edited_cco(stack.corpus)
    page.goto(f"{stack.api}/")
    page.get_by_label("Or upload a file").set_input_files(
        {
            "name": "GOMMAPPSCCO.jsonld",
            "mimeType": "application/ld+json",
            "buffer": json.dumps(document).encode(),
        }
    )
    page.get_by_role("button", name="Start enrichment").click()
    expect(page.locator("#ingest-summary")).to_have_text(
        "15 identifiers: 10 DOIs, 5 other identifiers"
    )
    expect(page.locator("#state-badge")).to_have_attribute(
        "data-state", "completed", timeout=DONE_TIMEOUT_MS
    )
    rows = page.locator("#rows tr")
    expect(rows).to_have_count(15)
    expect(page.locator("#rows tr[data-status=enriched]")).to_have_count(15)

    # Each collection comes first, then its parts, one level in.
    expect(page.locator("#rows tr.collection")).to_have_count(2)
    expect(page.locator("#rows tr[data-depth='1']")).to_have_count(9)
    positions = [int(p) for p in rows.evaluate_all("rs => rs.map(r => r.dataset.position)")]
    assert positions == list(range(15))
    ncei = rows.nth(0)
    expect(ncei.locator(".parts")).to_have_text("Collection of 3 parts in this CCO")
    expect(ncei.locator(".scheme")).to_have_text("URL")
    expect(ncei.locator("td.source")).to_have_text("The CCO")
    seamap_part = rows.nth(5)
    expect(seamap_part).to_have_attribute("data-depth", "1")
    expect(seamap_part.locator(".scheme")).to_have_text("DOI")

    # The hollow DOIs were looked up: a registry's metadata and its name as the source.
    added = rows.nth(11)
    expect(added.locator(".scheme")).to_have_text("DOI")
    expect(added.locator("td.source")).to_have_text(re.compile("^(Crossref|DataCite|mEDRA|JaLC)$"))
    expect(added.locator(".work")).not_to_be_empty()

    page.screenshot(path=str(DOCS / "screenshot.png"), full_page=True, animations="disabled")

    # Exported again, the map keeps its name and its part links.
    answer = page.request.get(
        f"{stack.api}{page.locator('a[data-format=jsonld]').get_attribute('href')}"
    )
    exported = answer.json()
    assert exported["@id"] == document["@id"]
    ncei_node = exported["ore:describes"]["ore:aggregates"][0]
    assert len(ncei_node["hasPart"]) == 3
    assert len(ncei_node["dcterms:relation"]) == 6  # the accessions left out: no longer parts


@pytest.mark.browser
@pytest.mark.timeout(240)
def test_curator_retries_the_lookups_that_failed(stack: Stack, page: Page) -> None:
    """Registries down: the DOIs end `failed`; once they are back, Retry failed enriches them."""
    fault = {"pool": "*", "kind": "503", "count": 100_000}
    assert stack.request("POST", f"{stack.standin}/_standin/faults", fault)[0] == 200
    dois = [w["doi"] for w in stack.corpus["works"][-6:]]
    page.goto(f"{stack.api}/")
    page.get_by_label("Paste identifiers, one a line").fill("\n".join(dois))
    page.get_by_role("button", name="Start enrichment").click()
    expect(page.locator("#state-badge")).to_have_attribute(
        "data-state", re.compile("completed|failed"), timeout=DONE_TIMEOUT_MS
    )
    expect(page.locator("#rows tr[data-status=failed]")).to_have_count(len(dois))
    expect(page.locator("#rows tr[data-status=failed] .note").first).not_to_be_empty()
    expect(page.locator("#chips")).to_contain_text(f"{len(dois)} failed")

    assert stack.request("POST", f"{stack.standin}/_standin/reset")[0] == 200
    page.get_by_role("button", name=f"Retry {len(dois)} failed").click()
    expect(page.locator("#state-badge")).to_have_attribute(
        "data-state", "completed", timeout=DONE_TIMEOUT_MS
    )
    expect(page.locator("#rows tr[data-status=enriched]")).to_have_count(len(dois))
    expect(page.get_by_role("button", name=re.compile("^Retry"))).to_be_hidden()


@pytest.mark.browser
@pytest.mark.timeout(240)
def test_curator_cancels_and_then_resumes(make_stack: Callable[..., Stack], page: Page) -> None:
    """Cancel stops a slow run and keeps what is done; Resume looks up only what is left."""
    stack = make_stack("--latency-base", "2.0")
    works = stack.corpus["works"]
    page.goto(f"{stack.api}/")
    page.get_by_label("Paste identifiers, one a line").fill("\n".join(w["doi"] for w in works))
    page.get_by_role("button", name="Start enrichment").click()
    expect(page.locator("#state-badge")).to_have_attribute("data-state", "running")
    page.get_by_role("button", name="Cancel").click()
    expect(page.locator("#state-badge")).to_have_attribute(
        "data-state", "cancelled", timeout=30_000
    )
    expect(page.get_by_role("button", name="Cancel")).to_be_hidden()
    resume = page.get_by_role("button", name=re.compile(r"^Resume \(\d+ left\)$"))
    expect(resume).to_be_visible()
    resume.click()
    expect(page.locator("#state-badge")).to_have_attribute(
        "data-state", "completed", timeout=DONE_TIMEOUT_MS
    )
    expect(page.locator("#rows tr[data-status=enriched]")).to_have_count(len(works))
    expect(resume).to_be_hidden()


@pytest.mark.browser
@pytest.mark.timeout(240)
def test_page_falls_back_to_polling_without_event_source(stack: Stack, browser: Browser) -> None:
    """Where EventSource is missing, the page polls the status and still reaches 100 %."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, color_scheme="dark")
    context.add_init_script("delete window.EventSource;")
    page = context.new_page()
    try:
        page.goto(f"{stack.api}/")
        dois = [w["doi"] for w in stack.corpus["works"][:5]]
        page.get_by_label("Paste identifiers, one a line").fill("\n".join(dois))
        page.get_by_role("button", name="Start enrichment").click()
        expect(page.locator("#state-badge")).to_have_attribute(
            "data-state", "completed", timeout=DONE_TIMEOUT_MS
        )
        expect(page.locator("#rows tr[data-status=enriched]")).to_have_count(len(dois))
        expect(page.locator("#connection")).to_be_hidden()
    finally:
        context.close()


@pytest.mark.browser
@pytest.mark.timeout(120)
def test_curator_uploads_a_bibtex_file(stack: Stack, page: Page) -> None:
    """A chosen file goes up as multipart `file` and wins over the textarea."""
    works = stack.corpus["works"][3:7]
    bibtex = "\n".join(
        f"@article{{w{i}, title={{Whatever}}, doi={{{w['doi']}}}}}" for i, w in enumerate(works)
    )
    page.goto(f"{stack.api}/")
    page.get_by_label("Or upload a file").set_input_files(
        {"name": "refs.bib", "mimeType": "application/x-bibtex", "buffer": bibtex.encode()}
    )
    expect(page.get_by_label("Paste identifiers, one a line")).to_be_disabled()
    page.get_by_role("button", name="Start enrichment").click()
    expect(page.locator("#ingest-summary")).to_have_text(f"{len(works)} identifiers: 4 DOIs")
    expect(page.locator("#state-badge")).to_have_attribute(
        "data-state", "completed", timeout=DONE_TIMEOUT_MS
    )
    expect(page.locator("#rows tr[data-status=enriched]")).to_have_count(len(works))
    expect(_row(page, works[0]["doi"]).locator(".work")).to_have_text(works[0]["title"])


@pytest.mark.browser
@pytest.mark.timeout(60)
def test_api_errors_are_shown_to_the_curator(stack: Stack, page: Page) -> None:
    """An empty list is refused by the page; a file of nothing but junk shows the API's message."""
    page.goto(f"{stack.api}/")
    page.get_by_role("button", name="Start enrichment").click()
    expect(page.locator("#form-error")).to_have_text(
        "Paste at least one identifier, or choose a file."
    )
    page.get_by_label("Or upload a file").set_input_files(
        {"name": "list.json", "mimeType": "application/json", "buffer": b"{not json"}
    )
    page.get_by_role("button", name="Start enrichment").click()
    expect(page.locator("#form-error")).to_be_visible()
    expect(page.locator("#form-error")).not_to_have_text(re.compile(r"^The server answered"))
    page.goto(f"{stack.api}/?session=doesnotexist123")
    expect(page.locator("#form-error")).to_contain_text("That session is gone")


def _wait_terminal(stack: Stack, session_id: str, timeout_s: float = 60.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        status, body = stack.request("GET", f"/api/sessions/{session_id}/status")
        if status == 200 and body["status"] in ("completed", "failed", "cancelled"):
            return body  # type: ignore[no-any-return]
        time.sleep(0.2)
    raise AssertionError(f"session {session_id} did not finish\n{stack.logs()}")


def _create(stack: Stack, dois: list[str], *, enrich: bool = True) -> str:
    status, created = stack.request(
        "POST", f"/api/sessions?enrich={str(enrich).lower()}", {"identifiers": dois}
    )
    assert status == 201, created
    return str(created["id"])


@pytest.mark.browser
@pytest.mark.timeout(120)
def test_admin_logs_in_sees_the_queue_and_acts_on_sessions(stack: Stack, page: Page) -> None:
    """Login, counts, workers, sessions; Retry failed and Delete act through the public API."""
    works = [w["doi"] for w in stack.corpus["works"]]
    fault = {"pool": "*", "kind": "503", "count": 100_000}
    stack.request("POST", f"{stack.standin}/_standin/faults", fault)
    failing = _create(stack, works[-3:])
    assert _wait_terminal(stack, failing)["failed"] == 3
    stack.request("POST", f"{stack.standin}/_standin/reset")
    done = _create(stack, works[:8] + stack.corpus["missing"])
    assert _wait_terminal(stack, done)["status"] == "completed"
    idle = _create(stack, works[:2], enrich=False)

    page.goto(f"{stack.api}/admin")
    expect(page.get_by_role("heading", name="Admin login")).to_be_visible()
    page.get_by_label("Admin token").fill("not the token")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("not the admin token")
    page.get_by_label("Admin token").fill(ADMIN_TOKEN)
    page.get_by_role("button", name="Log in").click()

    expect(page.get_by_role("heading", name="Queue")).to_be_visible()
    expect(page.locator("#counts .stat[data-state=idle] .value")).to_have_text("1")
    expect(page.locator("#workers tr")).to_have_count(1)
    expect(page.locator("#workers tr td").nth(4)).to_have_text(re.compile(r"^\d+ s ago$"))
    expect(page.locator("#sessions tr")).to_have_count(3)
    done_row = page.locator(f"#sessions tr[data-id='{done}']")
    expect(done_row).to_contain_text("completed")
    expect(done_row).to_contain_text("100%")
    failing_row = page.locator(f"#sessions tr[data-id='{failing}']")
    expect(failing_row).to_contain_text("3 failed")
    retry = failing_row.get_by_role("button", name=re.compile("^Retry failed"))
    expect(retry).to_be_visible()
    page.screenshot(path=str(DOCS / "admin-screenshot.png"), full_page=True, animations="disabled")

    retry.click()
    expect(retry).to_be_hidden(timeout=DONE_TIMEOUT_MS)
    expect(failing_row).to_contain_text("3 enriched", timeout=DONE_TIMEOUT_MS)

    page.once("dialog", _accept)
    page.locator(f"#sessions tr[data-id='{idle}']").get_by_role(
        "button", name=re.compile("^Delete")
    ).click()
    expect(page.locator("#sessions tr")).to_have_count(2)
    assert stack.request("GET", f"/api/sessions/{idle}")[0] == 404


def _accept(dialog: Dialog) -> None:
    dialog.accept()


API_TOKEN = "browser-test-api-token"


@pytest.fixture
def token_stack(redis_server: Any, tmp_path: Path) -> Iterator[Stack]:
    """The stack with CCO_API_TOKEN set: every /api/* call needs the token."""
    running = Stack(
        directory=tmp_path,
        redis_url=redis_server.url,
        extra_env={**BROWSER_ENV, "CCO_API_TOKEN": API_TOKEN},
    )
    corpus_file = tmp_path / "corpus.json"
    _write_corpus(corpus_file)
    try:
        running.start_standin("--corpus", str(corpus_file), "--no-limits")
        running.start_worker()
        running.start_api()
        yield running
    finally:
        running.stop()
        print(running.logs())


@pytest.mark.browser
@pytest.mark.timeout(180)
def test_the_page_asks_for_the_api_token_once_and_keeps_it_for_the_tab(
    token_stack: Stack, page: Page
) -> None:
    """A 401 opens the token dialog; a wrong token is refused; the right one runs the session."""
    dois = [w["doi"] for w in token_stack.corpus["works"][:4]]
    page.goto(f"{token_stack.api}/")
    page.get_by_label("Paste identifiers, one a line").fill("\n".join(dois))
    page.get_by_role("button", name="Start enrichment").click()

    dialog = page.get_by_role("dialog", name="API token")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Token").fill("not the token")
    dialog.get_by_role("button", name="Use this token").click()
    expect(dialog.get_by_role("alert")).to_contain_text("not accepted")
    dialog.get_by_label("Token").fill(API_TOKEN)
    dialog.get_by_role("button", name="Use this token").click()
    expect(dialog).to_be_hidden()

    # The live stream carries the token as ?token= (EventSource sends no headers).
    expect(page.locator("#state-badge")).to_have_attribute(
        "data-state", "completed", timeout=DONE_TIMEOUT_MS
    )
    expect(page.locator("#rows tr[data-status=enriched]")).to_have_count(len(dois))
    assert page.evaluate("sessionStorage.getItem('cco_enrich:api_token')") == API_TOKEN

    # Downloads cannot put a header on a link: the page fetches them with the token.
    with page.expect_download() as download:
        page.locator("a[data-format=csv]").click()
    assert download.value.suggested_filename.endswith(".csv")
    # A reload keeps the token for the tab: no dialog again.
    page.reload()
    expect(page.locator("#state-badge")).to_have_attribute("data-state", "completed")
    expect(dialog).to_be_hidden()

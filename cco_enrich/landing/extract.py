"""extract_work(): a landing page's HTML -> a Work, merging every syntax the page uses.

Precedence, highest first (docs/metadata-mapping.md, "Landing pages"): schema.org JSON-LD,
microdata, RDFa, Highwire `citation_*`, Dublin Core, OpenGraph, `<title>`. Each field comes from
the first syntax that has it; relations come from all of them. A page with no title anywhere
(or only an error page's title) has no usable metadata: None.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from urllib.parse import urldefrag

from cco_enrich.landing.fields import PageFields, merge_fields, year_of
from cco_enrich.landing.markup import PageMarkup, read_markup
from cco_enrich.landing.meta import dublin_core_fields, highwire_fields, opengraph_fields
from cco_enrich.landing.schemaorg import fields_from_node, main_node
from cco_enrich.models import Work
from cco_enrich.registries.parse import clean_text

SOURCE = "landing-page"
SCHEME = "url"

# Titles that name an error or a bot wall, not the resource (translation-server#78, #111).
_JUNK_TITLES = frozenset(
    {
        "404", "404 not found", "not found", "page not found", "error", "error 404",
        "internal server error", "500 internal server error", "access denied", "forbidden",
        "403 forbidden", "just a moment", "attention required cloudflare", "service unavailable",
        "503 service unavailable", "loading", "redirecting", "untitled", "untitled document",
        "index of", "home", "welcome",
    }
)  # fmt: skip
_NOT_WORDS = re.compile(r"[^\w]+")
# An app shell routes in the fragment ("#metadata/...", "#/item/3", "#!/x"): its HTML is the
# same for every route and describes the app, not the resource.
_FRAGMENT_ROUTE = re.compile(r"^[!/]|^[\w-]+/")


def extract_work(
    html: bytes | str, url: str, *, final_url: str | None = None, encoding: str | None = None
) -> Work | None:
    """The Work a landing page describes, or None when it has no usable metadata.

    Args:
        url: the identifier (its fragment kept): becomes `pid`.
        final_url: where the page was read, after redirects: the base of relative links and the
            Work's `url`. Defaults to `url` without its fragment.
        encoding: the charset the server declared; else the page's own `<meta charset>`.
    """
    page_url = final_url or urldefrag(url).url
    markup = read_markup(html, page_url, encoding)
    sources = list(_sources(markup, page_url, [url, page_url, urldefrag(url).url]))
    structured, loose = sources[:5], sources[5:]
    if _is_app_route(url) and not any(s.title for s in structured):
        return None
    merged = merge_fields(structured + loose)
    if merged.title is None:
        return None
    return Work(
        doi=merged.doi,
        registry=SOURCE,
        source=SOURCE,
        scheme=SCHEME,
        pid=url,
        url=page_url,
        title=merged.title,
        authors=merged.creators,
        contributors=merged.contributors,
        year=year_of(merged.date_published or merged.date_created),
        container_title=merged.container_title,
        type=merged.type,
        publisher=merged.publisher,
        description=merged.description,
        keywords=merged.keywords,
        date_published=merged.date_published,
        date_created=merged.date_created,
        date_modified=merged.date_modified,
        temporal_coverage=merged.temporal_coverage,
        relations=merged.relations,
    )


def _sources(markup: PageMarkup, base_url: str, page_urls: list[str]) -> Iterator[PageFields]:
    """Each syntax's fields in precedence order: 3 schema.org, Highwire, DC, OpenGraph, title."""
    for nodes in (markup.jsonld, markup.microdata, markup.rdfa):
        node = main_node(nodes, page_urls)
        yield _without_junk_title(fields_from_node(node, base_url) if node else PageFields())
    yield _without_junk_title(highwire_fields(markup.meta))
    yield _without_junk_title(dublin_core_fields(markup.meta, base_url))
    yield _without_junk_title(opengraph_fields(markup.meta))
    yield _without_junk_title(PageFields(title=clean_text(markup.title)))


def _without_junk_title(fields: PageFields) -> PageFields:
    if fields.title and _NOT_WORDS.sub(" ", fields.title.lower()).strip() in _JUNK_TITLES:
        return replace(fields, title=None)
    return fields


def _is_app_route(url: str) -> bool:
    return bool(_FRAGMENT_ROUTE.match(urldefrag(url).fragment))

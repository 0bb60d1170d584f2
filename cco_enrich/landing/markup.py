"""An HTML page -> the metadata each syntax carries, unmerged: schema.org nodes, meta tags, title.

extruct reads the structured syntaxes (JSON-LD, microdata, RDFa); meta tags (Highwire
`citation_*`, Dublin Core, OpenGraph) and `<title>` are read here from the same parsed tree.
Every schema.org node comes out with short keys and types (`name`, `Dataset`), whichever way
the page spelled them (`https://schema.org/name`, `schema:name`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

import extruct
from extruct.utils import parse_xmldom_html
from lxml.etree import ParserError

log = logging.getLogger(__name__)

Node = dict[str, Any]

_SCHEMA_PREFIXES = (
    "http://schema.org/",
    "https://schema.org/",
    "http://www.schema.org/",
    "https://www.schema.org/",
    "schema:",
    "sdo:",
)
_RDFA_DEPTH = 3
RDFA_MAX_ELEMENTS = 500
# Only these link relations carry metadata we read (Dublin Core in DC-HTML, the canonical URL).
_LINK_PREFIXES = ("dc.", "dcterms.", "dct.", "canonical")


@dataclass(frozen=True, slots=True)
class PageMarkup:
    """What one page says about itself, per syntax, in document order."""

    jsonld: list[Node] = field(default_factory=list)
    microdata: list[Node] = field(default_factory=list)
    rdfa: list[Node] = field(default_factory=list)
    meta: dict[str, list[str]] = field(default_factory=dict)
    """`<meta name|property content>` and metadata `<link rel href>`, keys lower-cased."""
    title: str | None = None


def read_markup(html: bytes | str, base_url: str, encoding: str | None = None) -> PageMarkup:
    """Every syntax's metadata in `html`; an empty PageMarkup when it cannot be parsed."""
    data = html.encode("utf-8") if isinstance(html, str) else html
    if isinstance(html, str):
        encoding = "utf-8"
    if not data.strip():
        return PageMarkup()
    try:
        tree = parse_xmldom_html(data, encoding=encoding)
    except (ParserError, ValueError, LookupError) as exc:
        log.debug("%s: not parseable as HTML (%s)", base_url, exc)
        return PageMarkup()
    syntaxes = ["json-ld", "microdata"]
    if _is_worth_rdfa(tree, base_url):
        syntaxes.append("rdfa")
    found = extruct.extract(
        tree, base_url=base_url, syntaxes=syntaxes, uniform=True, errors="ignore"
    )
    return PageMarkup(
        jsonld=[node for item in found.get("json-ld", []) for node in _jsonld_nodes(item)],
        microdata=[
            _short_keys(item) for item in found.get("microdata", []) if isinstance(item, dict)
        ],
        rdfa=_rdfa_nodes(found.get("rdfa", [])),
        meta=_meta_tags(tree, base_url),
        title=_title(tree),
    )


def _is_worth_rdfa(tree: Any, base_url: str) -> bool:
    """Whether to run pyRdfa: the page uses RDFa beyond OpenGraph's meta tags, and not so much
    of it that pyRdfa would take seconds (it does: 20,000 nodes take half a minute)."""
    if not tree.xpath("//*[@typeof or @vocab]"):
        return False
    annotated = int(tree.xpath("count(//*[@typeof or @property or @rel][not(self::meta)])"))
    if annotated > RDFA_MAX_ELEMENTS:
        log.info(
            "%s: %d RDFa elements, over %d: RDFa not read", base_url, annotated, RDFA_MAX_ELEMENTS
        )
        return False
    return True


def schema_name(value: str) -> str:
    """A schema.org term without its namespace: `https://schema.org/Dataset` -> `Dataset`."""
    for prefix in _SCHEMA_PREFIXES:
        if value.startswith(prefix):
            return value[len(prefix) :]
    return value


def _short_keys(value: Any) -> Any:
    if isinstance(value, list):
        return [_short_keys(v) for v in value]
    if not isinstance(value, dict):
        return value
    node: Node = {}
    for key, inner in value.items():
        if key == "@type":
            types = inner if isinstance(inner, list) else [inner]
            node[key] = [schema_name(t) for t in types if isinstance(t, str)]
        else:
            node[schema_name(key)] = _short_keys(inner)
    return node


def _jsonld_nodes(item: Any) -> list[Node]:
    """The nodes of one JSON-LD script: itself, or the members of its `@graph`."""
    if isinstance(item, list):
        return [node for inner in item for node in _jsonld_nodes(inner)]
    if not isinstance(item, dict):
        return []
    graph = item.get("@graph")
    if isinstance(graph, list):
        return [_short_keys(node) for node in graph if isinstance(node, dict)]
    return [_short_keys(item)]


def _rdfa_nodes(expanded: list[Any]) -> list[Node]:
    """pyRdfa's expanded JSON-LD as schema.org nodes, references to other nodes inlined."""
    by_id = {n["@id"]: n for n in expanded if isinstance(n, dict) and isinstance(n.get("@id"), str)}
    nodes = []
    for raw in expanded:
        if isinstance(raw, dict) and any(
            schema_name(t) != t for t in raw.get("@type", []) if isinstance(t, str)
        ):
            nodes.append(_rdfa_node(raw, by_id, _RDFA_DEPTH))
    return nodes


def _rdfa_node(raw: Mapping[str, Any], by_id: Mapping[str, Any], depth: int) -> Node:
    node: Node = {"@type": [schema_name(t) for t in raw.get("@type", []) if isinstance(t, str)]}
    if isinstance(raw.get("@id"), str) and not raw["@id"].startswith("_:"):
        node["@id"] = raw["@id"]
    for key, values in raw.items():
        name = schema_name(key)
        if key.startswith("@") or name == key or not isinstance(values, list):
            continue
        node[name] = [_rdfa_value(v, by_id, depth) for v in values if isinstance(v, dict)]
    return node


def _rdfa_value(value: Mapping[str, Any], by_id: Mapping[str, Any], depth: int) -> Any:
    if "@value" in value:
        return value["@value"]
    target = value.get("@id")
    if isinstance(target, str) and target in by_id and depth > 0:
        return _rdfa_node(by_id[target], by_id, depth - 1)
    return {"@id": target} if isinstance(target, str) and not target.startswith("_:") else None


def _meta_tags(tree: Any, base_url: str) -> dict[str, list[str]]:
    meta: dict[str, list[str]] = {}
    for element in tree.iter("meta"):
        key = element.get("name") or element.get("property")
        content = element.get("content")
        if key and content and content.strip():
            meta.setdefault(key.strip().lower(), []).append(content.strip())
    for element in tree.iter("link"):
        href = element.get("href")
        for rel in (element.get("rel") or "").split():
            if href and href.strip() and rel.lower().startswith(_LINK_PREFIXES):
                meta.setdefault(rel.lower(), []).append(urljoin(base_url, href.strip()))
    return meta


def _title(tree: Any) -> str | None:
    # The head's <title>, not an SVG <title> in the body.
    for element in tree.xpath("//head/title") or tree.xpath("//title"):
        text = element.text_content()
        if isinstance(text, str) and text.strip():
            return text
    return None

"""Markdown as documents are written, rendered to HTML that is safe to put on a page.

Two well-kept libraries do the work, each in its lane:

- markdown-it-py parses CommonMark (the `commonmark` preset) with raw HTML off (`<script>` in a document
  is text, shown as typed), tables on, and no linkify (a bare address stays text). Its link check
  already refuses `javascript:`, `vbscript:`, `file:` and most `data:` addresses. Headings move one
  level down (`#` renders as <h2>): the page's own <h1> is the document's title.
- nh3 (ammonia) then keeps only an allow-list: headings, paragraphs, lists, code and pre, blockquotes,
  tables, links (http, https and mailto only, with `rel="noopener noreferrer"`), emphasis, rules and line
  breaks, and images whose address is http(s). No style, no class but the table alignment classes, no
  event handler attributes, no relative or scheme-less addresses: what slips past the parser stops here.

Table column alignment, which markdown-it writes as inline `style` (refused by the page's strict CSP and
by the allow-list), becomes a class (`align-left`, `align-center`, `align-right`) the stylesheet knows.
"""

import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt
from markdown_it.token import Token

ALIGN_CLASSES = {"align-left", "align-center", "align-right"}
TAGS = {
    *(f"h{level}" for level in range(1, 7)),
    "p",
    "ul",
    "ol",
    "li",
    "code",
    "pre",
    "blockquote",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "a",
    "em",
    "strong",
    "hr",
    "br",
    "img",
}
ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "ol": {"start"}}
SCHEMES = {"http", "https", "mailto"}
IMAGE_SCHEMES = ("http://", "https://")

_parser = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")


def _attribute(tag: str, name: str, value: str) -> str | None:
    """nh3's per-attribute check: an image only from http(s) (the link schemes include mailto)."""
    if tag == "img" and name == "src" and not value.lower().startswith(IMAGE_SCHEMES):
        return None
    return value


def _adjust(tokens) -> None:
    """Headings one level down (h6 stays h6); table alignment as a class instead of inline style; an image
    from anywhere but http(s) as its description (text), not an empty <img>."""
    for token in tokens:
        if token.type == "inline" and token.children:
            for index, child in enumerate(token.children):
                if child.type == "image" and not str(child.attrs.get("src", "")).lower().startswith(IMAGE_SCHEMES):
                    token.children[index] = Token("text", "", 0, content=child.content)
        elif token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(int(token.tag[1]) + 1, 6)}"
        elif token.type in ("th_open", "td_open") and token.attrs.get("style"):
            side = str(token.attrs.pop("style")).removeprefix("text-align:").strip()
            if f"align-{side}" in ALIGN_CLASSES:
                token.attrs["class"] = f"align-{side}"


def render_markdown(text: str) -> SafeString:
    """`text` (Markdown) as sanitised HTML; "" for no text."""
    if not text:
        return mark_safe("")
    tokens = _parser.parse(text)
    _adjust(tokens)
    html = _parser.renderer.render(tokens, _parser.options, {})
    clean = nh3.clean(
        html,
        tags=TAGS,
        clean_content_tags={"script", "style"},
        attributes=ATTRIBUTES,
        attribute_filter=_attribute,
        url_schemes=SCHEMES,
        url_relative="deny",
        link_rel="noopener noreferrer",
        allowed_classes={"th": ALIGN_CLASSES, "td": ALIGN_CLASSES},
        strip_comments=True,
    )
    return mark_safe(clean)  # noqa: S308 - sanitised by nh3 with the allow-list above

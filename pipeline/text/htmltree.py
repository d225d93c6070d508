"""Rendered HTML → a small element tree with source lines, CSS selectors and source tracing.

Used by the accessibility stage to find the element behind a pa11y finding (pa11y
reports a CSS selector such as ``html > body > main > p:nth-child(3) > a``) and by
the language checks to walk text. The tree keeps each element's 1-based line in the
rendered file; ``trace`` follows the render stage's ``data-src`` / ``data-po``
attributes from an element to the Markdown line and the catalog entry it came from.
Only the standard library's ``html.parser`` is used: rendered pages are well formed,
and the few implied end tags a browser adds (``p``, ``li``, ``dt``/``dd``, table
rows and cells, ``option``) are reproduced so that ``:nth-child`` counts agree.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser

from pipeline.models import Location

VOID = frozenset({
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
    "source", "track", "wbr",
})
# Start tags that close an open <p> (the HTML parser's "close a p element" rule).
CLOSES_P = frozenset({
    "address", "article", "aside", "blockquote", "details", "dialog", "div", "dl", "fieldset",
    "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header",
    "hgroup", "hr", "main", "menu", "nav", "ol", "p", "pre", "search", "section", "table", "ul",
})
# tag → the open elements it implicitly ends when it starts, and where that search stops.
IMPLIED_END: Mapping[str, tuple[frozenset[str], frozenset[str]]] = {
    "li": (frozenset({"li"}), frozenset({"ul", "ol", "menu"})),
    "dt": (frozenset({"dt", "dd"}), frozenset({"dl"})),
    "dd": (frozenset({"dt", "dd"}), frozenset({"dl"})),
    "tr": (frozenset({"tr", "td", "th"}), frozenset({"table", "thead", "tbody", "tfoot"})),
    "td": (frozenset({"td", "th"}), frozenset({"tr", "table"})),
    "th": (frozenset({"td", "th"}), frozenset({"tr", "table"})),
    "thead": (frozenset({"tbody", "tfoot", "tr", "td", "th"}), frozenset({"table"})),
    "tbody": (frozenset({"thead", "tbody", "tfoot", "tr", "td", "th"}), frozenset({"table"})),
    "tfoot": (frozenset({"thead", "tbody", "tr", "td", "th"}), frozenset({"table"})),
    "option": (frozenset({"option"}), frozenset({"select", "datalist", "optgroup"})),
}


@dataclass(eq=False, slots=True)
class Element:
    """One element: tag, attributes, its line in the rendered file, children in order."""

    tag: str
    attrs: dict[str, str]
    line: int
    parent: Element | None = None
    children: list[Element | str] = field(default_factory=list)
    # Its subtree indexed for selectors (``_indexed``), made at the first selection:
    # a parsed tree is not changed afterwards.
    index: _Index | None = field(default=None, repr=False)

    @property
    def elements(self) -> list[Element]:
        return [c for c in self.children if isinstance(c, Element)]

    def ancestors(self, include_self: bool = True) -> Iterator[Element]:
        node: Element | None = self if include_self else self.parent
        while node is not None:
            yield node
            node = node.parent

    def iter(self) -> Iterator[Element]:
        """This element and every element below it, in document order."""
        # A stack, not nested generators: each element was passed up through one
        # generator per ancestor.
        stack: list[Element] = [self]
        while stack:
            node = stack.pop()
            yield node
            stack.extend(c for c in reversed(node.children) if isinstance(c, Element))

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    @property
    def classes(self) -> list[str]:
        return self.attrs.get("class", "").split()


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root: Element | None = None
        self.stack: list[Element] = []

    def _open(self, tag: str, attrs: list[tuple[str, str | None]]) -> Element:
        if self.stack and tag in CLOSES_P:
            self._close_p()
        if tag == "p":
            self._close_p()
        implied = IMPLIED_END.get(tag)
        if implied is not None:
            ends, stops = implied
            for index in range(len(self.stack) - 1, -1, -1):
                name = self.stack[index].tag
                if name in stops:
                    break
                if name in ends:
                    del self.stack[index:]
                    break
        line = self.getpos()[0]
        element = Element(tag, {k.lower(): (v or "") for k, v in attrs}, line)
        if self.root is None:
            if tag != "html":  # a fragment or a page without <html>: give it the browser's root
                self.root = Element("html", {}, line)
                self.stack.append(self.root)
            else:
                self.root = element
                self.stack.append(element)
                return element
        parent = self.stack[-1] if self.stack else self.root
        element.parent = parent
        parent.children.append(element)
        return element

    def _close_p(self) -> None:
        for index in range(len(self.stack) - 1, -1, -1):
            name = self.stack[index].tag
            if name == "p":
                del self.stack[index:]
                return
            if name in ("button", "table", "td", "th", "html", "body", "main", "article",
                        "section", "div", "li", "blockquote", "nav", "aside", "header",
                        "footer"):
                return

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = self._open(tag, attrs)
        if tag not in VOID and element is not self.root:
            self.stack.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._open(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index].tag == tag:
                del self.stack[index:]
                return

    def handle_data(self, data: str) -> None:
        if self.stack:
            self.stack[-1].children.append(data)


def parse_html(text: str) -> Element:
    """Parse a rendered page into its root ``<html>`` element."""
    builder = _TreeBuilder()
    builder.feed(text)
    builder.close()
    return builder.root or Element("html", {}, 1)


# --- selectors ------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class _Attr:
    name: str
    op: str  # "" (present), "=", "~=", "|=", "^=", "$=", "*="
    value: str
    nocase: bool


@dataclass(frozen=True, slots=True)
class _Compound:
    tag: str | None
    ids: tuple[str, ...]
    classes: tuple[str, ...]
    attrs: tuple[_Attr, ...]
    pseudos: tuple[tuple[str, str], ...]  # (name, argument)
    raw: str


class SelectorError(ValueError):
    pass


_ESCAPE = re.compile(r"\\([0-9a-fA-F]{1,6}\s?|.)")


def _unescape(text: str) -> str:
    def one(match: re.Match[str]) -> str:
        body = match.group(1)
        if re.fullmatch(r"[0-9a-fA-F]{1,6}\s?", body):
            return chr(int(body.strip(), 16))
        return body

    return _ESCAPE.sub(one, text)


def _split_selector(selector: str) -> list[tuple[str, str]]:
    """``a > b c`` → [("", "a"), (">", "b"), (" ", "c")], respecting quotes and brackets."""
    parts: list[tuple[str, str]] = []
    combinator = ""
    token = ""
    depth = 0
    quote = ""
    i = 0
    text = selector.strip()
    while i < len(text):
        ch = text[i]
        if quote:
            token += ch
            if ch == "\\" and i + 1 < len(text):
                token += text[i + 1]
                i += 1
            elif ch == quote:
                quote = ""
        elif ch == "\\" and i + 1 < len(text):
            token += text[i: i + 2]
            i += 1
        elif ch in "\"'":
            quote = ch
            token += ch
        elif ch in "[(":
            depth += 1
            token += ch
        elif ch in "])":
            depth -= 1
            token += ch
        elif depth == 0 and (ch.isspace() or ch in ">+~"):
            if token:
                parts.append((combinator, token))
                token = ""
                combinator = " "
            if ch in ">+~":
                combinator = ch
        else:
            token += ch
        i += 1
    if token:
        parts.append((combinator, token))
    if not parts or parts[0][0] not in ("", " "):
        raise SelectorError(f"cannot read selector {selector!r}")
    return [(c if i else "", t) for i, (c, t) in enumerate(parts)]


_ATTR_RE = re.compile(
    r"""\[\s*([^\s~|^$*=\]]+)\s*(?:([~|^$*]?=)\s*("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|[^\s\]]+)
        \s*([iIsS])?)?\s*\]""",
    re.X,
)


def _parse_compound(raw: str) -> _Compound:
    tag: str | None = None
    ids: list[str] = []
    classes: list[str] = []
    attrs: list[_Attr] = []
    pseudos: list[tuple[str, str]] = []
    i = 0
    match = re.match(r"\*|[A-Za-z][A-Za-z0-9-]*", raw)
    if match:
        tag = None if match.group(0) == "*" else match.group(0).lower()
        i = match.end()
    name_re = re.compile(r"(?:\\.|[^.#\[:\\])+")
    while i < len(raw):
        ch = raw[i]
        if ch in "#.":
            match = name_re.match(raw, i + 1)
            if not match:
                raise SelectorError(f"cannot read {raw!r}")
            (ids if ch == "#" else classes).append(_unescape(match.group(0)))
            i = match.end()
        elif ch == "[":
            match = _ATTR_RE.match(raw, i)
            if not match:
                raise SelectorError(f"cannot read attribute selector in {raw!r}")
            value = match.group(3) or ""
            if value[:1] in "\"'":
                value = value[1:-1]
            attrs.append(_Attr(match.group(1).lower(), match.group(2) or "", _unescape(value),
                               (match.group(4) or "").lower() == "i"))
            i = match.end()
        elif ch == ":":
            match = re.compile(r":{1,2}([A-Za-z-]+)(?:\(([^)]*)\))?").match(raw, i)
            if not match:
                raise SelectorError(f"cannot read pseudo-class in {raw!r}")
            name, argument = match.group(1).lower(), (match.group(2) or "").strip()
            # Refused here, whichever elements the selector meets (an element that never
            # reached the check made the same selector fail or not).
            if name not in PSEUDOS:
                raise SelectorError(f"unsupported pseudo-class :{name}")
            if name.startswith("nth-"):
                _nth(argument, 1)
            pseudos.append((name, argument))
            i = match.end()
        else:
            raise SelectorError(f"cannot read {raw!r}")
    return _Compound(tag, tuple(ids), tuple(classes), tuple(attrs), tuple(pseudos), raw)


PSEUDOS = frozenset({"nth-child", "nth-last-child", "nth-of-type", "first-child", "last-child",
                     "only-child", "first-of-type", "last-of-type", "root"})


def _nth(expression: str, position: int) -> bool:
    """``an+b`` (with odd/even) against a 1-based position."""
    expr = expression.replace(" ", "").lower()
    if expr == "odd":
        expr = "2n+1"
    elif expr == "even":
        expr = "2n"
    if re.fullmatch(r"[+-]?\d+", expr):
        return position == int(expr)
    match = re.fullmatch(r"([+-]?\d*)n([+-]\d+)?", expr)
    if not match:
        raise SelectorError(f"cannot read :nth-child({expression})")
    a_text = match.group(1)
    a = -1 if a_text == "-" else int(a_text) if a_text not in ("", "+") else 1
    b = int(match.group(2) or 0)
    if a == 0:
        return position == b
    return (position - b) % a == 0 and (position - b) // a >= 0


def _attr_matches(element: Element, attr: _Attr) -> bool:
    if attr.name not in element.attrs:
        return False
    have = element.attrs[attr.name]
    want = attr.value
    if attr.nocase:
        have, want = have.lower(), want.lower()
    match attr.op:
        case "":
            return True
        case "=":
            return have == want
        case "~=":
            return want in have.split()
        case "|=":
            return have == want or have.startswith(want + "-")
        case "^=":
            return bool(want) and have.startswith(want)
        case "$=":
            return bool(want) and have.endswith(want)
        case "*=":
            return bool(want) and want in have
    return False


def _compound_matches(element: Element, compound: _Compound) -> bool:
    if compound.tag is not None and element.tag != compound.tag:
        return False
    if any(element.attrs.get("id") != i for i in compound.ids):
        return False
    classes = element.classes
    if any(c not in classes for c in compound.classes):
        return False
    if not all(_attr_matches(element, a) for a in compound.attrs):
        return False
    for name, argument in compound.pseudos:
        siblings = element.parent.elements if element.parent else [element]
        of_type = [s for s in siblings if s.tag == element.tag]
        if name == "nth-child":
            ok = _nth(argument, siblings.index(element) + 1)
        elif name == "nth-last-child":
            ok = _nth(argument, len(siblings) - siblings.index(element))
        elif name == "nth-of-type":
            ok = _nth(argument, of_type.index(element) + 1)
        elif name == "first-child":
            ok = siblings[0] is element
        elif name == "last-child":
            ok = siblings[-1] is element
        elif name == "only-child":
            ok = len(siblings) == 1
        elif name == "first-of-type":
            ok = of_type[0] is element
        elif name == "last-of-type":
            ok = of_type[-1] is element
        elif name == "root":
            ok = element.parent is None
        else:
            raise SelectorError(f"unsupported pseudo-class :{name}")
        if not ok:
            return False
    return True


def _matches(element: Element, parts: Sequence[tuple[str, _Compound]], index: int) -> bool:
    combinator, compound = parts[index]
    if not _compound_matches(element, compound):
        return False
    if index == 0:
        return True
    if combinator == ">":
        return element.parent is not None and _matches(element.parent, parts, index - 1)
    if combinator == " ":
        return any(_matches(a, parts, index - 1) for a in element.ancestors(include_self=False))
    siblings = element.parent.elements if element.parent else [element]
    before = siblings[: siblings.index(element)]
    if combinator == "+":
        return bool(before) and _matches(before[-1], parts, index - 1)
    return any(_matches(s, parts, index - 1) for s in before)  # "~"


@dataclass(frozen=True, slots=True)
class _Index:
    """An element's subtree for selectors: every element in document order, its place
    there, and the elements by id and by tag (each list in document order)."""

    order: list[Element]
    rank: dict[int, int]  # id(element) → its place in ``order``
    by_id: dict[str, list[Element]]
    by_tag: dict[str, list[Element]]


def _indexed(root: Element) -> _Index:
    if root.index is None:
        order = list(root.iter())
        by_id: dict[str, list[Element]] = {}
        by_tag: dict[str, list[Element]] = {}
        for element in order:
            by_tag.setdefault(element.tag, []).append(element)
            ident = element.attrs.get("id")
            if ident is not None:
                by_id.setdefault(ident, []).append(element)
        root.index = _Index(order, {id(e): n for n, e in enumerate(order)}, by_id, by_tag)
    return root.index


def _candidates(index: _Index, compound: _Compound) -> list[Element]:
    """The elements that may match ``compound``: those of its id, else of its tag."""
    if compound.ids:
        return index.by_id.get(compound.ids[0], [])
    if compound.tag is not None:
        return index.by_tag.get(compound.tag, [])
    return index.order


def _matching_children(parent: Element, compound: _Compound) -> list[Element]:
    kids = parent.elements
    if len(compound.pseudos) == 1 and compound.pseudos[0][0] == "nth-child" \
            and compound.pseudos[0][1].isdigit():
        # pa11y's ``p:nth-child(3)``: the one child it can be.
        n = int(compound.pseudos[0][1])
        kids = kids[n - 1: n] if n >= 1 else []
    return [k for k in kids if _compound_matches(k, compound)]


def _select(root: Element, parts: Sequence[tuple[str, _Compound]]) -> list[Element]:
    """The elements of ``root``'s subtree that ``parts`` (one selector) matches."""
    index = _indexed(root)
    if root.parent is None and all(c == ">" for c, _ in parts[1:]):
        # A chain of children, as pa11y writes every selector: followed down from the
        # elements the first step matches (by id or tag), not tried at every element.
        current = [e for e in _candidates(index, parts[0][1])
                   if _compound_matches(e, parts[0][1])]
        for _, compound in parts[1:]:
            current = [k for e in current for k in _matching_children(e, compound)]
        if len(current) > 1:  # a step may match an element inside another
            current.sort(key=lambda e: index.rank[id(e)])
        return current
    last = len(parts) - 1
    return [e for e in _candidates(index, parts[last][1]) if _matches(e, parts, last)]


def select_all(root: Element, selector: str) -> list[Element]:
    """Every element matching ``selector`` (a selector list is allowed), in document order."""
    found: list[Element] = []
    seen: set[int] = set()
    singles = _split_list(selector)
    for single in singles:
        parts = [(c, _parse_compound(t)) for c, t in _split_selector(single)]
        for element in _select(root, parts):
            if id(element) not in seen:
                seen.add(id(element))
                found.append(element)
    if len(singles) > 1:
        rank = _indexed(root).rank
        found.sort(key=lambda e: rank[id(e)])
    return found


def _split_list(selector: str) -> list[str]:
    out, depth, quote, token = [], 0, "", ""
    for ch in selector:
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch in "[(":
            depth += 1
        elif ch in "])":
            depth -= 1
        elif ch == "," and depth == 0:
            out.append(token)
            token = ""
            continue
        token += ch
    out.append(token)
    return [s for s in (t.strip() for t in out) if s]


def select_one(root: Element, selector: str) -> Element | None:
    """The first element matching ``selector``, like ``document.querySelector``.

    pa11y writes ``#id`` without CSS escaping; when the escaped reading finds nothing,
    a leading ``#…`` compound is retried as one literal id followed by a child chain.
    """
    try:
        found = select_all(root, selector)
    except SelectorError:
        found = []
    if found or not selector.startswith("#"):
        return found[0] if found else None
    first, _, rest = selector.partition(" > ")
    anchor = next(iter(_indexed(root).by_id.get(first[1:], ())), None)
    if anchor is None or not rest:
        return anchor
    node: Element | None = anchor
    for step in rest.split(" > "):
        try:
            compound = _parse_compound(step.strip())
        except SelectorError:
            return None
        assert node is not None
        node = next((c for c in node.elements if _compound_matches(c, compound)), None)
        if node is None:
            return None
    return node


def pa11y_selector(element: Element) -> str:
    """The selector pa11y would report for ``element`` (its ``getElementSelector``)."""
    parts: list[str] = []
    node: Element | None = element
    while node is not None:
        if node.attrs.get("id"):
            parts.insert(0, "#" + node.attrs["id"])
            break
        identifier = node.tag
        if node.parent is not None:
            siblings = node.parent.elements
            if sum(1 for s in siblings if s.tag == node.tag) > 1:
                identifier += f":nth-child({siblings.index(node) + 1})"
        parts.insert(0, identifier)
        node = node.parent
    return " > ".join(parts)


# --- tracing ----------------------------------------------------------------------

def parse_location(value: str) -> Location | None:
    """``source/pages/x.md:12`` → Location; None when the value is not of that form."""
    path, sep, line = value.strip().rpartition(":")
    if not sep or not path or not line.isdigit():
        return None
    return Location(path, int(line))


@dataclass(frozen=True, slots=True)
class Trace:
    """Where a rendered element came from."""

    source: Location | None  # data-src: the Markdown (or template) line
    po: Location | None  # data-po: the catalog entry, for translated text
    template: Location | None  # found by matching the element in the templates
    element: Location  # the element in the rendered page
    entry: tuple[str | None, str] | None = None  # (msgctxt, msgid) of the ``po`` entry

    @property
    def entry_details(self) -> dict[str, str]:
        """The entry as a finding's details name it (``msgid``, and ``msgctxt`` if any):
        what finds it again once edits elsewhere in the catalog have moved its line."""
        if self.entry is None:
            return {}
        msgctxt, msgid = self.entry
        return {"msgid": msgid} if msgctxt is None else {"msgctxt": msgctxt, "msgid": msgid}

    @property
    def kind(self) -> str:
        if self.po:
            return "catalog"
        if self.source:
            return "source"
        return "template" if self.template else "page"

    @property
    def location(self) -> Location:
        """Where to fix it: the .po entry, else the source line, the template, the page."""
        return self.po or self.source or self.template or self.element

    @property
    def related(self) -> tuple[Location, ...]:
        others = (self.source, self.template if not (self.po or self.source) else None,
                  self.element)
        return tuple(o for o in others if o is not None and o != self.location)


# (a source line, the text of the element that carries it) → the catalog entry shown
# there: its line and (msgctxt, msgid)
Locate = Callable[[Location, str], tuple[Location, tuple[str | None, str]] | None]


def trace(element: Element, page: str, templates: Mapping[str, str] | None = None,
          locate: Locate | None = None) -> Trace:
    """Follow ``element`` to the nearest ancestor-or-self carrying data-src / data-po.

    Rendered pages carry only ``data-src``; ``locate`` maps that source line, and the
    text of the element carrying it (a table row's line holds a message per cell), to
    the catalog entry of the page's language today (``translations.PoLocator``).

    ``templates`` maps a template path (relative to the content root) to its text;
    an element with no data attribute is looked up there (see ``find_in_templates``).
    """
    source = po = entry = None
    for node in element.ancestors():
        if "data-src" in node.attrs or "data-po" in node.attrs:
            source = parse_location(node.attrs.get("data-src", ""))
            po = parse_location(node.attrs.get("data-po", ""))
            if po is None and source is not None and locate is not None:
                found = locate(source, node.text())
                if found is not None:
                    po, entry = found
            if source or po:
                break
    template = None
    if source is None and po is None and templates:
        template = find_in_templates(element, templates)
    return Trace(source, po, template, Location(page, element.line), entry)


def _opening_tag_pattern(element: Element) -> re.Pattern[str]:
    """A regex for the element's opening tag in a template: by id, first class, or tag."""
    tag = re.escape(element.tag)
    ident = element.attrs.get("id")
    if ident and "{" not in ident:
        return re.compile(rf"<{tag}\b[^>]*\bid=[\"']{re.escape(ident)}[\"']")
    classes = element.classes
    if classes:
        return re.compile(
            rf"<{tag}\b[^>]*\bclass=[\"'][^\"']*(?<![\w-]){re.escape(classes[0])}(?![\w-])"
        )
    return re.compile(rf"<{tag}\b")


def find_in_templates(element: Element, templates: Mapping[str, str]) -> Location | None:
    """The template line that wrote ``element`` (or its nearest findable ancestor).

    Looks for the element's opening tag (by id, else first class, else tag name) and
    accepts it only when exactly one template line matches, so the answer is never a
    guess between two places.
    """
    for node in element.ancestors():
        if node is not element and node.tag in ("body", "html"):
            break  # "somewhere in <body>" is no answer
        pattern = _opening_tag_pattern(node)
        hits: list[Location] = []
        for path, text in templates.items():
            for match in pattern.finditer(text):
                hits.append(Location(path, text.count("\n", 0, match.start()) + 1))
        if len(hits) == 1:
            return hits[0]
    return None

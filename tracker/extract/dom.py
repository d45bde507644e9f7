"""A small HTML tree, built with the standard library's parser, made for reading text fast.

Beautiful Soup builds a far richer tree and pays for it: about 2 s/MB, and more on pages with
many `<br>`. Extraction only needs elements, their attributes and their text, so this tree is
plain nodes; it closes the end tags HTML lets authors leave out (`<p>`, `<li>`, `<td>`...) the
way browsers do, and every walk over it is iterative, so deep nesting cannot exhaust the stack.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from html.parser import HTMLParser

VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
     "source", "track", "wbr"}
)  # fmt: skip
# Content no reader sees as text.
INVISIBLE = frozenset({"script", "style", "template", "noscript", "head", "title"})
# Elements rendered on a line of their own.
BREAKING = frozenset(
    {"p", "div", "li", "tr", "ul", "ol", "dl", "dt", "dd", "table", "thead", "tbody", "tfoot",
     "section", "article", "header", "footer", "main", "nav", "aside", "blockquote", "pre",
     "h1", "h2", "h3", "h4", "h5", "h6", "hr", "br", "figure", "figcaption", "address",
     "details", "summary", "caption", "center", "form", "fieldset"}
)  # fmt: skip
# A start tag of one of these ends an open <p> (HTML's "closes a p element" list).
_CLOSES_P = BREAKING - {"br", "tr", "thead", "tbody", "tfoot", "caption"}
# Start tags that end an open element of the same group: (what they close, where to stop).
_IMPLIED = {
    "li": ({"li"}, {"ul", "ol", "menu"}),
    "dt": ({"dt", "dd"}, {"dl"}),
    "dd": ({"dt", "dd"}, {"dl"}),
    "tr": ({"tr"}, {"table", "thead", "tbody", "tfoot"}),
    "td": ({"td", "th"}, {"tr", "table"}),
    "th": ({"td", "th"}, {"tr", "table"}),
    "thead": ({"thead", "tbody", "tfoot"}, {"table"}),
    "tbody": ({"thead", "tbody", "tfoot"}, {"table"}),
    "tfoot": ({"thead", "tbody", "tfoot"}, {"table"}),
    "option": ({"option"}, {"select", "datalist"}),
}
# What may stand in <head>; anything else ends it, as in a browser (sloppy pages never close it).
_HEAD_CONTENT = frozenset(
    {"base", "link", "meta", "noscript", "script", "style", "template", "title", "head"}
)
_P_SCOPE = {"td", "th", "table", "caption", "button", "object", "template", "html"}


class Node:
    """An element: name, attributes (values unescaped) and children (Nodes and strings)."""

    __slots__ = ("name", "attrs", "children", "parent")

    def __init__(self, name: str, attrs: dict[str, str], parent: Node | None) -> None:
        self.name = name
        self.attrs = attrs
        self.children: list[Node | str] = []
        self.parent = parent

    def get(self, attribute: str) -> str | None:
        return self.attrs.get(attribute)

    @property
    def classes(self) -> list[str]:
        return self.attrs.get("class", "").split()

    def descendants(self) -> Iterator[Node]:
        """Every element inside, in document order."""
        stack = [iter(self.children)]
        while stack:
            for child in stack[-1]:
                if isinstance(child, Node):
                    yield child
                    stack.append(iter(child.children))
                    break
            else:
                stack.pop()

    def find(self, match: Callable[[Node], bool]) -> Node | None:
        return next((node for node in self.descendants() if match(node)), None)

    def find_all(self, match: Callable[[Node], bool]) -> list[Node]:
        return [node for node in self.descendants() if match(node)]

    def ancestor(self, match: Callable[[Node], bool]) -> Node | None:
        node = self.parent
        while node is not None and not match(node):
            node = node.parent
        return node

    def text(self) -> str:
        """The visible text: line breaks around block elements and at <br>, no script/style."""
        parts: list[str] = []
        stack: list[tuple[Node, Iterator[Node | str]]] = [(self, iter(self.children))]
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                stack.pop()
                if node.name in BREAKING:
                    parts.append("\n")
            elif isinstance(child, str):
                parts.append(child)
            elif child.name not in INVISIBLE:
                if child.name in BREAKING:
                    parts.append("\n")
                stack.append((child, iter(child.children)))
        return "".join(parts)

    def detach(self) -> None:
        """Take this element (and its content) out of the tree."""
        if self.parent is not None:
            self.parent.children = [c for c in self.parent.children if c is not self]
            self.parent = None

    def prune(self, drop: Callable[[Node], bool]) -> None:
        """Remove every element `drop` selects, with its content (one pass, no recursion)."""
        touched: dict[int, Node] = {}
        doomed: set[int] = set()
        stack = [iter(self.children)]
        while stack:
            for child in stack[-1]:
                if not isinstance(child, Node):
                    continue
                if drop(child):
                    doomed.add(id(child))
                    if child.parent is not None:
                        touched[id(child.parent)] = child.parent
                    continue
                stack.append(iter(child.children))
                break
            else:
                stack.pop()
        for parent in touched.values():
            parent.children = [c for c in parent.children if id(c) not in doomed]


def parse(markup: str) -> Node:
    """The document tree of `markup` (a page or a fragment), rooted at a `#document` node.

    Raises ValueError for the rare markup the standard library's parser rejects outright.
    """
    builder = _Builder()
    try:
        builder.feed(markup)
        builder.close()
    except AssertionError as exc:  # html.parser's reaction to some malformed declarations
        raise ValueError(str(exc)) from None
    return builder.root


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {}, None)
        self.open: list[Node] = [self.root]
        self.counts: Counter[str] = Counter()  # open elements by name: O(1) "is one open?"

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._close_implied(tag)
        node = Node(tag, {name: value or "" for name, value in attrs}, self.open[-1])
        self.open[-1].children.append(node)
        if tag not in VOID:
            self.open.append(node)
            self.counts[tag] += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._close_implied(tag)
        node = Node(tag, {name: value or "" for name, value in attrs}, self.open[-1])
        self.open[-1].children.append(node)

    def handle_endtag(self, tag: str) -> None:
        if self.counts[tag]:  # an end tag with nothing open to close is ignored
            self._pop_to({tag}, set())

    def handle_data(self, data: str) -> None:
        children = self.open[-1].children
        if children and isinstance(children[-1], str):
            children[-1] += data
        else:
            children.append(data)

    def _close_implied(self, tag: str) -> None:
        if self.counts["head"] and tag not in _HEAD_CONTENT:
            self._pop_to({"head"}, set())
        if tag in _CLOSES_P and self.counts["p"]:
            self._pop_to({"p"}, _P_SCOPE)
        implied = _IMPLIED.get(tag)
        if implied and any(self.counts[name] for name in implied[0]):
            self._pop_to(*implied)

    def _pop_to(self, names: set[str], boundary: set[str]) -> None:
        for index in range(len(self.open) - 1, 0, -1):
            name = self.open[index].name
            if name in names:
                for node in self.open[index:]:
                    self.counts[node.name] -= 1
                del self.open[index:]
                return
            if name in boundary:
                return


def holders(root: Node, names: frozenset[str]) -> set[int]:
    """ids of the elements that have an element named in `names` somewhere inside them.

    One pass from the last element back to the first, so each element is seen once, however
    deep the nesting.
    """
    found: set[int] = set()
    for node in reversed(list(root.descendants())):
        if (node.name in names or id(node) in found) and node.parent is not None:
            found.add(id(node.parent))
    return found


def tagged(*names: str) -> Callable[[Node], bool]:
    """A match for elements with one of these names."""
    wanted = frozenset(names)
    return lambda node: node.name in wanted


def classed(*names: str) -> Callable[[Node], bool]:
    """A match for elements carrying one of these classes."""
    wanted = frozenset(names)
    return lambda node: not wanted.isdisjoint(node.classes)

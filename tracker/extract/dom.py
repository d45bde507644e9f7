"""HTML trees for reading text, on Lexbor (through selectolax): a spec-compliant HTML parser in C.

Lexbor builds the tree the way a browser does (implied end tags, misnested formatting, text
outside <body>), in about 3 ms for a 150 KB page, and keeps every level of a page nested
10,000 deep. CSS selectors run in C. What is left to Python is reading text with line breaks
around block elements, and every walk here is iterative, so deep nesting cannot exhaust the
stack.

Elements are selectolax nodes. A node's `mem_id` is its identity: selectolax makes a new
Python object each time a node is reached, so sets of nodes are sets of `mem_id`s.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator

from selectolax.lexbor import LexborHTMLParser, LexborNode

Node = LexborNode

# Content no reader sees as text.
INVISIBLE = frozenset({"script", "style", "template", "noscript", "head", "title"})
# Elements rendered on a line of their own.
BREAKING = frozenset(
    {"p", "div", "li", "tr", "ul", "ol", "dl", "dt", "dd", "table", "thead", "tbody", "tfoot",
     "section", "article", "header", "footer", "main", "nav", "aside", "blockquote", "pre",
     "h1", "h2", "h3", "h4", "h5", "h6", "hr", "br", "figure", "figcaption", "address",
     "details", "summary", "caption", "center", "form", "fieldset"}
)  # fmt: skip
TEXT = "-text"  # selectolax's name for a text node; comments are "-comment"


def parse(markup: str) -> Node:
    """The `<html>` element of `markup` (a whole page or a fragment).

    Raises ValueError for text the parser cannot take (it accepts any markup; what it refuses
    is a string that cannot be encoded, e.g. with a lone surrogate).
    """
    try:
        root = LexborHTMLParser(markup).root
    except (UnicodeError, RuntimeError) as exc:
        raise ValueError(str(exc)) from None
    if root is None:  # an empty string still gives <html><head><body>; kept as a guard
        raise ValueError("the parser built no document")
    return root


def body(root: Node) -> Node:
    """The `<body>` of a parsed document (a fragment's elements are its children)."""
    return first(root, "body") or root


def children(node: Node) -> Iterator[Node]:
    """Child elements and text nodes, in order (comments are skipped by readers)."""
    return node.iter(include_text=True)


def first(node: Node, selector: str) -> Node | None:
    """The first element inside `node` (not `node` itself) that `selector` matches."""
    own = node.mem_id
    # Lexbor stops at the first match (in document order, as `css` lists them); only when
    # that is `node` itself are the others needed.
    match = node.css_first(selector)
    if match is None or match.mem_id != own:
        return match
    for match in node.css(selector):
        if match.mem_id != own:
            return match
    return None


def find_all(node: Node, selector: str) -> list[Node]:
    """Every element inside `node` (not `node` itself) that `selector` matches, in order,
    each once (Lexbor lists an element once per selector of a list that it matches)."""
    seen = {node.mem_id}
    found = []
    for match in node.css(selector):
        ident = match.mem_id
        if ident not in seen:
            seen.add(ident)
            found.append(match)
    return found


def classes(node: Node) -> list[str]:
    return (node.attributes.get("class") or "").split()


def attr(node: Node, name: str) -> str | None:
    """An attribute's value; "" for an attribute written without one (`hidden`)."""
    attributes = node.attributes
    if name not in attributes:
        return None
    return attributes[name] or ""


def enclosed_by(node: Node, ids: Collection[int]) -> bool:
    """Whether an element enclosing `node` (not `node` itself) is one of `ids` (`mem_id`s)."""
    parent = node.parent
    while parent is not None:
        if parent.mem_id in ids:
            return True
        parent = parent.parent
    return False


def ancestor(node: Node, class_name: str) -> Node | None:
    """The nearest enclosing element carrying `class_name`."""
    parent = node.parent
    while parent is not None and parent.tag != "-document":
        if class_name in classes(parent):
            return parent
        parent = parent.parent
    return None


def text(node: Node, skip: Collection[int] = ()) -> str:
    """The visible text: line breaks around block elements and at <br>, no script/style.

    Elements whose `mem_id` is in `skip` are left out with their content.
    """
    parts: list[str] = []
    append = parts.append
    stack: list[tuple[str, Iterator[Node]]] = [(node.tag or "-", node.iter(include_text=True))]
    while stack:
        tag, nodes = stack.pop()
        for child in nodes:  # resumed where it stopped when an element inside was entered
            name = child.tag or "-"
            if name == TEXT:
                append(child.text_content or "")
            elif name[0] == "-" or name in INVISIBLE or (skip and child.mem_id in skip):
                continue
            else:
                if name in BREAKING:
                    append("\n")
                stack.append((tag, nodes))
                stack.append((name, child.iter(include_text=True)))
                break
        else:
            if tag in BREAKING:
                append("\n")
    return "".join(parts)


def elements(node: Node) -> Iterator[Node]:
    """Every element inside `node`, in document order."""
    own = node.mem_id
    for element in node.traverse(include_text=False):
        if element.mem_id != own and (element.tag or "-")[0] != "-":
            yield element


def holders(root: Node, names: frozenset[str]) -> set[int]:
    """mem_ids of the elements that have an element named in `names` somewhere inside them.

    Each element named in `names` marks its ancestors, stopping at one already marked, so each
    element is marked once however deep the nesting.
    """
    found: set[int] = set()
    top = root.mem_id
    for node in _named(root, names):
        parent = node.parent
        while parent is not None and parent.tag != "-document":
            ident = parent.mem_id
            if ident in found:
                break
            found.add(ident)
            if ident == top:
                break
            parent = parent.parent
    return found


def _named(root: Node, names: frozenset[str]) -> list[Node]:
    """The elements named in `names`, `root` included, in document order.

    Lexbor walks the tree once per selector of a list: for more than a couple of names one walk
    in Python costs less.
    """
    if len(names) <= 2:
        return root.css(", ".join(sorted(names)))
    return [node for node in root.traverse() if node.tag in names]

"""The coloured word diff of a feed entry, as Atom `xhtml` content (RFC 4287 §3.1.1.3).

Feed readers drop stylesheets, so the colours are inline styles on `<del>` and `<ins>`; the
text goes in as ElementTree text, which escapes it: scraped markup is never rendered.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable

from ..models import DELETE, INSERT, EditRecord
from .describe import display_diff, event_label, window_text

XHTML = "http://www.w3.org/1999/xhtml"
DELETED_STYLE = "background:#fbdcdc;color:#86181d;text-decoration:line-through"
INSERTED_STYLE = "background:#d7f5dd;color:#144620;text-decoration:none"


def xhtml_content(
    entry: ET.Element, record: EditRecord, clean: Callable[[object], str], link: str | None
) -> None:
    """Append `<content type="xhtml"><div>…</div></content>` to `entry`."""
    content = ET.SubElement(entry, "{http://www.w3.org/2005/Atom}content", {"type": "xhtml"})
    div = ET.SubElement(content, f"{{{XHTML}}}div")
    event = record.event
    head = ET.SubElement(div, f"{{{XHTML}}}p")
    head.text = clean(f"{event_label(event)} {window_text(record)}.")
    diff = ET.SubElement(div, f"{{{XHTML}}}p")
    last: ET.Element | None = None
    for op, text in display_diff(event):
        if op in (DELETE, INSERT):
            tag, style = ("del", DELETED_STYLE) if op == DELETE else ("ins", INSERTED_STYLE)
            last = ET.SubElement(diff, f"{{{XHTML}}}{tag}", {"style": style})
            last.text = clean(text)
        elif last is None:
            diff.text = (diff.text or "") + clean(text)
        else:
            last.tail = (last.tail or "") + clean(text)
    if event.reasons:
        reasons = ET.SubElement(div, f"{{{XHTML}}}ul")
        for reason in event.reasons:
            ET.SubElement(reasons, f"{{{XHTML}}}li").text = clean(reason)
    if link:
        para = ET.SubElement(div, f"{{{XHTML}}}p")
        anchor = ET.SubElement(para, f"{{{XHTML}}}a", {"href": clean(link)})
        anchor.text = clean(link)

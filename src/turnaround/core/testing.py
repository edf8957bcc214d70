"""Helpers for page tests: what a screen reader announces with a control.

Stdlib only (``html.parser``), so tests need no HTML library.
"""

from __future__ import annotations

from html.parser import HTMLParser

_VOID = {
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
    "track", "wbr",
}  # fmt: skip


class _IdIndex(HTMLParser):
    """Every element with an id: its attributes and its text content."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.attrs: dict[str, dict[str, str]] = {}
        self.text: dict[str, list[str]] = {}
        self._open: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        element_id = values.get("id")
        if element_id:
            self.attrs.setdefault(element_id, values)
            self.text.setdefault(element_id, [])
        if tag not in _VOID:
            self._open.append((tag, element_id))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if values.get("id"):
            self.attrs.setdefault(values["id"], values)
            self.text.setdefault(values["id"], [])

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self._open) - 1, -1, -1):
            if self._open[i][0] == tag:
                del self._open[i:]
                return

    def handle_data(self, data: str) -> None:
        for _, element_id in self._open:
            if element_id:
                self.text[element_id].append(data)


def described_by(html: str, control_id: str) -> dict[str, str]:
    """The ids the element ``control_id`` names in ``aria-describedby``, each with the text of
    the element carrying that id ("" when there is none on the page).

    Raises ``AssertionError`` when the page has no element with id ``control_id``.
    """
    index = _IdIndex()
    index.feed(html)
    index.close()
    assert control_id in index.attrs, f"no element with id {control_id!r}"
    names = index.attrs[control_id].get("aria-describedby", "").split()
    return {name: " ".join("".join(index.text.get(name, [])).split()) for name in names}

"""Read the charts of a report page: each ``<svg data-chart>`` and the elements inside it."""

from __future__ import annotations

from html.parser import HTMLParser

Element = dict[str, str]


class _Charts(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.charts: dict[str, list[Element]] = {}
        self.urls: list[str] = []
        self._chart: str | None = None
        self._depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {k: v or "" for k, v in attrs}
        self.urls += [v for k, v in attributes.items() if k in {"src", "href", "xlink:href"}]
        if tag == "svg" and "data-chart" in attributes:
            self._chart = attributes["data-chart"]
            self._depth = 0
            self.charts[self._chart] = []
        elif self._chart is not None:
            self._depth += 1
            self.charts[self._chart].append({"tag": tag, **attributes})

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if self._chart is None:
            return
        if self._depth == 0 and tag == "svg":
            self._chart = None
        else:
            self._depth -= 1


def charts(page: str) -> dict[str, list[Element]]:
    """Chart name -> the elements inside its ``<svg>`` (tag and attributes)."""
    parser = _Charts()
    parser.feed(page)
    parser.close()
    return parser.charts


def linked_urls(page: str) -> list[str]:
    """Every ``src`` and ``href`` of the page."""
    parser = _Charts()
    parser.feed(page)
    parser.close()
    return parser.urls


def marks(elements: list[Element], cls: str) -> list[Element]:
    """The elements whose class list has ``cls`` (``bar``, ``day``, ``series``, ...)."""
    return [e for e in elements if cls in e.get("class", "").split()]

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import template

register = template.Library()


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    if mapping is None:
        return None
    return mapping.get(key)


@register.filter
def urlencode_dict(params: dict[str, str], page: Any = None) -> str:
    """Encode query parameters, optionally setting the page number."""
    values = dict(params or {})
    if page is not None:
        values["page"] = str(page)
    return urlencode(values)


@register.filter
def pct(value: Any) -> str:
    if value is None:
        return "—"
    return f"{value:.1f}%"


@register.filter
def num1(value: Any) -> str:
    if value is None:
        return "—"
    return f"{value:.1f}"

"""Parse URL query parameters into safe values: hostile input becomes a default plus a notice."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

MAX_VALUE_LEN = 200
MAX_VALUES = 20
MAX_PAGE = 1_000_000


@dataclass
class UrlParams:
    """Read-only view of the query string (`key -> list of values`) that collects notices."""

    raw: Mapping[str, list[str]]
    notices: list[str] = field(default_factory=list)

    @classmethod
    def from_pairs(cls, pairs: Mapping[str, str | list[str]]) -> UrlParams:
        return cls({k: ([v] if isinstance(v, str) else list(v)) for k, v in pairs.items()})

    def values(self, key: str, *, max_values: int = MAX_VALUES, max_len: int = MAX_VALUE_LEN) -> list[str]:
        """All values of a repeatable parameter, stripped, de-duplicated, bounded in count and length."""
        out: list[str] = []
        for value in self.raw.get(key, []):
            value = value.strip()
            if not value:
                continue
            if len(value) > max_len or "\x00" in value:
                self.notices.append(f"Ignored an over-long or invalid value of '{key}'.")
                continue
            if value not in out:
                out.append(value)
        if len(out) > max_values:
            self.notices.append(f"Only the first {max_values} values of '{key}' are used.")
            out = out[:max_values]
        return out

    def text(self, key: str, default: str = "", *, max_len: int = MAX_VALUE_LEN) -> str:
        values = self.values(key, max_values=1 << 30, max_len=max_len)
        return values[0] if values else default

    def choice(self, key: str, allowed: Iterable[str], default: str | None = None) -> str | None:
        """A value that must be one of `allowed`; anything else gives `default` and a notice."""
        value = self.text(key)
        if not value:
            return default
        allowed_set = set(allowed)
        if value in allowed_set:
            return value
        self.notices.append(f"Unknown value for '{key}'; showing the default instead.")
        return default

    def integer(self, key: str, default: int, *, lo: int = 0, hi: int = MAX_PAGE) -> int:
        """An integer clamped to [lo, hi]; non-numbers give `default` and a notice."""
        value = self.text(key, max_len=32)
        if not value:
            return default
        try:
            number = int(value)
        except ValueError:
            self.notices.append(f"'{key}' must be a whole number; using {default}.")
            return default
        if number < lo or number > hi:
            clamped = min(max(number, lo), hi)
            self.notices.append(f"'{key}' is out of range; using {clamped}.")
            return clamped
        return number

    def known(self, key: str, is_known: Callable[[list[str]], list[str]]) -> list[str]:
        """Values of `key` kept only where `is_known` (one batched lookup) confirms them."""
        values = self.values(key)
        if not values:
            return []
        kept = set(is_known(values))
        unknown = [v for v in values if v not in kept]
        if unknown:
            self.notices.append(f"No data has the {key} value(s): {', '.join(unknown[:5])}.")
        return [v for v in values if v in kept]


def page_count(total: int, page_size: int) -> int:
    """Number of pages for `total` rows (at least 1)."""
    return max(1, -(-total // page_size))

"""The filters of each dataset as values: parsed from and written to the URL. SQL lives in queries/."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Literal

from explorer.urlstate import UrlParams

SPLITS = ("train", "valid", "test")
TAG_KINDS = ("style", "content", "atmosphere")
MAX_QUERY_LEN = 200
_SLUG = re.compile(r"[^a-z0-9]+")


def _slug(text: str, limit: int = 40) -> str:
    return _SLUG.sub("-", text.lower()).strip("-")[:limit]


def search_words(q: str, limit: int = 8) -> list[str]:
    """The words of a free-text search (case-insensitive, at most `limit`)."""
    return [w for w in re.split(r"\s+", q.strip().lower()) if w][:limit]


@dataclass(frozen=True)
class JourneyFilter:
    """What the JourneyDB gallery and stats pages show: tags, split, parameters, text."""

    q: str = ""
    styles: tuple[str, ...] = ()
    contents: tuple[str, ...] = ()
    atmospheres: tuple[str, ...] = ()
    match: Literal["all", "any"] = "all"
    split: str | None = None
    version: str | None = None
    aspect_ratio: str | None = None

    def tags(self) -> dict[str, tuple[str, ...]]:
        """Selected tags per kind (`style`, `content`, `atmosphere`)."""
        return {"style": self.styles, "content": self.contents, "atmosphere": self.atmospheres}

    @property
    def is_empty(self) -> bool:
        return self == JourneyFilter(match=self.match)

    def with_tag(self, kind: str, tag: str) -> JourneyFilter:
        """This filter with one more tag of `kind` (no-op when already selected)."""
        name = {"style": "styles", "content": "contents", "atmosphere": "atmospheres"}[kind]
        current: tuple[str, ...] = getattr(self, name)
        return self if tag in current else replace(self, **{name: (*current, tag)})

    @classmethod
    def from_url(cls, params: UrlParams) -> JourneyFilter:
        return cls(
            q=params.text("q", max_len=MAX_QUERY_LEN),
            styles=tuple(params.values("style")),
            contents=tuple(params.values("content")),
            atmospheres=tuple(params.values("atmosphere")),
            match="any" if params.choice("match", ("all", "any"), "all") == "any" else "all",
            split=params.choice("split", SPLITS),
            version=params.text("version", max_len=32) or None,
            aspect_ratio=params.text("ar", max_len=32) or None,
        )

    def to_url(self) -> dict[str, str | list[str] | None]:
        return {
            "q": self.q or None,
            "style": list(self.styles),
            "content": list(self.contents),
            "atmosphere": list(self.atmospheres),
            "match": "any" if self.match == "any" else None,
            "split": self.split,
            "version": self.version,
            "ar": self.aspect_ratio,
        }

    def slug(self) -> str:
        """A short file-name-safe description of the filter, e.g. `style-anime_q-cat`."""
        parts = [f"{k}-{_slug('+'.join(v))}" for k, v in self.tags().items() if v]
        parts += [f"{k}-{_slug(str(v))}" for k, v in (("q", self.q), ("split", self.split),
                  ("v", self.version), ("ar", self.aspect_ratio)) if v]  # fmt: skip
        return "_".join(parts)[:120] or "all"


@dataclass(frozen=True)
class Triple:
    """A relationship pattern `subject | predicate | object`; None is a wildcard."""

    subject: str | None = None
    predicate: str | None = None
    object: str | None = None

    @classmethod
    def parse(cls, text: str) -> Triple | None:
        """`man|riding|` -> Triple('man', 'riding', None); None when malformed or all blank."""
        parts = [p.strip().lower() or None for p in text.split("|")]
        if len(parts) != 3 or all(p is None for p in parts):
            return None
        return cls(*parts)

    def __str__(self) -> str:
        return "|".join(p or "" for p in (self.subject, self.predicate, self.object))


@dataclass(frozen=True)
class AttributeFilter:
    """An attribute on any object (`red`) or on objects of one name (`red|car`: a red car)."""

    attribute: str
    object: str | None = None

    @classmethod
    def parse(cls, text: str) -> AttributeFilter | None:
        parts = [p.strip().lower() for p in text.split("|")]
        if len(parts) == 1 and parts[0]:
            return cls(parts[0])
        if len(parts) == 2 and parts[0]:
            return cls(parts[0], parts[1] or None)
        return None

    def __str__(self) -> str:
        return self.attribute if self.object is None else f"{self.attribute}|{self.object}"


@dataclass(frozen=True)
class VGFilter:
    """What the Visual Genome gallery and stats pages show: objects, attributes, triples, text."""

    objects: tuple[str, ...] = ()
    attributes: tuple[AttributeFilter, ...] = ()
    relationships: tuple[Triple, ...] = field(default=())
    q: str = ""

    @property
    def is_empty(self) -> bool:
        return self == VGFilter()

    def with_object(self, name: str) -> VGFilter:
        return self if name in self.objects else replace(self, objects=(*self.objects, name))

    @classmethod
    def from_url(cls, params: UrlParams) -> VGFilter:
        attrs, rels = [], []
        for raw in params.values("attribute"):
            parsed = AttributeFilter.parse(raw)
            if parsed is None:
                params.notices.append("Ignored a malformed 'attribute' (use 'red' or 'red|car').")
            elif parsed not in attrs:
                attrs.append(parsed)
        for raw in params.values("rel"):
            triple = Triple.parse(raw)
            if triple is None:
                params.notices.append("Ignored a malformed 'rel' (use 'subject|predicate|object').")
            elif triple not in rels:
                rels.append(triple)
        return cls(
            objects=tuple(v.lower() for v in params.values("object")),
            attributes=tuple(attrs),
            relationships=tuple(rels),
            q=params.text("q", max_len=MAX_QUERY_LEN),
        )

    def to_url(self) -> dict[str, str | list[str] | None]:
        return {
            "object": list(self.objects),
            "attribute": [str(a) for a in self.attributes],
            "rel": [str(t) for t in self.relationships],
            "q": self.q or None,
        }

    def slug(self) -> str:
        parts = []
        if self.objects:
            parts.append("object-" + _slug("+".join(self.objects)))
        if self.attributes:
            parts.append("attribute-" + _slug("+".join(str(a) for a in self.attributes)))
        if self.relationships:
            parts.append("rel-" + _slug("+".join(str(t) for t in self.relationships)))
        if self.q:
            parts.append("q-" + _slug(self.q))
        return "_".join(parts)[:120] or "all"

"""The Smarter platform's ``TimestampedModel`` members that this app keeps for code ported from it.

They sit in one mixin, so the base model shows what a record needs here and this module what
the platform's callers expect to find.
"""

import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from flask import has_request_context, request
from sqlalchemy.orm import Mapped

from .. import hashing, serialization
from .columns import utcnow


class ElapsedSeconds(int):
    """Seconds since ``updated_at`` that can also be called with another reference time."""

    updated_at: datetime

    def __new__(cls, updated_at: datetime, reference: datetime | None = None):
        self = super().__new__(cls, _seconds_between(updated_at, reference))
        self.updated_at = updated_at
        return self

    def __call__(self, reference: datetime | None = None) -> int:
        return _seconds_between(self.updated_at, reference)


def _seconds_between(updated_at: datetime, reference: datetime | None) -> int:
    if reference is None:
        reference = utcnow()
    if not isinstance(reference, datetime):
        raise TypeError(f"expected a datetime, not {type(reference).__name__}")
    if reference.tzinfo is None:
        reference = reference.replace(tzinfo=UTC)
    return int(abs((reference - updated_at).total_seconds()))


class SmarterCompat:
    """Hashing constants and helpers, class-name and readiness properties, data helpers."""

    if TYPE_CHECKING:  # what the model this is mixed into provides
        id: Mapped[int]
        updated_at: Mapped[datetime]

        def rule_errors(self) -> dict: ...

    HASH_FLOOR = hashing.HASH_FLOOR

    HASH_PREFIX = hashing.HASH_PREFIX

    HASH_SUFFIX = hashing.HASH_SUFFIX

    amnesty_urls = ["/healthz", "/readiness", "/favicon.ico", "/robots.txt"]
    """Paths served without a login."""

    @classmethod
    def id_from_hashed_id(cls, hashed_id) -> int | None:
        return hashing.id_from_hashed_id(hashed_id)

    @classmethod
    def hash_regex(cls) -> re.Pattern:
        return hashing.hash_regex()

    @classmethod
    def find_hash(cls, value) -> str | None:
        return hashing.find_hash(value)

    @property
    def unformatted_class_name(self) -> str:
        return type(self).__name__

    @property
    def formatted_class_name(self) -> str:
        return f"{type(self).__module__}.{type(self).__name__}()"

    @property
    def ready(self) -> bool:
        """Saved, and valid under today's catalog (which may have changed since the save)."""
        return self.id is not None and not self.rule_errors()

    @property
    def formatted_state_ready(self) -> str:
        return "READY"

    @property
    def formatted_state_not_ready(self) -> str:
        return "NOT_READY"

    @property
    def elapsed_updated(self) -> ElapsedSeconds | None:
        """Whole seconds since ``updated_at``; call it with a datetime to measure from there."""
        return ElapsedSeconds(self.updated_at) if self.updated_at is not None else None

    data_to_dict = staticmethod(serialization.data_to_dict)

    sorted_dict = staticmethod(serialization.sorted_dict)

    mask_string = staticmethod(serialization.mask_string)

    @staticmethod
    def build_absolute_uri(req=None) -> str:
        """The absolute URL of ``req`` (the current request by default)."""
        req = req if req is not None else (request if has_request_context() else None)
        if req is None or not getattr(req, "url", None):
            raise ValueError("no request to build an absolute URI from")
        return req.url

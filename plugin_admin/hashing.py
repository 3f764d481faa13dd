"""Hashed ids and record locators: the Smarter platform's scheme, as pure functions.

Kept free of Flask and SQLAlchemy so the scheme can be tested (and reused by the
admin views, the locator routes and the manifests) without an application.
"""

import base64
import binascii
import re

HASH_FLOOR = 1000000
HASH_PREFIX = "r"
HASH_SUFFIX = "x"

_HASH_RE = re.compile(rf"{HASH_PREFIX}[A-Za-z0-9_-]+{HASH_SUFFIX}")
_BODY_LENGTHS = tuple(sorted({-(-digits * 4 // 3) for digits in range(7, 20)}))
"""Possible unpadded base64 lengths of ``pk + HASH_FLOOR`` (7 to 19 digits for a BIGINT)."""
_MAX_HASH_LENGTH = len(HASH_PREFIX) + _BODY_LENGTHS[-1] + len(HASH_SUFFIX)
_MAX_PK = 2**63 - 1
"""The largest BIGINT: a 19-digit hashed id can decode past it, to an id no record can have."""


def hash_regex() -> re.Pattern:
    """The pattern of a hashed id, to be searched anywhere in a string."""
    return _HASH_RE


def hashed_id(pk: int) -> str:
    """Encode a primary key as ``r`` + unpadded url-safe base64 of ``pk + HASH_FLOOR`` + ``x``."""
    encoded = base64.urlsafe_b64encode(str(pk + HASH_FLOOR).encode("ascii"))
    return f"{HASH_PREFIX}{encoded.decode('ascii').rstrip('=')}{HASH_SUFFIX}"


def id_from_hashed_id(value) -> int | None:
    """Decode a hashed id; any malformed input gives ``None``, never an exception."""
    if not isinstance(value, str) or len(value) > _MAX_HASH_LENGTH:
        return None
    if not _HASH_RE.fullmatch(value):
        return None
    body = value[len(HASH_PREFIX) : -len(HASH_SUFFIX)]
    try:
        decoded = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode("ascii")
    except (binascii.Error, ValueError):
        return None
    if not decoded.isdigit() or not decoded.isascii():
        return None
    pk = int(decoded) - HASH_FLOOR
    if not 1 <= pk <= _MAX_PK or hashed_id(pk) != value:
        # The round trip rejects aliases (leading zeros, non-canonical padding bits),
        # so each record has exactly one hashed id.
        return None
    return pk


def find_hash(text) -> str | None:
    """The first hashed id in ``text`` that decodes.

    Matches overlap ("userprofile-rMTAwMDAwNQx" holds "rprofile-rMTAwMDAwNQx" too), so
    every ``r`` is tried as a start and every ``x`` after it as an end; the source
    returned the first regex match even when it could not decode.
    """
    if not isinstance(text, str):
        return None
    for start in (m.start() for m in re.finditer(HASH_PREFIX, text)):
        for length in _BODY_LENGTHS:
            candidate = text[start : start + length + 2]
            if candidate.endswith(HASH_SUFFIX) and id_from_hashed_id(candidate) is not None:
                return candidate
    return None


def record_locator(class_name: str, pk: int) -> str:
    """``<class name lower-cased>-<hashed id>``, e.g. ``pluginprompt-rMTAwMDAwMQx``."""
    return f"{class_name.lower()}-{hashed_id(pk)}"


def parse_locator(locator) -> tuple[str, int] | None:
    """Split a locator into (lower-cased class name, primary key), or ``None`` if malformed."""
    if not isinstance(locator, str) or len(locator) > 255:
        return None
    prefix, sep, hashed = locator.rpartition("-")
    if not sep or not prefix.isalpha() or not prefix.isascii():
        return None
    pk = id_from_hashed_id(hashed)
    if pk is None:
        return None
    return prefix.lower(), pk

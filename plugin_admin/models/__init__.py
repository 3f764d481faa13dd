"""The domain's models: the shared base, the write gate, the plugin models and users.

Importing this package registers the write gate on every session and sets up revisions
(``versioning`` first: SQLAlchemy-Continuum must see the models as they are declared).
"""

import sqlalchemy as sa

from . import (
    gate,
    versioning,
)
from .base import MultipleObjectsReturned, ObjectDoesNotExist, TimestampedModel, unique_errors
from .columns import BigId, UTCDateTime, utcnow
from .gate import prepare_rows, prepare_writes
from .plugins import PluginData, PluginMeta, PluginPrompt, PluginSelector
from .smarter import ElapsedSeconds, SmarterCompat
from .users import User

sa.orm.configure_mappers()  # builds the version tables into the metadata, for migrations and create_all

__all__ = [
    "BigId",
    "ElapsedSeconds",
    "MultipleObjectsReturned",
    "ObjectDoesNotExist",
    "PluginData",
    "PluginMeta",
    "PluginPrompt",
    "PluginSelector",
    "SmarterCompat",
    "TimestampedModel",
    "UTCDateTime",
    "User",
    "gate",
    "prepare_rows",
    "prepare_writes",
    "unique_errors",
    "utcnow",
    "versioning",
]

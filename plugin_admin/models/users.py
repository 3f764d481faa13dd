"""Operators who log in."""

import re
import secrets

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy import event
from sqlalchemy.orm import Mapped, Session, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from .. import hashing, validation
from ..validation import Errors, ValidationError
from .base import TimestampedModel
from .versioning import NOT_VERSIONED

SESSION_FIELDS = ("password_hash", "role", "active")
"""A change to any of these ends every session of the user (SPEC §8)."""


def new_session_token() -> str:
    return secrets.token_urlsafe(24)


class User(UserMixin, TimestampedModel):
    """An operator who logs in; the role decides what they may change."""

    __tablename__ = "user_account"
    json_exclude = ("password_hash", "session_token")
    __versioned__ = {"exclude": [*NOT_VERSIONED, "password_hash", "session_token", "updated_at"]}
    """Revisions of the name, role and active state; never of the password hash or session token."""

    username: Mapped[str] = mapped_column(sa.String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[str] = mapped_column(sa.String(16), default="viewer")
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    session_token: Mapped[str] = mapped_column(sa.String(64), default=new_session_token)
    """Part of every session's user id: a new token ends the sessions that hold the old one."""

    def __str__(self) -> str:
        return self.username

    @property
    def is_active(self) -> bool:
        return bool(self.active)

    def get_id(self) -> str:
        """Flask-Login's alternative id: the hashed id and the current session token, so a session
        ends on the server when the token changes (``end_sessions``)."""
        return f"{self.hashed_id}.{self.session_token}"

    @staticmethod
    def parse_session_id(session_id) -> tuple[int, str] | None:
        """``(primary key, token)`` from a session's user id, or None when it is not one."""
        hashed, _, token = str(session_id).partition(".")
        pk = hashing.id_from_hashed_id(hashed)
        return (pk, token) if pk is not None and token else None

    def end_sessions(self) -> None:
        """Log out every session of this user, in every browser (logout, and changes of SESSION_FIELDS)."""
        self.session_token = new_session_token()

    def set_password(self, password: str) -> None:
        if not password or len(password) < 8:
            raise ValidationError({"password": ["must be at least 8 characters"]}, model="User")
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)

    def can(self, role: str) -> bool:
        """Whether this user holds ``role`` or a stronger one."""
        return validation.ROLES.index(self.role) >= validation.ROLES.index(role)

    @classmethod
    def clean_values(cls, v: dict) -> None:
        v["username"] = validation.stripped(v["username"])
        v["role"] = validation.stripped(v["role"] or "").lower()

    @classmethod
    def check_values(cls, v: dict) -> Errors:
        errors = super().check_values(v)
        if not isinstance(v["username"], str) or not re.fullmatch(r"[A-Za-z0-9_.@-]{1,80}", v["username"]):
            errors.add("username", f"{validation.show(v['username'])} must be 1–80 letters, digits or _ . @ -")
        validation.check_choice(errors, "role", v["role"], validation.ROLES, "the roles of this admin")
        if not v["password_hash"]:
            errors.add("password", "is required")
        return errors


@event.listens_for(Session, "before_flush")
def _end_sessions_on_change(session, flush_context, instances):
    """A password, role or active flag that changes ends the user's sessions, whatever path wrote it."""
    for user in session.dirty:
        state = sa.inspect(user)
        if isinstance(user, User) and any(state.attrs[f].history.has_changes() for f in SESSION_FIELDS):
            user.end_sessions()

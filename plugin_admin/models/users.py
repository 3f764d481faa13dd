"""Operators who log in."""

import re

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from .. import validation
from ..validation import Errors, ValidationError
from .base import TimestampedModel
from .versioning import NOT_VERSIONED


class User(UserMixin, TimestampedModel):
    """An operator who logs in; the role decides what they may change."""

    __tablename__ = "user_account"
    json_exclude = ("password_hash",)
    __versioned__ = {"exclude": [*NOT_VERSIONED, "password_hash", "updated_at"]}
    """Revisions of the name, role and active state; never of the password hash."""

    username: Mapped[str] = mapped_column(sa.String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[str] = mapped_column(sa.String(16), default="viewer")
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True)

    def __str__(self) -> str:
        return self.username

    @property
    def is_active(self) -> bool:
        return bool(self.active)

    def get_id(self) -> str | None:
        """The session remembers the hashed id, like every other place that names a record."""
        return self.hashed_id

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

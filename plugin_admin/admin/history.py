"""The History tab of every record, its comparisons and restores, and the audit of every revision (SPEC §6).

``HistoryViews`` adds ``/admin/<model>/history/`` (revisions newest first; ``a``/``b``
side by side; ``rev`` read-only) and ``POST /admin/<model>/restore/`` to a model view.
Revisions are read and restored by ``plugin_admin.revisions``; a restore is a save like
any other, through the write gate and the ``row_version`` check.
"""

import csv
import io
from datetime import UTC, datetime

from flask import Response, abort, flash, redirect, request
from flask_admin import expose
from flask_admin.contrib.sqla import ModelView
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from .. import hashing, revisions
from ..auth import check_role, has_role
from ..extensions import db
from ..models import versioning
from ..serialization import csv_cell, json_ready
from ..validation import ValidationError
from .roles import RoleGate

MAX_PAGE = 100_000
CSV_ROWS = 10_000
"""Most revisions one CSV export holds (the newest that match the filters)."""


def _int_arg(name: str, default: int | None = None, top: int = 2**31 - 1) -> int | None:
    """A non-negative integer query argument, or ``default``; anything else is a 400 with a message."""
    raw = request.values.get(name, "")
    if raw == "":
        return default
    if not raw.isdigit() or int(raw) > top:
        abort(400, description=f"{name} must be a whole number from 0 to {top}")
    return int(raw)


class HistoryViews(ModelView):
    """History, comparison, read-only revision and restore for a ``SecureModelView``."""

    def field_labels(self) -> dict:
        """Column labels as the model's other pages show them; a foreign key under its relationship's name."""
        return {key: self.get_column_name(self.form_field_for(key)) for key in revisions.shown_keys(self.model)}

    def record_id(self) -> int:
        pk = self.model.id_from_hashed_id(request.values.get("id"))
        if pk is None:
            abort(404)
        return pk

    @expose("/history/")
    def history_view(self):
        pk = self.record_id()
        record = db.session.get(self.model, pk)
        page = _int_arg("page", 0, MAX_PAGE) or 0
        rows, total = revisions.history(self.model, pk, page)
        if not total:
            abort(404)
        context: dict[str, object] = {
            "mode": "list",
            "revision": None,
            "previous": None,
            "a": None,
            "b": None,
            "diffs": None,
        }
        a, b, shown = _int_arg("a"), _int_arg("b"), _int_arg("rev")
        if shown is not None:
            revision = revisions.get(self.model, pk, shown) or abort(404)
            context.update(mode="revision", revision=revision, previous=revisions.before(revision))
        elif b is not None:
            newer = revisions.get(self.model, pk, b) or abort(404)
            older = (revisions.get(self.model, pk, a) if a is not None else revisions.before(newer)) or newer
            if older.n > newer.n:
                older, newer = newer, older
            context.update(mode="compare", a=older, b=newer, diffs=revisions.compare(older, newer))
        last = rows[0] if page == 0 else revisions.latest(self.model, pk) or rows[0]
        return self.render(
            "admin/history.html",
            record=record,
            record_exists=record is not None,
            title=str(record) if record is not None else f"a deleted {self.name.lower().rstrip('s')}",
            hashed_id=hashing.hashed_id(pk),
            locator=hashing.record_locator(self.model.__name__, pk),
            revisions=rows,
            total=total,
            page=page,
            pages=(total + revisions.PAGE_SIZE - 1) // revisions.PAGE_SIZE,
            last_n=last.n if last is not None else total,
            fields=revisions.shown_keys(self.model),
            labels=self.field_labels(),
            can_restore=has_role(self.write_role),
            can_undelete=has_role(self.delete_role),
            return_url=self.get_url(".index_view"),
            **context,
        )

    @expose("/restore/", methods=("POST",))
    def restore_view(self):
        """Editors restore a revision of a live record; admins also bring back a deleted one."""
        pk = self.record_id()
        n = _int_arg("rev")
        history = self.get_url(".history_view", id=hashing.hashed_id(pk))
        if n is None:
            flash("Choose the revision to restore.", "error")
            return redirect(history)
        if revisions.is_deleted(self.model, pk):
            check_role(self.delete_role)
        versioning.set_context(db.session, note=request.form.get("note") or f"restored revision {n}")
        try:
            record = revisions.restore(self.model, pk, n, row_version=request.form.get("row_version"))
        except ValidationError as error:
            db.session.rollback()
            flash(f"Revision {n} cannot be restored: today's rules refuse it; nothing was written.", "error")
            for field, messages in error.errors.items():
                for message in messages:
                    flash(f"{self.get_column_name(field)}: {message}", "error")
            return redirect(history)
        except revisions.RestoreError as error:
            db.session.rollback()
            flash(str(error), "error")
            return redirect(history)
        except (IntegrityError, StaleDataError):  # someone else wrote the record during this restore
            db.session.rollback()
            flash("The record changed while it was being restored; nothing was written. Try again.", "error")
            return redirect(history)
        flash(f"Revision {n} restored as revision {record.revision}.", "success")
        return redirect(self.get_url(".history_view", id=record.hashed_id))


def _parse_time(name: str):
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        abort(400, description=f"{name} must be a date and time such as 2026-12-01T09:30 (UTC)")
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


class AuditView(RoleGate):
    """``/admin/audit/``: every revision of every model, newest first, filtered, in pages and as CSV."""

    def readable_models(self) -> dict:
        """Models whose revisions the current user may read (user accounts: admins only)."""
        views = {getattr(v, "model", None): v for v in self.admin._views}
        return {m: views[m] for m in revisions.MODELS if m in views and has_role(views[m].read_role)}

    def filters(self, readable: dict) -> revisions.AuditFilter:
        model = revisions.model_named(request.args.get("model", ""))
        if request.args.get("model") and model not in readable:
            abort(400, description="model must be one of " + ", ".join(m.__name__.lower() for m in readable))
        action = request.args.get("action", "") or None
        if action is not None and action not in versioning.ACTIONS:
            abort(400, description="action must be one of " + ", ".join(versioning.ACTIONS))
        actor = request.args.get("actor", "").strip()[: versioning.ACTOR_MAX] or None
        note = request.args.get("q", "").strip()[:200] or None
        return revisions.AuditFilter(
            actor=actor, model=model, action=action, since=_parse_time("since"), until=_parse_time("until"),
            note=note, models=tuple(readable),
        )  # fmt: skip

    @staticmethod
    def cursor() -> revisions.Cursor | None:
        raw = request.args.get("after", "")
        if not raw:
            return None
        parts = raw.split("-")
        if len(parts) != 3 or not all(p.isdigit() and len(p) < 19 for p in parts):
            abort(400, description="after must be a page cursor from this page's Older link")
        after, position, pk = (int(p) for p in parts)
        return after, position, pk

    def filter_args(self) -> dict:
        return {k: v for k, v in request.args.items() if k in ("actor", "model", "action", "since", "until", "q") and v}

    @expose("/")
    def index(self):
        readable = self.readable_models()
        filters = self.filters(readable)
        rows, following = revisions.audit(filters, self.cursor())
        existing = revisions.existing_ids(rows)
        args = self.filter_args()
        return self.render(
            "admin/audit.html",
            revisions=rows,
            existing=existing,
            last_n=revisions.latest_numbers([r for r in rows if (r.model, r.record_id) not in existing]),
            filters=filters,
            args=request.args,
            actors=revisions.actors(),
            models=[(m.__name__.lower(), view.name) for m, view in readable.items()],
            labels={m.__name__.lower(): view.name for m, view in readable.items()},
            actions=versioning.ACTIONS,
            first_args=args,
            next_args={**args, "after": "-".join(map(str, following))} if following else None,
            export_args=args,
        )

    @expose("/export.csv")
    def export_csv(self):
        readable = self.readable_models()
        rows, _ = revisions.audit(self.filters(readable), None, limit=CSV_ROWS)
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["time", "actor", "model", "locator", "revision", "action", "changed fields", "note"])
        for r in rows:
            cells = [json_ready(r.at), r.actor, r.model_name, r.record_locator, r.n, r.action, " ".join(r.changed),
                     r.note or ""]  # fmt: skip
            writer.writerow([csv_cell(c) for c in cells])
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        return Response(
            out.getvalue(),
            content_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="audit-{stamp}.csv"'},
        )

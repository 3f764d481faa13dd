"""Applying a planned import: one transaction per source file, all of it or nothing."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from ..extensions import db
from ..models import PluginMeta
from ..validation import ValidationError, show
from .planning import Planner, same_value
from .schema import CREATE, FIELDS, IDENTITY, KINDS, PARTS, UPDATE, DocumentPlan, ImportPlan, Problem, record_of


def apply(plan: ImportPlan) -> ImportPlan:
    """Write every source whose documents are all valid, each source in one transaction.

    The flush re-validates (the models' gate); a conflict with a concurrent writer rolls the
    whole source back and is reported on the document that met it.
    """
    for plans in plan.sources().values():
        if not all(p.ok for p in plans):
            continue
        current = plans[0]
        try:
            for current in plans:
                if current.action in (CREATE, UPDATE):
                    current.plugin = _write(current)
            db.session.commit()
        except ValidationError as error:
            db.session.rollback()
            planner = Planner(current.document)
            assert current.kind is not None, "only a valid document (which has a kind) is written"
            planner.locate(next(m for m in PARTS if m.__name__ == error.model), KINDS[current.kind], error)
            _fail(plans, current, planner.plan.errors)
        except (IntegrityError, StaleDataError):
            db.session.rollback()
            message = f"{show(current.name)} was changed by someone else during the import; run it again"
            _fail(plans, current, [current.document.problem(FIELDS[PluginMeta]["name"], message)])
        else:
            for p in plans:
                p.applied = p.action in (CREATE, UPDATE)
    return plan


def _fail(plans: list[DocumentPlan], failed: DocumentPlan, errors: list[Problem]) -> None:
    failed.errors.extend(errors)
    for p in plans:
        if p.action == CREATE:
            p.plugin = None  # rolled back: it was never created


def _write(plan: DocumentPlan) -> PluginMeta:
    if plan.action == UPDATE:  # never an update the plan did not show
        assert plan.plugin is not None, "an update is planned against the plugin it found"
        meta = plan.plugin
    else:
        meta = PluginMeta()
    for model, relationship in PARTS.items():
        record = record_of(meta, model)
        if record is None:
            assert relationship is not None  # only a part can be missing: the plugin is meta itself
            record = model()
            setattr(meta, relationship, record)
        for column, value in plan.rows[model].items():
            settable = column not in IDENTITY and column in model.__table__.columns
            if settable and not same_value(getattr(record, column), value):
                setattr(record, column, value)
    db.session.add(meta)
    db.session.flush()
    return meta

"""Form pieces for the admin views: CSRF-aware forms, list-friendly fields, hashed-id ajax lookups,
and the catalog limits a prompt form shows next to its fields."""

import json

from flask_admin.contrib.sqla.ajax import QueryAjaxModelLoader
from flask_admin.contrib.sqla.form import AdminModelConverter
from flask_admin.form import JSONField
from flask_admin.model.form import converts
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import HiddenField, PasswordField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from ..catalog import get_catalog
from ..models.versioning import NOTE_MAX
from ..serialization import parse_json
from .lists import checked_search

AJAX_LIMIT = 20
"""Most suggestions one ajax lookup returns, whatever the request asks for."""
AJAX_MAX_OFFSET = 10_000
"""Past this many suggestions a lookup finds nothing (and sends no offset the database cannot hold)."""


class AdminForm(FlaskForm):
    """Flask-WTF forms: their ``csrf_token`` is the one CSRFProtect checks on every POST.

    Keeps the record it edits as ``_obj``, as Flask-Admin's own form base does: its ``Unique``
    validator looks there, and without it a record's own name or username counts as taken."""

    def __init__(self, *args, obj=None, **kwargs):
        self._obj = obj
        super().__init__(*args, obj=obj, **kwargs)

    def validate(self, extra_validators=None):
        """Text with a NUL character is refused first: validators that query (Flask-Admin's Unique)
        would send it to PostgreSQL, which cannot even compare it."""
        with_nul = [field for field in self if isinstance(field.data, str) and "\x00" in field.data]
        for field in with_nul:
            field.errors = ["may not contain a NUL character (\\x00)"]
        return not with_nul and super().validate(extra_validators)


class NotWritten:
    """A form field the view reads itself; ``populate_obj`` leaves the record alone."""

    def populate_obj(self, obj, name):
        pass


class OpenedVersionField(NotWritten, HiddenField):
    """The ``row_version`` an edit form was opened with."""


class NewPasswordField(NotWritten, PasswordField):
    """A password to hash into ``password_hash``; never stored as given."""


class CommaListField(StringField):
    """A list of strings typed as ``a, b, c``."""

    def _value(self):
        return self.raw_data[0] if self.raw_data else ", ".join(self.data or [])

    def process_formdata(self, valuelist):
        if valuelist:
            self.data = [part.strip() for part in valuelist[0].split(",") if part.strip()]


class LimitedJSONField(JSONField):
    """Flask-Admin's JSON field, parsed with the app's nesting limit (a 10,000-level paste is a field error)."""

    def process_formdata(self, valuelist):
        if valuelist and valuelist[0]:
            try:
                self.data = parse_json(valuelist[0])
            except ValueError as error:
                raise ValueError(f"Invalid JSON: {error}") from None
        else:
            super().process_formdata(valuelist)


class ModelConverter(AdminModelConverter):
    """Flask-Admin's form scaffolding, with every JSON column on ``LimitedJSONField``."""

    @converts("JSON")
    def convert_JSON(self, field_args, **extra):
        return LimitedJSONField(**field_args)


class JSONValueField(LimitedJSONField):
    """JSON for JSON columns: null shows blank and blank reads as null; ``[]`` and ``{}`` show as
    themselves. Flask-Admin's JSONField shows ``{}`` for null (and for ``[]``), so saving a form
    turned a null list into a mapping; Smarter reads ``testValues: []`` beside parameters as
    "none given", null as "not given"."""

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else json.dumps(self.data, ensure_ascii=False)

    def process_formdata(self, valuelist):
        super().process_formdata([value.strip() for value in valuelist or ()])


class HashedAjaxLoader(QueryAjaxModelLoader):
    """Flask-Admin's ajax lookup, speaking hashed ids both ways."""

    def format(self, model):
        return (model.hashed_id, str(model)) if model is not None else None

    def get_one(self, pk):
        pk = self.model.id_from_hashed_id(pk)
        return super().get_one(pk) if pk is not None else None

    def get_list(self, term, offset=0, limit=AJAX_LIMIT):
        offset = max(offset or 0, 0)
        if offset > AJAX_MAX_OFFSET:
            return []
        return super().get_list(checked_search(term), offset, min(max(limit or AJAX_LIMIT, 1), AJAX_LIMIT))


def choices(values, labels=None) -> list[SelectChoice]:
    return [SelectChoice(v, (labels or {}).get(v, v)) for v in values]


def catalog_payload() -> dict:
    """What the prompt form's script needs to follow the provider: ranges and model limits."""
    return {
        p.key: {
            "name": p.display_name,
            "temperature": {
                "min": p.temperature_min,
                "max": p.temperature_max,
                "default": p.temperature_default,
                "note": p.temperature_note,
            },
            "models": {
                m.name: {"max_output_tokens": m.max_output_tokens, "temperature_adjustable": m.temperature_adjustable}
                for m in p.models.values()
            },
        }
        for p in get_catalog().providers.values()
    }


def catalog_hints(provider_key, model_name) -> dict[str, str]:
    """The allowed temperature and output limit for a provider and model, as the form shows them."""
    catalog = get_catalog()
    provider = catalog.provider(provider_key)
    if provider is None:
        return {"temperature": "Choose a provider to see its range.", "max_completion_tokens": ""}
    model = catalog.model(provider_key, model_name)
    if model is not None and not model.temperature_adjustable:
        temperature = f"{model.name} accepts only the default {provider.temperature_default:g} (not sent)."
    else:
        temperature = (
            f"{provider.display_name} accepts {provider.temperature_min:g}–{provider.temperature_max:g}"
            f" (default {provider.temperature_default:g}). {provider.temperature_note}"
        ).strip()
    tokens = (
        f"1 to {model.max_output_tokens:,} output tokens for {model.name}."
        if model is not None
        else "Choose a model of the catalog to see its output limit."
    )
    return {"temperature": temperature, "max_completion_tokens": tokens}


def catalog_limits(provider_key, model_name) -> dict[str, dict]:
    """``min``/``max``/``step`` of the temperature and token inputs for a provider and model
    (the page's script keeps them in step as either changes)."""
    catalog = get_catalog()
    provider = catalog.provider(provider_key)
    if provider is None:
        return {"temperature": {"step": "any"}, "max_completion_tokens": {"min": 1, "step": 1}}
    model = catalog.model(provider_key, model_name)
    fixed = model is not None and not model.temperature_adjustable
    low = provider.temperature_default if fixed else provider.temperature_min
    high = provider.temperature_default if fixed else provider.temperature_max
    largest = model.max_output_tokens if model else max(m.max_output_tokens for m in provider.models.values())
    return {
        "temperature": {"min": f"{low:g}", "max": f"{high:g}", "step": "any"},
        "max_completion_tokens": {"min": 1, "max": largest, "step": 1},
    }


def with_catalog_hints(form):
    hints = catalog_hints(form.provider.data, form.model.data)
    for field, text in hints.items():
        form[field].description = Markup('<span data-hint="{}">{}</span>').format(field, text)
    for field, attributes in catalog_limits(form.provider.data, form.model.data).items():
        form[field].render_kw = {**(form[field].render_kw or {}), **attributes}
    return form


class ChangeNoteField(NotWritten, StringField):
    """Why a change is made: the note of the revision the save writes."""

    @classmethod
    def optional(cls):
        return cls("Change note", validators=[Optional(), Length(max=NOTE_MAX)],
                   description="Optional: why, for the record's history.")  # fmt: skip

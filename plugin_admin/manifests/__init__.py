"""Smarter-format plugin manifests: parse, plan an import, apply it, export.

A page previews with ``plan_import(load_documents(text, filename))`` and, on confirm, loads and
plans the same text again before ``apply``: a plan holds records of one request's session.

What a manifest means, and how it round-trips:

- A manifest is the whole plugin. A key it leaves out takes the model's default, so importing
  a trimmed manifest resets what it omits (the dry-run diff shows it), and a data part of
  another plugin class is cleared. ``metadata.pluginClass`` may be left out (the kind says it).
- Every value passes the models' clean and validate (the one gate); their
  ``{field: [messages]}`` come back located at manifest paths, with the line where the parser
  knows it (the nearest enclosing key when the key itself is absent).
- The models' cleaning is kept: names become snake_case, descriptions and system roles lose
  surrounding blanks, so a folded ``>`` system role loses its final newline. Export writes
  strings with newlines as literal ``|`` blocks and never wraps lines.
- Values are JSON values (the columns are JSON): unquoted YAML dates such as
  ``release-date: 2024-06-15`` become ISO 8601 strings, which export quotes so they stay
  strings; NaN, infinity, binary, sets and non-string keys are refused.
- Export keeps a fixed key order (the Smarter manifest format's) and the stored order inside free-form data;
  ``metadata.author`` is written only when set; a missing selector or prompt is left out
  (such a manifest is refused on import until the part is added).
- Parsing uses ``yaml.safe_load_all`` (and ``yaml.compose_all`` under ``SafeLoader`` for line
  numbers): no tag can run code; aliases may not expand past ``MAX_VALUES``.
"""

from .applying import apply
from .exporting import export_many, export_plugin, find_plugin, manifest, manifest_filename
from .loading import load_documents, load_path, load_upload, manifest_paths
from .planning import plan_import
from .schema import (
    API_VERSION,
    CREATE,
    FORMATS,
    INVALID,
    KINDS,
    MAX_MANIFEST_BYTES,
    SUFFIXES,
    UNCHANGED,
    UPDATE,
    Change,
    DocumentPlan,
    ImportPlan,
    ManifestDocument,
    Problem,
    dotted,
)

__all__ = [
    "API_VERSION",
    "CREATE",
    "FORMATS",
    "INVALID",
    "KINDS",
    "MAX_MANIFEST_BYTES",
    "SUFFIXES",
    "UNCHANGED",
    "UPDATE",
    "Change",
    "DocumentPlan",
    "ImportPlan",
    "ManifestDocument",
    "Problem",
    "apply",
    "dotted",
    "export_many",
    "export_plugin",
    "find_plugin",
    "load_documents",
    "load_path",
    "load_upload",
    "manifest",
    "manifest_filename",
    "manifest_paths",
    "plan_import",
]

"""Reading manifest files safely: YAML (one or many documents) or JSON, with the line of every key."""

from __future__ import annotations

import json
import math
from datetime import date, datetime
from pathlib import Path

import yaml

from ..validation import show
from .schema import MAX_MANIFEST_BYTES, MAX_VALUES, SUFFIXES, ManifestDocument, Problem, dotted


def _broken(source: str, message: str, line: int | None = None) -> list[ManifestDocument]:
    return [ManifestDocument(source, 1, errors=[Problem("", message, line)])]


def _too_large(size: int, exact: bool = True) -> str | None:
    if size <= MAX_MANIFEST_BYTES:
        return None
    mib = MAX_MANIFEST_BYTES / (1024 * 1024)
    measured = f"is {size:,} bytes" if exact else f"is over {MAX_MANIFEST_BYTES:,} bytes"
    return f"{measured}; a manifest file may be at most {MAX_MANIFEST_BYTES:,} bytes ({mib:g} MiB)"


def load_documents(text: str | bytes, source: str = "<input>") -> list[ManifestDocument]:
    """Parse every manifest in ``text``; problems come back on the documents, never raised."""
    problem = _too_large(len(text.encode("utf-8")) if isinstance(text, str) else len(text))
    if problem:
        return _broken(source, problem)
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            return _broken(source, f"is not UTF-8 text (byte {error.start:,} is {text[error.start]:#04x})")
    try:
        if source.lower().endswith(".json") or text.lstrip().startswith(("{", "[")):
            return _load_json(text, source)
        return _load_yaml(text, source)
    except RecursionError:
        return _broken(source, "nests too deeply to be a manifest")


def load_path(path) -> list[ManifestDocument]:
    path = Path(path)
    try:
        problem = _too_large(path.stat().st_size)
        if problem:
            return _broken(str(path), problem)
        content = path.read_bytes()
    except OSError as error:
        return _broken(str(path), f"cannot be read: {error.strerror}")
    return load_documents(content, str(path))


def load_upload(stream, source: str) -> list[ManifestDocument]:
    """An uploaded file: reads at most one byte past the limit, however large the upload."""
    content = stream.read(MAX_MANIFEST_BYTES + 1)
    problem = _too_large(len(content), exact=False)
    return _broken(source, problem) if problem else load_documents(content, source)


def manifest_paths(paths) -> list[Path]:
    """The files to import: each file as given; the manifest files directly inside each folder."""
    found = []
    for path in map(Path, paths):
        if path.is_dir():
            found.extend(sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in SUFFIXES))
        else:
            found.append(path)
    return found


def _load_yaml(text: str, source: str) -> list[ManifestDocument]:
    try:
        nodes = list(yaml.compose_all(text, Loader=yaml.SafeLoader))
        values = list(yaml.safe_load_all(text))
    except yaml.constructor.ConstructorError as error:  # a tag such as !!python/object: never built
        return _broken(source, f"refused: {error.problem}; a manifest holds plain data only", _line(error))
    except yaml.MarkedYAMLError as error:
        return _broken(source, f"invalid YAML: {error.problem or error.context}", _line(error))
    except yaml.YAMLError as error:
        return _broken(source, f"invalid YAML: {error}")
    except ValueError as error:
        return _broken(source, _unreadable(error))
    documents = [
        _document(source, number, value, node)
        for number, (value, node) in enumerate(zip(values, nodes, strict=True), start=1)
        if value is not None  # an empty document between two "---"
    ]
    return documents or _broken(source, "holds no manifest")


def _unreadable(error: ValueError) -> str:
    """A scalar YAML or JSON recognised but Python cannot build: a date such as 2024-13-45, or an
    integer of more digits than Python parses (a denial-of-service guard)."""
    return f"holds a value that cannot be read: {str(error).split(';')[0]}"


def _line(error: yaml.MarkedYAMLError) -> int | None:
    mark = error.problem_mark or error.context_mark
    return mark.line + 1 if mark else None


def _load_json(text: str, source: str) -> list[ManifestDocument]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        return _broken(source, f"invalid JSON: {error.msg}", error.lineno)
    except ValueError as error:
        return _broken(source, _unreadable(error))
    try:  # JSON is YAML: its node tree gives the lines of keys
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        node = None
    if isinstance(value, list):
        nodes = node.value if isinstance(node, yaml.SequenceNode) else [None] * len(value)
        return [
            _document(source, n, v, nd) for n, (v, nd) in enumerate(zip(value, nodes, strict=True), start=1)
        ] or _broken(source, "holds no manifest")
    return [_document(source, 1, value, node)]


def _document(source: str, number: int, value, node) -> ManifestDocument:
    doc = ManifestDocument(source, number)
    if node is not None:
        doc.lines[()] = node.start_mark.line + 1
        expanded = _expanded_size(node, {}, set())
        if expanded > MAX_VALUES:
            message = f"holds more than {MAX_VALUES:,} values once its YAML aliases are expanded"
            doc.errors.append(doc.problem((), message))
            return doc
        _walk_lines(doc, node, ())
    doc.data = _json_value(doc, value, ())
    return doc


def _expanded_size(node, sizes: dict, open_nodes: set) -> int:
    """How many values ``node`` stands for with every alias expanded (aliased nodes are shared)."""
    key = id(node)
    if key in sizes:
        return sizes[key]
    if key in open_nodes:
        return MAX_VALUES + 1  # an alias inside its own anchor: endless once expanded
    open_nodes.add(key)
    size = 1
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            size += _expanded_size(k, sizes, open_nodes) + _expanded_size(v, sizes, open_nodes)
    elif isinstance(node, yaml.SequenceNode):
        size += sum(_expanded_size(item, sizes, open_nodes) for item in node.value)
    open_nodes.discard(key)
    sizes[key] = size
    return size


_KEY_KINDS = {
    "bool": "a boolean (YAML 1.1: yes, no, on, off)",
    "int": "a number",
    "float": "a number",
    "null": "null",
    "timestamp": "a date",
}


def _walk_lines(doc: ManifestDocument, node, path: tuple) -> None:
    """Record the line of every key and item.

    A key written twice is an error (YAML would keep the last), and so is a key YAML reads as
    something other than text (JSON, and so the columns, have text keys only).
    """
    if isinstance(node, yaml.MappingNode):
        seen: dict = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            line = key_node.start_mark.line + 1
            if key is not None and key in seen:
                doc.errors.append(
                    Problem(dotted((*path, key)), f"appears twice (first on line {seen[key]}); keep one", line)
                )
            seen.setdefault(key, line)
            doc.lines.setdefault((*path, key), line)
            kind = key_node.tag.rpartition(":")[2]
            if isinstance(key_node, yaml.ScalarNode) and kind not in ("str", "merge"):
                read_as = _KEY_KINDS.get(kind, f"a {kind}")
                doc.errors.append(Problem(dotted((*path, key)), f"is read as {read_as}, not text; quote the key", line))
            _walk_lines(doc, value_node, (*path, key))
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            doc.lines[(*path, index)] = item.start_mark.line + 1
            _walk_lines(doc, item, (*path, index))


def _json_value(doc: ManifestDocument, value, path: tuple):
    """``value`` as JSON values (dates as ISO strings); what JSON cannot hold is an error."""
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        doc.errors.append(doc.problem(path, f"{show(value)} is refused: JSON has no NaN or infinity"))
        return None
    if isinstance(value, dict):
        plain = {}
        for key, item in value.items():
            if isinstance(key, str):  # other keys were reported with their line by _walk_lines
                plain[key] = _json_value(doc, item, (*path, key))
        return plain
    if isinstance(value, list):
        return [_json_value(doc, item, (*path, index)) for index, item in enumerate(value)]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    held = _TAGGED.get(type(value), f"a {type(value).__name__}")
    allowed = "a manifest holds only mappings, lists, strings, numbers, booleans and null"
    doc.errors.append(doc.problem(path, f"holds {held}; {allowed}"))
    return None


_TAGGED: dict[type, str] = {
    bytes: "binary data (!!binary)",
    set: "a set (!!set)",
    tuple: "ordered pairs (!!omap, !!pairs)",
}
"""What YAML's own tags build that JSON cannot hold."""

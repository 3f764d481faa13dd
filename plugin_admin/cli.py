"""Commands under ``flask --app app``: users, demo data and manifests."""

import functools
import secrets
import sys
import time
from pathlib import Path

import click
import sqlalchemy as sa
from flask import current_app

from . import config, demo, manifests, revisions, validation
from .extensions import db
from .models import User, versioning
from .validation import ValidationError


def register(app) -> None:
    app.cli.add_command(create_user)
    app.cli.add_command(seed)
    app.cli.add_command(import_manifest)
    app.cli.add_command(export_manifest)
    app.cli.add_command(prune_revisions)


def revision_options(command):
    """``--actor`` and ``--note`` for a writing command: who the revisions it writes name, and why."""

    @functools.wraps(command)
    def run(*args, actor, note, **kwargs):
        if note is not None and len(note) > versioning.NOTE_MAX:
            raise click.BadParameter(f"is {len(note)} characters; at most {versioning.NOTE_MAX}", param_hint="--note")
        if actor is not None and not 0 < len(actor) <= versioning.ACTOR_MAX - len("cli:"):
            raise click.BadParameter(f"must be 1 to {versioning.ACTOR_MAX - 4} characters", param_hint="--actor")
        versioning.set_context(db.session, actor=versioning.cli_actor(actor), note=note or "")
        return command(*args, **kwargs)

    note_help = f"A note on every revision this command writes (at most {versioning.NOTE_MAX} characters)."
    run = click.option("--note", metavar="TEXT", help=note_help)(run)
    return click.option("--actor", metavar="NAME", help="Name the revisions cli:NAME (default: cli:<OS user>).")(run)


def _fail(error: ValidationError):
    for field, messages in error.errors.items():
        for message in messages:
            click.echo(f"error: {field}: {message}", err=True)
    sys.exit(1)


def save_user(name: str, role: str, password: str) -> User:
    """Create the user, or reset the password and role of an existing one."""
    user = db.session.scalar(sa.select(User).filter_by(username=name)) or User(username=name)
    user.role = role
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    return user


@click.command("create-user")
@click.argument("name")
@click.option("--role", type=click.Choice(validation.ROLES), default="viewer", show_default=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of standard input.")
@revision_options
def create_user(name, role, password_stdin):
    """Create a login (or reset its password and role). Passwords are stored hashed."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = save_user(name, role, password)
    except ValidationError as error:
        db.session.rollback()
        _fail(error)
    click.echo(f"user {user.username} ({user.role}) saved")


DEMO_ADMIN = "admin"


def demo_password() -> str | None:
    """The demo admin's password, kept in ``instance/`` so every later start (and a server still
    running) keeps the one printed first; the admin is created only when missing. None when the
    admin's password is no longer that one: someone set their own, and it is left alone."""
    password = config.kept_secret(Path(current_app.instance_path) / "demo_password", lambda: secrets.token_urlsafe(12))
    user = db.session.scalar(sa.select(User).filter_by(username=DEMO_ADMIN))
    if user is None:
        save_user(DEMO_ADMIN, "admin", password)
    elif not user.check_password(password):
        return None
    return password


@click.command("seed")
@click.option("--plugins", "count", type=click.IntRange(0, 10_000_000), default=100, show_default=True)
@click.option("--if-empty", is_flag=True, help="Do nothing when plugins already exist.")
@click.option("--demo-login", is_flag=True, help="Also print the demo login 'admin', created the first time.")
@click.option("--port", type=click.IntRange(1, 65535), default=5000, show_default=True, help="Port in the login URL.")
@revision_options
def seed(count, if_empty, demo_login, port):
    """Create demo plugins with selectors, prompts and data across the catalog."""
    from .models import PluginMeta

    if if_empty and db.session.scalar(sa.select(PluginMeta.id).limit(1)) is not None:
        click.echo("plugins exist already; nothing seeded")
    else:
        started = time.perf_counter()
        made = demo.seed(count)
        click.echo(f"seeded {made} plugins in {time.perf_counter() - started:.1f} s")
    if demo_login:
        password = demo_password()
        url = f"http://127.0.0.1:{port}/login"
        if password is None:
            reset = "flask --app app create-user admin --role admin"
            click.echo(f"log in at {url} as admin with the password set for it (left unchanged; a new one: {reset})")
        else:
            click.echo(f"log in at {url} as: {DEMO_ADMIN} / {password}")


_VERBS = {manifests.CREATE: "create", manifests.UPDATE: "update"}


def _report_document(plan: manifests.DocumentPlan, dry_run: bool) -> None:
    label = " ".join(filter(None, (plan.kind, plan.name)))
    if not plan.ok:
        outcome = "invalid" + (f" ({label})" if label else "")
    elif plan.action == manifests.UNCHANGED:
        outcome = f"unchanged {label}"
    elif plan.applied:
        outcome = f"{_VERBS[plan.action]}d {label}"
    else:
        outcome = f"would {_VERBS[plan.action]} {label}" + ("" if dry_run else " (not applied)")
    if plan.plugin is not None and plan.plugin.id:
        outcome += f" ({plan.plugin.record_locator})"
    click.echo(f"  document {plan.document.number}: {outcome}")
    for change in plan.changes:
        click.echo(f"    ~ {change}")
    for problem in plan.errors:
        click.echo(f"    error: {problem}")
    for problem in plan.warnings:
        click.echo(f"    warning: {problem}")


@click.command("import-manifest")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Show what would be created or updated, field by field; write nothing.")
@revision_options
def import_manifest(paths, dry_run):
    """Create or update plugins from Smarter manifests: files or folders of YAML (multi-document too) or JSON.

    Each file applies in one transaction: a file with any error applies nothing, the other
    files still apply. Exits 1 when any file failed.
    """
    files = manifests.manifest_paths(paths)
    if not files:
        click.echo("error: no manifest files (*.yaml, *.yml, *.json) in the given folders", err=True)
        sys.exit(1)
    plan = manifests.plan_import([doc for path in files for doc in manifests.load_path(path)])
    if not dry_run:
        manifests.apply(plan)
    failed = plan.failed_sources()
    for source, plans in plan.sources().items():
        outcome = "dry run, nothing written" if dry_run else "applied"
        if source in failed:
            outcome = "FAILED, nothing in this file " + ("would be applied" if dry_run else "was applied")
        click.echo(f"{source}: {len(plans)} manifest{'s' * (len(plans) != 1)}, {outcome}")
        for document in plans:
            _report_document(document, dry_run)
    total = len(plan.sources())
    done = "valid" if dry_run else "applied"
    summary = f"{total} file{'s' * (total != 1)}: {total - len(failed)} {done}, {len(failed)} failed"
    if failed and total > len(failed):
        summary += " (the other files " + ("would still apply" if dry_run else "were applied") + ")"
    click.echo(summary)
    if failed:
        sys.exit(1)


@click.command("export-manifest")
@click.argument("ref", metavar="NAME|LOCATOR")
@click.option("--format", "fmt", type=click.Choice(manifests.FORMATS), default="yaml", show_default=True)
def export_manifest(ref, fmt):
    """Print a plugin's Smarter manifest, found by name or by its locator (pluginmeta-r...x)."""
    plugin = manifests.find_plugin(ref)
    if plugin is None:
        click.echo(f"error: no plugin is named or located by {ref!r}", err=True)
        sys.exit(1)
    click.echo(manifests.export_plugin(plugin, fmt), nl=False)


@click.command("prune-revisions")
@click.option("--older-than", "days", type=click.IntRange(0, 36_500), required=True, metavar="DAYS")
def prune_revisions(days):
    """Delete revisions older than DAYS days; each record's latest revision is always kept."""
    removed = revisions.prune(days)
    click.echo(f"pruned {removed} revision{'s' * (removed != 1)} older than {days} days")

"""Commands under ``flask --app app``: users and demo data (SPEC §5)."""

import secrets
import sys
import time

import click
import sqlalchemy as sa

from . import demo, validation
from .extensions import db
from .models import User
from .validation import ValidationError


def register(app) -> None:
    app.cli.add_command(create_user)
    app.cli.add_command(seed)


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


@click.command("seed")
@click.option("--plugins", "count", type=click.IntRange(0, 10_000_000), default=100, show_default=True)
@click.option("--if-empty", is_flag=True, help="Do nothing when plugins already exist.")
@click.option("--demo-login", is_flag=True, help="Also (re)create the login 'admin' with a new password, printed.")
def seed(count, if_empty, demo_login):
    """Create demo plugins with selectors, prompts and data across the catalog."""
    from .models import PluginMeta

    if if_empty and db.session.scalar(sa.select(PluginMeta.id).limit(1)) is not None:
        click.echo("plugins exist already; nothing seeded")
    else:
        started = time.perf_counter()
        made = demo.seed(count)
        click.echo(f"seeded {made} plugins in {time.perf_counter() - started:.1f} s")
    if demo_login:
        password = secrets.token_urlsafe(12)
        save_user("admin", "admin", password)
        click.echo(f"log in at http://127.0.0.1:5000/login as: admin / {password}")

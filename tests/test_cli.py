"""The CLI: users with hashed passwords, realistic seed data, migrations."""

import re

import pytest
import sqlalchemy as sa

from plugin_admin.catalog import get_catalog
from plugin_admin.extensions import db
from plugin_admin.models import PluginData, PluginMeta, PluginPrompt, PluginSelector, User

pytestmark = pytest.mark.usefixtures("app_context")  # the commands share the test's context and session


@pytest.fixture(autouse=True)
def instance(app, tmp_path, monkeypatch):
    """This test's own ``instance/``: the demo password kept there is never the project's."""
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    return tmp_path


def test_create_user_reads_password_from_stdin_and_hashes_it(runner):
    result = runner.invoke(args=["create-user", "ann", "--role", "editor", "--password-stdin"], input="s3cret-pass\n")
    assert result.exit_code == 0, result.output
    user = db.session.scalar(sa.select(User).filter_by(username="ann"))
    assert user.role == "editor" and user.password_hash != "s3cret-pass" and user.check_password("s3cret-pass")


def test_create_user_refuses_bad_input_with_a_message(runner):
    result = runner.invoke(args=["create-user", "bad name", "--password-stdin"], input="short\n")
    assert result.exit_code == 1
    assert "error: password: must be at least 8 characters" in result.output
    result = runner.invoke(args=["create-user", "ann", "--role", "root", "--password-stdin"], input="x" * 10)
    assert result.exit_code == 2 and "root" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_create_user_again_resets_password_and_role(runner):
    runner.invoke(args=["create-user", "ann", "--password-stdin"], input="first-password\n")
    runner.invoke(args=["create-user", "ann", "--role", "admin", "--password-stdin"], input="second-password\n")
    (user,) = db.session.scalars(sa.select(User)).all()
    assert user.role == "admin" and user.check_password("second-password")


def test_seed_makes_valid_varied_data(runner):
    result = runner.invoke(args=["seed", "--plugins", "300"])
    assert result.exit_code == 0, result.output
    assert "seeded 300 plugins" in result.output

    def count(model):
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))

    assert count(PluginMeta) == count(PluginData) == 300
    assert 270 < count(PluginPrompt) < 300 and 270 < count(PluginSelector) < 300  # some lack one, on purpose
    providers = set(db.session.scalars(sa.select(PluginPrompt.provider).distinct()))
    assert providers == set(get_catalog().providers)
    assert len(set(db.session.scalars(sa.select(PluginPrompt.model).distinct()))) > 15
    assert set(db.session.scalars(sa.select(PluginMeta.plugin_class).distinct())) == {"static", "sql", "api"}
    for record in db.session.scalars(sa.select(PluginPrompt)):
        assert record.ready, record.rule_errors()
    for record in db.session.scalars(sa.select(PluginData)):
        assert record.ready, record.rule_errors()


def test_seed_twice_adds_more_and_if_empty_adds_none(runner):
    runner.invoke(args=["seed", "--plugins", "10"])
    runner.invoke(args=["seed", "--plugins", "10"])
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PluginMeta)) == 20
    result = runner.invoke(args=["seed", "--plugins", "10", "--if-empty", "--demo-login"])
    assert "nothing seeded" in result.output and "as: admin / " in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PluginMeta)) == 20
    assert db.session.scalar(sa.select(User.role).filter_by(username="admin")) == "admin"


def test_seeded_ids_continue_for_later_inserts(runner):
    runner.invoke(args=["seed", "--plugins", "5"])
    db.session.add(PluginMeta(name="after_seed"))
    db.session.commit()
    assert db.session.scalar(sa.select(PluginMeta.id).filter_by(name="after_seed")) == 6


def demo_login(runner, *args) -> str:
    result = runner.invoke(args=["seed", "--plugins", "0", "--demo-login", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_demo_login_is_created_once_and_printed_again(runner, instance):
    first = re.search(r"log in at http://127\.0\.0\.1:5000/login as: admin / (\S{12,})", demo_login(runner))
    assert first, "no login printed"
    again = demo_login(runner, "--port", "8123")
    assert f"log in at http://127.0.0.1:8123/login as: admin / {first.group(1)}" in again
    user = db.session.scalar(sa.select(User).filter_by(username="admin"))
    assert user.role == "admin" and user.check_password(first.group(1))
    assert (instance / "demo_password").stat().st_mode & 0o077 == 0


def test_demo_login_leaves_a_password_set_since_alone(runner):
    demo_login(runner)
    runner.invoke(args=["create-user", "admin", "--role", "admin", "--password-stdin"], input="my own password\n")
    output = demo_login(runner)
    assert "as admin with the password set for it" in output and "create-user admin" in output
    db.session.expire_all()
    assert db.session.scalar(sa.select(User).filter_by(username="admin")).check_password("my own password")


def test_demo_login_port_must_be_a_port(runner):
    result = runner.invoke(args=["seed", "--plugins", "0", "--demo-login", "--port", "http"])
    assert result.exit_code == 2 and "'http' is not a valid integer" in result.output

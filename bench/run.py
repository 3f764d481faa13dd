"""``make bench``: seed N plugins, serve them with gunicorn, time the pages operators use most.

Seeds a fresh database (a SQLite file under ``bench/results/``, or ``DATABASE_URL``; the
cache is ``CACHE_URL``, else a directory beside the SQLite file that both workers share),
creates a bench admin login, starts ``gunicorn -w 2`` on 127.0.0.1 with the
``X-SQL-Statements`` header on, logs in like a browser and requests the cases in turn,
one client, bounded in requests and seconds. Prints p50/p95 latency, requests per
second (of one client: 1 / mean latency) and SQL statements per request, and keeps them
as JSON next to the database.

Then the browser case: headless Chromium logs in and loads the prompt list, the prompt
edit form and the dashboard once (cold), then BENCH_BROWSER_LOADS times (5) warm, and
reports each page's median DOMContentLoaded, its files, and how many requests a cold load
(after the pages before it: files they share are cached already) and a warm load sent over
the network (a warm load should send the page alone: static files are cached).

Settings (environment): BENCH_PLUGINS (100000), BENCH_REQUESTS per case (200),
BENCH_SECONDS per case (20), BENCH_WORKERS (2), BENCH_BROWSER_LOADS (5), BENCH_REUSE=1
to keep an already seeded database of the same size.
"""

import json
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

from tests.live import ROOT, Client, LiveServer, Response, form_fields

RESULTS = ROOT / "bench" / "results"
USERNAME = "bench_admin"
SEARCH_TERM = "weather_faq"


@dataclass
class Settings:
    plugins: int = int(os.environ.get("BENCH_PLUGINS", "100000"))
    requests: int = int(os.environ.get("BENCH_REQUESTS", "200"))
    seconds: float = float(os.environ.get("BENCH_SECONDS", "20"))
    workers: int = int(os.environ.get("BENCH_WORKERS", "2"))
    browser_loads: int = int(os.environ.get("BENCH_BROWSER_LOADS", "5"))
    reuse: bool = os.environ.get("BENCH_REUSE", "") == "1"
    database_url: str = ""
    cache_url: str = os.environ.get("CACHE_URL", "")

    def __post_init__(self):
        RESULTS.mkdir(parents=True, exist_ok=True)
        self.database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{RESULTS / 'bench.sqlite3'}"
        if not self.cache_url:  # the workers need a cache they share: on one host, a directory will do
            shutil.rmtree(RESULTS / "cache", ignore_errors=True)
            self.cache_url = f"file://{RESULTS / 'cache'}"

    @property
    def backend(self) -> str:
        return "postgresql" if self.database_url.startswith("postgres") else "sqlite"

    def env(self, **extra) -> dict:
        return {**os.environ, "DATABASE_URL": self.database_url, "CACHE_URL": self.cache_url, **extra}


# --- the database ---------------------------------------------------------------------------


def flask(settings: Settings, *args, stdin: str | None = None) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", *args], cwd=ROOT, env=settings.env(),
        input=stdin, capture_output=True, text=True, timeout=1800,
    )  # fmt: skip
    if done.returncode:
        sys.exit(f"flask {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout.strip()


def reset_database(settings: Settings) -> None:
    """An empty database: the SQLite file removed, or every PostgreSQL table dropped (bench databases only)."""
    if settings.backend == "sqlite":
        path = Path(settings.database_url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    name = urllib.parse.urlsplit(settings.database_url).path.lstrip("/")
    if "bench" not in name and "test" not in name:
        sys.exit(f"refusing to empty database {name!r}: its name must contain 'bench' or 'test'")
    import sqlalchemy as sa

    from plugin_admin.config import database_url

    engine = sa.create_engine(database_url(settings.database_url))
    with engine.begin() as connection:
        connection.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()


def prepare(settings: Settings) -> str:
    """Seed (unless reusing a database of the right size) and (re)create the bench login; returns its password."""
    flask(settings, "db", "upgrade")
    flask(settings, "assets")  # the compressed static files, as make serve-prod builds them
    seeded = plugin_count(settings)
    if not (settings.reuse and seeded == settings.plugins):
        reset_database(settings)
        flask(settings, "db", "upgrade")
        print(flask(settings, "seed", "--plugins", str(settings.plugins)), flush=True)
    password = secrets.token_urlsafe(16)
    flask(settings, "create-user", USERNAME, "--role", "admin", "--password-stdin", stdin=password + "\n")
    return password


def plugin_count(settings: Settings) -> int:
    import sqlalchemy as sa

    from plugin_admin.config import database_url

    engine = sa.create_engine(database_url(settings.database_url))
    try:
        with engine.connect() as connection:
            return connection.scalar(sa.text("SELECT count(*) FROM plugin_meta"))
    except sa.exc.DatabaseError:
        return 0
    finally:
        engine.dispose()


def bench_prompt(settings: Settings) -> str:
    """The hashed id of a prompt in the middle of the table, set to a model whose temperature may change."""
    import sqlalchemy as sa

    from plugin_admin import create_app
    from plugin_admin.extensions import db
    from plugin_admin.models import PluginPrompt

    app = create_app({"SQLALCHEMY_DATABASE_URI": settings.database_url, "SECRET_KEY": "bench"})
    with app.app_context():
        middle = db.session.scalar(sa.select(sa.func.max(PluginPrompt.id))) // 2
        prompt = db.session.scalar(sa.select(PluginPrompt).where(PluginPrompt.id >= middle).limit(1))
        prompt.provider, prompt.model, prompt.temperature = "openai", "gpt-4o-mini", 0.5
        db.session.commit()
        hashed = prompt.hashed_id
        db.session.remove()
        db.engine.dispose()
    return hashed


HISTORY_REVISIONS = 10_000
"""Revisions of the bench prompt: the history page and comparison of a much-edited record."""
EDITS_PER_PLUGIN = 6
"""Extra revisions of every plugin: with the seed's first revisions of its four records, about ten each."""


def add_revisions(settings: Settings, prompt: str) -> None:
    """About ten revisions per plugin, and ``HISTORY_REVISIONS`` of the bench prompt, written in bulk.

    Revisions copy each record's row inside the database (``INSERT … SELECT``), one
    transaction row per round of edits; the bench prompt's get one transaction each.
    """
    import sqlalchemy as sa

    from plugin_admin import create_app, revisions
    from plugin_admin.extensions import db
    from plugin_admin.hashing import id_from_hashed_id
    from plugin_admin.models import PluginMeta, PluginPrompt, utcnow
    from plugin_admin.models.gate import VALIDATED

    app = create_app({"SQLALCHEMY_DATABASE_URI": settings.database_url, "SECRET_KEY": "bench"})
    with app.app_context():
        session, tx = db.session, revisions.transaction_table()
        if revisions.history(PluginPrompt, id_from_hashed_id(prompt), per_page=1)[1] > HISTORY_REVISIONS:
            return  # a reused database has them already
        meta, versions = PluginMeta.__table__, revisions.version_table(PluginMeta)
        keys = [k for k in revisions.versioned_keys(PluginMeta) if k != "revision"]
        start = session.scalar(sa.select(sa.func.max(meta.c.revision))) or 1
        for n in range(start + 1, start + 1 + EDITS_PER_PLUGIN):
            tx_id = revisions.open_transaction(session, "cli:bench", f"bench edit {n}")
            copy = sa.select(
                *(meta.c[k] for k in keys), sa.literal(n), sa.literal(tx_id), sa.literal(1), sa.literal("update"),
                sa.literal(["description"], sa.JSON),
            )  # fmt: skip
            names = [*keys, "revision", "transaction_id", "operation_type", "action", "changed"]
            session.execute(versions.insert().from_select(names, copy))
        # Only the revision counter changes, which no rule reads: nothing for the gate to check.
        session.execute(sa.update(meta).values(revision=start + EDITS_PER_PLUGIN), execution_options=VALIDATED)
        record = session.get(PluginPrompt, id_from_hashed_id(prompt))
        values = {k: getattr(record, k) for k in revisions.versioned_keys(PluginPrompt)}
        first, now = record.revision + 1, utcnow().replace(tzinfo=None)
        last = first + HISTORY_REVISIONS - 1
        made = [{"actor": f"cli:editor{n % 7}", "note": f"tune {n}", "issued_at": now} for n in range(first, last + 1)]
        ids = session.scalars(tx.insert().returning(tx.c.id, sort_by_parameter_order=True), made).all()
        rows = [
            {**values, "system_role": f"{record.system_role}\nRevision {first + i}: be brief.", "revision": first + i,
             "transaction_id": tx_id, "operation_type": 1, "action": "update", "changed": ["system_role"]}
            for i, tx_id in enumerate(ids)
        ]  # fmt: skip
        session.execute(revisions.version_table(PluginPrompt).insert(), rows)
        counter = sa.update(PluginPrompt.__table__).where(PluginPrompt.id == record.id).values(revision=last)
        session.execute(counter, execution_options=VALIDATED)
        session.commit()
        db.session.remove()
        db.engine.dispose()


# --- cases ------------------------------------------------------------------------------------


@dataclass
class Case:
    name: str
    path: str
    expect: int = 200
    post: bool = False
    after_change: bool = False
    """Each request comes right after a change elsewhere: totals and page ids are derived again."""


def cases(settings: Settings, prompt: str) -> list[Case]:
    last_page = max((settings.plugins - 1) // 20, 0)
    return [
        Case("dashboard", "/admin/"),
        Case("plugin list, page 1", "/admin/pluginmeta/"),
        Case("plugin list, near the end", f"/admin/pluginmeta/?page={max(last_page - 1, 0)}"),
        Case("plugin search", f"/admin/pluginmeta/?search={SEARCH_TERM}"),
        Case("list page 1, after a change", "/admin/pluginmeta/", after_change=True),
        Case("search, after a change", f"/admin/pluginmeta/?search={SEARCH_TERM}", after_change=True),
        Case("prompt details", f"/admin/pluginprompt/details/?id={prompt}"),
        Case("locator redirect", f"/l/pluginprompt-{prompt}", expect=302),
        Case("prompt edit form", f"/admin/pluginprompt/edit/?id={prompt}"),
        Case("prompt edit (POST)", f"/admin/pluginprompt/edit/?id={prompt}", expect=302, post=True),
        Case(f"history, {HISTORY_REVISIONS:,} revisions", f"/admin/pluginprompt/history/?id={prompt}"),
        Case("history, an older page", f"/admin/pluginprompt/history/?id={prompt}&page=250"),
        Case("compare two revisions", f"/admin/pluginprompt/history/?id={prompt}&a=3&b={HISTORY_REVISIONS // 2}"),
        Case("revision JSON", f"/l/pluginprompt-{prompt}@{HISTORY_REVISIONS // 2}.json"),
        Case("audit, first page", "/admin/audit/"),
        Case("audit, by actor and model", "/admin/audit/?actor=cli:editor3&model=pluginprompt"),
        Case("audit, by action", "/admin/audit/?action=update&model=pluginmeta"),
    ]


@dataclass
class Result:
    case: Case
    times: list[float] = field(default_factory=list)
    statements: list[int] = field(default_factory=list)
    problem: str = ""

    def row(self) -> dict:
        if self.problem:
            return {"case": self.case.name, "problem": self.problem}
        ms = sorted(t * 1000 for t in self.times)
        return {
            "case": self.case.name,
            "requests": len(ms),
            "p50_ms": round(statistics.median(ms), 1),
            "p95_ms": round(ms[min(len(ms) - 1, int(len(ms) * 0.95))], 1),
            "req_per_s": round(len(ms) / sum(self.times), 1),
            "sql_per_request": round(statistics.mean(self.statements), 1) if self.statements else None,
        }


class Runner:
    """One case's requests: a plain GET, or a save through ``EditLoop`` (only the POST is timed)."""

    def __init__(self, client: Client, case: Case, forget_derived):
        self.client, self.case, self.result = client, case, Result(case)
        self.edit = EditLoop(client, case.path) if case.post else None
        self.forget_derived = forget_derived

    def request(self, timed: bool = True) -> bool:
        """One request; ``False`` (and the result says why) when it did not answer as expected."""
        if self.case.after_change:
            self.forget_derived()  # untimed: what any commit does to the cache
        before = time.perf_counter()
        response = self.edit.submit() if self.edit else self.client.request(self.case.path, follow=False)
        elapsed = self.edit.last_time if self.edit else time.perf_counter() - before
        if response.status != self.case.expect:
            hint = " (page missing: are the admin views merged?)" if response.status == 404 else ""
            self.result.problem = (f"HTTP {response.status} after {len(self.result.times)} requests, "
                                   f"expected {self.case.expect}{hint}")  # fmt: skip
            return False
        if timed:
            self.result.times.append(elapsed)
            if response.statements is not None:
                self.result.statements.append(response.statements)
        return True


def run_cases(client: Client, cases: list[Case], settings: Settings, forget_derived) -> list[Result]:
    """The reads taking turns, then the reads after a change taking turns, then each save on its own.

    Taking turns (one request of each, round after round), every case meets the same
    moments of the machine (another process, a slower stretch of the CPU) instead of one
    case absorbing them. What changes the data comes after the plain reads: it drops the
    cached totals, page ids and dashboard they would otherwise find."""
    runners = [Runner(client, case, forget_derived) for case in cases]
    take_turns([r for r in runners if not (r.case.post or r.case.after_change)], settings)
    take_turns([r for r in runners if r.case.after_change], settings)
    for runner in runners:
        if runner.case.post:
            take_turns([runner], settings)
    return [runner.result for runner in runners]


def derived_forgetter(settings: Settings, prefix: str):
    """A function doing to the servers' cache what a commit does: drop the generation token."""
    from plugin_admin import caching, create_app
    from plugin_admin.config import cache_settings

    app = create_app({"SQLALCHEMY_DATABASE_URI": settings.database_url, "SECRET_KEY": "bench",
                      "CACHE_KEY_PREFIX": prefix, **cache_settings(settings.cache_url)})  # fmt: skip

    def forget():
        with app.app_context():
            caching.drop(caching.GENERATION_KEY)

    return forget


def take_turns(runners: list[Runner], settings: Settings) -> None:
    """Each runner warmed up once, then one request of each in turn: at most ``settings.requests``
    rounds and ``settings.seconds`` per runner in all."""
    live = [runner for runner in runners if runner.request(timed=False)]
    deadline = time.perf_counter() + settings.seconds * len(runners)
    for _ in range(settings.requests):
        if not live or time.perf_counter() > deadline:
            break
        live = [runner for runner in live if runner.request()]


class EditLoop:
    """Saves the edit form again and again, each time with a changed temperature and the form's fresh version.

    The form is re-read (untimed) before each save, as a person would open it; only the POST is timed.
    """

    def __init__(self, client: Client, path: str):
        self.client, self.path, self.saves, self.last_time = client, path, 0, 0.0

    def submit(self) -> Response:
        fields = form_fields(self.client.request(self.path).body)
        self.saves += 1
        fields["temperature"] = f"{0.1 + (self.saves % 15) / 10:.1f}"
        fields.pop("_continue_editing", None)
        before = time.perf_counter()
        response = self.client.request(self.path, fields, follow=False)
        self.last_time = time.perf_counter() - before
        return response


# --- the browser case -------------------------------------------------------------------------

PAGE_TIMING = """() => {
  const page = performance.getEntriesByType("navigation")[0];
  const files = performance.getEntriesByType("resource");
  return {dcl: page.domContentLoadedEventEnd - page.startTime, files: files.length,
          fetched: files.filter(f => f.transferSize > 0).length};
}"""
"""DOMContentLoaded from the start of the navigation, and the page's files: all, and those sent over
the network (a file from the browser's cache has a transferSize of 0)."""


def browser_cases(prompt: str) -> list[tuple[str, str]]:
    return [("prompt list", "/admin/pluginprompt/"), ("prompt edit form", f"/admin/pluginprompt/edit/?id={prompt}"),
            ("dashboard", "/admin/")]  # fmt: skip


def measure_browser(settings: Settings, url: str, password: str, prompt: str) -> list[dict]:
    """Each page loaded once cold and ``browser_loads`` times warm in headless Chromium, as a person
    moving between pages would (a navigation, not a forced reload)."""
    from tests.browser.server import browser_problem, chromium, log_in

    problem = browser_problem()
    if problem:
        return [{"case": "browser", "problem": problem}]
    rows = []
    with chromium() as browser:
        context = browser.new_context(base_url=url, viewport={"width": 1366, "height": 900})
        page = context.new_page()
        page.goto("/login")
        log_in(page, url, USERNAME, password)
        for name, path in browser_cases(prompt):
            page.goto(path)
            cold = page.evaluate(PAGE_TIMING)
            warm = []
            for _ in range(settings.browser_loads):
                page.goto(path)
                warm.append(page.evaluate(PAGE_TIMING))
            rows.append({
                "case": name,
                "loads": len(warm),
                "dcl_median_ms": round(statistics.median(w["dcl"] for w in warm), 1),
                "dcl_max_ms": round(max(w["dcl"] for w in warm), 1),
                "requests_cold": 1 + cold["fetched"],
                "requests_warm": 1 + max(w["fetched"] for w in warm),
                "files": cold["files"],
            })  # fmt: skip
        context.close()
    return rows


def print_browser_table(rows: list[dict]) -> None:
    print("\nheadless Chromium, 1366x900, warm loads (page and files from the cache)")
    print(f"{'page':<28} {'DCL p50':>8} {'DCL max':>8} {'files':>6} {'req cold':>9} {'req warm':>9} {'loads':>6}")
    for row in rows:
        if "problem" in row:
            print(f"{row['case']:<28} {row['problem']}")
        else:
            numbers = (row["dcl_median_ms"], row["dcl_max_ms"])
            print(f"{row['case']:<28}" + "".join(f" {n:>8}" for n in numbers) + f" {row['files']:>6}"
                  + f" {row['requests_cold']:>9} {row['requests_warm']:>9} {row['loads']:>6}")  # fmt: skip


def print_table(settings: Settings, rows: list[dict]) -> None:
    print(f"\n{settings.backend}, {settings.plugins:,} plugins, {settings.workers} gunicorn workers, one client")
    print(f"{'case':<28} {'p50 ms':>8} {'p95 ms':>8} {'req/s':>8} {'SQL/req':>8} {'n':>5}")
    for row in rows:
        if "problem" in row:
            print(f"{row['case']:<28} {row['problem']}")
        else:
            sql = "-" if row["sql_per_request"] is None else f"{row['sql_per_request']:g}"
            numbers = (row["p50_ms"], row["p95_ms"], row["req_per_s"], sql)
            print(f"{row['case']:<28}" + "".join(f" {n:>8}" for n in numbers) + f" {row['requests']:>5}")


def main() -> None:
    settings = Settings()
    password = prepare(settings)
    prompt = bench_prompt(settings)
    add_revisions(settings, prompt)
    prefix = f"bench-{secrets.token_hex(4)}:"
    env = settings.env(SQL_STATEMENT_HEADER="1", SECRET_KEY=secrets.token_hex(16), CACHE_KEY_PREFIX=prefix)
    with LiveServer(env, workers=settings.workers) as server:
        client = Client(server.url)
        try:
            client.login(USERNAME, password)
        except RuntimeError as error:
            sys.exit(f"cannot log in ({error}); nothing was measured")
        results = run_cases(client, cases(settings, prompt), settings, derived_forgetter(settings, prefix))
        rows = [result.row() for result in results]
        browser_rows = measure_browser(settings, server.url, password, prompt)
    print_table(settings, rows)
    print_browser_table(browser_rows)
    out = RESULTS / f"{settings.backend}-{settings.plugins}.json"
    out.write_text(json.dumps({"backend": settings.backend, "plugins": settings.plugins, "workers": settings.workers,
                               "cases": rows, "browser": browser_rows}, indent=2))  # fmt: skip
    print(f"\nsaved to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()

"""Liveness and readiness."""


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json == {"status": "ok"}


def test_readiness_checks_database_and_cache(client):
    response = client.get("/readiness")
    assert response.status_code == 200
    assert response.json["checks"] == {"database": "ok", "cache": "ok"}


def test_readiness_is_503_when_the_cache_is_down(make_app):
    app = make_app(CACHE_TYPE="RedisCache", CACHE_REDIS_URL="redis://127.0.0.1:1/0")
    response = app.test_client().get("/readiness")
    assert response.status_code == 503
    assert response.json["checks"] == {"database": "ok", "cache": "unavailable"}


def test_readiness_is_503_when_the_database_is_down(make_app, tmp_path):
    app = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'missing' / 'nowhere.sqlite3'}")
    response = app.test_client().get("/readiness")
    assert response.status_code == 503
    assert response.json["checks"]["database"] == "unavailable"

"""The project's shape: the learner's layout, and CI running exactly the README's test command."""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("path", ["README.md", "requirements.txt", "requirements-dev.txt", "dashboard.py",
                                  "pages", "core", "tests", ".streamlit/config.toml", ".ci/run", "bench",
                                  "scripts", "data", "ui"])
def test_the_layout_is_there(path):
    assert (ROOT / path).exists(), path


def test_ci_runs_exactly_the_readme_test_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    command = readme.split("## Test it", 1)[1].split("```bash\n", 1)[1].split("\n```", 1)[0].strip()
    assert command == ("bash scripts/install_browser.sh && bash scripts/install_servers.sh && "
                       "pip install -r requirements-dev.txt && python -m pytest")
    assert command in ci.splitlines()


def test_hosted_app_settings_stay_safe():
    import tomllib

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["server"]["enableXsrfProtection"] is True
    # no message, type, stack trace or path for viewers ("none"; false means "stacktrace" in 1.67):
    # tests/e2e/test_error_details.py checks what a browser shows
    assert config["client"]["showErrorDetails"] == "none"
    assert config["server"]["maxUploadSize"] <= 1  # MB: the progress import is capped at 1 MB
    assert config["client"]["toolbarMode"] == "viewer"
    assert config["browser"]["gatherUsageStats"] is False


def test_the_dockerfile_follows_streamlits_pattern_and_ships_what_the_app_needs():
    docker = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    lines = [line.strip() for line in docker.splitlines() if line.strip() and not line.startswith("#")]
    assert lines[0].startswith("FROM python:3.1") and lines[0].split(":")[1][:4] in ("3.11", "3.12")
    assert "RUN pip install --no-cache-dir -r requirements.txt" in lines
    assert "HEALTHCHECK CMD curl --fail http://localhost:8501/_stcore/health" in lines
    assert "EXPOSE 8501" in lines and "ENV SEQDASH_STORAGE=session" in lines
    assert lines[-1] == ('ENTRYPOINT ["streamlit", "run", "dashboard.py", "--server.port=8501", '
                         '"--server.address=0.0.0.0"]')
    ignored = {line.strip() for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()}
    # everything `streamlit run dashboard.py` reads goes into the image
    assert not ignored & {"core", "ui", "pages", "data", ".streamlit", "dashboard.py", "requirements.txt"}
    assert {"tests", "artifacts", ".git"} <= ignored


def test_every_cache_is_bounded_in_entries_and_time():
    import ast

    unbounded = []
    for path in [*ROOT.glob("ui/*.py"), *ROOT.glob("pages/*.py"), ROOT / "dashboard.py"]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        calls = {id(node.func): node for node in ast.walk(tree) if isinstance(node, ast.Call)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in ("cache_data", "cache_resource"):
                call = calls.get(id(node))  # a bare @st.cache_data has no call: unbounded
                if call is None or not {"max_entries", "ttl"} <= {k.arg for k in call.keywords}:
                    unbounded.append(f"{path.name}:{node.lineno}")
    assert not unbounded, f"st.cache_data/cache_resource without max_entries and ttl: {unbounded}"


def test_garbage_is_collected_at_most_every_interval_across_sessions(monkeypatch):
    """ui/layout.py replaces Streamlit's collection after every run (runner.postScriptGC, off in the config)."""
    import tomllib

    from ui import layout

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["runner"]["postScriptGC"] is False and layout.GC_EVERY == 0.5
    collections, clock = [], [100.0]
    monkeypatch.setattr(layout.gc, "collect", lambda: collections.append(clock[0]))
    monkeypatch.setattr(layout.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(layout, "_last_collection", [0.0])
    for step in (0.0, 0.1, 0.3, 0.2, 0.5, 0.0):  # runs 0, 0.1, 0.4, 0.6, 1.1, 1.1 s after the first
        clock[0] += step
        layout.collect_now_and_then()
    assert collections == [100.0, 100.6, 101.1]
    monkeypatch.setattr(layout, "GC_EVERY", 0.0)  # $SEQDASH_GC_EVERY=0: none but Python's own
    clock[0] += 10
    layout.collect_now_and_then()
    assert len(collections) == 3

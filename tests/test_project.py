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
    assert command == "bash scripts/install_browser.sh && pip install -r requirements-dev.txt && python -m pytest"
    assert command in ci.splitlines()


def test_hosted_app_settings_stay_safe():
    import tomllib

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["server"]["enableXsrfProtection"] is True
    assert config["client"]["showErrorDetails"] is False  # no stack traces for viewers
    assert config["server"]["maxUploadSize"] <= 1  # MB: the progress import is capped at 1 MB
    assert config["client"]["toolbarMode"] == "viewer"
    assert config["browser"]["gatherUsageStats"] is False

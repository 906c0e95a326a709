"""Config: the shipped linkcheck.yaml is complete, flags override, bad values name the key."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from linkcheck.cli import main
from linkcheck.config import Config, load_config
from linkcheck.errors import ConfigError
from linkcheck.flags import add_config_flags

ROOT = Path(__file__).resolve().parent.parent


def _keys(value: object, prefix: str = "") -> set[str]:
    keys = set()
    for field in dataclasses.fields(value):  # type: ignore[arg-type]
        inner = getattr(value, field.name)
        if dataclasses.is_dataclass(inner):
            keys |= _keys(inner, f"{prefix}{field.name}.")
        else:
            keys.add(f"{prefix}{field.name}")
    return keys


def test_shipped_config_yaml_states_every_default() -> None:
    import yaml

    data = yaml.safe_load((ROOT / "linkcheck.yaml").read_text())
    shipped = {f"{section}.{key}" for section, values in data.items() for key in values}
    assert shipped == _keys(Config())
    assert load_config(ROOT / "linkcheck.yaml") == Config()


def test_every_config_key_has_a_flag() -> None:
    import argparse

    parser = argparse.ArgumentParser()
    add_config_flags(parser)
    dests = {action.dest.removeprefix("cfg:") for action in parser._actions}
    assert _keys(Config()) <= dests


@pytest.mark.parametrize(
    ("yaml_text", "message"),
    [
        ("http:\n  per_hots: 3\n", "unknown config key http.per_hots"),
        ("htp:\n  per_host: 3\n", "unknown config key htp"),
        ("http:\n  per_host: many\n", "http.per_host: expected an integer, got a string"),
        ("http:\n  per_host: 0\n", "http.per_host: expected a number above 0"),
        ("http:\n  verify_tls: 1\n", "http.verify_tls: expected true or false"),
        ("http:\n  accept: '200..=abc'\n", "http.accept: bad status range"),
        ("http:\n  exclude: ['(']\n", "http.exclude: bad regex"),
        ("http:\n  resolve: ['example.com:80']\n", "http.resolve: bad resolve entry"),
        ("output:\n  fail_on: [brokn]\n", "output.fail_on: unknown outcome 'brokn'"),
        ("output:\n  formats: [pdf]\n", "output.formats: unknown format 'pdf'"),
        ("output:\n  report_url: ftp://x/r\n", "output.report_url: 'ftp://x/r' is not an http(s)"),
        ("http: [1, 2]\n", "http: expected a mapping"),
        ("- 1\n", "config must be a mapping"),
        ("http:\n  per_host: [\n", "invalid YAML in config"),
    ],
)
def test_bad_config_names_file_and_key(tmp_path: Path, yaml_text: str, message: str) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(yaml_text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert message in str(caught.value)
    assert str(path) in str(caught.value)
    assert "\n" not in str(caught.value)


def test_bad_config_exits_2_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("http:\n  per_host: -1\n")
    assert main(["--config", str(path), "links", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "http.per_host" in err and "Traceback" not in err


def test_flags_override_the_file(tmp_path: Path) -> None:
    from linkcheck.cli import build_parser
    from linkcheck.flags import overrides_from

    path = tmp_path / "c.yaml"
    path.write_text("http:\n  per_host: 2\n  exclude: ['a']\n")
    args = build_parser().parse_args(
        [
            "check",
            "x",
            "--per-host",
            "9",
            "--exclude",
            "b,c{1,2}",
            "--fail-on",
            "broken,timeout",
            "--no-http-verify-tls",
            "--http-headers",
            "^api=Authorization: Bearer s3cret",
        ]
    )
    config = load_config(path, overrides_from(args))
    assert config.http.per_host == 9
    assert config.http.exclude == ("b,c{1,2}",)
    assert config.output.fail_on == ("broken", "timeout")
    assert config.http.verify_tls is False
    assert config.http.headers == {"^api": {"Authorization": "Bearer s3cret"}}
    assert config.to_dict()["http"]["headers"] == {"^api": {"Authorization": "***"}}


def test_default_user_agent_names_linkcheck_and_version() -> None:
    from linkcheck import __version__

    assert f"linkcheck/{__version__}" in Config().user_agent


def test_version_flag(capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["--version"])
    assert caught.value.code == 0
    assert "linkcheck 0.1.0" in capsys.readouterr().out

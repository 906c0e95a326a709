"""The command line: help from the config keys' documentation, one-line errors, old spellings."""

from __future__ import annotations

import argparse
import re

import pytest

from linkcheck.cli import build_parser, main, use_color
from linkcheck.config import config_keys, config_sections, load_config
from linkcheck.flags import flag_name, overrides_from


def _check_parser() -> argparse.ArgumentParser:
    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return commands.choices["check"]


def _visible_options(parser: argparse.ArgumentParser) -> list[str]:
    return [
        name
        for action in parser._actions
        if action.help != argparse.SUPPRESS
        for name in action.option_strings
    ]


def test_every_key_and_section_is_documented() -> None:
    for key in config_keys():
        assert key.doc.strip().endswith("."), key.dotted
        assert len(key.doc) >= 20, key.dotted
    assert all(config_sections().values())


def test_check_help_shows_each_keys_documentation_and_default() -> None:
    text = " ".join(_check_parser().format_help().split())
    for key in config_keys():
        assert " ".join(key.doc.split()) in text, key.dotted
    assert "(default: 6)" in text  # http.per_host
    assert "(default: json,html,markdown)" in text


def test_no_flag_is_listed_twice_and_none_stutters() -> None:
    options = _visible_options(_check_parser())
    assert len(options) == len(set(options))
    for key in config_keys():
        assert f"--{key.section}-{key.section}-" not in flag_name(key)
        assert flag_name(key) in options
    assert "--retry-after-cap-s" in options and "--content-type" in options


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--concurrency", "9"], {"http.max_concurrency": 9}),
        (["--per-host", "2"], {"http.per_host": 2}),
        (["--http-request-timeout-s", "5"], {"http.request_timeout_s": 5.0}),
        (["--http-read-timeout-s", "4.5"], {"http.read_timeout_s": 4.5}),
        (["--retry-max-attempts", "1"], {"retry.max_attempts": 1}),
        (["--no-history-enabled"], {"history.enabled": False}),
        (["--formats", "json,junit"], {"output.formats": ["json", "junit"]}),
        (["--progress", "never"], {"output.progress": "never"}),
        (["-o", "out"], {"output.dir": "out"}),
        (["--output-dir", "out"], {"output.dir": "out"}),
        # Spellings from before the stutter was dropped still work, unlisted.
        (["--retry-retry-after-cap-s", "3"], {"retry.retry_after_cap_s": 3.0}),
        (["--no-content-content-type"], {"content.content_type": False}),
        (["--unpublish-dead-statuses", "404,451"], {"unpublish.dead_statuses": [404, 451]}),
    ],
)
def test_flags_scripts_use_keep_working(argv: list[str], expected: dict) -> None:
    args = build_parser().parse_args(["check", *argv, "x"])
    assert overrides_from(args) == expected
    load_config(None, overrides_from(args))  # and the values pass validation


def test_old_spellings_stay_out_of_the_help() -> None:
    text = _check_parser().format_help()
    assert "--retry-retry-after-cap-s" not in text
    assert "--content-content-type" not in text
    assert text.startswith("usage: linkcheck check [options] PATH...\n")


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (
            ["check", "--bogus", "x"],
            "unrecognized arguments: --bogus; see 'linkcheck check --help'",
        ),
        (["check", "--per-hots", "3", "x"], "(did you mean --per-host?)"),
        (["check"], "the following arguments are required: PATH"),
        (["check", "--per-host", "many", "x"], "invalid int value: 'many'"),
        (["links", "--format", "xml", "x"], "see 'linkcheck links --help'"),
        (["chek", "x"], "(did you mean check?); see 'linkcheck --help'"),
    ],
)
def test_a_bad_command_line_is_one_line_and_exit_2(
    argv: list[str], says: str, capsys: pytest.CaptureFixture
) -> None:
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1, captured.err
    assert captured.err.startswith("linkcheck: error: ")
    assert says in captured.err
    assert not re.search(r"usage:", captured.err)


def test_every_option_of_every_command_has_help() -> None:
    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for name, command in [("linkcheck", parser), *commands.choices.items()]:
        for action in command._actions:
            assert action.help, f"{name} {action.option_strings or action.dest}"


class _Stream:
    def __init__(self, tty: bool) -> None:
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


@pytest.mark.parametrize(
    ("tty", "environ", "expected"),
    [
        (True, {}, True),
        (True, {"NO_COLOR": "1"}, False),
        (True, {"NO_COLOR": ""}, True),  # no-color.org: set and not empty
        (False, {}, False),
    ],
)
def test_colour_only_on_a_terminal_and_never_with_no_color(
    tty: bool, environ: dict, expected: bool
) -> None:
    assert use_color(_Stream(tty), environ) is expected

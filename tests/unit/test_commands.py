"""The ``affinity`` parser, built from the command modules: the command list users know,
and every command with its help and a handler."""

import argparse

import pytest

from app.commands import build_parser

COMMANDS = ["serve", "migrate", "shop", "catalog", "index", "demo", "demo-data", "worker",
            "events", "sync", "inbox", "secrets", "privacy", "evaluate", "model", "kpis", "simulate"]


def _children(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    actions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(actions[0].choices) if actions else {}


def _leaves(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
            ) -> list[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    children = _children(parser)
    if not children:
        return [(path, parser)]
    return [leaf for name, child in children.items() for leaf in _leaves(child, (*path, name))]


def test_the_commands_in_their_order() -> None:
    assert list(_children(build_parser())) == COMMANDS


@pytest.mark.parametrize("path", [path for path, _ in _leaves(build_parser())], ids=" ".join)
def test_every_command_has_help_and_a_handler(
    path: tuple[str, ...], capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exited:
        build_parser().parse_args([*path, "--help"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.startswith(f"usage: affinity {' '.join(path)}")
    leaf = dict(_leaves(build_parser()))[path]
    if path != ("serve",):  # serve runs uvicorn's own loop: main calls it directly
        assert callable(leaf.get_default("handler"))

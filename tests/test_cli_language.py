"""One language on the command line: every ``esav`` command and option is French, click's messages too."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from gateway.cli import cli, main
from gateway.cli._language import VOCABULARY, EsavCommand, EsavGroup, LazyCommand
from gateway.cli._main import COMMANDS, PKI_INIT

#: An option line of a help page: "  -h, --aide  …", "  --donnees DOSSIER  …", "  --en-ligne / --sans-en-ligne".
OPTION_LINE = re.compile(r"^  (-[^ ].*?)(?:  |$)")
#: A command line of a group's "Commandes:" section.
COMMAND_LINE = re.compile(r"^  ([a-z][a-z-]*)(?:  |$)")


def _sections(text: str) -> dict[str, list[str]]:
    """A help page's sections (title -> lines), as click writes them."""
    sections: dict[str, list[str]] = {}
    current: list[str] = []
    for line in text.splitlines():
        if line and not line.startswith(" "):
            current = sections.setdefault(line.rstrip(":").strip(), [])
        elif current is not None:
            current.append(line)
    return sections


def walk_help(runner: CliRunner, command: click.Command = cli, path: tuple[str, ...] = ()) -> Iterator[tuple[str, str]]:
    """(path, help page) of ``esav`` and every sub-command, each through ``--help`` as a user runs it."""
    result = runner.invoke(cli, [*path, "--help"], prog_name="esav")
    assert result.exit_code == 0, (path, result.output)
    yield " ".join(("esav", *path)), result.output
    if isinstance(command, click.Group):
        for name in _sections(result.output).get("Commandes", []):
            match = COMMAND_LINE.match(name)
            if match:
                sub = command.get_command(click.Context(command), match.group(1))
                assert sub is not None
                yield from walk_help(runner, sub, (*path, match.group(1)))


def names_shown(help_text: str) -> list[str]:
    """The names a help page shows: commands, long options (without their dashes), and the metavars of the
    usage line and of the options (``OPERATEUR``, ``DOSSIER``; not a choice's values)."""
    sections = _sections(help_text)
    names = [m.group(1) for line in sections.get("Commandes", []) if (m := COMMAND_LINE.match(line))]
    usage = help_text.splitlines()[0]
    names += [word.lower() for word in re.findall(r"\b[A-Z][A-Z_]+\b", usage.split(" esav", 1)[-1])]
    for line in sections.get("Options", []):
        match = OPTION_LINE.match(line)
        if match:
            specs = re.split(r", | / ", match.group(1))
            names += [spec.split()[0][2:] for spec in specs if spec.startswith("--")]
            names += [spec.split()[1].lower() for spec in specs if re.fullmatch(r"--\S+ [A-Z]+", spec)]
    return names


def unknown_words(help_text: str, vocabulary: frozenset[str] = VOCABULARY) -> set[str]:
    """The words of the names shown on a help page that the vocabulary lacks."""
    words = {word for name in names_shown(help_text) for word in re.split(r"[-_]", name)}
    return {word for word in words if word not in vocabulary}


@pytest.fixture(scope="module")
def pages() -> list[tuple[str, str]]:
    return list(walk_help(CliRunner()))


def test_every_command_and_option_is_a_word_of_the_vocabulary(pages: list[tuple[str, str]]) -> None:
    """Every command, sub-command and option name in every ``--help`` is made of words of VOCABULARY."""
    assert len(pages) > 100  # the walk reached every group and sub-command
    unknown = {path: words for path, text in pages if (words := unknown_words(text))}
    assert unknown == {}


def test_the_vocabulary_check_catches_an_english_word(pages: list[tuple[str, str]]) -> None:
    """An English name on a help page (``--author`` next to French ones) fails the vocabulary check."""
    text = dict(pages)["esav sav commenter"]
    assert unknown_words(text) == set()
    assert unknown_words(text.replace("--auteur", "--author")) == {"author"}
    assert unknown_words(text, VOCABULARY - {"auteur"}) == {"auteur"}
    root = dict(pages)["esav"]
    assert unknown_words(root.replace("  servir ", "  serve  ")) == {"serve"}
    emettre = dict(pages)["esav certificats emettre"]
    assert unknown_words(emettre.replace("OPERATEUR", "OPERATOR_CODE", 1)) == {"operator"}
    assert unknown_words(emettre.replace("--jours ENTIER", "--jours INTEGER")) == {"integer"}


def test_every_command_is_french_aware() -> None:
    """Every command is an EsavCommand or EsavGroup, so its option aliases stay hidden and its metavars French."""

    def commands(command: click.Command) -> Iterator[click.Command]:
        yield command
        if isinstance(command, click.Group):
            ctx = click.Context(command)
            for name in command.list_commands(ctx):
                yield from commands(command.get_command(ctx, name))

    assert [c.name for c in commands(cli) if not isinstance(c, EsavCommand | EsavGroup)] == []


def test_click_messages_are_french(pages: list[tuple[str, str]]) -> None:
    """click's own words (usage, sections, the help option, usage errors) are French."""
    text = dict(pages)["esav sav"]
    assert text.startswith("Usage : esav sav [OPTIONS] COMMANDE [ARGUMENTS]...")
    assert "\nCommandes :\n" in text and "\nOptions :\n" in text
    assert "-h, --aide  Afficher cette aide et quitter." in text
    for english in ("Usage:", "Commands:", "Show this message", "--help", "COMMAND ", "[ARGS]"):
        assert english not in text
    result = CliRunner().invoke(cli, ["sav", "liste", "--frobnicate"], prog_name="esav")
    assert result.exit_code == 2
    assert "Erreur : Option inconnue : '--frobnicate'." in result.output
    assert "Aide : « esav sav liste --aide »." in result.output
    result = CliRunner().invoke(cli, ["sav", "commenter"], prog_name="esav")
    assert "Erreur : Argument manquant 'REFERENCE'." in result.output
    result = CliRunner().invoke(cli, ["certificats", "liste", "--json", "--donnees"], prog_name="esav")
    assert "L'option '--donnees' demande une valeur." in result.output


@pytest.mark.parametrize(
    ("old", "new", "hidden"),
    [
        (["operators", "list"], ["operateurs", "liste"], "operators"),  # a group
        (["sav", "show", "X-1"], ["sav", "afficher", "X-1"], "show"),  # a command
        (["sav", "list", "--jusqua", "2026-01-01"], ["sav", "liste", "--jusqu-a", "2026-01-01"], "--jusqua"),
        (
            ["catalogue", "statut", "--at", "2026-01-01T00:00"],
            ["catalogue", "statut", "--instant", "2026-01-01T00:00"],
            "--at",
        ),
    ],
)
def test_old_spellings_still_work_and_stay_hidden(
    old: list[str], new: list[str], hidden: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An English spelling of the last release (group, command, option) runs as the French one; no help shows it."""
    monkeypatch.delenv("ESAV_CONFIG", raising=False)
    runner = CliRunner()
    data = ["--donnees", str(tmp_path)] if new[0] != "catalogue" else []
    assert (
        runner.invoke(cli, [*new, *data], prog_name="esav").output
        == runner.invoke(cli, [*old, *data], prog_name="esav").output
    )
    for path in ([], new[:1], new[:2]):
        assert hidden not in runner.invoke(cli, [*path, "--help"], prog_name="esav").output.split()
    assert hidden not in runner.invoke(cli, [*old[:2], "--help"], prog_name="esav").output.split()


def test_help_accepts_the_english_spelling() -> None:
    """``--help`` still shows the help page; only ``-h, --aide`` is shown in it."""
    assert main(["sav", "--help"]) == 0


def test_an_out_of_range_port_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    """``esav servir --port 99999`` names the option and its range (a usage error), not ERREUR_INTERNE."""
    assert main(["servir", "--port", "99999"]) == 2
    err = capsys.readouterr().err
    assert "Valeur invalide pour '--port' : 99999 hors de l'intervalle 0<=x<=65535." in err
    assert "ERREUR_INTERNE" not in err


def test_a_bad_setting_is_labelled_configuration(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A bad setting in the configuration file is reported as such, not as an internal error."""
    config = tmp_path / "esav.ini"
    config.write_text("[esav]\nport = 99999\n", encoding="utf-8")
    assert main(["servir", "--config", str(config), "--donnees", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("Erreur : Configuration : ") and "99999" in err
    assert "ERREUR_INTERNE" not in err


def test_integration_servir_on_a_taken_port_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``esav integration servir`` on a port already taken: a message naming the port, no traceback."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        status = main(["integration", "servir", "--donnees", str(tmp_path), "--port", str(port)])
    err = capsys.readouterr().err
    assert status == 1
    assert f"Impossible d'écouter sur 127.0.0.1:{port}" in err and "Traceback" not in err


def test_every_alias_resolves_to_its_command_and_is_not_listed() -> None:
    """Each old command name reaches the renamed command and is absent from its group's listing."""
    seen = 0

    def check(group: click.Group, ctx: click.Context) -> None:
        nonlocal seen
        for name in group.list_commands(ctx):
            command = group.get_command(ctx, name)
            assert command is not None
            for alias in getattr(command, "aliases", ()):
                assert group.get_command(ctx, alias) is command and alias not in group.list_commands(ctx)
                seen += 1
            if isinstance(command, click.Group):
                check(command, click.Context(command, parent=ctx, info_name=name))

    check(cli, click.Context(cli, info_name="esav"))
    assert seen == 80  # the renamed groups and commands the CHANGELOG lists


def _lazy_entries(
    entries: Iterable[tuple[str, LazyCommand]], path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], LazyCommand]]:
    for name, entry in entries:
        yield (*path, name), entry
        yield from _lazy_entries(entry.children, (*path, name))


def test_every_lazy_listing_says_what_its_command_says() -> None:
    """Each command listed without being imported has its command's name, old names and one-line help."""
    entries = [*_lazy_entries(COMMANDS.items()), (("pki", "initialiser"), PKI_INIT)]
    assert len(entries) == 36  # the top-level commands and the sub-commands other modules add to a group
    for path, entry in entries:
        command = entry.load()
        assert (path[-1], tuple(getattr(command, "aliases", ()))) == (command.name, entry.aliases)
        listed = click.Command(path[-1], help=entry.help)
        for limit in (30, 45, 60, 200):
            assert listed.get_short_help_str(limit) == command.get_short_help_str(limit), (path, limit)


def _modules_after(argv: list[str]) -> set[str]:
    """The ``gateway`` modules a fresh Python process has imported once ``esav argv…`` returns."""
    code = "import sys\nfrom gateway.cli import main\nmain(sys.argv[1:])\nprint(' '.join(sys.modules))"
    process = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True, check=True)
    return {name for name in process.stdout.split()[-1000:] if name.startswith("gateway")}


@pytest.mark.e2e
def test_the_help_of_esav_imports_no_command() -> None:
    """``esav --aide`` lists every command without importing any command's module (nor the services)."""
    modules = _modules_after(["--aide"])
    assert modules == {"gateway", "gateway.cli", "gateway.cli._language", "gateway.cli._main", "gateway.cli._output"}


@pytest.mark.e2e
def test_a_command_imports_its_own_module_only() -> None:
    """``esav servir --aide`` imports ``servir``'s module, not those of the other commands."""
    modules = _modules_after(["servir", "--aide"])
    assert "gateway.cli._serve" in modules and "gateway.services" in modules
    assert {m for m in modules if m.startswith("gateway.cli.")} == {
        "gateway.cli._common",
        "gateway.cli._language",
        "gateway.cli._main",
        "gateway.cli._output",
        "gateway.cli._serve",
    }
    assert not {m for m in modules if m.startswith(("gateway.integration", "gateway.testset"))}

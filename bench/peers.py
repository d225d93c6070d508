"""Peer tools on the same corpus: po4a, translate-toolkit, mdpo, GNU msgmerge.

corpus (``base/`` and ``changed/`` roots) → per peer and step (extract, update,
render 4 languages) a timed ``Run``, or the reason the step does not apply or the
peer cannot run. Each peer gets the same scenario as ours: its own catalogs made
from the base pages with ~90 % pseudo-translated (untimed setup), then extract
from the changed pages, merge into the old catalogs, render the 4 languages.

Installs: po4a and gettext from Debian when missing; translate-toolkit and mdpo
each in its own venv under ``bench/work/`` (both ship ``md2po``/``po2md``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench.corpus import LANGUAGES, is_translated, pseudo_translate
from bench.proc import Run, run_sequence

TT_REQUIREMENT = "translate-toolkit[markdown,levenshtein]==3.20.4"
MDPO_REQUIREMENT = "mdpo==2.1.4"
STEPS = ("extract", "update", "render")


@dataclass
class Step:
    name: str
    commands: list[list[str]] = field(default_factory=list)
    reason: str = ""  # set when the step does not apply to this peer
    prepare: Callable[[], None] | None = None  # untimed, right before the step
    needs: tuple[str, ...] = ()  # earlier steps whose output this one reads


@dataclass
class PeerResult:
    key: str
    label: str
    how: str = ""
    version: str = ""
    unavailable: str = ""  # why the peer cannot run at all
    commands: dict[str, list[str]] = field(default_factory=dict)
    runs: dict[str, Run] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)  # step → why there is no time

    def to_dict(self) -> dict[str, object]:
        return {
            "label": self.label,
            "how": self.how,
            "version": self.version,
            **({"unavailable": self.unavailable} if self.unavailable else {}),
            "commands": self.commands,
            "runs": {step: run.to_dict() for step, run in self.runs.items()},
            "reasons": self.reasons,
        }


def _run_quiet(command: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)


def _first_line(command: list[str]) -> str:
    try:
        result = _run_quiet(command)
    except OSError as exc:
        return f"unknown ({exc.strerror})"
    lines = (result.stdout or result.stderr).strip().splitlines()
    return lines[0].strip() if lines else "unknown"


def _apt_install(package: str, binary: str) -> str:
    """Install a Debian package if ``binary`` is missing; '' on success, else why not."""
    if shutil.which(binary):
        return ""
    if os.geteuid() != 0:
        return f"{binary} is not installed and installing {package} needs root"
    result = _run_quiet(["apt-get", "install", "-y", "-q", package])
    if result.returncode != 0 or not shutil.which(binary):
        tail = (result.stderr or result.stdout).strip().splitlines()[-1:] or [""]
        return f"apt-get install {package} failed: {tail[0]}"
    return ""


def _venv_install(venv: Path, requirement: str, binary: str) -> str:
    if (venv / "bin" / binary).exists():
        return ""
    python = shutil.which("python3") or sys.executable
    result = _run_quiet([python, "-m", "venv", str(venv)])
    if result.returncode == 0:
        result = _run_quiet([str(venv / "bin" / "pip"), "install", "-q", requirement])
    if result.returncode != 0 or not (venv / "bin" / binary).exists():
        tail = (result.stderr or result.stdout).strip().splitlines()[-1:] or [""]
        return f"pip install {requirement} failed: {tail[0]}"
    return ""


def pseudo_translate_po(source: Path, target: Path, lang: str, seed: int) -> None:
    """A peer's template → a catalog with ~90 % of entries pseudo-translated."""
    import polib

    catalog = polib.pofile(str(source), wrapwidth=0)
    catalog.metadata["Language"] = lang
    for entry in catalog:
        if entry.msgid and not entry.msgid_plural and is_translated(seed, lang, entry.msgid):
            entry.msgstr = pseudo_translate(entry.msgid, lang)
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
    target.parent.mkdir(parents=True, exist_ok=True)
    catalog.save(str(target))


def _reset(path: Path) -> None:
    if path.exists():
        shutil.rmtree(path)


def _copy_tree(source: Path, target: Path) -> None:
    _reset(target)
    shutil.copytree(source, target)


class Peer:
    key = ""
    label = ""
    how = ""  # the commands, in a few words

    def __init__(self, work: Path, base: Path, changed: Path, seed: int):
        self.work = work.resolve() / self.key
        self.base_pages = base.resolve() / "source" / "pages"
        self.changed_pages = changed.resolve() / "source" / "pages"
        self.changed_root = changed.resolve()
        self.seed = seed

    def ensure(self) -> str:
        """Install what is missing; '' when the peer can run, else why not."""
        raise NotImplementedError

    def version(self) -> str:
        raise NotImplementedError

    def setup(self, our_pot: Path) -> None:
        """Untimed: the peer's own old catalogs, from the base pages."""

    def steps(self) -> list[Step]:
        raise NotImplementedError

    def pages(self, folder: Path) -> list[Path]:
        return sorted(folder.glob("*.md"))


class Po4a(Peer):
    key = "po4a"
    label = "po4a"
    how = "[type: text] with -o markdown; extract, update (msgmerge inside), render"

    def ensure(self) -> str:
        return _apt_install("po4a", "po4a") or _apt_install("gettext", "msgmerge")

    def version(self) -> str:
        return _first_line(["po4a", "--version"]).rstrip(".").split()[-1]

    def _config(self, name: str, pages: Path, po_dir: Path, out: Path | None) -> Path:
        lines = []
        if out is not None:
            lines.append("[po4a_langs] " + " ".join(LANGUAGES))
            lines.append(f"[po4a_paths] {po_dir}/messages.pot $lang:{po_dir}/$lang.po")
        else:
            lines.append(f"[po4a_paths] {po_dir}/messages.pot")
        lines.append('[options] opt:"-o markdown" --keep 0')
        for page in self.pages(pages):
            target = f" $lang:{out}/$lang/{page.name}" if out is not None else ""
            lines.append(f"[type: text] {page}{target}")
        path = self.work / name
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path

    def setup(self, our_pot: Path) -> None:
        _reset(self.work)
        self.work.mkdir(parents=True)
        base_cfg = self._config("base.cfg", self.base_pages, self.work / "base-po",
                                self.work / "base-out")
        result = _run_quiet(["po4a", "--no-translations", str(base_cfg)])
        if result.returncode != 0:
            raise RuntimeError(f"po4a setup failed: {result.stderr.strip()[-500:]}")
        old = self.work / "old"
        old.mkdir()
        shutil.copy(self.work / "base-po" / "messages.pot", old / "messages.pot")
        for lang in LANGUAGES:
            pseudo_translate_po(self.work / "base-po" / f"{lang}.po", old / f"{lang}.po", lang,
                                self.seed)
        self.extract_cfg = self._config("extract.cfg", self.changed_pages,
                                        self.work / "extract", None)
        self.cfg = self._config("po4a.cfg", self.changed_pages, self.work / "po",
                                self.work / "out")

    def steps(self) -> list[Step]:
        def before_update() -> None:
            _copy_tree(self.work / "old", self.work / "po")

        def before_render() -> None:
            _reset(self.work / "out")
            if not (self.work / "po" / "es.po").exists():
                before_update()

        return [
            Step("extract", [["po4a", "--no-translations", str(self.extract_cfg)]],
                 prepare=lambda: _reset(self.work / "extract")),
            Step("update", [["po4a", "--no-translations", str(self.cfg)]],
                 prepare=before_update),
            Step("render", [["po4a", "--no-update", str(self.cfg)]], prepare=before_render),
        ]


class TranslateToolkit(Peer):
    key = "translate-toolkit"
    label = "translate-toolkit"
    how = "md2po -P (a POT per page), pot2po -t x4, po2md x4"

    @property
    def bin(self) -> Path:
        return self.work.parent.parent / "venv-tt" / "bin"

    def ensure(self) -> str:
        return _venv_install(self.bin.parent, TT_REQUIREMENT, "md2po")

    def version(self) -> str:
        line = _first_line([str(self.bin / "md2po"), "--version"])
        return line.split()[-1]

    def setup(self, our_pot: Path) -> None:
        _reset(self.work)
        self.work.mkdir(parents=True)
        result = _run_quiet([str(self.bin / "md2po"), "--progress", "none", "-P", "-i",
                             str(self.base_pages), "-o", str(self.work / "base-pot")])
        if result.returncode != 0:
            raise RuntimeError(f"md2po setup failed: {result.stderr.strip()[-500:]}")
        for lang in LANGUAGES:
            for pot in sorted((self.work / "base-pot").glob("*.pot")):
                pseudo_translate_po(pot, self.work / "old" / lang / f"{pot.stem}.po", lang,
                                    self.seed)
        (self.work / "po").mkdir()
        (self.work / "out").mkdir()

    def steps(self) -> list[Step]:
        tool = self.bin
        quiet = ["--progress", "none"]

        def before_update() -> None:
            for lang in LANGUAGES:
                _reset(self.work / "po" / lang)

        def before_render() -> None:
            for lang in LANGUAGES:
                _reset(self.work / "out" / lang)

        return [
            Step("extract", [[str(tool / "md2po"), *quiet, "-P", "-i", str(self.changed_pages),
                              "-o", str(self.work / "pot")]],
                 prepare=lambda: _reset(self.work / "pot")),
            Step("update", [[str(tool / "pot2po"), *quiet, "-t", str(self.work / "old" / lang),
                             "-i", str(self.work / "pot"), "-o", str(self.work / "po" / lang)]
                            for lang in LANGUAGES],
                 prepare=before_update, needs=("extract",)),
            Step("render", [[str(tool / "po2md"), *quiet, "-t", str(self.changed_pages),
                             "-i", str(self.work / "po" / lang), "-o",
                             str(self.work / "out" / lang)] for lang in LANGUAGES],
                 prepare=before_render, needs=("update",)),
        ]


MDPO_RENDER = """\
import os, sys
from pathlib import Path
from mdpo.po2md import Po2Md
po, pages, out = sys.argv[1:4]
os.makedirs(out, exist_ok=True)
translator = Po2Md([po])  # the catalog is parsed once for all pages
for page in sorted(Path(pages).glob("*.md")):
    translator.translate(str(page), save=os.path.join(out, page.name))
"""

MDPO_CATALOG = """\
import sys
from pathlib import Path
import polib
from mdpo.md2po import Md2Po
pages, target = sys.argv[1:3]
catalog = polib.POFile()
catalog.metadata = {"Content-Type": "text/plain; charset=UTF-8"}
seen = set()
for page in sorted(Path(pages).glob("*.md")):
    for entry in Md2Po(str(page)).extract():
        if entry.msgid not in seen:
            seen.add(entry.msgid)
            catalog.append(polib.POEntry(msgid=entry.msgid, msgstr=""))
catalog.save(target)
"""


class Mdpo(Peer):
    key = "mdpo"
    label = "mdpo"
    how = "md2po into one POT; Po2Md with the catalog parsed once, x4"

    @property
    def bin(self) -> Path:
        return self.work.parent.parent / "venv-mdpo" / "bin"

    def ensure(self) -> str:
        return _venv_install(self.bin.parent, MDPO_REQUIREMENT, "md2po")

    def version(self) -> str:
        line = _first_line([str(self.bin / "md2po"), "--version"])
        return line.split()[-1]

    def setup(self, our_pot: Path) -> None:
        _reset(self.work)
        self.work.mkdir(parents=True)
        (self.work / "render.py").write_text(MDPO_RENDER, encoding="utf-8")
        (self.work / "catalog.py").write_text(MDPO_CATALOG, encoding="utf-8")
        # The render step's catalogs come from the changed pages, one file at a time
        # (linear), so that rendering does not depend on the timed one-POT extract.
        pot = self.work / "render.pot"
        result = _run_quiet([str(self.bin / "python"), str(self.work / "catalog.py"),
                             str(self.changed_pages), str(pot)])
        if result.returncode != 0:
            raise RuntimeError(f"mdpo setup failed: {result.stderr.strip()[-500:]}")
        for lang in LANGUAGES:
            pseudo_translate_po(pot, self.work / "po" / f"{lang}.po", lang, self.seed)

    def steps(self) -> list[Step]:
        pot = self.work / "messages.pot"

        def before_extract() -> None:
            if pot.exists():
                pot.unlink()

        return [
            Step("extract", [[str(self.bin / "md2po"), "-q", str(self.changed_pages / "*.md"),
                              "-p", str(pot), "-s"]], prepare=before_extract),
            Step("update", reason="no merge tool"),
            Step("render", [[str(self.bin / "python"), str(self.work / "render.py"),
                             str(self.work / "po" / f"{lang}.po"), str(self.changed_pages),
                             str(self.work / "out" / lang)] for lang in LANGUAGES],
                 prepare=lambda: _reset(self.work / "out")),
        ]


class Msgmerge(Peer):
    key = "msgmerge"
    label = "GNU msgmerge"
    how = "msgmerge --previous x4, on our POT and catalogs"

    def ensure(self) -> str:
        return _apt_install("gettext", "msgmerge")

    def version(self) -> str:
        return _first_line(["msgmerge", "--version"]).split()[-1]

    def setup(self, our_pot: Path) -> None:
        _reset(self.work)
        (self.work / "out").mkdir(parents=True)
        self.pot = our_pot

    def steps(self) -> list[Step]:
        locales = self.changed_root / "locales"
        return [
            Step("extract", reason="not its job"),
            Step("update", [["msgmerge", "--previous", "--quiet", "-o",
                             str(self.work / "out" / f"{lang}.po"),
                             str(locales / lang / "LC_MESSAGES" / "messages.po"), str(self.pot)]
                            for lang in LANGUAGES]),
            Step("render", reason="not its job"),
        ]

    def output(self, lang: str) -> Path:
        return self.work / "out" / f"{lang}.po"


PEERS: tuple[type[Peer], ...] = (Po4a, TranslateToolkit, Mdpo, Msgmerge)


def run_peer(peer: Peer, our_pot: Path, cap: float,
             log: Callable[[str], None] = print) -> PeerResult:
    result = PeerResult(peer.key, peer.label, how=peer.how)
    reason = peer.ensure()
    if reason:
        result.unavailable = reason
        log(f"  {peer.key}: cannot run: {reason}")
        return result
    result.version = peer.version()
    try:
        peer.setup(our_pot)
    except (RuntimeError, OSError) as exc:
        result.unavailable = f"setup failed: {exc}"
        log(f"  {peer.key}: {result.unavailable}")
        return result
    for step in peer.steps():
        if step.reason:
            result.reasons[step.name] = step.reason
            continue
        result.commands[step.name] = [" ".join(c) for c in step.commands]
        blocked = [n for n in step.needs if n in result.runs and not result.runs[n].ok]
        if blocked:
            result.reasons[step.name] = f"not run: {blocked[0]} did not finish"
            log(f"  {peer.key} {step.name}: {result.reasons[step.name]}")
            continue
        if step.prepare:
            step.prepare()
        run = run_sequence(step.commands, cwd=peer.work, cap=cap)
        result.runs[step.name] = run
        if run.capped:
            log(f"  {peer.key} {step.name}: > {cap:.0f} s (capped)")
        elif run.returncode:
            tail = run.output.strip().splitlines()[-1:] or [""]
            result.reasons[step.name] = f"failed (exit {run.returncode}): {tail[0][:200]}"
            log(f"  {peer.key} {step.name}: {result.reasons[step.name]}")
        else:
            log(f"  {peer.key} {step.name}: {run.seconds:.2f} s, {run.peak_rss_mb:.0f} MB")
    return result

"""Peer tools on the same corpus: po4a, translate-toolkit, mdpo, GNU msgmerge.

corpus (``base/`` and ``changed/`` roots) → per peer and step (extract, update,
render 4 languages) a timed ``Run``, or the reason the step does not apply or the
peer cannot run. Each peer gets the same scenario as ours: its own catalogs made
from the base pages with ~90 % pseudo-translated (untimed setup), then extract
from the changed pages, merge into the old catalogs, render the 4 languages.

Every step's output is checked before its time counts (``check_outputs``): one file
per expected output, none missing, none extra, each sized in a sane ratio to the
pages it comes from. A run that fails the check is recorded as invalid with the
reason, never as a time.

Installs: po4a and gettext from Debian when missing; translate-toolkit and mdpo
each in its own venv under ``bench/tools/`` (both ship ``md2po``/``po2md``), kept
between runs (``bench/work/`` is deleted after each run).
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bench.corpus import LANGUAGES, is_translated, pseudo_translate
from bench.proc import Run, run_sequence, set_aside

TOOLS = Path(__file__).resolve().parent / "tools"  # the peers' venvs, kept between runs
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
    # step → the run whose output failed the check: kept to explain, never a time
    invalid: dict[str, Run] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        return {
            "label": self.label,
            "how": self.how,
            "version": self.version,
            **({"unavailable": self.unavailable} if self.unavailable else {}),
            "commands": self.commands,
            "runs": {step: run.to_dict() for step, run in self.runs.items()},
            "reasons": self.reasons,
            **({"invalid": {step: {"reason": self.reasons[step], "run": run.to_dict()}
                            for step, run in self.invalid.items()}} if self.invalid else {}),
        }


# --- output check ----------------------------------------------------------------

# Size of an output ÷ size of the pages it comes from, measured on the corpus with
# every peer: a POT 1.6 to 2.3, a catalog 2.3 to 4.1, a translated page 0.55 (zh_Hans) to
# 1.8 (ar). The bounds leave room for other seeds and sizes, not for a file that
# holds two pages or none.
EXTRACT_RATIO = (0.8, 4.0)
CATALOG_RATIO = (1.2, 8.0)
PAGE_RATIO = (0.4, 2.5)
# Outputs of one page each, in one folder, differ from their median ratio by at most
# this factor (measured: 1.2); a translator that carries text over from page to page
# drifts away from it.
PAGE_SPREAD = 1.5


@dataclass(frozen=True, slots=True)
class Expected:
    """One folder a step writes: exactly these files, each sized like its sources."""

    folder: Path
    files: Mapping[str, tuple[Path, ...]]  # name under ``folder`` → the pages it comes from
    ratio: tuple[float, float]  # the sane range of size ÷ the sources' size


def _size(size: int) -> str:
    return f"{size / 1e6:.1f} MB" if size >= 1e6 else f"{size / 1e3:.1f} kB"


def check_outputs(expected: list[Expected]) -> str:
    """'' when every expected output is there, alone and sane in size; else why not."""
    for want in expected:
        where = want.folder.name
        if not want.folder.is_dir():
            return f"no output folder {where}/"
        found = {p.relative_to(want.folder).as_posix() for p in want.folder.rglob("*")
                 if p.is_file()}
        missing = sorted(set(want.files) - found)
        extra = sorted(found - set(want.files))
        if missing or extra:
            detail = (f"{len(missing)} missing ({missing[0]}…)" if missing
                      else f"{len(extra)} unexpected ({extra[0]}…)")
            return (f"{where}/ holds {len(found)} files, expected {len(want.files)}: "
                    + detail)
        ratios: dict[str, float] = {}
        low, high = want.ratio
        for name, sources in sorted(want.files.items()):
            size = (want.folder / name).stat().st_size
            source = sum(s.stat().st_size for s in sources)
            ratios[name] = size / max(source, 1)
            if not low <= ratios[name] <= high:
                return (f"{where}/{name} is {_size(size)} for {_size(source)} of source "
                        f"(x{ratios[name]:.2f}, expected x{low} to x{high})")
        single = {n: r for n, r in ratios.items() if len(want.files[n]) == 1}
        if len(single) >= 3:
            median = statistics.median(single.values())
            for name, value in sorted(single.items()):
                if not median / PAGE_SPREAD <= value <= median * PAGE_SPREAD:
                    return (f"{where}/{name} is x{value:.2f} its page's size, the folder's "
                            f"median x{median:.2f}: not the same work per page")
    return ""


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
    set_aside(path)  # as our roots are: removed at the bench's end


def _copy_tree(source: Path, target: Path) -> None:
    _reset(target)
    shutil.copytree(source, target)


class Peer:
    key = ""
    label = ""
    how = ""  # the commands, in a few words

    def __init__(self, work: Path, base: Path, changed: Path, seed: int,
                 tools: Path = TOOLS):
        self.work = work.resolve() / self.key
        self.base_pages = base.resolve() / "source" / "pages"
        self.changed_pages = changed.resolve() / "source" / "pages"
        self.changed_root = changed.resolve()
        self.seed = seed
        self.tools = tools.resolve()

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

    def expected(self, step: str) -> list[Expected]:
        """What ``step`` must leave behind for its time to count."""
        raise NotImplementedError

    def _whole(self, folder: Path, names: list[str], ratio: tuple[float, float]) -> Expected:
        """Files that each come from all the changed pages (one POT, one catalog)."""
        pages = tuple(self.pages(self.changed_pages))
        return Expected(folder, dict.fromkeys(names, pages), ratio)

    def _per_page(self, folder: Path, suffix: str, ratio: tuple[float, float]) -> Expected:
        """One file per changed page, named after it."""
        return Expected(folder, {p.stem + suffix: (p,) for p in self.pages(self.changed_pages)},
                        ratio)

    def _rendered(self) -> list[Expected]:
        return [self._per_page(self.work / "out" / lang, ".md", PAGE_RATIO)
                for lang in LANGUAGES]


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

    def expected(self, step: str) -> list[Expected]:
        if step == "extract":
            return [self._whole(self.work / "extract", ["messages.pot"], EXTRACT_RATIO)]
        if step == "update":  # the POT and the catalogs, side by side
            return [self._whole(self.work / "po",
                                ["messages.pot", *(f"{lang}.po" for lang in LANGUAGES)],
                                (EXTRACT_RATIO[0], CATALOG_RATIO[1]))]
        return self._rendered()


class TranslateToolkit(Peer):
    key = "translate-toolkit"
    label = "translate-toolkit"
    how = "md2po -P (a POT per page), pot2po -t x4, po2md x4"

    @property
    def bin(self) -> Path:
        return self.tools / "venv-tt" / "bin"

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

    def expected(self, step: str) -> list[Expected]:
        if step == "extract":
            return [self._per_page(self.work / "pot", ".pot", EXTRACT_RATIO)]
        if step == "update":
            return [self._per_page(self.work / "po" / lang, ".po", CATALOG_RATIO)
                    for lang in LANGUAGES]
        return self._rendered()


MDPO_RENDER = """\
import os, sys
from pathlib import Path
from mdpo.po2md import Po2Md
po, pages, out = sys.argv[1:4]
os.makedirs(out, exist_ok=True)
catalogs = Po2Md([po]).pofiles  # the catalog, parsed once for all pages
for page in sorted(Path(pages).glob("*.md")):
    # A Po2Md keeps its output lines between translate() calls: one per page.
    translator = Po2Md([])
    translator.pofiles = catalogs
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
    how = "md2po into one POT; a Po2Md per page on the catalog parsed once, x4"

    @property
    def bin(self) -> Path:
        return self.tools / "venv-mdpo" / "bin"

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
        extracted = self.work / "extract"

        def before_extract() -> None:
            _reset(extracted)
            extracted.mkdir()

        return [
            Step("extract", [[str(self.bin / "md2po"), "-q", str(self.changed_pages / "*.md"),
                              "-p", str(extracted / "messages.pot"), "-s"]],
                 prepare=before_extract),
            Step("update", reason="no merge tool"),
            Step("render", [[str(self.bin / "python"), str(self.work / "render.py"),
                             str(self.work / "po" / f"{lang}.po"), str(self.changed_pages),
                             str(self.work / "out" / lang)] for lang in LANGUAGES],
                 prepare=lambda: _reset(self.work / "out")),
        ]

    def expected(self, step: str) -> list[Expected]:
        if step == "extract":
            return [self._whole(self.work / "extract", ["messages.pot"], EXTRACT_RATIO)]
        return self._rendered()


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

    def expected(self, step: str) -> list[Expected]:
        return [self._whole(self.work / "out", [f"{lang}.po" for lang in LANGUAGES],
                            CATALOG_RATIO)]


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
        blocked = [n for n in step.needs
                   if n in result.invalid or (n in result.runs and not result.runs[n].ok)]
        if blocked:
            result.reasons[step.name] = (f"not run: {blocked[0]} "
                                         + ("output invalid" if blocked[0] in result.invalid
                                            else "did not finish"))
            log(f"  {peer.key} {step.name}: {result.reasons[step.name]}")
            continue
        if step.prepare:
            step.prepare()
        run = run_sequence(step.commands, cwd=peer.work, cap=cap)
        wrong = check_outputs(peer.expected(step.name)) if run.ok else ""
        if wrong:
            result.invalid[step.name] = run
            result.reasons[step.name] = f"invalid output: {wrong}"
            log(f"  {peer.key} {step.name}: {result.reasons[step.name]} "
                f"(its {run.seconds:.2f} s do not count)")
            continue
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

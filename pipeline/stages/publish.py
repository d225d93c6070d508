"""Publish: a checked ``output/build/`` → ``output/site`` (a symlink flipped atomically).

The build is copied into a new sibling ``output/site-<build id>/`` with a
``manifest.json``; then a temporary symlink to it replaces ``output/site`` with one
``os.replace``, so a reader sees the old site or the new one, never a mix and never
nothing. A build whose accessibility result is missing, failing or older than its
HTML is refused: nothing unchecked is published.

``pipeline build`` has the copy made ahead (``stage_ahead``, by a child while its last
stages run); publish then takes it only if the bytes copied are the checked ones.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from pipeline.config import Config
from pipeline.errors import PipelineError
from pipeline.infra.digests import SHA256, FileFacts, facts_file, sha256_hex, tree_files
from pipeline.infra.faults import fault_point
from pipeline.infra.fsutil import write_text_atomic
from pipeline.models import Location

KEEP_PREVIOUS = 1  # old builds kept beside the live one, for a quick rollback


@dataclass(frozen=True, slots=True)
class PublishResult:
    site: Path  # output/site (the symlink)
    target: Path  # output/site-<build id>
    build_id: str
    files: int
    changed: bool = True  # False: the live site already was this build


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 16), b""):
            digest.update(chunk)
    return digest.hexdigest()


def source_commit(root: Path) -> str | None:
    try:
        result = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"],
                                capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return result.stdout.strip() if result.returncode == 0 else None


def _language_of(rel: str, tags: set[str]) -> str | None:
    first = rel.split("/", 1)[0]
    return first if first in tags and "/" in rel else None


def hash_tree(tree: Path, facts: FileFacts | None = None) -> dict[str, tuple[str, int]]:
    """relative path → (sha256, bytes) of every file: read once, used by the a11y proof,
    the tree digest and the manifest. With ``facts``, a file unchanged since it was last
    hashed (``pipeline.infra.digests``) is not read again."""
    out: dict[str, tuple[str, int]] = {}
    for rel, path, info in tree_files(tree):
        if facts is None:
            with open(path, "rb") as handle:
                out[rel] = (sha256_hex(handle.read()), info.st_size)
        else:
            out[rel] = (facts.get(path, SHA256, sha256_hex, info), info.st_size)
    return out


def verify_checked(config: Config, hashes: dict[str, tuple[str, int]]) -> dict[str, Any]:
    """The a11y result for the build, or an error if it is missing, failing or stale.

    With ``[tool.pipeline.gate] a11y = false`` a failing result does not stop
    publication, but the check must still have run on exactly these pages.
    ``hashes``: ``hash_tree`` of the build (the pages are not read again).
    """
    build = config.output_dir / "build"
    report = config.output_dir / "reports" / "a11y.json"
    build_display = config.rel(build)
    if not build.is_dir() or not any(name.endswith(".html") for name in hashes):
        raise PipelineError("nothing to publish: no rendered pages", Location(build_display),
                            "run 'pipeline render' (or 'pipeline build')")
    if not report.is_file():
        raise PipelineError(
            "refusing to publish: no accessibility result for this build",
            Location(config.rel(report)), "run 'pipeline a11y' first (or 'pipeline build')",
        )
    try:
        result: dict[str, Any] = json.loads(report.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise PipelineError("refusing to publish: accessibility result is unreadable",
                            Location(config.rel(report))) from exc
    checked = result.get("checked_sha256")
    if isinstance(checked, dict):
        # The result names the exact bytes it checked: every page must be one of them.
        # Named as ``config.rel`` names them, the folder resolved once (thousands of
        # pages); only a name not found so is resolved on its own (a symbolic link).
        prefix = build_display + "/"
        for name, (sha, _) in sorted(hashes.items()):
            if not name.endswith(".html"):
                continue
            rel = prefix + name
            if checked.get(rel) != sha:
                rel = config.rel(build / name)
            if checked.get(rel) != sha:
                raise PipelineError(
                    "refusing to publish: this page was not checked for accessibility "
                    "in its current form", Location(rel),
                    "run 'pipeline build' (or 'pipeline a11y') again",
                )
    else:
        newest = max(info.st_mtime_ns for _, _, info in tree_files(build))
        if report.stat().st_mtime_ns < newest:
            raise PipelineError(
                "refusing to publish: the accessibility result is older than the rendered "
                "pages", Location(config.rel(report)), "run 'pipeline a11y' again on this build",
            )
    if not result.get("passed", False) and (config.gate.a11y or not result.get("ok", False)):
        raise PipelineError(
            "refusing to publish: the accessibility check did not pass",
            Location(config.rel(report)), "fix the findings listed in output/reports/a11y.html",
        )
    return result


def _manifest(config: Config, hashes: dict[str, tuple[str, int]], build_id: str,
              verdicts: dict[str, Any]) -> dict[str, Any]:
    tags = {lang.tag for lang in config.all_languages}
    files = [{"path": rel, "sha256": sha, "bytes": size, "language": _language_of(rel, tags)}
             for rel, (sha, size) in sorted(hashes.items())]
    return {
        "build_id": build_id,
        "published_at": _now().isoformat(timespec="seconds"),
        "source_commit": source_commit(config.root),
        "verdicts": verdicts,
        "files": files,
    }


def _now() -> dt.datetime:
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.UTC)
    return dt.datetime.now(dt.UTC)


def _tree_digest(hashes: dict[str, tuple[str, int]]) -> str:
    digest = hashlib.sha256()
    for rel, (sha, _) in sorted(hashes.items()):
        digest.update(rel.encode())
        digest.update(sha.encode())
    return digest.hexdigest()[:12]


def _stage(build: Path, staging: Path, hashes: dict[str, tuple[str, int]],
           live: Path | None, live_files: dict[str, str], facts: FileFacts
           ) -> dict[str, tuple[str, int]]:
    """Fill ``staging`` with the build: a file the live site already has with the same
    bytes is hard-linked from there (published trees are never written again), every
    other file is written from the bytes read and hashed here, so the staged tree is
    exactly what the returned hashes say (``hashes`` unless the build changed since).
    Never a link into output/build: a later in-place edit of a build file would change
    the live site without a check."""
    made: set[str] = set()
    join = os.path.join
    staged = dict(hashes)
    for rel, (sha, _) in hashes.items():
        path = join(staging, rel)
        folder = os.path.dirname(path)
        if folder not in made:
            os.makedirs(folder, exist_ok=True)
            made.add(folder)
        # The live file's bytes are checked again (hashed, unless unchanged since they
        # were): the manifest is only what was published.
        if live is not None and live_files.get(rel) == sha:
            old = join(live, rel)
            with contextlib.suppress(OSError):
                if facts.get(old, SHA256, sha256_hex) == sha:
                    os.link(old, path)
                    continue
        with open(join(build, rel), "rb") as handle:
            data = handle.read()
        with open(path, "xb") as handle:
            handle.write(data)
        if (now := sha256_hex(data)) != sha:
            staged[rel] = (now, len(data))
    return staged


def _remember(facts: FileFacts, target: Path, hashes: dict[str, tuple[str, int]]) -> None:
    """The published files' digests, by their stat as it now is: linking a file into the
    new tree and removing an old tree changed the ctime of the files they share."""
    join = os.path.join
    for rel, (sha, _) in hashes.items():
        path = join(target, rel)
        with contextlib.suppress(OSError):  # gone already: nothing to remember
            facts.record(path, SHA256, sha, os.stat(path), trusted=True)


@dataclass(frozen=True, slots=True)
class Staged:
    """output/build staged by ``stage_ahead`` while the build went on."""

    folder: Path | None  # None: the live site already holds these bytes
    hashes: dict[str, tuple[str, int]]  # of the staged files: what publishing them shows
    build_id: str
    facts: dict[str, list[int | str]]  # what the stager learned of files (FileFacts.learned)


def stage_ahead(config: Config, folder: Path, facts: FileFacts) -> Staged | None:
    """output/build hashed and staged in ``folder`` for ``publish(staged=...)``, before
    the build's last stages end (run by a child meanwhile): publish then checks the
    staged hashes, writes the manifest and flips, instead of copying thousands of
    files at the end of the build. Nothing is staged when the live site holds these
    bytes already. None when the copy failed (a full disk): publish copies the build
    itself then, and says what failed if it fails again."""
    out = config.output_dir
    site = out / "site"
    shutil.rmtree(folder, ignore_errors=True)  # a child that failed half-way left it
    try:
        hashes = hash_tree(out / "build", facts)
        live = _live_manifest(site)
        if live.get("tree_digest") == _tree_digest(hashes):
            return Staged(None, hashes, "", facts.learned())
        folder.mkdir()
        fault_point("publish:staging-ahead")
        hashes = _stage(out / "build", folder, hashes, site.resolve() if live else None,
                        _live_files(live), facts)
    except OSError:
        shutil.rmtree(folder, ignore_errors=True)
        return None
    return Staged(folder, hashes, new_build_id(hashes), facts.learned())


def _live_files(live: dict[str, Any]) -> dict[str, str]:
    return {str(f.get("path")): str(f.get("sha256"))
            for f in live.get("files", []) if isinstance(f, dict)}


def new_build_id(hashes: dict[str, tuple[str, int]]) -> str:
    """``<UTC time>-<digest of the tree>``: ``hashes`` is ``hash_tree`` of the build."""
    return f"{_now().strftime('%Y%m%dT%H%M%SZ')}-{_tree_digest(hashes)}"


def publish(config: Config, verdicts: dict[str, Any] | None = None,
            build_id: str | None = None, *, facts: FileFacts | None = None,
            staged: Staged | None = None) -> PublishResult:
    """Copy the checked build to a new directory and flip ``output/site`` to it.

    ``build_id``: the one a deferred build recorded (its shards' results name it);
    by default a new one. ``facts``: the build's, which it saves (else read and saved
    here): facts of its own, saved here, would be overwritten by the build's.
    ``staged``: the build as ``stage_ahead`` staged it, published if its bytes are the
    checked ones (else the build is staged again); removed here if not used."""
    own_facts = facts is None
    facts = facts or FileFacts(facts_file(config.output_dir))
    try:
        result = _publish(config, verdicts, build_id, facts, staged)
    finally:
        if staged is not None:  # used, it is the new site's folder now, under its name
            _discard(staged.folder)
    if own_facts:
        facts.save()
    return result


def _publish(config: Config, verdicts: dict[str, Any] | None, build_id: str | None,
             facts: FileFacts, staged: Staged | None) -> PublishResult:
    out = config.output_dir
    build = out / "build"
    site = out / "site"
    if site.exists() and not site.is_symlink():
        raise PipelineError(
            "output/site is a real directory, not the symlink publish manages",
            Location(config.rel(site)), "move it away once; publish then manages it",
        )
    checked: Staged | None = None  # the copy made ahead, its bytes the checked ones
    if staged is not None:
        facts.learn(staged.facts)
        # The staged bytes are what would be published: they must be the checked ones.
        with contextlib.suppress(PipelineError):
            a11y, checked = verify_checked(config, staged.hashes), staged
    if checked is None:  # output/build hashed, checked and copied as it is now
        hashes = hash_tree(build, facts) if build.is_dir() else {}
        a11y = verify_checked(config, hashes)
    else:
        hashes = checked.hashes
    tree = _tree_digest(hashes)
    _remove_stale(out, keep=checked.folder if checked is not None else None)
    live = _live_manifest(site)
    if live.get("tree_digest") == tree and live.get("verdicts") == _verdicts(a11y, verdicts):
        # Same bytes, same verdicts: the live site already is this build.
        return PublishResult(site, site.resolve(), str(live.get("build_id")),
                             len(live.get("files", [])), changed=False)
    # The copy made ahead, published under its own build id (not a deferred build's).
    ahead: Path | None = None
    if checked is not None and checked.folder is not None and build_id is None:
        ahead, build_id = checked.folder, checked.build_id
    build_id = build_id or new_build_id(hashes)
    staging = ahead or out / f".site-{build_id}.tmp-{os.getpid()}"
    target = out / f"site-{build_id}"
    try:
        if target.exists():
            shutil.rmtree(target)  # same content published again: rebuild it cleanly
        if ahead is None:
            staging.mkdir()
            copied = _stage(build, staging, hashes, site.resolve() if live else None,
                            _live_files(live), facts)
            if copied != hashes:
                changed = next(rel for rel in hashes if copied.get(rel) != hashes[rel])
                raise PipelineError(
                    "publish stopped, the live site is unchanged: this file changed while "
                    "it was being published", Location(config.rel(build / changed)),
                    "run the command again once nothing else writes output/build")
        fault_point("publish:after-copy")
        manifest = _manifest(config, hashes, build_id, _verdicts(a11y, verdicts))
        manifest["tree_digest"] = tree
        write_text_atomic(staging / "manifest.json", _manifest_text(manifest))
        os.replace(staging, target)
        fault_point("publish:before-flip")
        link = out / f".site-link.tmp-{os.getpid()}"
        with contextlib.suppress(FileNotFoundError):
            link.unlink()
        os.symlink(target.name, link)
        os.replace(link, site)  # the one atomic step readers can observe
        fault_point("publish:after-flip")
    except (OSError, PipelineError) as exc:
        _discard(staging)
        if isinstance(exc, PipelineError):
            raise
        raise PipelineError(f"publish failed, the live site is unchanged: {exc.strerror or exc}",
                            Location(config.rel(site))) from exc
    _remove_old(out, keep=target)
    _remember(facts, target, hashes)
    return PublishResult(site, target, build_id, len(manifest["files"]))


def _manifest_text(manifest: dict[str, Any]) -> str:
    """``json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True)`` and a line
    break, by orjson: the same text for what a manifest holds (strings, integers,
    booleans, null; no float, whose text the two libraries may write apart), 25 times
    faster (1,000 pages' 5,066 files: 0.03 s, at the end of every publish)."""
    try:
        return orjson.dumps(manifest, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS
                            ).decode("utf-8") + "\n"
    except TypeError:  # what orjson does not write (an integer over 64 bits)
        return json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def _discard(folder: Path | None) -> None:
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)


def _verdicts(a11y: dict[str, Any], verdicts: dict[str, Any] | None) -> dict[str, Any]:
    counts = a11y.get("counts", {})
    return {"a11y": {"passed": a11y.get("passed"), "gating": counts.get("gating")},
            **(verdicts or {})}


def _live_manifest(site: Path) -> dict[str, Any]:
    try:
        data = json.loads((site / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _remove_stale(out: Path, keep: Path | None = None) -> None:
    """Temp directories and links a killed publish left behind (not ``keep``)."""
    for path in out.glob(".site-*"):
        if path == keep:
            continue
        with contextlib.suppress(OSError):
            if path.is_symlink() or path.is_file():
                path.unlink()
            else:
                shutil.rmtree(path)


def _remove_old(out: Path, keep: Path) -> None:
    olds = sorted((p for p in out.glob("site-*") if p.is_dir() and p != keep),
                  key=lambda p: p.stat().st_mtime_ns, reverse=True)
    for path in olds[KEEP_PREVIOUS:]:
        shutil.rmtree(path, ignore_errors=True)

"""Corpus generator: (pages, seed) → two content roots, ``base/`` and ``changed/``.

``base/`` is a site of N patient-information pages in our page format (front matter,
one H1, 3-6 H2 sections, paragraphs, lists, links, emphasis, some tables, images with
alt text), templates copied from the repository's ``source/``, a POT and catalogs for
es, fr, ar and zh_Hans with about 90 % of the entries pseudo-translated, as if
``pipeline update`` had just run. ``changed/`` is the same site after an editor
changed 1 % of the paragraphs; its catalogs and POT are still the old ones, so
``extract`` + ``update`` there is the everyday "the English changed" run.

Everything is deterministic from the seed: the same (pages, seed) gives the same
bytes, the catalogs' header dates included when ``SOURCE_DATE_EPOCH`` is set (they
are the pipeline's own, which honours it; otherwise they are the current minute).
``corpus.json`` in the destination lists every changed paragraph.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import random
import re
import shutil
from dataclasses import asdict, dataclass, replace
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
LANGUAGES = ("es", "fr", "ar", "zh_Hans")
TRANSLATED_SHARE = 0.9
CHANGED_SHARE = 0.01
SITE_TITLE = "Riverside Neurology Clinic"

ADJECTIVES = (
    "Chronic", "Acute", "Benign", "Essential", "Idiopathic", "Peripheral", "Central",
    "Juvenile", "Progressive", "Recurrent", "Hereditary", "Primary", "Secondary", "Focal",
    "Diffuse", "Atypical", "Familial", "Paroxysmal", "Transient", "Congenital",
)
SITES = (
    "Facial", "Cerebellar", "Spinal", "Optic", "Trigeminal", "Vestibular", "Sciatic", "Ulnar",
    "Cervical", "Lumbar", "Cranial", "Thoracic", "Autonomic", "Sensory", "Motor", "Retinal",
    "Cochlear", "Vagal", "Femoral", "Radial",
)
NOUNS = (
    "Neuralgia", "Neuropathy", "Ataxia", "Myopathy", "Palsy", "Dystonia", "Tremor", "Spasm",
    "Sclerosis", "Syndrome", "Headache", "Seizures", "Stenosis", "Neuritis", "Degeneration",
)
CATEGORIES = (
    ("Brain and Nerves", "brain-and-nerves"), ("Movement Disorders", "movement-disorders"),
    ("Headache and Pain", "headache-and-pain"), ("Sleep", "sleep"), ("Epilepsy", "epilepsy"),
    ("Eyes and Vision", "eyes-and-vision"), ("Hearing and Balance", "hearing-and-balance"),
    ("Spine and Back", "spine-and-back"), ("Muscles", "muscles"),
    ("Children's Health", "childrens-health"),
)
SYMPTOMS = (
    "twitching of the eyelid", "numbness in the hands", "blurred vision", "a burning pain",
    "weakness in the legs", "dizziness when standing up", "ringing in the ears",
    "stiffness in the neck", "trouble swallowing", "slurred speech", "muscle cramps at night",
    "a tingling feeling in the feet", "sudden jerks of the arm", "pain behind one eye",
    "loss of balance", "tiredness that does not go away", "difficulty sleeping",
    "headaches in the morning", "a tremor in one hand", "problems with memory",
    "shooting pain down the leg", "double vision", "sensitivity to light",
    "clumsiness when walking", "changes in handwriting", "a drooping eyelid",
)
BODY = ("face", "neck", "hands", "feet", "back", "eyes", "legs", "arms", "jaw", "shoulders")
TREATMENTS = (
    "physical therapy", "botulinum toxin injections", "surgery", "medication",
    "occupational therapy", "nerve blocks", "speech therapy", "a change in diet",
    "regular exercise", "cognitive behavioural therapy", "a splint worn at night",
    "deep brain stimulation", "relaxation training",
)
DRUGS = (
    "clonazepam", "diazepam", "levodopa", "gabapentin", "carbamazepine", "baclofen",
    "propranolol", "amitriptyline", "topiramate", "pregabalin",
)
SPECIALISTS = (
    "neurologist", "neurosurgeon", "physiotherapist", "nurse specialist", "ophthalmologist",
    "pain specialist", "sleep specialist", "speech therapist", "family doctor",
)
GROUPS = (
    "middle-aged women", "older adults", "children", "young adults", "people over 60",
    "people with diabetes", "athletes", "pregnant women", "office workers",
)
TIMES = ("a few weeks", "several months", "two to three years", "a few days", "six months",
         "one year")
TESTS = (
    "an MRI scan", "a blood test", "nerve conduction studies", "an EEG", "a CT scan",
    "a lumbar puncture", "an eye examination", "a hearing test", "a sleep study",
)
LINKS = (
    ("contact your care team", "/contact/"), ("our patient guide", "/guides/patients/"),
    ("the clinic's support line", "/support/"), ("book an appointment", "/appointments/"),
    ("our research programme", "/research/"), ("the medicines leaflet", "/guides/medicines/"),
)
SENTENCES = (
    "{Cond} is a disorder that affects the nerves of the {body}.",
    "It most often affects {group}, although it can occur at any age.",
    "The first symptom is usually {symptom}.",
    "Over {time}, the symptoms may spread to the {body} and the {body2}.",
    "Your {specialist} may suggest {test} to rule out other causes.",
    "About {pct} in 100 people with {cond} find that {treatment} helps.",
    "Medicines such as {drug} and {drug2} can relax the muscles.",
    "**Do not stop taking {drug} suddenly** without talking to your {specialist}.",
    "Many people notice {symptom} when they are tired or stressed.",
    "If you notice {symptom}, [{link}]({url}) as soon as you can.",
    "Researchers are studying whether {treatment} can slow down {cond}.",
    "Most people with {cond} lead *full and active* lives.",
    "The cause of {cond} is not always known.",
    "In some people, a blood vessel pressing on a nerve causes the symptoms.",
    "{Cond} is not contagious and you cannot catch it from another person.",
    "Keeping a diary of your symptoms for {time} can help your {specialist}.",
    "Some people need {treatment} as well as {treatment2}.",
    "Side effects of {drug} can include *drowsiness* and {symptom}.",
    "Tell your {specialist} about any other medicines you take, including herbal remedies.",
    "A {specialist} can explain the results of {test} to you.",
    "Symptoms often get better with {treatment}, but they may come back.",
    "You may be offered {treatment} if other treatments have not worked.",
    "It can take {time} to find the treatment that suits you best.",
    "Bring a list of your questions to your appointment.",
    "You can ask a family member or friend to come with you.",
    "Children with {cond} may need extra support at school.",
    "Exercise, good sleep and a balanced diet can help you feel better.",
    "Most people can keep working while they are being treated.",
    "Call 911 if you have {symptom} together with sudden weakness of the {body}.",
    "There is no single test for {cond}, so the diagnosis is made by ruling out other causes.",
    "The condition is more common in {group} than in {group2}.",
    "Read [{link}]({url}) for more about living with a long-term condition.",
    "Support groups can put you in touch with other people who have {cond}.",
    "Surgery is usually only considered when other treatments have not helped.",
    "After surgery, most people go home within {time}.",
    "Your {specialist} will check how well the treatment is working every {time}.",
)
SECTIONS = (
    ("What is {Cond}?", "intro"),
    ("What are the symptoms?", "symptoms"),
    ("What causes {cond}?", "causes"),
    ("How is it diagnosed?", "diagnosis"),
    ("Is there any treatment?", "treatment"),
    ("What is the prognosis?", "prognosis"),
    ("Living with {cond}", "living"),
    ("When should I call a doctor?", "urgent"),
    ("What research is being done?", "research"),
    ("Questions to ask your care team", "questions"),
)
QUESTIONS = (
    "What is causing my symptoms?", "Which tests will I need?", "How long will treatment last?",
    "Are there side effects I should watch for?", "Can I keep driving?",
    "Will my children be affected?", "Who can I call if my symptoms get worse?",
    "Is there anything I should avoid?", "How soon should I expect to feel better?",
)
CALLS_TO_ACTION = (
    "[Contact us today](/contact/) for an appointment to address your concerns.",
    "[Book an appointment](/appointments/) with one of our specialists.",
    "Questions? [Call our nurse line](/contact/nurses/) on weekdays from 8 am to 6 pm.",
)
TABLE_HEAD = ("Treatment", "How it helps", "Common side effects")
EFFECTS = ("Tiredness", "Dizziness", "A dry mouth", "Mild pain where it is given", "None known",
           "Weight gain", "Upset stomach")
ALT_TEXTS = (
    "Diagram of the {body} showing the nerves affected by {cond}",
    "A {specialist} talking with a patient about {treatment}",
    "Illustration of {test} being carried out",
    "Chart showing how symptoms of {cond} change over {time}",
)
EDITS = ("word", "append", "drop", "reword")
SYNONYMS = (("doctor", "physician"), ("may", "might"), ("usually", "often"),
            ("can", "could"), ("people", "patients"), ("help", "support"))


@dataclass(frozen=True, slots=True)
class Change:
    """One edited paragraph: the page, the 1-based line, and its text before and after."""

    page: str
    line: int
    kind: str
    old: str
    new: str


@dataclass(frozen=True, slots=True)
class CorpusInfo:
    pages: int
    seed: int
    languages: tuple[str, ...]
    blocks: int  # translatable body blocks over all pages
    paragraphs: int
    changes: tuple[Change, ...]
    base: str  # content root before the edit
    changed: str  # content root after the edit (old catalogs)

    def to_dict(self) -> dict[str, object]:
        out = asdict(self)
        out["changes"] = [asdict(c) for c in self.changes]
        return out

    @classmethod
    def load(cls, path: Path) -> CorpusInfo:
        data = json.loads(path.read_text(encoding="utf-8"))
        data["languages"] = tuple(data["languages"])
        data["changes"] = tuple(Change(**c) for c in data["changes"])
        return cls(**data)


@dataclass(slots=True)
class _Page:
    slug: str
    lines: list[str]
    paragraph_lines: list[int]  # 0-based indices into ``lines``
    blocks: int


# --- text ------------------------------------------------------------------------


def _conditions(rng: random.Random, count: int) -> list[str]:
    names = [f"{a} {s} {n}" for a in ADJECTIVES for s in SITES for n in NOUNS]
    rng.shuffle(names)
    if count > len(names):
        extra = [f"{name} Type {k}" for k in range(2, 2 + count // len(names)) for name in names]
        names += extra
    return names[:count]


def _fill(template: str, rng: random.Random, cond: str) -> str:
    """Fill a sentence template; two slots of one kind get different values."""
    body, body2 = rng.sample(BODY, 2)
    drug, drug2 = rng.sample(DRUGS, 2)
    treatment, treatment2 = rng.sample(TREATMENTS, 2)
    group, group2 = rng.sample(GROUPS, 2)
    link, url = rng.choice(LINKS)
    return template.format(
        Cond=cond, cond=cond.lower(), body=body, body2=body2, group=group, group2=group2,
        symptom=rng.choice(SYMPTOMS), time=rng.choice(TIMES), specialist=rng.choice(SPECIALISTS),
        test=rng.choice(TESTS), pct=rng.randint(5, 60), treatment=treatment,
        treatment2=treatment2, drug=drug, drug2=drug2, link=link, url=url,
    )


def paragraph(rng: random.Random, cond: str) -> str:
    return " ".join(_fill(t, rng, cond) for t in rng.sample(SENTENCES, rng.randint(2, 5)))


def _page(rng: random.Random, cond: str, index: int) -> _Page:
    slug = cond.lower().replace(" ", "-")
    category, category_slug = CATEGORIES[index % len(CATEGORIES)]
    updated = dt.date(2025, 1, 1) + dt.timedelta(days=rng.randrange(700))
    description = rng.choice((
        f"What {cond.lower()} is, how it is treated and what to expect.",
        f"Symptoms, causes and treatment of {cond.lower()}, explained for patients.",
        f"A guide to {cond.lower()} for patients and their families.",
    ))
    lines = [
        "---",
        f"title: {cond}",
        f"slug: {slug}",
        f"description: {description}",
        f"updated: {updated.isoformat()}",
        "breadcrumb:",
        "  - label: Home",
        "    href: /",
        "  - label: Health Topics",
        "    href: /topics/",
        f"  - label: {category}",
        f"    href: /topics/{category_slug}/",
        "parent:",
        f"  label: {category}",
        f"  href: /topics/{category_slug}/",
        "---",
        "",
        f"# {cond}",
        "",
    ]
    paragraphs: list[int] = []
    blocks = 1
    first, *rest = SECTIONS
    sections = [first, *sorted(rng.sample(rest, rng.randint(2, 5)), key=SECTIONS.index)]
    image_at = rng.randrange(len(sections)) if rng.random() < 0.5 else -1
    for number, (heading, kind) in enumerate(sections):
        lines += [f"## {heading.format(Cond=cond, cond=cond.lower())}", ""]
        blocks += 1
        for _ in range(rng.randint(1, 2)):
            paragraphs.append(len(lines))
            lines += [paragraph(rng, cond), ""]
            blocks += 1
        if number == image_at:
            alt = _fill(rng.choice(ALT_TEXTS), rng, cond)
            lines += [f"![{alt}](/images/{slug}-{number}.png)", ""]
            blocks += 1
        if kind in ("symptoms", "questions", "urgent") or (kind == "living" and rng.random() < .5):
            items = (rng.sample(QUESTIONS, rng.randint(3, 5)) if kind == "questions" else
                     [_fill(rng.choice(("{symptom}", "{Cond} symptoms in the {body}",
                                        "{symptom} that lasts more than {time}")), rng, cond)
                      .capitalize() for _ in range(rng.randint(3, 5))])
            lines += [f"- {item}" for item in items] + [""]
            blocks += len(items)
        if kind == "treatment" and rng.random() < 0.6:
            lines += ["| " + " | ".join(TABLE_HEAD) + " |", "|---|---|---|"]
            for treatment in rng.sample(TREATMENTS, 3):
                how = _fill(rng.choice((
                    "Relaxes the muscles of the {body}", "Eases {symptom}",
                    "Can reduce spasms for about {time}",
                )), rng, cond)
                lines.append(f"| {treatment.capitalize()} | {how} | {rng.choice(EFFECTS)} |")
            lines.append("")
            blocks += 12
    lines += [rng.choice(CALLS_TO_ACTION), ""]
    blocks += 1
    return _Page(slug, lines, paragraphs, blocks)


def _edit(rng: random.Random, text: str, cond: str) -> tuple[str, str]:
    """A realistic editor's change to a paragraph: (kind, new text), never a no-op."""
    kinds = list(EDITS)
    rng.shuffle(kinds)
    for kind in kinds:
        if kind == "word":
            pairs = [(a, b) for a, b in SYNONYMS if re.search(rf"\b{a}\b", text)]
            if pairs:
                a, b = rng.choice(pairs)
                return kind, re.sub(rf"\b{a}\b", b, text, count=1)
        elif kind == "append":
            return kind, f"{text} {_fill(rng.choice(SENTENCES), rng, cond)}"
        elif kind == "drop":
            sentences = re.split(r"(?<=[.?!])\s+(?=[A-Z*\[])", text)
            if len(sentences) >= 3:
                sentences.pop(rng.randrange(len(sentences)))
                return kind, " ".join(sentences)
        elif kind == "reword":
            sentences = re.split(r"(?<=[.?!])\s+(?=[A-Z*\[])", text)
            at = rng.randrange(len(sentences))
            sentences[at] = _fill(rng.choice(SENTENCES), rng, cond)
            if " ".join(sentences) != text:
                return kind, " ".join(sentences)
    return "append", f"{text} Ask your care team if you are not sure."


# --- pseudo-translation ----------------------------------------------------------

_KEEP = re.compile(r"\]\([^)]*\)|%\(\w+\)[sd]|`[^`]*`|\{\w+\}|https?://\S+")
_MAPS = {
    "es": str.maketrans("aeiouAEIOU", "áéíóúÁÉÍÓÚ"),
    "fr": str.maketrans("aeiouAEIOU", "àèìòùÀÈÌÒÙ"),
    "ar": str.maketrans("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
                        "ابتثجحخدذرزسشصضطظعغفقكلمنهابتثجحخدذرزسشصضطظعغفقكلمنه"),
}


def _zh_word(match: re.Match[str]) -> str:
    digest = hashlib.blake2b(match.group(0).lower().encode(), digest_size=4).digest()
    return chr(0x4E00 + int.from_bytes(digest, "big") % 3000)


def pseudo_translate(text: str, lang: str) -> str:
    """A deterministic stand-in translation that keeps URLs, placeholders and markup."""
    out: list[str] = []
    last = 0
    for keep in _KEEP.finditer(text):
        out.append(_pseudo_run(text[last : keep.start()], lang))
        out.append(keep.group(0))
        last = keep.end()
    out.append(_pseudo_run(text[last:], lang))
    return "".join(out)


def _pseudo_run(run: str, lang: str) -> str:
    if lang == "zh_Hans":
        return re.sub(r"[A-Za-z]+", _zh_word, run).replace(" ", "")
    return run.translate(_MAPS[lang])


def is_translated(seed: int, lang: str, msgid: str) -> bool:
    """Whether the generated catalog for ``lang`` translates ``msgid`` (~90 % do)."""
    digest = hashlib.blake2b(f"{seed}\0{lang}\0{msgid}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % 1000 < TRANSLATED_SHARE * 1000


# --- writing ---------------------------------------------------------------------

PYPROJECT = """\
[project]
name = "bench-corpus"
version = "0"

[tool.pipeline]
source_language = "en"
languages = ["es", "fr", "ar", "zh_Hans"]
site_title = "{site_title}"
base_url = "https://clinic.example.org/"
# What the clinic's wider site serves; the breadcrumbs' /topics/… are generated sections.
external_paths = ["/contact/*", "/appointments/", "/support/", "/research/", "/guides/*"]

[tool.pipeline.gate]
# A generated corpus: every page in every language, whatever its completeness or
# its pseudo-translations' QA findings, so that every stage does its full work.
# Its images are not shipped, so pa11y reports them as not found: reported, they do
# not stop the publish step that an edit's timed build must include.
completeness = 0
qa = false
a11y = false
"""


def _copy_site_files(root: Path) -> None:
    """Templates (and any other non-page folder of ``source/``) from the repository."""
    for folder in sorted((REPO / "source").iterdir()):
        if folder.is_dir() and folder.name != "pages":
            shutil.copytree(folder, root / "source" / folder.name, dirs_exist_ok=True)


def _write_root(root: Path, pages: list[_Page]) -> None:
    if root.exists():
        shutil.rmtree(root)
    (root / "source" / "pages").mkdir(parents=True)
    (root / "pyproject.toml").write_text(PYPROJECT.format(site_title=SITE_TITLE),
                                         encoding="utf-8")
    _copy_site_files(root)
    for page in pages:
        (root / "source" / "pages" / f"{page.slug}.md").write_text("\n".join(page.lines),
                                                                   encoding="utf-8")


def _write_catalogs(root: Path, seed: int) -> None:
    """The POT (our extract) and a ~90 % translated catalog per language."""
    from pipeline.config import load_config
    from pipeline.po.reader import read_po
    from pipeline.po.writer import write_po
    from pipeline.stages.extract import extract
    from pipeline.text.catalogs import new_catalog
    from pipeline.text.langs import parse_lang

    config = load_config(root)
    pot = extract(config).catalog
    for code in LANGUAGES:
        lang = parse_lang(code)
        shipped = REPO / "locales" / code / "LC_MESSAGES" / "messages.po"
        real = ({e.key: e for e in read_po(shipped, code).active if e.translated}
                if shipped.is_file() else {})
        fresh = new_catalog(config, lang, pot)
        entries = []
        for entry in fresh.entries:
            known = real.get(entry.key)
            if known is not None and len(known.msgstr_plural) == len(entry.msgstr_plural):
                entry = replace(entry, msgstr=known.msgstr, msgstr_plural=known.msgstr_plural)
            elif entry.msgid_plural is not None:
                forms = (pseudo_translate(entry.msgid, code),
                         *[pseudo_translate(entry.msgid_plural, code)] * (lang.nplurals - 1))
                entry = replace(entry, msgstr_plural=forms)
            elif is_translated(seed, code, entry.msgid):
                entry = replace(entry, msgstr=pseudo_translate(entry.msgid, code))
            entries.append(entry)
        catalog = replace(fresh, entries=tuple(entries))
        path = config.po_path(lang)
        write_po(catalog, path, config.rel(path))


def generate(dest: Path, pages: int = 1000, seed: int = 1) -> CorpusInfo:
    """Write ``dest/base`` and ``dest/changed`` and ``dest/corpus.json``."""
    rng = random.Random(seed)
    conditions = _conditions(rng, pages)
    site = [_page(rng, cond, index) for index, cond in enumerate(conditions)]
    base = dest / "base"
    _write_root(base, site)
    _write_catalogs(base, seed)

    spots = [(p, line) for p, page in enumerate(site) for line in page.paragraph_lines]
    count = max(1, round(CHANGED_SHARE * len(spots)))
    changes: list[Change] = []
    edited = [_Page(p.slug, list(p.lines), p.paragraph_lines, p.blocks) for p in site]
    for p, line in sorted(rng.sample(spots, count)):
        old = edited[p].lines[line]
        kind, new = _edit(rng, old, conditions[p])
        edited[p].lines[line] = new
        changes.append(Change(f"source/pages/{site[p].slug}.md", line + 1, kind, old, new))
    changed = dest / "changed"
    _write_root(changed, edited)
    shutil.copytree(base / "locales", changed / "locales")

    info = CorpusInfo(
        pages=pages, seed=seed, languages=LANGUAGES,
        blocks=sum(p.blocks for p in site), paragraphs=len(spots), changes=tuple(changes),
        base=str(base), changed=str(changed),
    )
    (dest / "corpus.json").write_text(json.dumps(info.to_dict(), indent=1, ensure_ascii=False),
                                      encoding="utf-8")
    return info


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("dest", type=Path)
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    info = generate(args.dest, args.pages, args.seed)
    print(f"{info.pages} pages, {info.blocks} blocks, {len(info.changes)} of "
          f"{info.paragraphs} paragraphs changed → {args.dest}")


if __name__ == "__main__":
    main()

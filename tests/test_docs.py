"""The README and docs/: every relative link resolves inside the repository, and the README stays short."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
# "A few screens": what FacePass is, the two commands, the demo ids, the main settings and where to read on.
README_MAX_LINES = 100

FENCE = re.compile(r"^(```|~~~).*?^\1", re.M | re.S)
INLINE_LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE_LINK = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+\"[^\"]*\")?\s*$", re.M)
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.M)
EXTERNAL = re.compile(r"^[a-z][a-z0-9+.-]*:", re.I)


def prose(text: str) -> str:
    """The text without its fenced code blocks, where brackets and parentheses are code, not links."""
    return FENCE.sub("", text)


def links(text: str) -> list[str]:
    body = prose(text)
    return INLINE_LINK.findall(body) + REFERENCE_LINK.findall(body)


def anchor(heading: str) -> str:
    """The id GitHub gives a heading: lower case, punctuation dropped, spaces as hyphens."""
    text = re.sub(r"[`*_]|<[^>]+>", "", heading).strip().lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    found: set[str] = set()
    for heading in HEADING.findall(prose(path.read_text())):
        slug = base = anchor(heading)
        number = 0
        while slug in found:
            number += 1
            slug = f"{base}-{number}"
        found.add(slug)
    return found


def broken_links(path: Path, root: Path = ROOT) -> list[str]:
    """The relative links of a Markdown file whose file, or heading, does not exist in the repository."""
    broken = []
    for link in links(path.read_text()):
        if EXTERNAL.match(link):
            continue
        target_path, _, fragment = link.partition("#")
        target = (path.parent / target_path).resolve() if target_path else path
        missing = not target.is_relative_to(root.resolve()) or not target.exists()
        if missing or (fragment and target.suffix == ".md" and fragment not in anchors(target)):
            broken.append(link)
    return broken


@pytest.mark.parametrize("path", DOCS, ids=lambda path: str(path.relative_to(ROOT)))
def test_every_relative_link_resolves(path):
    assert broken_links(path) == []


def test_the_readme_links_every_doc():
    linked = {(ROOT / link.partition("#")[0]).resolve() for link in links((ROOT / "README.md").read_text())}

    assert {path for path in DOCS if path.parent.name == "docs"} - linked == set()


def test_the_readme_fits_on_a_few_screens():
    assert len((ROOT / "README.md").read_text().splitlines()) <= README_MAX_LINES


def test_the_readme_starts_with_the_two_commands_the_makefile_and_ci_run():
    readme = (ROOT / "README.md").read_text()
    first_block = FENCE.search(readme)

    assert first_block is not None
    assert re.findall(r"^make (\w+)", first_block.group(0), re.M) == ["run", "test"]
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^run:", makefile, re.M) and re.search(r"^test:", makefile, re.M)
    assert re.search(r"^make test$", (ROOT / ".ci" / "run").read_text(), re.M)


def test_a_missing_file_an_unknown_heading_and_a_path_outside_the_repository_are_reported(tmp_path):
    (tmp_path / "other.md").write_text("# Deployment\n\n## Health probes\n")
    page = tmp_path / "page.md"
    page.write_text(
        "# Page\n\n"
        "[ok](other.md#health-probes) [ok too](#page) [web](https://example.com/x.md)\n"
        "[gone](missing.md) [no heading](other.md#nowhere) [outside](../elsewhere.md)\n"
        "```sh\n[not a link](in-code.md)\n```\n"
        "[ref]: also-missing.md\n"
    )

    assert broken_links(page, root=tmp_path) == [
        "missing.md",
        "other.md#nowhere",
        "../elsewhere.md",
        "also-missing.md",
    ]


@pytest.mark.parametrize(
    ("heading", "slug"),
    [
        ("`make soak`: load with faults injected", "make-soak-load-with-faults-injected"),
        ("Degrade, don't fail", "degrade-dont-fail"),
        ("Pixora's database is read-only", "pixoras-database-is-read-only"),
    ],
)
def test_anchors_are_the_ones_github_makes(heading, slug):
    assert anchor(heading) == slug

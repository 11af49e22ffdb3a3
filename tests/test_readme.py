"""The README's commands are the ones CI runs; the README fits a screen and its links hold."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MAX_README_LINES = 200
PAGES = sorted(
    [ROOT / "README.md", ROOT / "conf" / "README.md"]
    + list((ROOT / "docs").glob("*.md"))
    + list((ROOT / "experiments").glob("**/README.md"))
)
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def test_ci_runs_the_readme_install_and_test_commands():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    install = next(line for line in ci if "pip install" in line)
    test = ci[-1]
    quick_start = readme.split("## ")[1]  # the first section
    assert install in quick_start and test in quick_start


def test_the_first_section_is_quick_start():
    readme = (ROOT / "README.md").read_text()
    assert readme.split("\n## ")[1].startswith("Quick start\n")


def test_the_readme_fits_a_screen():
    lines = (ROOT / "README.md").read_text().splitlines()
    assert len(lines) <= MAX_README_LINES, f"README.md has {len(lines)} lines; move detail to docs/"


def _without_code_blocks(text: str) -> str:
    """The text without fenced code blocks (a `# comment` in one is no heading)."""
    return re.sub(r"^```.*?^```", "", text, flags=re.S | re.M)


def _prose(text: str) -> str:
    """The text without code blocks and inline code, where brackets are not links."""
    return re.sub(r"`[^`\n]*`", "", _without_code_blocks(text))


def _anchors(page: Path) -> set[str]:
    """GitHub's anchors for a page's headings (lower case, punctuation dropped, spaces to -)."""
    anchors: set[str] = set()
    for heading in re.findall(r"^#{1,6} (.+)$", _without_code_blocks(page.read_text()), re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        anchor, number = slug, 0
        while anchor in anchors:  # a repeated heading gets -1, -2, ...
            number += 1
            anchor = f"{slug}-{number}"
        anchors.add(anchor)
    return anchors


def _links(page: Path) -> list[tuple[Path, str]]:
    """(target file, anchor) of every relative link of a page."""
    found = []
    for target in LINK.findall(_prose(page.read_text())):
        if re.match(r"[a-z]+:", target):  # https:, mailto:
            continue
        path, _, anchor = target.partition("#")
        found.append(((page.parent / path).resolve() if path else page, anchor))
    return found


def test_the_readme_links_every_docs_page():
    linked = {target for target, _ in _links(ROOT / "README.md")}
    assert sorted(set((ROOT / "docs").glob("*.md")) - linked) == []


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(ROOT)))
def test_relative_links_point_to_files_and_headings_that_exist(page):
    for target, anchor in _links(page):
        assert target.exists(), f"{page.relative_to(ROOT)}: no {target}"
        if anchor and target.suffix == ".md":
            assert anchor in _anchors(target), (
                f"{page.relative_to(ROOT)}: no heading #{anchor} in {target.name}"
            )

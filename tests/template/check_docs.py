"""Checks the links of the documentation: every relative link in README.md,
docs/*.md, functions/*/README.md and agents/*/README.md must name a file or
folder of the repository, and its #anchor, if any, a heading of that file
(GitHub's anchors: lowercase, spaces become '-', other punctuation is
dropped, a repeated heading gets -1, -2, ...). Links inside code are not
links. Run by `make lint`; exits non-zero naming each broken link.

It first checks itself on a small made-up tree: a link to a missing file and
one to a missing anchor must be found, and good links must not be.
"""

import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCS = ["README.md", "docs/*.md", "functions/*/README.md", "agents/*/README.md"]

# [text](target) or [text](target "title"); images too. Not reference links.
LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


def prose_lines(text):
    """The lines outside fenced code blocks, with their numbers, and with
    inline code blanked out (a link in code is not a link)."""
    fence = None
    for number, line in enumerate(text.split("\n"), start=1):
        stripped = line.lstrip()
        marker = stripped[:3]
        if marker in ("```", "~~~"):
            if fence is None:
                fence = marker
                continue
            if marker == fence:
                fence = None
                continue
        if fence is not None:
            continue
        yield number, re.sub(r"(`+)(.+?)\1", lambda m: " " * len(m.group(0)), line)


def slug(heading):
    """GitHub's anchor for a heading's text."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # links: their text
    text = re.sub(r"<[^>]+>", "", text)  # inline HTML tags
    text = text.strip().lower()
    text = "".join(c for c in text if c.isalnum() or c in " -_")
    return text.replace(" ", "-")


def anchors(path, cache={}):
    if path not in cache:
        found = set()
        counts = {}
        fence = None
        for line in path.read_text(encoding="utf-8").split("\n"):
            marker = line.lstrip()[:3]
            if marker in ("```", "~~~"):
                fence = marker if fence is None else (None if marker == fence else fence)
                continue
            if fence is not None:
                continue
            match = HEADING.match(line)
            if match:
                base = slug(match.group(2))
                n = counts.get(base, 0)
                counts[base] = n + 1
                found.add(base if n == 0 else f"{base}-{n}")
        cache[path] = found
    return cache[path]


def check_file(path, root):
    problems = []
    # Code becomes blank lines, so a link may span lines and keep its number.
    lines = dict(prose_lines(path.read_text(encoding="utf-8")))
    prose = "\n".join(lines.get(n, "") for n in range(1, max(lines, default=0) + 1))
    for match in LINK.finditer(prose):
        number = prose.count("\n", 0, match.start()) + 1
        target = match.group(1)
        if SCHEME.match(target) or target.startswith("//"):
            continue  # http:, https:, mailto:
        file_part, _, anchor = target.partition("#")
        where = f"{path.relative_to(root)}:{number}: link {target!r}"
        resolved = (path.parent / file_part).resolve() if file_part else path
        if file_part:
            try:
                resolved.relative_to(root)
            except ValueError:
                problems.append(f"{where} leaves the repository")
                continue
            if not resolved.exists():
                problems.append(f"{where}: no file {file_part}")
                continue
        if anchor:
            if resolved.is_dir() or resolved.suffix != ".md":
                problems.append(f"{where}: an anchor on a file that is not Markdown")
            elif anchor not in anchors(resolved):
                problems.append(
                    f"{where}: no heading with anchor #{anchor} in {resolved.relative_to(root)}"
                )
    return problems


def check_tree(root):
    files = sorted({path for pattern in DOCS for path in root.glob(pattern)})
    problems = []
    for path in files:
        problems.extend(check_file(path, root))
    return files, problems


def self_check():
    """The checker must find what it is for, and only that."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp).resolve()
        (root / "docs").mkdir()
        (root / "functions" / "f").mkdir(parents=True)
        (root / "README.md").write_text(
            "# Title\n\n## Why `aws-sdk-ec2`\n\n## A: b, c_d\n\n## Dup\n\n## Dup\n\n"
            "[ok](#why-aws-sdk-ec2) [ok](#a-b-c_d) [ok](#dup-1) [ok](docs/a.md#section)\n"
            "[ok](functions/f/README.md) [ok](https://example.com/x.md#nothing) [a\nbad](#split)\n"
            "`[code](missing.md)`\n\n```\n[code](missing.md)\n```\n"
            "[bad](docs/missing.md) [bad](#nowhere)\n"
        )
        (root / "docs" / "a.md").write_text("# A\n\n## Section\n\n[bad](../README.md#dup-2)\n")
        (root / "functions" / "f" / "README.md").write_text("# F\n\n[ok](../../README.md#title)\n")
        _, problems = check_tree(root)
    expected = [
        "README.md:12: link '#split': no heading with anchor #split in README.md",
        "README.md:19: link 'docs/missing.md': no file docs/missing.md",
        "README.md:19: link '#nowhere': no heading with anchor #nowhere in README.md",
        "docs/a.md:5: link '../README.md#dup-2': no heading with anchor #dup-2 in README.md",
    ]
    if problems != expected:
        sys.exit("check_docs.py no longer finds broken links as it should:\n" + "\n".join(problems))


def main():
    self_check()
    files, problems = check_tree(ROOT)
    if problems:
        print("\n".join(problems), file=sys.stderr)
        sys.exit(f"{len(problems)} broken link(s) in the documentation")
    print(f"Documentation links: {len(files)} files checked, every relative link resolves.")


if __name__ == "__main__":
    main()

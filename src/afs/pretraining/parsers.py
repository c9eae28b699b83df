"""Turn source files into corpus documents: assembly routines and prose sections.

`DisassemblyParser` is a small line classifier, not an assembler: it only needs to know
where routines start (global labels, `org`-like directives), which lines are comments and
which are data, so that it can split a disassembly into one document per routine and cut
huge data tables down. `ConversationParser` splits markdown and text notes at headings.
Both cap documents at `max_pretokens` so one document fits one model window.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Literal

from afs.asm.parser import strip_comment
from afs.pretraining.tokenizer import count_pretokens

CommentMode = Literal["keep", "strip"]


@dataclass(frozen=True)
class Document:
    """One unit of the corpus: a routine, a section of notes, or a file preamble."""

    text: str
    kind: str  # "routine" | "section" | "preamble" | "prose"
    name: str
    start_line: int  # 1-based, in the source file
    end_line: int
    address: str | None = None  # ROM address of its first line, from `#_01DEA0:` prefixes


@dataclass
class ParseResult:
    """What a parser made of one file, and what it dropped."""

    documents: list[Document] = field(default_factory=list)
    dropped_table_lines: int = 0
    dropped_long_lines: int = 0
    dropped_short_lines: int = 0


class LineKind(Enum):
    BLANK = "blank"
    COMMENT = "comment"
    SEPARATOR = "separator"  # a comment with no letters or digits: banners, rules
    LABEL = "label"  # a global label, alone or followed by code
    LOCAL = "local"  # a sublabel (.loop) or anonymous label (+, --) alone on its line
    BOUNDARY = "boundary"  # a directive that starts a new section of the ROM (org, ...)
    DATA = "data"
    CODE = "code"  # instructions, macro calls, other directives


# asar data directives, plus the ca65/WLA spellings seen in `.s` files.
_DATA_WORDS = frozenset(
    ("db", "dw", "dl", "dd", ".db", ".dw", ".dl", ".dd", ".byte", ".word", ".long",
     ".faraddr", ".dword", ".res", ".addr")
)
_BOUNDARY_WORDS = frozenset(
    ("org", "base", "pushpc", "freecode", "freedata", "freespace", "namespace",
     ".segment", ".org", ".proc")
)
_GLOBAL_LABEL = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*):(?!=)")
_LOCAL_LABEL = re.compile(r"^\s*(\.[A-Za-z_][A-Za-z0-9_]*:?|[-+]+|@[A-Za-z_]\w*:?)\s*$")
_SEPARATOR = re.compile(r"^[;*\s=\-#~_+/\\|.]*$")
# usdasm writes every line's ROM address in front of it (`#_01DEA0: LDA.b $00`): a quarter
# of all tokens, and it hides `db`/`dw` lines from the table cap. It goes into metadata.
_ADDRESS_PREFIX = re.compile(r"^#_([0-9A-Fa-f]{6}):[ \t]?")


def strip_address(line: str) -> tuple[str, str | None]:
    """`#_01DEA0: LDA.b $00` -> (`  LDA.b $00`, `01DEA0`); other lines are unchanged.

    The prefix becomes two spaces of indentation, so the code reads (and tokenizes) as
    hand-written, indented assembly does.
    """
    match = _ADDRESS_PREFIX.match(line)
    if match is None:
        return line, None
    return "  " + line[match.end():], match.group(1).upper()


def split_comment(line: str) -> tuple[str, str]:
    """Split a line at its first `;` outside a quoted string: (code, comment)."""
    code = strip_comment(line)
    return code, line[len(code):]


def classify(line: str) -> LineKind:
    """Classify one line of assembly (an address prefix does not count)."""
    line = strip_address(line)[0]
    stripped = line.strip()
    if not stripped:
        return LineKind.BLANK
    if stripped.startswith(";"):
        return LineKind.SEPARATOR if _SEPARATOR.match(stripped) else LineKind.COMMENT
    code, _ = split_comment(line)
    if _GLOBAL_LABEL.match(code):
        return LineKind.LABEL
    if _LOCAL_LABEL.match(code):
        return LineKind.LOCAL
    words = code.split()
    if not words:
        return LineKind.COMMENT
    first = words[0].lower()
    if first in _DATA_WORDS:
        return LineKind.DATA
    if first in _BOUNDARY_WORDS:
        return LineKind.BOUNDARY
    return LineKind.CODE


class _Chunker:
    """Accumulates kept lines into documents no longer than `max_pretokens`."""

    def __init__(self, max_pretokens: int, min_doc_chars: int) -> None:
        self.max_pretokens = max_pretokens
        self.min_doc_chars = min_doc_chars
        self.documents: list[Document] = []
        # (line number, text, split point allowed before this line)
        self.lines: list[tuple[int, str, bool]] = []
        self.pretokens = 0
        self.kind = "preamble"
        self.name = ""
        self.has_content = False
        self.continuation = False  # the current lines continue a document split for length

    def start(self, kind: str, name: str, carried: list[tuple[int, str, bool]]) -> None:
        """Close the current document and open a new one that begins with `carried`."""
        self.flush()
        self.kind, self.name = kind, name
        for number, text, _ in carried:
            self.add(number, text, split_ok=False)

    def add(self, number: int, text: str, *, split_ok: bool, content: bool = False) -> None:
        cost = count_pretokens(text) + 1
        if self.lines and self.pretokens + cost > self.max_pretokens:
            self._split()
        self.lines.append((number, text, split_ok))
        self.pretokens += cost
        self.has_content = self.has_content or content

    def take_trailing_comments(self) -> list[tuple[int, str, bool]]:
        """Remove and return the comment block at the end (it belongs to the next label)."""
        index = len(self.lines)
        while index > 0 and self.lines[index - 1][1].lstrip().startswith(";"):
            index -= 1
        carried = self.lines[index:]
        del self.lines[index:]
        self.pretokens -= sum(count_pretokens(text) + 1 for _, text, _ in carried)
        return carried

    def _split(self) -> None:
        # Cut at the last blank line or local label, so a long routine breaks at a seam.
        cut = max((i for i, (_, _, ok) in enumerate(self.lines) if ok and i > 0), default=0)
        if cut < len(self.lines) // 4:
            cut = len(self.lines)
        head, tail = self.lines[:cut], self.lines[cut:]
        self.lines = head
        self.flush(keep_kind=True)
        self.continuation = True
        self.lines = tail
        self.pretokens = sum(count_pretokens(text) + 1 for _, text, _ in tail)

    def flush(self, *, keep_kind: bool = False) -> None:
        lines = self.lines
        while lines and not lines[-1][1].strip():
            lines = lines[:-1]
        while lines and not lines[0][1].strip():
            lines = lines[1:]
        text = "\n".join(line for _, line, _ in lines)
        if lines and len(text) >= self.min_doc_chars:
            self.documents.append(
                Document(text, self.kind, self.name, lines[0][0], lines[-1][0])
            )
        elif lines and self.continuation and self.documents:
            # A short tail of a split routine joins its head rather than being dropped.
            head = self.documents[-1]
            self.documents[-1] = replace(head, text=f"{head.text}\n{text}", end_line=lines[-1][0])
        self.lines, self.pretokens = [], 0
        if not keep_kind:
            self.has_content = False
            self.continuation = False


class DisassemblyParser:
    """Split 65816 assembly (asar or ca65 style) into one document per routine.

    A routine starts at a global label (`Name:`), taking the comment block right above it
    along; `org`-like directives start a new section. Local labels and blank lines are
    where over-long routines get split. A run of more than `max_table_lines` data lines
    (`db/dw/dl/dd`) keeps only its first `table_keep_lines`: tables teach the model little
    and would otherwise dominate a disassembly. Banner comments (`; =====`) are dropped;
    other comments are kept or stripped per `comments`.
    """

    def __init__(
        self,
        *,
        comments: CommentMode = "keep",
        max_table_lines: int = 32,
        table_keep_lines: int = 4,
        min_line_length: int = 1,
        max_line_length: int = 1000,
        max_pretokens: int = 512,
        min_doc_chars: int = 16,
    ) -> None:
        self.comments = comments
        self.max_table_lines = max_table_lines
        self.table_keep_lines = table_keep_lines
        self.min_line_length = min_line_length
        self.max_line_length = max_line_length
        self.max_pretokens = max_pretokens
        self.min_doc_chars = min_doc_chars
        self._addresses: dict[int, str] = {}  # line number -> ROM address, per parse

    def parse(self, text: str) -> ParseResult:
        """Parse one file's text."""
        result = ParseResult()
        chunker = _Chunker(self.max_pretokens, self.min_doc_chars)
        for number, line, kind in self._kept_lines(text, result):
            if kind is LineKind.LABEL:
                code, _ = split_comment(line)
                name = code.split(":", 1)[0].strip()
                if chunker.has_content:
                    chunker.start("routine", name, chunker.take_trailing_comments())
                elif chunker.kind != "routine":
                    # Only a header or an `org` so far: this label names the document.
                    chunker.kind, chunker.name = "routine", name
            elif kind is LineKind.BOUNDARY and chunker.has_content:
                chunker.start("section", line.strip(), chunker.take_trailing_comments())
            content = kind in (LineKind.CODE, LineKind.DATA) or (
                kind is LineKind.LABEL and bool(split_comment(line)[0].split(":", 1)[1].strip())
            )
            split_ok = kind in (LineKind.BLANK, LineKind.LOCAL)
            chunker.add(number, line, split_ok=split_ok, content=content)
        chunker.flush()
        result.documents = [self._with_address(doc) for doc in chunker.documents]
        return result

    def _with_address(self, document: Document) -> Document:
        address = next((self._addresses[n] for n in range(document.start_line,
                                                          document.end_line + 1)
                        if n in self._addresses), None)
        return replace(document, address=address) if address else document

    def _kept_lines(self, text: str, result: ParseResult) -> Iterator[tuple[int, str, LineKind]]:
        """Yield (line number, line, kind) for the lines that survive filtering."""
        lines = []
        self._addresses = {}
        for number, raw in enumerate(text.splitlines(), start=1):
            line, address = strip_address(raw.rstrip())
            lines.append(line)
            if address:
                self._addresses[number] = address
        kinds = [classify(line) for line in lines]
        table_drop = self._long_table_lines(kinds)
        previous_blank = True
        for index, (line, kind) in enumerate(zip(lines, kinds, strict=True)):
            if len(line) > self.max_line_length:
                result.dropped_long_lines += 1
                continue
            if index in table_drop:
                result.dropped_table_lines += 1
                continue
            if kind is LineKind.SEPARATOR:
                continue
            if self.comments == "strip":
                if kind is LineKind.COMMENT:
                    continue
                line = split_comment(line)[0].rstrip()
            if kind is not LineKind.BLANK and len(line.strip()) < self.min_line_length:
                result.dropped_short_lines += 1
                continue
            if kind is LineKind.BLANK:
                if previous_blank:
                    continue
                line = ""
            previous_blank = kind is LineKind.BLANK
            yield index + 1, line, kind

    def _long_table_lines(self, kinds: list[LineKind]) -> set[int]:
        """Indexes of the data lines past `table_keep_lines` in runs over `max_table_lines`."""
        drop: set[int] = set()
        index = 0
        while index < len(kinds):
            if kinds[index] is not LineKind.DATA:
                index += 1
                continue
            end = index
            while end < len(kinds) and kinds[end] is LineKind.DATA:
                end += 1
            if end - index > self.max_table_lines:
                drop.update(range(index + self.table_keep_lines, end))
            index = end
        return drop


_HEADING = re.compile(r"^#{1,6}\s+(.*\S)\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")


class ConversationParser:
    """Split markdown and text notes into sections at headings, keeping code fences whole.

    Each heading (outside a code fence) starts a document named after it; a section longer
    than `max_pretokens` is split at paragraph breaks. Plain text without headings becomes
    paragraph groups.
    """

    def __init__(
        self,
        *,
        min_line_length: int = 1,
        max_line_length: int = 1000,
        max_pretokens: int = 512,
        min_doc_chars: int = 16,
    ) -> None:
        self.min_line_length = min_line_length
        self.max_line_length = max_line_length
        self.max_pretokens = max_pretokens
        self.min_doc_chars = min_doc_chars

    def parse(self, text: str) -> ParseResult:
        """Parse one file's text."""
        result = ParseResult()
        chunker = _Chunker(self.max_pretokens, self.min_doc_chars)
        chunker.kind = "prose"
        in_fence = False
        previous_blank = True
        for number, raw in enumerate(text.splitlines(), start=1):
            line = raw.rstrip()
            if len(line) > self.max_line_length:
                result.dropped_long_lines += 1
                continue
            blank = not line.strip()
            if not blank and len(line.strip()) < self.min_line_length:
                result.dropped_short_lines += 1
                continue
            if _FENCE.match(line):
                in_fence = not in_fence
            heading = None if in_fence else _HEADING.match(line)
            if heading and chunker.has_content:
                chunker.start("section", heading.group(1), [])
            elif heading:
                chunker.kind, chunker.name = "section", heading.group(1)
            if blank and previous_blank and not in_fence:
                continue
            previous_blank = blank
            chunker.add(number, line, split_ok=blank and not in_fence, content=not heading)
        chunker.flush()
        result.documents = chunker.documents
        return result

"""A personal knowledge graph for persona ("avatar") models: facts, preferences, style rules
and dated memories, loadable from markdown notes, exported as a persona prompt, searched
for prompt context, and used to check a model's output against the style rules.

Markdown notes (`load_from_notes`): a `## Facts` section of `- name: value` bullets (an
optional trailing `[category]`), `## Preferences` of `- like|dislike|neutral: subject`
bullets (optional `(0.8)` strength and `-- context`), `## Style` of `- avoid|prefer|tone: ...`
bullets; every other paragraph or bullet is a memory, dated by a leading `YYYY-MM-DD:` or by
a file name that starts with a date.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from afs.errors import InputError
from afs.knowledge.graph_core import GraphEdge, GraphNode, KnowledgeGraph
from afs.knowledge.retrieval import tokenize
from afs.paths import state_path

FACT, PREFERENCE, STYLE_RULE, MEMORY, CATEGORY = (
    "fact", "preference", "style_rule", "memory", "category")
SENTIMENTS = ("like", "dislike", "neutral")
STYLE_KINDS = ("avoid", "prefer", "tone")

# Named things an "avoid:" rule may refer to, as patterns; any other phrase is matched as is.
STYLE_LEXICON: dict[str, tuple[str, ...]] = {
    "corporate jargon": (r"synerg\w*", r"leverag\w*", r"circle back", r"move the needle",
                         r"low-hanging fruit", r"paradigm shift", r"deep dive", r"touch base",
                         r"best-in-class", r"value-add\w*", r"stakeholder\w*",
                         r"actionable insights?", r"bandwidth"),
    "emoji": (r"[\U0001F300-\U0001FAFF\u2600-\u27BF]",),
    "exclamation marks": (r"!",),
    "hedging": (r"\bI think\b", r"\bperhaps\b", r"\bit seems\b", r"\bsort of\b",
                r"\bkind of\b", r"\bmaybe\b"),
    "filler": (r"\bbasically\b", r"\bactually\b", r"\bliterally\b", r"\bjust\b"),
}
STYLE_LEXICON["jargon"] = STYLE_LEXICON["corporate jargon"]
STYLE_LEXICON["emojis"] = STYLE_LEXICON["emoji"]

# What a request can ask about the person without sharing a word with the notes ("who am I
# and what do I like?" shares none with `name: scawful`). Each intent calls up a kind of item.
_ABOUT_ME = re.compile(r"\b(?:i|me|my|myself|mine|i'm|im)\b", re.I)
_INTENTS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("identity", re.compile(r"\bwho (?:am i|i am)\b|\b(?:my|your user's) (?:name|identity|"
                            r"handle|username|nickname|background|bio)\b|\babout (?:me|myself)\b"
                            r"|\bwhat am i called\b|\bintroduce me\b|\bcall me\b", re.I)),
    ("dislikes", re.compile(r"\b(?:hate|dislike|can'?t stand|don'?t (?:like|enjoy|want))\b",
                            re.I)),
    ("likes", re.compile(r"\b(?:like|likes|love|enjoy|prefer|favou?rite|interests?|hobb(?:y|ies)|"
                         r"into|fan of|preferences?|tastes?)\b", re.I)),
    ("memories", re.compile(r"\b(?:remember|recall|last time|recently|lately|yesterday|"
                            r"earlier|history|did i|have i|when did|what happened|"
                            r"what was i)\b", re.I)),
)
# Facts that say who someone is, when their category does not.
IDENTITY_CATEGORIES = frozenset({"identity", "personal", "profile", "bio", "about"})
IDENTITY_NAMES = frozenset({"name", "full name", "nickname", "handle", "username", "pronouns",
                            "role", "job", "occupation", "location", "home", "age", "birthday"})

_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})")
_HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*$")
_BULLET = re.compile(r"^\s*[-*+]\s+(.*)$")
_FACT = re.compile(r"^(?P<name>[^:]+):\s*(?P<value>.+?)(?:\s*\[(?P<cat>[^\]]+)\])?\s*$")
_PREF = re.compile(r"^(?P<sent>\w+):\s*(?P<subject>.+?)(?:\s*\((?P<strength>[0-9.]+)\))?"
                   r"(?:\s*--\s*(?P<context>.+))?\s*$")


@dataclass(frozen=True)
class StyleViolation:
    """Text that breaks an `avoid:` rule: the span (character offsets) and where it is."""

    rule: str
    matched: str
    start: int
    end: int
    line: int
    column: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or "x"


def _patterns(phrases: list[str]) -> list[str]:
    out = []
    for phrase in phrases:
        known = STYLE_LEXICON.get(phrase.lower())
        out += known if known else [r"\b" + re.escape(phrase) + r"\b"]
    return out


class PersonalKnowledgeGraph(KnowledgeGraph):
    """Facts, preferences, style rules and memories about one person."""

    def __init__(self, name: str = "personal") -> None:
        super().__init__(name)

    def _category(self, category: str) -> str:
        node_id = f"category:{_slug(category)}"
        if node_id not in self:
            self.add_node(GraphNode(node_id, CATEGORY, category))
        return node_id

    def add_fact(self, name: str, value: Any, category: str = "general") -> GraphNode:
        """Record `name = value` (replacing an earlier value of the same fact)."""
        node = self.add_node(GraphNode(f"fact:{_slug(category)}:{_slug(name)}", FACT, name,
                                       {"value": value, "category": category}))
        self.add_edge(GraphEdge(node.id, self._category(category), "in_category"))
        return node

    def add_preference(self, subject: str, sentiment: str, strength: float = 0.5,
                       context: str | None = None) -> GraphNode:
        """Record a like/dislike/neutral stance on `subject`, `strength` in [0, 1]."""
        if sentiment not in SENTIMENTS:
            raise InputError(f"sentiment must be one of {SENTIMENTS}, got {sentiment!r}")
        if not 0.0 <= float(strength) <= 1.0:
            raise InputError(f"strength must be between 0 and 1, got {strength!r}")
        return self.add_node(GraphNode(f"preference:{_slug(subject)}", PREFERENCE, subject, {
            "sentiment": sentiment, "strength": float(strength), "context": context}))

    def add_style_rule(self, rule: str) -> GraphNode:
        """Add `avoid: ...`, `prefer: ...` or `tone: ...`; avoid-rules are checked on output."""
        kind, sep, text = rule.partition(":")
        kind, text = kind.strip().lower(), text.strip()
        if not sep or kind not in STYLE_KINDS or not text:
            raise InputError(f"a style rule reads 'avoid: ...', 'prefer: ...' or 'tone: ...'; "
                             f"got {rule!r}")
        phrases = [p.strip() for p in re.split(r",|;|\bor\b", text) if p.strip()]
        return self.add_node(GraphNode(f"style:{kind}:{_slug(text)}", STYLE_RULE, f"{kind}: {text}",
                                       {"kind": kind, "text": text, "phrases": phrases}))

    def add_memory(self, text: str, date: str | dt.date | None = None) -> GraphNode:
        """Record a memory; `date` is an ISO date (or a `date`)."""
        if isinstance(date, dt.date):
            date = date.isoformat()
        if date is not None:
            try:
                dt.date.fromisoformat(date)
            except ValueError:
                raise InputError(f"memory date must be YYYY-MM-DD, got {date!r}") from None
        digest = hashlib.sha1(f"{date}|{text}".encode()).hexdigest()[:12]
        node = self.add_node(GraphNode(f"memory:{digest}", MEMORY, text[:60],
                                       {"text": text, "date": date}))
        words = set(tokenize(text))
        for other in self.nodes(FACT) + self.nodes(PREFERENCE):
            name_words = set(tokenize(other.name))
            if name_words and name_words <= words:
                self.add_edge(GraphEdge(node.id, other.id, "mentions"))
        return node

    # -- notes ----------------------------------------------------------------------------
    def load_from_notes(self, directory: str | Path) -> dict[str, int]:
        """Read every `*.md` under `directory`; returns how many of each item were added."""
        root = Path(directory)
        if not root.is_dir():
            raise InputError("notes directory does not exist", path=root)
        before = {kind: len(self.nodes(kind)) for kind in (FACT, PREFERENCE, STYLE_RULE, MEMORY)}
        for path in sorted(root.rglob("*.md")):
            self._load_note(path)
        return {kind: len(self.nodes(kind)) - n for kind, n in before.items()}

    def _load_note(self, path: Path) -> None:
        file_date = _DATE.match(path.name)
        default_date = file_date.group(1) if file_date else None
        section = ""
        paragraph: list[str] = []

        def flush() -> None:
            if paragraph:
                self._memory_from(" ".join(paragraph), default_date)
                paragraph.clear()

        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            heading = _HEADING.match(line)
            if heading:
                flush()
                section = heading.group(1).strip().lower()
                continue
            bullet = _BULLET.match(line)
            if not line.strip() or bullet:
                flush()
            if not line.strip():
                continue
            item = bullet.group(1).strip() if bullet else None
            try:
                if section.startswith("fact") and item:
                    self._fact_from(item)
                elif section.startswith("preference") and item:
                    self._preference_from(item)
                elif section.startswith("style") and item:
                    self.add_style_rule(item)
                elif item:
                    self._memory_from(item, default_date)
                else:
                    paragraph.append(line.strip())
            except InputError as exc:
                raise InputError(exc.message, path=path, line=number) from None
        flush()

    def _fact_from(self, item: str) -> None:
        match = _FACT.match(item)
        if match is None:
            raise InputError(f"expected '- name: value [category]', got {item!r}")
        self.add_fact(match.group("name").strip(), match.group("value").strip(),
                      (match.group("cat") or "general").strip())

    def _preference_from(self, item: str) -> None:
        match = _PREF.match(item)
        if match is None or match.group("sent").lower() not in SENTIMENTS:
            raise InputError(f"expected '- like|dislike|neutral: subject (0.8) -- context', "
                             f"got {item!r}")
        strength = float(match.group("strength")) if match.group("strength") else 0.5
        self.add_preference(match.group("subject").strip(), match.group("sent").lower(),
                            strength, match.group("context"))

    def _memory_from(self, text: str, default_date: str | None) -> None:
        dated = re.match(r"^(\d{4}-\d{2}-\d{2}):\s*(.+)$", text)
        if dated:
            self.add_memory(dated.group(2), dated.group(1))
        else:
            self.add_memory(text, default_date)

    # -- prompts --------------------------------------------------------------------------
    def node_text(self, node: GraphNode) -> str:
        props = node.properties
        extra = [str(props.get(k) or "") for k in ("value", "category", "text", "context",
                                                   "sentiment")]
        return " ".join([node.name, *extra])

    def _describe(self, node: GraphNode) -> str:
        props = node.properties
        if node.node_type == FACT:
            return f"{node.name}: {props['value']} ({props['category']})"
        if node.node_type == PREFERENCE:
            context = f", {props['context']}" if props.get("context") else ""
            return f"{props['sentiment']}s {node.name} (strength {props['strength']:.1f}{context})"
        if node.node_type == MEMORY:
            return f"{props['date'] or 'undated'}: {props['text']}"
        return node.name

    def export_persona_prompt(self, *, memories: int = 5) -> str:
        """The persona as a system-prompt block: facts, preferences, style, recent memories."""
        parts = []
        facts = sorted(self.nodes(FACT), key=lambda n: (n.properties["category"], n.name))
        if facts:
            parts.append("Facts:\n" + "\n".join(f"- {self._describe(n)}" for n in facts))
        prefs = sorted(self.nodes(PREFERENCE), key=lambda n: -n.properties["strength"])
        if prefs:
            parts.append("Preferences:\n" + "\n".join(f"- {self._describe(n)}" for n in prefs))
        rules = sorted(self.nodes(STYLE_RULE), key=lambda n: n.name)
        if rules:
            parts.append("Style:\n" + "\n".join(f"- {n.name}" for n in rules))
        dated = sorted(self.nodes(MEMORY), key=lambda n: n.properties["date"] or "",
                       reverse=True)[:memories]
        if dated:
            parts.append("Recent memories:\n" + "\n".join(f"- {self._describe(n)}"
                                                           for n in dated))
        return "\n\n".join(parts)

    def intents(self, query: str) -> list[str]:
        """What `query` asks about the person: identity, likes, dislikes, memories (in order)."""
        if not _ABOUT_ME.search(query):
            return []
        found = [name for name, pattern in _INTENTS if pattern.search(query)]
        # "what do I hate" is not also a question about likes.
        return [i for i in found if not (i == "likes" and "dislikes" in found
                                         and not re.search(r"\blike\b.*\bhate\b|\blove\b",
                                                           query, re.I))]

    def _intent_items(self, intent: str) -> list[GraphNode]:
        if intent == "identity":
            facts = self.nodes(FACT)
            chosen = [n for n in facts if n.properties["category"].lower() in IDENTITY_CATEGORIES
                      or n.name.lower() in IDENTITY_NAMES]
            return sorted(chosen or facts, key=lambda n: (n.name.lower() != "name", n.name))
        if intent in ("likes", "dislikes"):
            sentiment = intent[:-1]
            prefs = [n for n in self.nodes(PREFERENCE) if n.properties["sentiment"] == sentiment]
            return sorted(prefs, key=lambda n: -n.properties["strength"])
        memories = self.nodes(MEMORY)
        return sorted(memories, key=lambda n: n.properties["date"] or "", reverse=True)[:3]

    def get_context_for_prompt(self, query: str, max_entities: int = 8) -> str:
        """Style rules (always) and the facts, preferences and memories `query` calls up:
        by its intent (who am I, what do I like or dislike, what happened) and by its words."""
        wanted = [n for intent in self.intents(query) for n in self._intent_items(intent)]
        wanted += [n for n, _ in self.search(query, max_entities * 2)
                   if n.node_type in (FACT, PREFERENCE, MEMORY)]
        seen: set[str] = set()
        hits = [n for n in wanted if not (n.id in seen or seen.add(n.id))][:max_entities]
        lines = [f"- {self._describe(n)}" for n in hits]
        rules = sorted(self.nodes(STYLE_RULE), key=lambda n: n.name)
        block = []
        if lines:
            block.append("Relevant personal context:\n" + "\n".join(lines))
        if rules:
            block.append("Style:\n" + "\n".join(f"- {n.name}" for n in rules))
        return "\n\n".join(block)

    def validate_output(self, text: str) -> list[StyleViolation]:
        """Every span of `text` that breaks an `avoid:` rule, in text order."""
        starts = [0] + [m.end() for m in re.finditer(r"\n", text)]
        found = set()
        for rule in self.nodes(STYLE_RULE):
            if rule.properties["kind"] != "avoid":
                continue
            for pattern in _patterns(rule.properties["phrases"]):
                for match in re.finditer(pattern, text, re.IGNORECASE):
                    line = next(i for i in range(len(starts) - 1, -1, -1)
                                if starts[i] <= match.start())
                    found.add(StyleViolation(rule.name, match.group(0), match.start(),
                                             match.end(), line + 1,
                                             match.start() - starts[line] + 1))
        return sorted(found, key=lambda v: (v.start, v.rule))

    # -- persistence ----------------------------------------------------------------------
    @staticmethod
    def default_path() -> Path:
        """Where the personal graph lives unless told otherwise: `$AFS_HOME/knowledge/`."""
        return state_path("knowledge", "personal.json")

    def save(self, path: str | Path | None = None) -> Path:
        return super().save(path or self.default_path())

    @classmethod
    def load(cls, path: str | Path | None = None) -> PersonalKnowledgeGraph:
        graph = super().load(path or cls.default_path())
        assert isinstance(graph, PersonalKnowledgeGraph)
        return graph

"""Text analysis shared by the engines: tokens, ASCII folding, synonyms and fuzziness.

The Elasticsearch-compatible engines analyse text in the node (see ``mapping.index_body``); the
embedded index mirrors the same choices here in Python so both engines match the same words.
"""

from __future__ import annotations

import functools
import itertools
import unicodedata
from collections.abc import Iterable

from commerce.domain.search import MAX_QUERY_TERMS

# Generic shop vocabulary, written once and used by every engine (Solr synonym format:
# equivalent terms separated by commas). Not derived from any relevance judgements.
SYNONYMS: tuple[str, ...] = (
    "laptop, notebook",
    "tv, television",
    "cellphone, smartphone, mobile phone",
    "headphones, headset",
    "earbuds, earphones",
    "couch, sofa",
    "fridge, refrigerator",
    "pc, computer",
    "usb stick, flash drive, thumb drive",
    "hdd, hard drive",
    "ssd, solid state drive",
    "bike, bicycle",
    "tee, t shirt, tshirt",
    "sneakers, trainers",
)


# A soft hyphen only marks where a word may break at the end of a line ("Kinder­wagen" is
# "kinderwagen"); Lucene's tokenizer kept it inside the word, FTS5 split the word there.
SOFT_HYPHEN = "\u00ad"

# Letters Unicode does not decompose but Lucene's ASCIIFoldingFilter folds all the same.
_LETTERS = str.maketrans(
    {"ß": "ss", "æ": "ae", "Æ": "ae", "œ": "oe", "Œ": "oe", "ø": "o", "Ø": "o", "ł": "l",
     "Ł": "l", "đ": "d", "Đ": "d", "ð": "d", "Ð": "d", "þ": "th", "Þ": "th", "ı": "i",
     SOFT_HYPHEN: ""}
)  # fmt: skip


FINAL_SIGMA = "ς"


# Compatibility decompositions end with the CJK compatibility ideographs supplement
# (U+2FA1D): scanning the planes above would only cost time.
_LAST_COMPATIBILITY_FORM = 0x2FFFF


@functools.cache
def compatibility_forms() -> dict[str, str]:
    """Letters, digits and marks written in a compatibility form, each with its NFKC form
    (``ﬁ`` → ``fi``, ``Ａ`` → ``A``, ``²`` → ``2``, ``½`` → ``1⁄2``).

    Both engines rewrite these before splitting words (the embedded index in Python, the
    Lucene analysers with a ``mapping`` char filter built from this table): asciifolding
    alone folded "ﬁne" but dropped "²" and "₂" at the tokenizer, which FTS5 kept as "m²".
    Symbols keep their form: "Ivo™" is still the word "ivo", not "ivotm".
    """
    forms: dict[str, str] = {}
    for ch in map(chr, range(_LAST_COMPATIBILITY_FORM + 1)):
        if unicodedata.category(ch)[0] in "LNM" and not unicodedata.is_normalized("NFKC", ch):
            forms[ch] = unicodedata.normalize("NFKC", ch)
    return forms


@functools.cache
def _compatibility_table() -> dict[int, str]:
    return {ord(ch): form for ch, form in compatibility_forms().items()}


def fold_letters(text: str) -> str:
    """Compatibility forms rewritten (``ﬁ`` → ``fi``), the letters Unicode cannot decompose
    (``ß`` → ``ss``) folded and soft hyphens dropped: for an index whose tokenizer already
    lowercases and strips diacritics."""
    return text.translate(_compatibility_table()).translate(_LETTERS)


def fold(text: str) -> str:
    """Lowercase and strip accents (``Café`` → ``cafe``, ``Straße`` → ``strasse``), like
    ``lowercase`` + ``asciifolding``: a letter with no ASCII form (``й``, ``έ``) is kept."""
    # One sigma: Python lowers a word-final "Σ" to "ς", Lucene to "σ", so "ΚΑΦΕΣ" and "καφες"
    # met on neither engine's terms. FTS5 folds "ς" to "σ"; the Lucene mapping does too.
    # A decomposed "é" folds as "é" does.
    composed = unicodedata.normalize("NFC", text.translate(_compatibility_table()))
    return "".join(map(_fold_char, composed)).lower().replace(FINAL_SIGMA, "σ")


@functools.lru_cache(maxsize=4096)
def _fold_char(ch: str) -> str:
    if unicodedata.category(ch)[0] == "M":  # a mark nothing composes with ("कुर्ता"): kept
        return ch
    # Canonical decomposition only (accents): compatibility forms of letters and digits were
    # rewritten before (``compatibility_forms``), those of symbols are kept ("™" is no "tm").
    decomposed = fold_letters(unicodedata.normalize("NFD", ch))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return plain if plain.isascii() else ch


def _in_word(ch: str) -> bool:
    # Letters, digits and marks of any script: what Lucene's standard tokenizer and FTS5's
    # unicode61 keep in words; everything else (punctuation, operators, spaces) separates.
    return unicodedata.category(ch)[0] in "LNM"


def matches_nothing(text: str) -> bool:
    """True for text that is not blank yet has no searchable word (``***``, ``?!``): it
    finds nothing, as in Elasticsearch, rather than browsing the whole catalog."""
    return bool(text.strip()) and not tokens(text)


def tokens(text: str, limit: int = MAX_QUERY_TERMS) -> list[str]:
    """The words of ``text`` after folding; punctuation and Lucene operators are separators."""
    words = ("".join(run) for inside, run in itertools.groupby(fold(text), _in_word) if inside)
    return list(itertools.islice(words, limit))


def synonym_groups() -> list[list[tuple[str, ...]]]:
    """Each synonym line as a list of token tuples (multi-word synonyms kept together)."""
    return [[tuple(tokens(term)) for term in line.split(",")] for line in SYNONYMS]


def synonym_segments(words: list[str]) -> list[list[tuple[str, ...]]]:
    """``words`` as Elasticsearch's ``synonym_graph`` reads them: left to right, the longest
    synonym term starting at a word is one segment, whose words match only together (as a
    phrase) or as one of its synonyms; any other word is a segment alone. Each segment lists
    its alternatives, what was typed first."""
    segments: list[list[tuple[str, ...]]] = []
    i = 0
    while i < len(words):
        segment = _synonyms_at(words, i)
        segments.append(segment)
        i += len(segment[0])
    return segments


def _synonyms_at(words: list[str], i: int) -> list[tuple[str, ...]]:
    found = [
        (term, group)
        for group in synonym_groups()
        for term in group
        if tuple(words[i : i + len(term)]) == term
    ]
    typed = max((term for term, _ in found), key=len, default=(words[i],))
    others = (t for term, group in found if term == typed for t in group if t != typed)
    return [typed, *dict.fromkeys(others)]


def auto_fuzziness(word: str) -> int:
    """Edits allowed for a word, as Elasticsearch's ``fuzziness: AUTO`` (0 / 1 / 2)."""
    if len(word) <= 2:
        return 0
    return 1 if len(word) <= 5 else 2


MAX_EXPANSIONS = 10  # index words a typo is widened to, nearest first


def closest(word: str, candidates: Iterable[str]) -> list[str]:
    """The candidates within ``fuzziness: AUTO`` edits of ``word`` with its first letter,
    nearest first (ties alphabetical), at most ``MAX_EXPANSIONS``: both engines pick a typo's
    expansions here, from the words their index holds."""
    limit = auto_fuzziness(word)
    scored = [
        (d, term)
        for term in candidates
        if term != word
        and term[:1] == word[:1]
        and abs(len(term) - len(word)) <= limit
        and (d := edit_distance(word, term, limit)) <= limit
    ]
    return [term for _, term in sorted(scored)[:MAX_EXPANSIONS]]


def edit_distance(a: str, b: str, limit: int) -> int:
    """Damerau-Levenshtein distance (adjacent swaps count 1), stopping early past ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]

"""Spanish content for the Spanish tests, and the check that a page shows no English:
the English source strings of smattest's catalog, as they could show on a page.

The policy and the course are written in Spanish, so that every word on a page is either
the agency's Spanish content or smattest's translation.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from babel.messages.pofile import read_po

CATALOG = Path(__file__).parents[1] / "smattest" / "translations" / "es" / "LC_MESSAGES"

POLICY = """\
# Política de redes sociales

Las personas que atendemos nos confían momentos muy difíciles de su vida.

## Confidencialidad

Nunca publique nada que pueda identificar a una persona usuaria, ni siquiera con los
datos cambiados.

## Seguridad

Lo que comparte sobre usted (dónde está, su familia, su rutina) puede ponerle en riesgo.
"""

COURSE = {
    "slug": "repaso-redes",
    "title": "Repaso de redes sociales",
    "policy": "redes-sociales",
    "pass_mark": 100,
    "refresh_every_months": 12,
    "max_attempts": 3,
    "sections": [
        {"title": "Por qué importa", "body": "La confianza de las familias se gana despacio."},
        {"title": "Qué hacer", "body": "Ante una duda, consulte a su supervisora."},
    ],
    "questions": [
        {
            "id": "foto-visita",
            "kind": "single",
            "section": 1,
            "prompt": "¿Puede publicar una foto de una visita domiciliaria sin personas?",
            "options": [
                {"text": "Sí, si no sale nadie."},
                {"text": "No: una casa o una calle también identifican.", "correct": True},
            ],
            "explanation": "Un lugar reconocible identifica a una familia tanto como un nombre.",
        },
        {
            "id": "mensaje-privado",
            "kind": "single",
            "section": 2,
            "prompt": "Una persona usuaria le escribe por su cuenta personal. ¿Qué hace?",
            "options": [
                {"text": "Le contesto por ahí mismo."},
                {"text": "La remito a los canales de la agencia.", "correct": True},
            ],
            "explanation": "La relación profesional va por los canales de la agencia.",
        },
    ],
}


def english_fragments() -> tuple[set[str], set[str]]:
    """The English source strings of smattest's catalog, as they could show on a page:
    each run of literal text between placeholders and tags of two words or more, and
    the one-word labels (table headings, buttons), that the Spanish does not keep."""
    with open(CATALOG / "smattest.po", "rb") as file:
        catalog = read_po(file)
    phrases, words = set(), set()
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        spanish = " ".join(strings)
        for msgid in ids:
            text = re.sub(r"<[^>]+>", "\x00", msgid.replace("%%", "%"))
            for piece in re.split(r"%\(\w+\)[sdr]|\x00", text):
                piece = piece.strip(" .,:;()·\"'")
                if not piece or piece in spanish:
                    continue
                if " " in piece:
                    phrases.add(piece)
                elif len(piece) > 3 and piece[0].isupper():
                    words.add(piece)
    return phrases, words


PHRASES, WORDS = english_fragments()


#: The elements whose whole text is a label (a one-word English heading or button).
LABELS = {"h1", "h2", "h3", "th", "dt", "button", "label", "legend", "a", "option", "caption",
          "summary"}  # fmt: skip
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
         "track", "wbr"}  # fmt: skip


class _Text(HTMLParser):
    """A page's text as a reader gets it, and each label element's own text.

    Text an element marks as written in another language than its Spanish page
    (``lang="en"`` on what was recorded in English, such as HR's action log details)
    is not the page's own words and is left out.
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.open: list[tuple[str, int, bool, bool]] = []
        self.labels: list[str] = []
        self.skip = 0
        self.spanish = 0

    def handle_starttag(self, tag, attrs):
        lang = dict(attrs).get("lang")
        foreign = bool(self.spanish and lang and not lang.startswith("es"))
        if tag in ("script", "style") or foreign:
            self.skip += 1
        if tag not in _VOID:
            spanish = bool(lang and lang.startswith("es"))
            self.spanish += spanish
            self.open.append((tag, len(self.parts), foreign, spanish))

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self.skip -= 1
        while self.open:
            name, start, foreign, spanish = self.open.pop()
            self.skip -= foreign
            self.spanish -= spanish
            if name in LABELS:
                self.labels.append(re.sub(r"\s+", " ", "".join(self.parts[start:])).strip())
            if name == tag:
                break

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def english_in(html: str) -> list[str]:
    """The English catalog strings on an HTML page (none on a page wholly in Spanish)."""
    reader = _Text()
    reader.feed(html)
    text = re.sub(r"\s+", " ", "".join(reader.parts))
    english = sorted(p for p in PHRASES if re.sub(r"\s+", " ", p) in text)
    english += sorted({w for w in WORDS for label in reader.labels if label == w})
    return english


#: English words that are not Spanish ones: two of them close together are an English
#: sentence, whether or not smattest's catalog has it (a message never marked for
#: translation is in no catalog).
ENGLISH_WORDS = frozenset(
    "the is are was were you your with this that must has have and not of to be for from "
    "been will cannot nothing which when it its or one by at on an".split()
)
_WORD = re.compile(r"[A-Za-z]+(?:'[a-z]+)?|[^\sA-Za-z]+")


def english_sentences(html: str) -> list[str]:
    """Runs of page text with two English words among three: English that no catalog
    check can see because it never went through gettext. Upper-case words (Unicode's
    character names, codes) and text marked ``lang="en"`` are not counted."""
    reader = _Text()
    reader.feed(html)
    return english_sentences_of("".join(reader.parts))


def english_sentences_of(text: str) -> list[str]:
    """:func:`english_sentences` for text already taken out of its page (a browser's)."""
    found = []
    for line in re.split(r"\n\s*", text):
        words = [w for w in _WORD.findall(line) if w[0].isalpha()]
        hits = [i for i, w in enumerate(words) if w.lower() in ENGLISH_WORDS and not w.isupper()]
        if any(b - a <= 2 for a, b in zip(hits, hits[1:], strict=False)):
            found.append(line.strip()[:160])
    return found

"""Guided-question answers given in words ("nothing is broken, it's just a question"), in five languages."""

from __future__ import annotations

import re
import unicodedata

from intake.guided_questions import Question

__all__ = ["answer_in_words"]

# Most specific first: "nothing is broken, it's just a question" is a question, not an outage.
_PHRASES: tuple[tuple[Question, str, str], ...] = (
    (
        Question.REQUEST,
        "question",
        r"just a question|only a question|it's a question|its a question|a quick question|"
        r"nothing is broken|nothing's broken|nothing broken|not a problem|no problem, just|"
        r"solo (?:es )?una pregunta|es una pregunta|juste une question|c'est une question|nur eine frage|"
        r"(?:so|apenas) uma pergunta|e uma pergunta",
    ),
    (
        Question.REQUEST,
        "change",
        r"change request|feature request|a request|please add|we'd like|we would like|"
        r"solicitud de cambio|demande de changement|anderungswunsch|pedido de mudanca",
    ),
    (
        Question.REQUEST,
        "security",
        r"security|hack|breach|compromis|ransomware|malware|phishing|virus|stolen|"
        r"seguridad|securite|sicherheit|seguranca|gehackt|piratage|pirate|invasao",
    ),
    (
        Question.OUTAGE,
        "down",
        r"nothing works|nothing is working|not working at all|completely down|totally down|"
        r"nobody can work|no one can work|can't work at all|no funciona nada|"
        r"rien ne (?:marche|fonctionne)|"
        r"nichts geht|geht gar nichts|nada funciona|ninguem consegue",
    ),
    (Question.OUTAGE, "minor", r"\bminor\b|cosmetic|just annoying|menor|mineur|kleinigkeit"),
    (Question.OUTAGE, "degraded", r"\bslow\b|partly|partially|some things work|lento|lent\b|langsam"),
    (
        Question.SCOPE,
        "one",
        r"just me|only me|one user|one person|just one|only one user|solo yo|solo a mi|"
        r"moi seul|juste moi|nur ich|nur bei mir|so eu|apenas eu",
    ),
    (
        Question.SCOPE,
        "everyone",
        r"everyone|everybody|all users|all sites|all of us|whole (?:hospital|company|group)|"
        r"todos|todo el mundo|tout le monde|tous|alle\b|toda a gente",
    ),
    (
        Question.SCOPE,
        "some",
        r"one site|only the|a group|some of|one department|\bsome\b|un sitio|un site|"
        r"ein standort|um site|una parte|une partie|ein teil",
    ),
)
_COMPILED = tuple((q, v, re.compile(rf"(?<!\w)(?:{p})")) for q, v, p in _PHRASES)


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.casefold().replace("\u2019", "'"))
    return " ".join("".join(ch for ch in text if not unicodedata.combining(ch)).split())


def answer_in_words(text: str, asked: Question | None = None) -> tuple[Question, str] | None:
    """The factor and value a free answer gives; a phrase for the question asked wins over the others."""
    folded = _fold(text)
    found = [(q, v) for q, v, pattern in _COMPILED if pattern.search(folded)]
    if not found:
        return None
    requests = [hit for hit in found if hit[0] is Question.REQUEST]
    if requests:  # "nothing is broken, it's just a question" settles the request whatever was asked
        return requests[0]
    return next((hit for hit in found if hit[0] is asked), found[0])

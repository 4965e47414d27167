"""Reading a message for triage: normalised text (speech and typing repaired) -> the facts POLICY.md decides on."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache

from intake import triage_lexicon as lx
from intake import triage_lexicon_impact as impact
from intake import triage_lexicon_intent as intent
from intake import triage_lexicon_scope as scope
from intake import triage_lexicon_speech as speech
from intake.guided_questions import Question

# --- normalisation --------------------------------------------------------------------------------


def _word_sub(table: tuple[tuple[str, str], ...]) -> tuple[tuple[re.Pattern[str], str], ...]:
    return tuple((re.compile(rf"(?<![\w'])(?:{pattern})(?![\w'])"), repl) for pattern, repl in table)


_CONTRACTIONS = tuple((re.compile(rf"\b{p}\b"), r) for p, r in speech.CONTRACTIONS)
_FIXES = _word_sub(speech.SPOKEN_FIXES)
# A filler takes its commas with it ("could you, uh, reset" -> "could you reset") unless it sat between
# two clauses ("fails in chrome, um, works in edge" keeps one comma).
_FILLERS = re.compile(r"(,?)\s*\b(?:" + "|".join(speech.FILLERS) + r")\b\s*(,?)")
# Letters spoken one by one ("p a c s", "e r") become one token; a leading "a" or "i" is a real word.
_SPELLED = re.compile(r"(?<![\w'])(?![ai] )[a-z0-9](?: [a-z0-9](?![\w'])){1,}")
# Stutters ("the, the", "is is"); single letters are left for _SPELLED ("s s o" is SSO).
_REPEATS = re.compile(r"\b(\w\w+(?: \w+)?)(?:[\s,]+\1\b)+")
_JUNK = re.compile(r"[^a-z0-9\s.,?!;:'%/~\-]+")
# Whitespace runs become one space before any pattern with `\s*` sees them: a pattern that starts with
# `\s*` rescans the rest of a run from each of its positions, so a long run (spaces, newlines, emoji
# dropped as junk, fillers taken out) made normalising quadratic in the run's length.
_SPACES = re.compile(r"\s+")


def _drop_filler(match: re.Match[str]) -> str:
    return ", " if match.group(1) and match.group(2) else " "


def _collapse_repeats(text: str) -> str:
    for _ in range(3):  # "the, the mfa, the mfa" needs more than one pass
        text = _REPEATS.sub(r"\1", text)
    return text


def _join_spelled(match: re.Match[str]) -> str:
    run = match.group(0)
    return run.replace(" ", "") if any(c.isalpha() for c in run) else run


@lru_cache(maxsize=1)
def _typo_index() -> dict[str, str]:
    """Single-deletion variants of the key terms (symmetric-delete spelling correction, distance 1)."""
    index: dict[str, str] = {}
    for term in speech.KEY_TERMS:
        for i in range(len(term)):
            index.setdefault(term[:i] + term[i + 1 :], term)
    return index


_KNOWN = frozenset(speech.KEY_TERMS)
# One edit from a key term is at most one letter longer: a longer token is no typo of one (and checking
# each of its deletions would cost the square of its length).
_LONGEST = max(map(len, speech.KEY_TERMS)) + 1


def _correct(token: str) -> str:
    """Fix a mistyped key term ("viewr", "chnage", "pasword"); leave every other token alone."""
    if not 5 <= len(token) <= _LONGEST or token in _KNOWN or not token.isalpha():
        return token
    index = _typo_index()
    candidates = [index.get(token)]  # a letter missing
    for i in range(len(token)):
        shorter = token[:i] + token[i + 1 :]
        candidates += [shorter if shorter in _KNOWN else None, index.get(shorter)]  # extra, swapped letter
    for term in candidates:
        if term is not None and not _is_inflection(token, term):
            return term
    return token


def _is_inflection(token: str, term: str) -> bool:
    """'accounts' and 'viewed' are words of their own, not typos of 'account' or 'viewer'."""
    endings = {"", "s", "es", "d", "ed", "er", "ing"}
    return (token.startswith(term) and token[len(term) :] in endings) or (
        token.startswith(term[:-1]) and token[len(term) - 1 :] in endings
    )


def normalise(text: str) -> str:
    """Lower-case, straighten quotes, undo speech-to-text mishearings, drop fillers and repeated words."""
    out = text.lower().replace("\u2019", "'").replace("\u2018", "'").replace("`", "'")
    out = _SPACES.sub(" ", _JUNK.sub(" ", out.replace("&", " and ").replace("+", " and ")))
    for pattern, repl in _CONTRACTIONS:
        out = pattern.sub(repl, out)
    # Fillers and stutters go first, so "em, em are eye" is whole again before mishearings are fixed.
    out = _SPACES.sub(" ", _FILLERS.sub(_drop_filler, out))  # "um um um" leaves a run of spaces
    out = _collapse_repeats(re.sub(r"\s*,(?:\s*,)+", ",", out))
    out = " ".join(_correct(tok) for tok in out.split())
    out = _SPELLED.sub(_join_spelled, out)
    for pattern, repl in _FIXES:
        out = pattern.sub(repl, out)
    for pattern, repl in _CONTRACTIONS[:1]:  # fixes may produce "cant" -> "cannot"
        out = pattern.sub(repl, out)
    out = _collapse_repeats(out)
    out = re.sub(r"\s+([.,?!;:])", r"\1", out)
    out = re.sub(r"^[\s,.;:]+", "", out)
    return re.sub(r"\s+", " ", out).strip()


# --- cue matching ---------------------------------------------------------------------------------

_CLAUSE_END = re.compile(r"[.,;:!?]|\bbut\b")
# "not" reaches a few words ("is not down"); a negative subject reaches the whole clause
# ("nobody in the whole hospital can see images").
_NEAR, _FAR = 3, 8
_SUBJECTS = frozenset({"nobody", "nothing", "none", "no"})


def _negated(text: str, start: int) -> bool:
    """True when a negation earlier in the same clause turns the match around."""
    before = text[max(0, start - 80) : start]
    cut = max((m.end() for m in _CLAUSE_END.finditer(before)), default=0)
    words = before[cut:].split()
    return any(w in lx.NEGATORS for w in words[-_NEAR:]) or any(w in _SUBJECTS for w in words[-_FAR:])


def _hits(cues: tuple[lx.Cue, ...], text: str) -> list[str]:
    """Matched phrases of `cues` in `text`, skipping negated ones."""
    found: list[str] = []
    for cue in cues:
        for m in cue.pattern.finditer(text):
            if not (cue.negatable and _negated(text, m.start())):
                found.append(m.group(0).strip())
    return found


# --- facts ----------------------------------------------------------------------------------------


class Scope(StrEnum):
    """Who is affected: everyone, a group (a site, a department), or one user."""

    ALL = "all"
    GROUP = "group"
    ONE = "one"


class Intent(StrEnum):
    """A live problem, a request or question, or an incident that is over."""

    PROBLEM = "problem"
    REQUEST = "request"
    PAST = "past"


@dataclass
class Facts:
    """What the text (and the answers) say along each axis of POLICY.md."""

    intent: Intent = Intent.PROBLEM
    intent_known: bool = True
    scope: Scope | None = None
    scope_items: bool = False
    outage: bool = False
    work_stopped: bool = False
    blocked: bool = False
    failure: bool = False
    severe_failure: bool = False
    degraded: bool = False
    mild: bool = False
    continues: bool = False
    good_workaround: bool = False
    painful_workaround: bool = False
    cosmetic: bool = False
    minor: bool = False
    leftover: bool = False
    security: bool = False
    security_sev1: bool = False
    component: bool = False
    key_component: bool = False
    modality: bool = False
    modalities: int = 0
    answered: dict[Question, str] = field(default_factory=dict)
    evidence: list[str] = field(default_factory=list)

    def note(self, axis: str, phrases: list[str], limit: int = 2) -> None:
        for phrase in dict.fromkeys(phrases):
            if limit == 0:
                return
            self.evidence.append(f"{axis}: '{phrase}'")
            limit -= 1


_CLAUSE = re.compile(r"[^.!?;,]+?(?:[.!?;,]+|\s-\s|\s(?=but\b)|$)")


def _split_clauses(text: str) -> list[str]:
    """Clauses with their closing punctuation kept, so a question clause still ends in '?'."""
    return [c.strip() for c in _CLAUSE.findall(text) if c.strip(" .,;!?-")]


def _current_text(text: str, history: bool) -> str:
    """Text with hypothetical/planned clauses removed and, when the message is about history, past ones."""
    text = re.sub(r"\s+", " ", intent.HYPOTHETICAL.sub(" ", text))
    if not history:
        return text
    text = re.sub(r"\s+", " ", intent.PAST_EVENT.sub(" ", text))
    kept = [c for c in _split_clauses(text) if not (intent.PAST_VERB.search(c) and not intent.PRESENT_VERB.search(c))]
    return " ".join(kept)


def _words_before(text: str, end: int, count: int) -> list[str]:
    """The last `count` words before `end`, read from a window that grows only as far back as needed.

    Splitting all of `text[:end]` for each match made a long clause with many matches quadratic.
    """
    width = 64
    while True:
        start = max(0, end - width)
        words = text[start:end].split()
        # The window's first word may be cut: it is used only when the window reaches the start.
        if start == 0 or len(words) > count:
            return words[-count:]
        width *= 4


def _whole_named(clause: str) -> str | None:
    """The phrase naming the whole service as down ("the pacs is down", "everything is stuck"), if any."""
    for m in impact.WHOLE_DOWN.finditer(clause):
        before = _words_before(clause, m.start(), 2)
        if any(w in impact.WHOLE_SUBJECT_PREFIX for w in before):
            continue  # "dictation in the pacs is not working": the pacs is where, not what
        if impact.COMPONENT_ANY.search(" ".join(before)):
            continue  # "the dictation server is down": that component's server
        inner = m.group(0).split()[1:-1]
        if impact.COMPONENT_ANY.search(" ".join(inner)) and not {"and", "or"} & set(inner):
            continue  # "the pacs dictation module is down"
        if impact.WHOLE_OBJECT_COMPONENT.match(clause, m.end()):
            continue  # "the viewer will not load ct studies"
        return m.group(0)
    for m in impact.TOTALITY.finditer(clause):
        if not impact.TOTALITY_QUALIFIED.match(clause, m.end()):  # not "nothing is arriving from the ct"
            return m.group(0)
    return None


def _read_components(facts: Facts, current: str) -> None:
    """Is what fails one component (a modality, dictation, an interface) or the whole service?"""
    if not impact.COMPONENT_ANY.search(current):
        return
    bound: list[str] = []
    whole: list[str] = []
    key = False
    modalities: set[str] = set()
    # What the customer is talking about: components, the whole service ([]), or not said yet (None).
    topic: list[str] | None = None
    for clause in impact.COMPONENT_CLAUSE.split(current):
        outage, stopped = _hits(impact.OUTAGE, clause), _hits(impact.WORK_STOPPED, clause)
        failing = outage or stopped or _hits(impact.FAILURE, clause) or _hits(impact.DEGRADED, clause)
        named = _whole_named(clause)
        comps = [] if named else _hits(impact.COMPONENT, clause)
        own_whole = bool(named) or (not comps and bool(impact.WHOLE_NOUN.search(impact.DESTINATION.sub(" ", clause))))
        if comps:
            topic = comps
        elif own_whole:
            topic = []
        if not failing:
            continue
        # "the dictation, it's not working": a clause with no subject of its own is about the topic.
        subject = comps or ([] if own_whole or stopped else topic)
        if subject:
            bound += subject
            joined = " ".join(subject)
            key = key or bool(_hits(impact.COMPONENT_KEY, joined))
            for m in impact.COMPONENT_MODALITY.finditer(joined):
                words = m.group(0).split()  # "ct", "pet ct", "the us images"
                modalities.add((words[1] if len(words) == 3 else words[0])[:2])
        elif subject is not None and (outage or stopped):
            whole.append(named or (stopped or outage)[0])
    # Two modalities or more failing together ("every ct and mr push fails") is the imaging, not one part.
    facts.component = bool(bound) and not whole and len(modalities) < 2
    facts.key_component = bool(bound) and not whole and key
    facts.modality = facts.component and bool(modalities)
    facts.modalities = 0 if whole else len(modalities)
    facts.note("component" if facts.component else "whole service", bound if facts.component else whole, 1)


def _read_scope(facts: Facts, text: str) -> None:
    one, me = _hits(scope.SCOPE_ONE, text), _hits(scope.SCOPE_ME, text)
    everyone, group = _hits(scope.SCOPE_ALL, text), _hits(scope.SCOPE_GROUP, text)
    others_fine, items = _hits(scope.OTHERS_FINE, text), _hits(scope.SCOPE_ITEMS, text)
    # With one modality failing, "the others are fine" names the other modalities, not the other users.
    siblings = [h for h in others_fine if scope.OTHERS_SIBLINGS.match(h)] if facts.modality else []
    others_fine = [h for h in others_fine if h not in siblings]
    places = [h for h in others_fine if scope.OTHERS_PLACES.search(h)]  # "the other sites are fine": a group
    narrow = [h for h in others_fine if h not in places]
    # An explicit narrow cue wins ("one of our radiologists ... everyone else is fine"); "the others are
    # fine" narrows "every user at the north site" to a group; a bare "my"/"I" loses to "nobody can".
    if one or (narrow and not group and not places and not everyone):
        facts.scope, cues = Scope.ONE, one + narrow
    elif everyone and not others_fine:
        facts.scope, cues = Scope.ALL, everyone
    elif group or others_fine:
        facts.scope, cues = Scope.GROUP, group + others_fine
    elif me:
        facts.scope, cues = Scope.ONE, me
    elif siblings:
        facts.scope, cues = Scope.GROUP, siblings
    else:
        facts.scope_items, cues = bool(items), items
    facts.note("scope", cues)


def _read_impact(facts: Facts, text: str, current: str) -> None:
    outage, stopped = _hits(impact.OUTAGE, current), _hits(impact.WORK_STOPPED, current)
    failure, degraded = _hits(impact.FAILURE, current), _hits(impact.DEGRADED, current)
    facts.outage, facts.work_stopped = bool(outage), bool(stopped)
    blocked = _hits(impact.OPERATIONS_BLOCKED, current)
    facts.blocked = bool(blocked)
    facts.note("operations blocked", blocked, 1)
    facts.failure, facts.degraded = bool(failure), bool(degraded)
    facts.severe_failure = bool(_hits(impact.SEVERE, current)) or bool(outage)
    facts.mild = bool(_hits(impact.MILD, current)) and not facts.severe_failure
    facts.note("work stopped", stopped)
    facts.note("outage", outage)
    facts.note("failure", failure, 1 if outage else 2)
    facts.note("degraded", degraded, 1)
    spared = impact.CONTINUES_EXCEPTIONS.sub(" ", text)
    continues = _hits(impact.CONTINUES, spared)
    good, painful = _hits(impact.WORKAROUND_GOOD, text), _hits(impact.WORKAROUND_PAINFUL, text)
    facts.continues = bool(continues) or bool(painful)
    facts.painful_workaround = bool(painful)
    facts.good_workaround = bool(good) and not painful
    facts.note("still working", continues, 1)
    facts.note("workaround", good if facts.good_workaround else painful, 1)
    cosmetic, minor = _hits(impact.COSMETIC, text), _hits(impact.MINOR, text)
    facts.cosmetic, facts.minor = bool(cosmetic), bool(minor)
    facts.note("cosmetic", cosmetic, 1)
    facts.note("minor", minor, 1)


def _read_intent(facts: Facts, text: str, current: str, history: bool) -> None:
    problem = facts.outage or facts.work_stopped or facts.failure or facts.degraded
    flat = text.replace(",", "")  # transcripts put commas anywhere: "could you, reset the password"
    asks = _hits(intent.REQUEST, flat) + _hits(intent.QUESTION, flat)
    if history:
        live_outage = (facts.outage or facts.work_stopped) and facts.scope is not Scope.ONE
        statements = " ".join(c for c in _split_clauses(current) if not c.endswith("?"))
        leftover = _hits(intent.LEFTOVER, statements)
        if (leftover or problem) and not live_outage:
            # Whatever still fails after an incident that is over is a leftover to repair (Sev3).
            facts.leftover = True
            facts.note("leftover", leftover or ["still broken after the incident"], 1)
        elif not problem:
            facts.intent = Intent.PAST
    if facts.intent is Intent.PROBLEM and not problem and (asks or "?" in text):
        facts.intent = Intent.REQUEST
        facts.intent_known = bool(asks)
        facts.note("request", asks or ["?"], 2)
    elif facts.intent is Intent.PROBLEM and not problem:
        facts.intent_known = facts.cosmetic or facts.minor
        if facts.cosmetic or facts.minor:
            facts.failure = True


def _read_security(facts: Facts, text: str) -> None:
    hits = _hits(intent.SECURITY, text)
    if not hits:
        return
    # An alarming question ("how do you protect against ransomware?") is not an incident.
    if facts.intent is Intent.REQUEST and not intent.SECURITY_INCIDENT.search(text):
        return
    facts.security, facts.intent = True, Intent.PROBLEM
    active, wide = _hits(intent.SECURITY_ACTIVE, text), _hits(intent.SECURITY_WIDE, text)
    contained = _hits(intent.SECURITY_CONTAINED, text)
    facts.security_sev1 = bool(active) and (bool(wide) or facts.scope is Scope.ALL) and not contained
    facts.note("security", hits)
    facts.note("active", active, 1)
    facts.note("widespread", wide, 1)
    facts.note("contained", contained, 1)


def read(text: str) -> Facts:
    """The facts of a normalised message, before any answers to guided questions."""
    facts = Facts()
    over = _hits(intent.RESOLVED, text) + _hits(intent.PAST_INFO, text)
    if "?" in text:  # "the status page showed 'degraded', are we affected? everything seems fine here"
        over += _hits(intent.NO_IMPACT, text)
    history = bool(over)
    facts.note("past incident", over, 1)
    current = _current_text(text, history)
    _read_components(facts, current)
    _read_scope(facts, text)
    _read_impact(facts, text, current)
    _read_intent(facts, text, current, history)
    _read_security(facts, text)
    return facts

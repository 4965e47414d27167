"""The triage vocabulary's common part: the Cue type, modality names, counts and negators."""

from __future__ import annotations

import re
from typing import NamedTuple


class Cue(NamedTuple):
    """One named regular expression over normalised text; `negatable` cues are dropped after 'not', 'no'..."""

    label: str
    pattern: re.Pattern[str]
    negatable: bool


def cues(label: str, *patterns: str, negatable: bool = True) -> tuple[Cue, ...]:
    """Cues of one label, one a pattern."""
    return tuple(Cue(label, re.compile(p), negatable) for p in patterns)


# The vocabulary by family (data only, no logic; read by intake/triage_facts.py):
#   triage_lexicon_speech   how customers type and speak (normalising)
#   triage_lexicon_scope    who is affected
#   triage_lexicon_impact   how badly, and one component or the whole service
#   triage_lexicon_intent   problem or request, live or past, security

# One modality; the short names that are also ordinary words need an imaging noun after them.
_IMAGING_NOUN = (
    r"(?:images?|studies|study|exams?|scans?|series|scanners?|rooms?|machines?|modality|worklist|reads?|cases?)"
)
MODALITY = (
    r"ct|cts|cta|mri|mris|ultrasounds?|sonograph\w*|mammo\w*|tomo(?:synthesis)?|xrays?|radiograph\w*|"
    r"nuclear(?: medicine)?|nuc med|fluoro\w*|dexa|angio\w*|cath lab|pet(?:/ct|-ct| ct)?|"
    r"mr(?=(?: (?:and|or|images?|studies|study|exams?|scans?|series|scanners?|rooms?|is|are|was|were|not|will|"
    r"does|cases?|side|too|either|only|priors?|reads?|stuff|push\w*|send\w*|transfers?|queue|data|jobs?|"
    r"protocols?|sequences?|arriv\w*|com\w+|load\w*|go\w*|has|have|keeps?|still|also|from|in|on|at)\b)|"
    r"\s*[.,;:!?/]|$)|"
    rf"(?:the|our|of|no|any|all|every|from|for|on|in|new) (?:us|cr|dr|nm|echo) {_IMAGING_NOUN}"
)

NUM = r"\d+|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|\w+teen|twenty|thirty|forty|fifty"

# Words that negate the next few words ("not down", "no errors", "nothing works").
NEGATORS = frozenset({"not", "no", "never", "without", "nothing", "nobody", "hardly", "nor", "none"})

"""Triage vocabulary of scope: who is affected (one user, a group or site, everyone), as cue patterns."""

from __future__ import annotations

import re

from intake.triage_lexicon import MODALITY, NUM, cues

_PEOPLE = (
    r"users|readers|radiologists|rads|doctors|physicians|clinicians|techs|technologists|staff|nurses|"
    r"referrers|patients|people|employees|accounts"
)
_PLACES = (
    r"sites|hospitals|clinics|locations|offices|departments|campuses|facilities|practices|centers|centres|"
    r"workstations|computers|pcs|stations|modalities|scanners|rooms"
)

# First person ("my laptop", "I can't"): one user unless the message also names a wider group.
SCOPE_ME = cues(
    "scope",
    # "my laptop", "my hanging protocol" - but "my radiologists", "my team" speak for a group.
    r"\b(?:for|to) me\b|\bon my\b|\bmy (?!(?:team|staff|radiologists|rads|readers|doctors|users|techs|clinic|"
    r"hospital|department|site|sites|group|colleagues|physicians|people|boss|director|manager|org|practice|whole|"
    r"entire|patients|clinicians|nurses|company|office)\b)[a-z]+",
    r"\bi (?:cannot|keep getting|am getting|get an?|see an?)\b",
    negatable=False,
)

# "Everyone / every site": the Sev1 breadth.
SCOPE_ALL = cues(
    "scope",
    r"\beveryone\b(?! else)(?:'s)?(?! else)",
    r"\beverybody\b(?! else)",
    r"\bnobody\b",
    r"\bno (?:user|radiologist|rad|reader|doctor|physician|clinician|tech|site|clinic)s? (?:can|could|is able)\b",
    r"\bevery (?:single )?(?:user|reader|radiologist|rad|doctor|physician|clinician|tech|technologist|person|"
    r"workstation|computer|pc|station|site|hospital|clinic|room|department|account|modality|scanner|location|"
    r"office|practice|login)s?\b",
    rf"\ball (?:of )?(?:the |our |my )?(?:(?:{NUM}) )?(?:{_PEOPLE}|{_PLACES})\b",
    r"\ball of (?:us|them|our)\b",
    rf"\b(?:{_PEOPLE}|{_PLACES}) all\b(?! (?:fine|ok|good|working|normal))",
    r"\b(?:whole|entire|complete) (?:[\w\-]+ )?(?:hospital|org|organi[sz]ation|company|clinic|network|"
    r"department|dept|group|tenant|platform|enterprise|practice|team|radiology|imaging|facility|campus|"
    r"region|health system|institution)\b",
    rf"\b(?:for|to) (?:anybody|anyone)\b|\bany of (?:the |our )?(?:(?:{NUM}) )?(?:[\w\-]+ ){{0,2}}"
    rf"(?:{_PEOPLE}|{_PLACES}|us)\b",
    r"\b(?:hospital|org|company|department|site|enterprise|system|campus|practice)[- ]wide\b",
    r"\bacross (?:the |all |our )?(?:department|hospital|org|board|sites|enterprise|company|clinics)\b",
    rf"\bour (?:{NUM}) (?:hospitals|sites|clinics|locations|campuses|facilities|practices|centers|centres)\b",
    r"\bfor all\b(?! (?:new|pediatric|future))",
    r"\banywhere\b",
    negatable=False,
)

# "Every study / every request": the whole service misbehaves, though not said of people.
SCOPE_ITEMS = cues(
    "scope",
    r"\bevery (?:single |new |outside |other )?(?:study|request|query|exam|report|image|order|patient|prior|"
    r"series|click|push|registration|disc|case|retrieve|store request|upload|page|cd|file|message)s?\b",
    r"\ball (?:the )?(?:studies|exams|requests|queries|images|reports|orders|priors|store requests)\b",
    negatable=False,
)

# The others are fine: the problem is narrow (one user or device unless a group is named).
OTHERS_FINE = cues(
    "scope",
    r"\b(?:everyone|everybody|all the others|the others|others|the rest(?: of (?:the|us|them) ?\w*)?|my "
    r"colleagues|colleagues|other (?:[\w\-]+ )?(?:users|radiologists|readers|people|clinics|sites|stations|"
    r"workstations|computers|ultrasounds|scanners|rooms|rads|doctors|studies|exams|modalities)|"
    r"all other (?:studies|users|exams|modalities)|the other "
    r"(?:\w+ )?(?:ones|two|three|clinics|sites|users|radiologists|stations|rooms))(?: else)?(?:'s)?"
    r"(?: [\w\-]+)?(?: are| is| seem| seems| look| looks| get| gets| get them)?(?: all)?"
    r"(?: working)? ?(?:fine|ok|okay|good|normal|unaffected|no problem|working)\b",
    r"\b(?:everyone|everybody) else\b",
    # "the other ct and the mr are fine": another device of the kind, so this one device is the problem.
    rf"\bthe other (?:{MODALITY}|scanner|machine|unit|burner|printer|station|workstation|room)s?\b(?: (?:and|or) "
    r"(?:the )?[\w\-]+)?(?: are| is| seem| seems)? (?:all )?(?:fine|ok|okay|good|working|normal)\b",
    negatable=False,
)
# "The other sites are fine": one site of several, a group.
OTHERS_PLACES = re.compile(
    r"\b(?:sites?|clinics?|hospitals?|campus(?:es)?|locations?|offices?|facilities|departments?|centers?|centres?)\b"
)

# "The others are fine" that may name the other modalities or functions rather than the other users.
OTHERS_SIBLINGS = re.compile(
    r"^(?:all the others|the others|others|the rest\b(?! of (?:us|them|the (?:team|users|radiologists|rads|"
    r"readers|doctors|staff)))|(?:all |the )?other (?:ones|two|three|modalities|studies|exams))"
)

SCOPE_ONE = cues(
    "scope",
    r"\bone (?:user|person|radiologist|rad|reader|doctor|physician|tech|technologist|clinician|patient|"
    r"account|workstation|computer|pc|laptop|station|device|machine|monitor|screen|scanner|ultrasound|room|"
    r"study|exam|image|series|report|ct|mr|mri|case|order|browser|tablet|ipad|xray|mammo)\b",
    r"\bone of (?:our|the|my|his|her|their) (?:[\w/\-]+ )?(?:users|radiologists|rads|readers|doctors|"
    r"physicians|techs|technologists|clinicians|workstations|computers|pcs|laptops|stations|devices|"
    r"monitors|scanners|ultrasounds|rooms|patients)\b",
    r"\b(?:just|only) (?:the )?one\b|(?<!every )\bsingle (?:user|study|exam|device|workstation|station|patient|"
    r"account)\b",
    r"\bjust me\b|\bonly me\b|\bonly for me\b|\bi am a patient\b|\bonly (?:on|in) my\b|\bmy \w+ only\b",
    r"\b(?:a|the|this) (?:radiologist|doctor|user|tech)(?:'s| is| has| cannot| says his| says her)\b",
    r"\b(?:his|her) (?:account|login|password|presets?|macros?|workstation|laptop|hanging protocol)\b",
    r"\b(?:his|her) (?:[\w\-]+ ){1,3}(?:presets?|macros?|hanging protocols?|layouts?|settings|profile|mic|"
    r"microphone)\b",
    r"\b(?:a few|a couple(?: of)?|a handful of|two|three) (?:old )?(?:studies|exams|images|reports|cases|"
    r"series)\b",
    negatable=False,
)

SCOPE_GROUP = cues(
    "scope",
    r"\bhalf\b|\b\d+ ?%",
    r"\b(?:some|several|many|a few|few|a couple of|a group of|a bunch of|multiple) (?:of (?:our|the) )?"
    rf"(?:{_PEOPLE}|{_PLACES})\b",
    r"\bone (?:site|clinic|hospital|campus|location|office|facility|department|practice)\b",
    r"\bone of (?:our|the) (?:[\w\-]+ )?(?:sites|clinics|hospitals|campuses|locations|offices|facilities|"
    r"departments|practices)\b",
    rf"\b(?:\d|one|two|three) of (?:{NUM})\b",
    r"\b(?:north|south|east|west|main|downtown|satellite|remote|outpatient|inpatient|night|evening|weekend) "
    r"(?:site|campus|clinic|hospital|office|radiologists|readers|users|location|shift)\b",
    r"\b(?:the|our) (?:ed|er|icu|emergency department|cardiology|mammo|mammography|breast center|"
    r"ortho|oncology|pediatrics|teleradiology)\b",
    negatable=False,
)

"""Triage vocabulary of intent: a problem or a request/question, a live or past incident, a security one."""

from __future__ import annotations

import re

from intake.triage_lexicon import cues

_ACTIONS = (
    r"add|create|set ?up|setup|rename|change|update|move|increase|decrease|extend|enable|disable|turn|remove|"
    r"delete|reset|configure|install|activate|deactivate|provide|send|give|get|schedule|upgrade|merge|unlock|"
    r"grant|revoke|register|renew|buy|purchase|order|confirm|tell|check|switch|migrate|onboard|integrate|"
    r"allow|whitelist|export|import|share|burn|find"
)

REQUEST = cues(
    "request",
    rf"\b(?:please|kindly) (?:\w+ ){{0,2}}(?:{_ACTIONS})\b",
    rf"\b(?:can|could|would|will) (?:you|we|i|it|they) (?:please )?(?:\w+ ){{0,2}}(?:{_ACTIONS}|be moved|be "
    r"changed|be updated)\b",
    r"\bcan (?:the|our|it|this|we) (?:[\w\-]+ ){0,6}be (?:updated|changed|moved|added|renamed|extended|"
    r"increased|set|configured|enabled|disabled|removed)\b",
    rf"\b(?:we|i) (?:would like|want|wanna|need|are looking|plan) to (?:{_ACTIONS}|know|ask)\b",
    r"\b(?:i|we) (?:need|needs|would like|want|require)(?:,? [\w\-]+){0,5},? (?:account|accounts|access for|"
    r"license|licenses|rule|feed|interface|certificate|reset|turned off|turned on|disabled|removed|"
    r"deactivated|set up|setup|added|created|changed|renamed|list|quote|training)\b",
    r"\bneed (?:(?:a|an|new|\d+|two|three|four|five|some|more) )?(?:[\w\-]+ ){0,3}(?:accounts?|users?|"
    r"logins?|rule|feed|interface|licen[cs]es?|site|modality|template|routing|integration)\b",
    r"\b(?:change|feature) request\b|\bgo-?live\b|\bgoing live\b",
    r"(?:^|[.!?] )(?:please )?(?:add|create|set up|rename|change|update|increase|extend|enable|disable|remove|"
    r"delete|reset|configure)\b",
    negatable=False,
)

QUESTION = cues(
    "question",
    r"\bhow (?:do|can|should|would|does) (?:i|we|you|they|one|patients|doctors|users|it)\b|\bhow to\b",
    r"\bhow (?:many|much|long|often)\b",
    r"\b(?:what|which|where|when|who) (?:is|are|do|does|can|should|will|happens|would|browsers|ip|ports)\b",
    r"\bis (?:there|it) (?:a way|possible|compliant|supported|safe|normal|planned|scheduled)\b",
    r"\bdo you (?:support|have|offer|provide|know)\b|\bdoes (?:the|your|it) (?:support|have|allow)\b",
    r"\bare (?:we|you) (?:affected|able|planning)\b|\bwondering\b",
    r"\b(?:just )?wan(?:ts?|ted|na) (?:to )?(?:ask|know|confirm|check)\b",
    r"\bcan you (?:confirm|tell|explain|let me know)\b",
    r"\b(?:user guide|manual|documentation|release notes)\b|\b(?:supported|compliant|hipaa|gdpr)\b",
    r"\blicen[cs]es\b|\bprocess\b|\bprocedure\b|\bcannot find (?:it|the|where|how|a way|an option)\b",
    negatable=False,
)

# Asking about an incident that is over (cause, confirmation) rather than reporting a live one.
PAST_INFO = cues(
    "past incident",
    r"\broot cause\b|\brca\b|\bpost-?mortem\b|\bincident (?:report|log|review|summary)\b|\bwhat happened\b",
    r"\bwhy (?:was|were|did) (?:it|the|we|there)\b|\bwas there an? (?:outage|issue|problem|incident)\b",
    r"\bis (?:there )?anything still pending\b|\bfor our (?:[\w\-]+ )?(?:records|incident log|report|files)\b",
    r"\b(?:did|was|were) (?:the|that|this|yesterday's|last \w+'s|\w+day's) (?:[\w\-]+ ){0,2}(?:outage|incident|"
    r"downtime|disruption|slowdown)\b",
    negatable=False,
)
RESOLVED = cues(
    "resolved",
    r"\b(?:all|everything|it|things|service|system|it is) (?:is |are |seems |looks |seem )?(?:all )?"
    r"(?:good|fine|ok|okay|normal|working|back(?: to normal| up| online)?|resolved|stable)(?: again)? now\b",
    r"\b(?:everything|it|all|service|system|pacs|viewer|worklist|archive) (?:is|are|came|has come) back\b"
    r"(?! (?:to me|to us|with))",
    r"\b(?:everything|it|all|things|data|studies|images|reports|orders) (?:is|are) (?:flowing|working|running|"
    r"coming through|going through|moving|arriving|crossing) (?:normally )?again\b",
    r"\bcame back\b|\bcaught up\b|\bresolved itself\b|\brecovered\b|\bback to normal\b|\bbeen restored\b",
    r"\b(?:was|has been|got|been) (?:resolved|fixed|restored)\b|\bis over\b",
    negatable=False,
)
# "Everything seems fine here": no impact now; marks a message as history only when it asks something.
NO_IMPACT = cues(
    "no impact",
    r"\beverything (?:seems|is|looks) (?:fine|ok|normal)(?: here| for us| on our (?:end|side))?\b",
    r"\bwe (?:are|were) not (?:affected|impacted)\b",
    negatable=False,
)
# Leftovers of a past incident that still need repair (Sev3).
LEFTOVER = cues(
    "leftover",
    r"\bstill (?:missing|broken|not|fail\w*|stuck|wrong|show\w*|duplicat\w*|out of sync|incomplete|empty|"
    r"blank|delayed|queued|need\w*)\b",
    r"\b(?:some|a few|\d+|several) (?:studies|exams|images|reports|orders)(?: \w+){0,4} (?:never|did not|have "
    r"not|has not) (?:arrived|come|caught up|been sent|shown up|made it)\b",
    r"\bhave not (?:come back|caught up|shown up|arrived)\b",
    negatable=False,
)

# Clauses that talk about a hypothetical or planned outage ("if the cloud is down", "will it be down").
HYPOTHETICAL = re.compile(
    r"\b(?:if|in case|what if|suppose|in the event)\b[^.,;!?]*|\bwhat happens\b[^.,;!?]*|"
    r"\bwill (?:the )?(?:\w+ ){0,2}be (?:down|offline|unavailable)\b[^.,;!?]*|"
    r"\b(?:planned|scheduled|announced|upcoming) (?:maintenance|downtime|outage|upgrade)\b[^.,;!?]*|"
    r"\bdowntime plan\b[^.,;!?]*|\bbusiness continuity\b[^.,;!?]*|\bdisaster recovery\b[^.,;!?]*"
)

# An incident named as a past event ("last night's outage"): not a live outage when the message is history.
PAST_EVENT = re.compile(
    r"\b(?:after|since|during|from|about|regarding|re)?\s?(?:yesterday's|last (?:night|week|month|\w+day)'s|"
    r"this morning's|earlier|the|that|previous|recent|\w+day's)(?: \w+)? (?:outage|incident|downtime|slowdown|"
    r"disruption|issue|problem|failure|maintenance)\b"
)

# Past tense and past time markers: a clause with both, and no present-tense verb, describes history.
PAST_TIME = re.compile(
    r"\b(?:yesterday|last (?:night|week|month|time|\w+day)|earlier(?: today)?|this morning|overnight|"
    r"(?:an hour|\w+ (?:hours|days|minutes)) ago|on (?:monday|tuesday|wednesday|thursday|friday|saturday|"
    r"sunday))\b"
)
PAST_VERB = re.compile(r"\b(?:was|were|went|had|got|showed|happened|did|lasted|dropped)\b")
PRESENT_VERB = re.compile(
    r"\b(?:is|are|am|cannot|can|will|does|do|keeps?|still|now|currently|since|again|anymore|ongoing|get|gets|"
    r"has|have)\b"
)

# --- security -------------------------------------------------------------------------------------

SECURITY = cues(
    "security",
    r"\bransomware\b|\bmalware\b|\bvirus\b|\bbreach\w*\b|\bhack\w*\b|\bcompromis\w*\b|\bunauthori[sz]ed\b",
    r"\bintrusion\b|\bintruders?\b|\bphishing\b|\bexfiltrat\w*\b|(?<!memory )\bleak(?:ed|s|ing)?\b",
    r"\bsuspicious\b|\bbrute[- ]?force\b|\bcredential stuffing\b|(?<!heart )\battack\w*\b|\bddos\b",
    r"\bsnoop\w*\b|\bmisuse\w*\b|\bstolen\b|\bimpersonat\w*\b|\bspoof\w*\b|\bsecurity (?:incident|breach|"
    r"issue|alert|event)\b",
    r"\bsomeone (?:else )?(?:logged|logging|accessed|is accessing|has access|got into|used)\b",
    r"\b(?:unusual|abnormal|anomalous|strange|unknown) (?:activity|access|downloads?|logins?|sign-ins?|ip)\b",
    r"\b(?:downloaded|exported|accessed) (?:thousands|hundreds|all|lots|a huge number|a large number)\b|"
    r"\b(?:mass|bulk) (?:download|export)\w*\b",
    r"\binappropriate(?:ly)? access\w*\b|\baccessed (?:\w+ ){0,3}without\b|\bwithout (?:a )?(?:reason|need)\b",
    negatable=False,
)
SECURITY_ACTIVE = cues(
    "active",
    r"\bactively\b|\bongoing\b|\bin progress\b|\bright now\b|\bas we speak\b|\bcurrently\b|\bspreading\b",
    r"\bstill happening\b|\b(?:is|are) being\b|\bencrypt(?:ing|ed)\b|\bransom note\b|\b(?:has|have) (?:access|"
    r"control)\b|\bkeeps? (?:logging|accessing)\b",
    negatable=False,
)
SECURITY_WIDE = cues(
    "widespread",
    r"\b(?:all|many|multiple|dozens of|hundreds of|every|several) (?:of our )?(?:accounts|users|servers|"
    r"workstations|machines|systems|records|patients|sites|pcs|computers)\b",
    r"\bmass\b|\bwidespread\b|\bpublicly\b|\bon the internet\b|\bwhole (?:network|hospital|org)\b|"
    r"\beveryone\b|\bnetwork-wide\b",
    negatable=False,
)
SECURITY_CONTAINED = cues(
    "contained",
    r"\bsuspect\w*\b|\bmight\b|\bmay have\b|\bpossibl\w*\b|\bthink\b|\bcontained\b|\bisolated\b|\bblocked\b",
    r"\bdisabled\b|\bno evidence\b|\battempt\w*\b|\bfailed (?:login|sign-in)s?\b|\baudit\w*\b|\bone account\b",
    r"\blast (?:week|month|year)\b|\bwe (?:reset|changed|locked)\b|\bnot (?:confirmed|sure)\b",
    negatable=False,
)
SECURITY_INCIDENT = re.compile(
    r"\b(?:we|i|our|someone|they|it) (?:found|noticed|saw|detected|got|received|think|suspect|had|see|have|"
    r"has been|was|were|are|is)\b|\bhas been\b|\bhave been\b|\bwas (?:hacked|breached|compromised|accessed)\b"
)

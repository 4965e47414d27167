"""Word lists and cue patterns for the rule-based triage in `intake.triage` (data only, no logic)."""

from __future__ import annotations

import re
from typing import NamedTuple


class Cue(NamedTuple):
    """One named regular expression over normalised text; `negatable` cues are dropped after 'not', 'no'..."""

    label: str
    pattern: re.Pattern[str]
    negatable: bool


def _cues(label: str, *patterns: str, negatable: bool = True) -> tuple[Cue, ...]:
    return tuple(Cue(label, re.compile(p), negatable) for p in patterns)


# --- normalisation tables -------------------------------------------------------------------------

# Speech-to-text mishearings and chat shorthand, applied to lower-cased text before acronyms are joined.
# Keys are regexes (word-bounded by the caller); order matters, longer phrases first.
SPOKEN_FIXES: tuple[tuple[str, str], ...] = (
    (r"e h are", "ehr"),
    (r"em are eye", "mri"),
    (r"em are", "mr"),
    (r"see tea|see tee|cat scan", "ct"),
    (r"x[ -]rays", "xrays"),
    (r"x[ -]ray", "xray"),
    (r"ultra ?-?sounds", "ultrasounds"),
    (r"ultra ?-?sound", "ultrasound"),
    (r"dick ?tation|dictaphone", "dictation"),
    (r"(?:dye|die|dy|di) ?-?com|dicom", "dicom"),
    (r"packs|pax|paks|p a c s", "pacs"),
    (r"work ?-?lists?|work lease|work leases", "worklist"),
    (r"view were|view er|viewr|veiwer|vewer", "viewer"),
    (r"port all|port-all|portle", "portal"),
    (r"our kive|our chive|are kive|arkive", "archive"),
    (r"h ?l ?(?:seven|7)", "hl7"),
    (r"tomb oh|toe mo", "tomo"),
    (r"prayer studies|prayers", "prior studies"),
    (r"prayer", "prior"),
    (r"single sign[ -]?(?:in|on)|s s o", "sso"),
    (r"two[ -]factor|m f a|2fa", "mfa"),
    (r"five hundred", "500"),
    (r"four oh three|four hundred and three", "403"),
    (r"log[ -]?in|log[ -]?on|sign[ -]?in|sign[ -]on", "login"),
    (r"e-mail", "email"),
    (r"every ?1|evry ?1|evryone|everyon|eveyone|evreyone|every one(?! of)", "everyone"),
    (r"every body|evrybody", "everybody"),
    (r"no ?-?one|no body|noone|no1", "nobody"),
    (r"any ?1", "anyone"),
    (r"passwrd|pasword|passwd|pword|pw", "password"),
    (r"teh", "the"),
    (r"pls|plz|pleas", "please"),
    (r"thru", "through"),
    (r"hw", "how"),
    (r"w", "with"),
    (r"u", "you"),
    (r"ur", "your"),
    (r"chnage|chagne|cahnge", "change"),
    (r"settngs|setings|settigns", "settings"),
    (r"recieve|recieving", "receive"),
    (r"acess|acces", "access"),
    (r"loggin", "login"),
    (r"dont", "do not"),
    (r"doesnt", "does not"),
    (r"didnt", "did not"),
    (r"isnt", "is not"),
    (r"arent", "are not"),
    (r"wasnt", "was not"),
    (r"wont", "will not"),
    (r"thats", "that is"),
    (r"im", "i am"),
    (r"ive", "i have"),
)

# Words a typist may mangle by one letter; `triage` corrects tokens within one edit of these.
KEY_TERMS: tuple[str, ...] = (
    "everyone",
    "everybody",
    "nobody",
    "viewer",
    "worklist",
    "archive",
    "password",
    "settings",
    "change",
    "account",
    "access",
    "images",
    "studies",
    "report",
    "reports",
    "radiologist",
    "radiologists",
    "working",
    "loading",
    "outage",
    "portal",
    "please",
    "cannot",
    "nothing",
    "crashing",
    "broken",
    "error",
    "study",
    "doctors",
    "physicians",
    "hospital",
)

# Contractions, applied after apostrophes are straightened.
CONTRACTIONS: tuple[tuple[str, str], ...] = (
    (r"can't|cant|can not|cannot|couldn't|couldnt|could not|unable to|not able to", "cannot"),
    (r"won't|will not", "will not"),
    (r"(\w+)n't", r"\1 not"),
    # "dictation's dead", "the viewer's down" (not possessives: "the doctor's account").
    (
        r"(\w+)'s (?=(?:down|dead|not|broken|gone|stuck|offline|frozen|fine|ok|okay|working|completely|totally|"
        r"still|also|up|back|slow|empty|blank|missing|unusable|unavailable)\b)",
        r"\1 is ",
    ),
    (r"(it|that|there|what|everything|nothing|who|here|this|he|she|something)'s", r"\1 is"),
    (r"(we|they|you)'re", r"\1 are"),
    (r"(we|they|you|i)'ve", r"\1 have"),
    (r"(we|they|you|i)'d", r"\1 would"),
    (r"(we|they|you|i|it)'ll", r"\1 will"),
    (r"i'm", "i am"),
)

# Spoken fillers carry no meaning; 'like' is kept after would/'d/looks so "we'd like to add" survives.
FILLERS: tuple[str, ...] = (
    r"u+m+",
    r"u+h+m*",
    r"e+r+m+",
    r"h+m+",
    r"mm+",
    r"a+h+",
    r"you know",
    r"i mean",
    r"sort of",
    r"kind of",
    r"(?<!would )(?<!looks )(?<!look )(?<!seems )(?<!feels )like",
)

# --- scope ----------------------------------------------------------------------------------------

# One modality; the short names that are also ordinary words need an imaging noun after them.
_IMAGING_NOUN = (
    r"(?:images?|studies|study|exams?|scans?|series|scanners?|rooms?|machines?|modality|worklist|reads?|cases?)"
)
_MODALITY = (
    r"ct|cts|cta|mri|mris|ultrasounds?|sonograph\w*|mammo\w*|tomo(?:synthesis)?|xrays?|radiograph\w*|"
    r"nuclear(?: medicine)?|nuc med|fluoro\w*|dexa|angio\w*|cath lab|pet(?:/ct|-ct| ct)?|"
    r"mr(?=(?: (?:and|or|images?|studies|study|exams?|scans?|series|scanners?|rooms?|is|are|was|were|not|will|"
    r"does|cases?|side|too|either|only|priors?|reads?|stuff|push\w*|send\w*|transfers?|queue|data|jobs?|"
    r"protocols?|sequences?|arriv\w*|com\w+|load\w*|go\w*|has|have|keeps?|still|also|from|in|on|at)\b)|"
    r"\s*[.,;:!?/]|$)|"
    rf"(?:the|our|of|no|any|all|every|from|for|on|in|new) (?:us|cr|dr|nm|echo) {_IMAGING_NOUN}"
)


_PEOPLE = (
    r"users|readers|radiologists|rads|doctors|physicians|clinicians|techs|technologists|staff|nurses|"
    r"referrers|patients|people|employees|accounts"
)
_PLACES = (
    r"sites|hospitals|clinics|locations|offices|departments|campuses|facilities|practices|centers|centres|"
    r"workstations|computers|pcs|stations|modalities|scanners|rooms"
)
_NUM = r"\d+|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|\w+teen|twenty|thirty|forty|fifty"

# First person ("my laptop", "I can't"): one user unless the message also names a wider group.
SCOPE_ME = _cues(
    "scope",
    # "my laptop", "my hanging protocol" - but "my radiologists", "my team" speak for a group.
    r"\b(?:for|to) me\b|\bon my\b|\bmy (?!(?:team|staff|radiologists|rads|readers|doctors|users|techs|clinic|"
    r"hospital|department|site|sites|group|colleagues|physicians|people|boss|director|manager|org|practice|whole|"
    r"entire|patients|clinicians|nurses|company|office)\b)[a-z]+",
    r"\bi (?:cannot|keep getting|am getting|get an?|see an?)\b",
    negatable=False,
)

# "Everyone / every site": the Sev1 breadth.
SCOPE_ALL = _cues(
    "scope",
    r"\beveryone\b(?! else)(?:'s)?(?! else)",
    r"\beverybody\b(?! else)",
    r"\bnobody\b",
    r"\bno (?:user|radiologist|rad|reader|doctor|physician|clinician|tech|site|clinic)s? (?:can|could|is able)\b",
    r"\bevery (?:single )?(?:user|reader|radiologist|rad|doctor|physician|clinician|tech|technologist|person|"
    r"workstation|computer|pc|station|site|hospital|clinic|room|department|account|modality|scanner|location|"
    r"office|practice|login)s?\b",
    rf"\ball (?:of )?(?:the |our |my )?(?:(?:{_NUM}) )?(?:{_PEOPLE}|{_PLACES})\b",
    r"\ball of (?:us|them|our)\b",
    rf"\b(?:{_PEOPLE}|{_PLACES}) all\b(?! (?:fine|ok|good|working|normal))",
    r"\b(?:whole|entire|complete) (?:[\w\-]+ )?(?:hospital|org|organi[sz]ation|company|clinic|network|"
    r"department|dept|group|tenant|platform|enterprise|practice|team|radiology|imaging|facility|campus|"
    r"region|health system|institution)\b",
    rf"\b(?:for|to) (?:anybody|anyone)\b|\bany of (?:the |our )?(?:(?:{_NUM}) )?(?:[\w\-]+ ){{0,2}}"
    rf"(?:{_PEOPLE}|{_PLACES}|us)\b",
    r"\b(?:hospital|org|company|department|site|enterprise|system|campus|practice)[- ]wide\b",
    r"\bacross (?:the |all |our )?(?:department|hospital|org|board|sites|enterprise|company|clinics)\b",
    rf"\bour (?:{_NUM}) (?:hospitals|sites|clinics|locations|campuses|facilities|practices|centers|centres)\b",
    r"\bfor all\b(?! (?:new|pediatric|future))",
    r"\banywhere\b",
    negatable=False,
)

# "Every study / every request": the whole service misbehaves, though not said of people.
SCOPE_ITEMS = _cues(
    "scope",
    r"\bevery (?:single |new |outside |other )?(?:study|request|query|exam|report|image|order|patient|prior|"
    r"series|click|push|registration|disc|case|retrieve|store request|upload|page|cd|file|message)s?\b",
    r"\ball (?:the )?(?:studies|exams|requests|queries|images|reports|orders|priors|store requests)\b",
    negatable=False,
)

# The others are fine: the problem is narrow (one user or device unless a group is named).
OTHERS_FINE = _cues(
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
    rf"\bthe other (?:{_MODALITY}|scanner|machine|unit|burner|printer|station|workstation|room)s?\b(?: (?:and|or) "
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

SCOPE_ONE = _cues(
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

SCOPE_GROUP = _cues(
    "scope",
    r"\bhalf\b|\b\d+ ?%",
    r"\b(?:some|several|many|a few|few|a couple of|a group of|a bunch of|multiple) (?:of (?:our|the) )?"
    rf"(?:{_PEOPLE}|{_PLACES})\b",
    r"\bone (?:site|clinic|hospital|campus|location|office|facility|department|practice)\b",
    r"\bone of (?:our|the) (?:[\w\-]+ )?(?:sites|clinics|hospitals|campuses|locations|offices|facilities|"
    r"departments|practices)\b",
    rf"\b(?:\d|one|two|three) of (?:{_NUM})\b",
    r"\b(?:north|south|east|west|main|downtown|satellite|remote|outpatient|inpatient|night|evening|weekend) "
    r"(?:site|campus|clinic|hospital|office|radiologists|readers|users|location|shift)\b",
    r"\b(?:the|our) (?:ed|er|icu|emergency department|cardiology|mammo|mammography|breast center|"
    r"ortho|oncology|pediatrics|teleradiology)\b",
    negatable=False,
)

# --- impact ---------------------------------------------------------------------------------------

_NOTHING_VERBS = (
    r"works|working|loads|loading|opens|opening|displays|displaying|shows|showing|flows|flowing|gets|getting|"
    r"goes|going|comes|coming|arrives|arriving|stored|sent|received|saved|responds|responding|"
    r"transfers|uploads|sending|reaches|reaching|moves|moving|pulls|pulling|crosses|crossing|load|open|work|"
    r"gets through|goes through|comes through"
)

# The service, or the way in to it, is not delivered at all.
OUTAGE = _cues(
    "outage",
    r"\b(?:is|are|was|went|gone|goes|been|completely|totally|entirely|fully|hard|still|all|both|everything|"
    r"system|pacs|viewer|worklist|portal|archive|server|servers|link|site|sites|network|service|interface|"
    r"gateway|it|cloud|platform|vpn|connection)\s+down\b(?! (?:to|the|arrow|menu|list))",
    r"\bdown (?:for|since|again|completely|hard)\b",
    r"\boutage\b",
    r"\b(?:completely|totally|entirely) (?:dead|down|broken|unusable|stuck|offline|frozen|unavailable|"
    r"inaccessible|gone)\b",
    r"\b(?:is|are|went|gone|just|completely|totally) dead\b",
    r"\boffline\b|\bunreachable\b|\binaccessible\b|\bunusable\b",
    r"\bcannot (?:be reached|reach)\b|\bnot (?:responding|reachable|resolving)\b|\bstopped resolving\b",
    r"\bunavailable\b",
    rf"\bnothing(?: is| has been| was| at all)? (?:{_NOTHING_VERBS})\b",
    r"\bnothing (?:at all|either way)\b",
    rf"\bnothing (?:from|off|on) (?:the |our |any )?(?:[\w\-/]+ ){{0,2}}(?:is |has |was )?(?:{_NOTHING_VERBS}|"
    r"showing up|shown up)\b",
    r"\b(?:not|never|cannot) (?:\w+ ){0,3}anything\b",
    r"\bnone of (?:it|them|(?:the|our|my) (?:[\w\-/]+ ){0,4}[\w\-/]+)(?: is| are| have| has)? ?(?!having|seeing|"
    r"experiencing|reporting|complaining|noticing)(?:\w+ing|works?|loads?|opens?|can|shows?|arrived|loaded|"
    r"come through|gone through)\b",
    rf"(?<!with )\bno (?:(?:{_MODALITY}) (?=images?|studies|study|exams?))?(?:images?|studies|study|exams?|"
    r"orders|access|retrieval|logins?|connection|connectivity|service|results|user access|imaging|data)\b"
    r"(?! (?:issues?|problems?|impact|missing))",
    r"\bzero (?:studies|access|images|exams|results|orders|connectivity)\b",
    # Bounded: from each of many negators in one long clause an open-ended scan was quadratic.
    r"\b(?:not|cannot|no|nothing|nobody|never)\b[^.,;!?]{0,160}\bat all\b",
    r"\bcannot (?:\w+ ){0,2}(?:login|get in|get into|access|connect|reach|open any|see any|pull up any|"
    r"read any|do anything|start any|sign anything|view any|load any|retrieve any)\b",
    r"\b(?:nobody|no user|no radiologist|no doctor|none of (?:us|them))(?: [\w\-]+){0,4} (?:can|could|is able to|"
    r"are able to)\b",
    r"\b(?:whole|entire) (?:system|service|platform|pacs|viewer|worklist|archive|thing) (?:is )?(?:frozen|stuck|dead|"
    r"unresponsive|hung)\b",
    r"\b(?:refus\w*|reject\w*) (?:everything|all|every)\b|\b(?:stopped|not) accepting (?:any|studies|images|"
    r"anything)\b",
    r"\blocked out\b|\baccounts? (?:is |are )?(?:disabled|locked)\b|\baccess denied\b|\bforbidden\b|\b40[13]\b",
    r"\blost (?:all )?(?:access|connection|connectivity|contact)\b",
    r"\b(?:login|sso) (?:loop|fails|failure|broken|not working|does not work|is broken)\b|\bbounces back\b",
    r"\b5\d\d (?:error|errors|status|response|code|internal|bad gateway|service)\b|\b50[234]\b|"
    r"\b(?:error|returns|returning|gives|giving|http|status) 5\d\d\b",
    r"\b(?:worklist|archive|list|viewer|pacs|queue)\s+(?:is |looks |shows |appears |seems )?(?:completely |"
    r"totally )?empty\b",
    r"\btotal (?:outage|failure|loss|blackout)\b",
    r"\bservice unavailable\b|\bcannot connect\b|\bunable to connect\b",
    r"\bblocked\b(?! (?:the|an?|this|that|it|them|him|her))",
)

# Operations visibly blocked: with a function failing for everyone, the incident widely impacts operations.
OPERATIONS_BLOCKED = _cues(
    "operations blocked",
    r"\bpiling up\b|\bstacking\b|\bfilling up\b|\b(?:almost|nearly) full\b|\bbacklog\b",
    r"\b(?:patients|er|ed|doctors|surgeons|clinicians|everyone) (?:are |is )?(?:waiting|stuck)\b|"
    r"\bwaiting on (?:reads|results|images)\b|\b(?:stroke|trauma|code) (?:patients?|cases?|transfer|alert|"
    r"coming|waiting)\b",
    negatable=False,
)

# --- component or whole service ---------------------------------------------------------------------
# POLICY.md: one key function broken for many (one modality, dictation for all) is Sev2; the service (or
# every site, or every user) unable to work is Sev1.  A component is one function of the service.

_FUNCTION = (
    r"dictat\w*|(?:speech|voice)(?: recognition| rec| to text| dictation)|powerscribe|power scribe|dragon|"
    r"fluency|mics|microphones?|"
    r"print\w*|cds?|dvds?|discs?|burn\w*|media (?:export|import)|fax\w*|"
    r"e-?mails?|notifications?|alerts?|text messages|sms|templates?|macros?|"
    r"hl7|(?<!user )(?<!web )interfaces?|feeds?|adt|orm|oru|emr|ehr|integrations?|orders|billing|"
    r"search\w*|priors?(?! to)|prior (?:studies|exams|images)|comparisons?|pre-?fetch\w*|"
    r"3d(?: tools?| recon\w*| module)?|mpr|advanced visuali[sz]ation|cad"
)
# Key functions: lost for many they are Sev2 even when the rest of the service works.
COMPONENT_KEY = _cues(
    "component",
    rf"\b(?:{_MODALITY})\b",
    r"\bdictat\w*|\b(?:speech|voice)(?: recognition| rec| to text| dictation)\b|\bpowerscribe\b|\bdragon\b",
    r"\b(?:hl7|orders|adt|orm|oru|emr|ehr)\b|\b(?:results?|orders?) (?:feed|interface)\b",
    r"\bpriors?\b(?! to)|\bprior (?:studies|exams|images)\b|\bcomparisons?\b|\bpre-?fetch\w*",
    negatable=False,
)
COMPONENT = _cues("component", rf"\b(?:{_MODALITY}|{_FUNCTION})\b", negatable=False)
COMPONENT_MODALITY = re.compile(rf"\b(?:{_MODALITY})\b")
COMPONENT_ANY = COMPONENT[0].pattern

# The service as a whole named as the thing that is down ("the pacs is down", "every room is stuck"); a
# component in front of it ("the dictation server") or inside the phrase makes it that component's.
_WHOLE = (
    r"pacs|system|systems|cloud|viewer|archive|platform|service|server|servers|network|vpn|gateway|router|"
    r"worklist|site|sites|application|app|software|everything|login|sso|"
    r"(?:all|every|each|any)(?: of)?(?: our| the)? (?:site|scanner|modalit(?:y|ie)|room|workstation|system|"
    r"computer|pc|hospital|clinic)s?"
)
WHOLE_DOWN = re.compile(
    rf"\b(?:{_WHOLE})\b(?: [\w\-]+){{0,2}}? (?:is |are |went |has gone |have gone |has been |have been |seems |"
    r"looks |just |keeps )?(?:completely |totally |entirely |fully |basically |still )?(?:down|dead|offline|"
    r"unreachable|unavailable|unusable|inaccessible|frozen|hung|crashed|crashing|unresponsive|not responding|"
    r"not working|not loading|not opening|stuck|empty|blank|locked|broken|gone|will not (?:open|load|start|"
    r"launch|come up)|does not (?:open|load|start|launch|respond))\b"
)
# "the viewer will not open ct studies": the object names the component.
# Both are matched where the WHOLE_DOWN or TOTALITY match ends (`pattern.match(clause, pos)`), so no `^`.
WHOLE_OBJECT_COMPONENT = re.compile(
    rf" (?!and\b|or\b|plus\b|too\b|also\b)(?:[\w\-]+ ){{0,2}}(?:{_MODALITY}|{_FUNCTION})\b"
)
WHOLE_SUBJECT_PREFIX = frozenset({"in", "on", "from", "of", "with", "through", "via", "into", "to", "inside"})
# Everything, nothing, every modality: the whole service, unless a component is named right after it
# ("nothing is arriving from the ct").
TOTALITY = re.compile(
    r"\beverything\b(?! else)(?!(?: is| seems| looks)? (?:fine|ok|okay|good|normal|working|flowing|back|running))|"
    rf"\bnothing(?: is| has been| was| at all)? (?:{_NOTHING_VERBS})\b|"
    r"\b(?:all|every|any|none)(?: of)?(?: our| the)? (?:imaging|modalit(?:y|ies)|scanners|systems|functions)\b|"
    r"\b(?:whole|entire) (?:system|service|pacs|platform|thing|cloud)\b"
)
TOTALITY_QUALIFIED = re.compile(
    rf"(?: [\w\-]+){{0,2}} (?:from|on|in|for|of|at|to) (?:the |our |any |their )?(?:{_MODALITY}|{_FUNCTION})\b"
)
# A clause without a component that names the service ("we cannot open any studies", "cannot login").
WHOLE_NOUN = re.compile(rf"\b(?:{_WHOLE}|images?|studies|study|exams?|imaging|reading|scanning|reports?|anything)\b")
# Where things go ("not sending anything up to the cloud"): the destination is not what is broken.
DESTINATION = re.compile(
    r"\b(?:up )?(?:to|into|onto|in) (?:the |our |your )?(?:cloud|archive|pacs|viewer|worklist|server|system)\b"
)
# Clause boundaries for finding what is down: punctuation, and words that start a new statement.
COMPONENT_CLAUSE = re.compile(
    r"[.!?;,]| - |\b(?:but|so|because|since|which means|cause)\b|"
    r"\band (?=(?:the|we|they|our|nobody|no one|none|nothing|everyone|everything|i|now|all) )"
)

# Work has stopped: a service 'technically up' that nobody can work with is not delivered.
WORK_STOPPED = _cues(
    "work stopped",
    r"\b(?:all |the )?(?:reading|scanning|work|imaging|operations|reporting)(?: room)? (?:has |have |is |are )?"
    r"(?:completely |fully |totally |basically )?(?:stopped|halted|ceased)\b",
    r"\b(?:we|they|radiologists|rads|readers|department|room) (?:have |has |are |is )?(?:basically |"
    r"effectively |completely |totally |fully |all )?(?:stopped|halted)\b",
    r"\bstopped (?:reading|scanning|working) (?:completely|entirely|altogether)\b|\bfully stopped\b",
    r"\b(?:standstill|stand still|halted|ground to a halt|dead in the water|at a halt)\b",
    r"\b(?:nobody|no one) can (?:work|read|do anything)\b|\beffectively (?:nobody|down)\b",
    r"\bcannot (?:do anything|work|read anything|start any)\b|\bnothing to read\b",
    r"\bsent (?:the )?(?:rads|radiologists|readers|staff|everyone|techs) home\b",
    r"\bstop scanning\b|\bcannot (?:scan|read) at all\b",
    r"\b(?:nothing|no (?:exams?|patients?|studies|one|body)) can be (?:scanned|read|done|reported|imaged|signed)\b",
    r"\bcannot (?:scan|image|read|report|sign) (?:anyone|anybody|any (?:patients?|exams?|studies)|anything)\b",
)

# A function fails (weaker than an outage: the rest of the service may still work).
FAILURE = _cues(
    "failure",
    r"\bfail(?:s|ed|ing|ure|ures)?\b",
    r"\berrors?\b|\berrored\b",
    r"\bbroken\b|\bbroke\b|\bnot working\b|\bdoes not work\b|\bdo not work\b|\bdoes nothing\b",
    r"\bstopped (?:working|\w+ing)\b",
    r"\b(?:is|are|does|do|did|has|have|was|were) not (?:\w+ing|show\w*|load\w*|open\w*|work\w*|send\w*|"
    r"arriv\w+|com\w+|pull\w+|appear\w+|display\w+|reach\w+|sav\w+|play\w*|print\w*|appl\w+|refresh\w*|"
    r"stick|take|include\w*|respond\w*|close|get|sync\w*)\b",
    r"\bwill not (?:open|load|show|work|play|save|start|launch|display|return|connect|print|send|take|stick|"
    r"close|pull|come|go)\b",
    r"\bcrash(?:es|ed|ing)?\b|\bfreez(?:es|ing)\b|\bfrozen\b",
    r"\bmissing\b|\bvanished\b|\bdisappeared\b|\bgone from\b|\bis gone\b|\bare gone\b",
    r"\bnot (?:reaching|arriving|sending|coming|showing|loading|working|getting|pulling|opening|syncing|"
    r"updating|printing|saving|displaying|appearing|responding|refreshing|applying|going through)\b",
    r"\bblank\b|\bstuck\b|\brejected\b|\brejecting\b|\bspins\b|\bspinning\b",
    r"\btim(?:es|ed|ing) out\b|\b(?:with|a|get|gets|getting) (?:a )?timeouts?\b",
    r"\bcannot (?!find\b|tell\b|wait\b)\w+",
    r"\bno longer\b|\bduplicates?\b|\bduplicated\b|\bresets? every\b|\bkeeps? (?:crashing|failing|resetting)\b",
    r"\bnothing happens\b|\bdropp(?:ing|ed|s)\b|\blos(?:ing|es) (?:some|images|studies|data)\b",
    r"\bwrong\b|\bgarbled\b|\bcut off\b|\bnot (?:visible|there)\b|\bdoes not (?:stick|save|take|include)\b",
    r"\b(?:says|shows|gives|get|gets|getting) (?:an? )?(?:error|'[^']+')",
    r"\b(?:returns?|returning|finds?|brings? up|comes? back with) (?:nothing|no results|zero results|empty)\b",
    r"\b(?:arriv\w+|com(?:es|ing) (?:in|through|over|across)|show(?:s|ing)? up|land\w*) without\b",
)

DEGRADED = _cues(
    "degraded",
    r"\bslow(?:er|ly|ness|s|ing)?\b|\blag(?:gy|ging|s)?\b|\bsluggish\b|\bcrawl(?:ing|s)?\b",
    r"\bdelay(?:s|ed)?\b|\b(?:running|hours?|days?) late\b|\bway behind\b|\bbehind\b",
    rf"\b(?:takes?|taking|took) (?:about |around |up to |over |~|almost )?(?:{_NUM}|a|an|one|several|a few|"
    r"a couple(?: of)?)[\w\- ,]{0,14}?(?:sec\w*|min\w*|hours?|hrs?)\b",
    r"\b\d+(?:-\d+)? ?(?:min|mins|minutes|hours|hrs)\b(?: (?:each|per|to (?:open|load)))",
    r"\bages\b|\bforever\b|\bfreez(?:es|ing)\b|\bintermittent\w*\b|\bon and off\b",
    r"\bhalf (?:the|of the) time\b|\bsometimes\b|\bevery (?:\d+|few|couple|five|ten|twenty|thirty)[\w ,]{0,12}"
    r"(?:min\w*|hours?)\b",
    r"\bkeeps? (?:logging|kicking|dropping|disconnecting|freezing|timing)\b|\blogging (?:\w+ )?out every\b",
    r"\b(?:a third|a quarter|a fraction|some|many|most|half) of (?:the|our) (?:images|studies|exams|reports|"
    r"orders|series)\b",
    r"\bretry\b|\bretries\b|\bresend\b|\bdegraded\b|\bdegradation\b|\bthrottl\w*\b|\b\d+ ?%",
)

# Wording that makes a slowness severe (minutes per study, 'really slow') or mild ('a bit laggy').
SEVERE = _cues(
    "severe",
    r"\b(?:very|really|extremely|so|super|painfully|terribly|incredibly|unbearably|way) (?:slow|laggy|bad)\w*\b",
    r"\b(?:min\w*|hours?|hrs?)\b|\bages\b|\bforever\b|\bcrawl\w*\b|\bhalf (?:the|of the) time\b|\b\d+ ?%",
    r"\bfreez\w*\b|\bkeeps? (?:logging|kicking|dropping)\b|\bkilling us\b|\bit is bad\b|\breally disrupt\w*\b",
    r"\bnone of\b|\bany\b|\bnothing\b|\bstopped\b|\bcompletely\b|\bat all\b|\bfor everyone\b",
)
MILD = _cues(
    "mild",
    r"\ba (?:little|bit|tad)\b|\bslightly\b|\bsomewhat\b|\bseconds?\b(?! each)|\boccasionally\b|\bsometimes slow\b",
)

# The service is still delivered (the rest works, reading continues): caps an outage at Sev2.
CONTINUES = _cues(
    "still working",
    r"\b(?:is|are|seems?|looks?|work|works|load|loads|open|opens|sign|signs|come|comes|go|goes|\w+ing|"
    r"reports|images|studies|exams|side)(?: in| through)? (?:totally |completely |all |just )?(?:fine|ok|okay|"
    r"normally|normal|good|well|unaffected)\b",
    r"\bstill (?:\w+ing|works?|there|open\w*|load\w*|read\w*|view\w*|look|type|sign\w*|scan\w*|see|get\w*|"
    r"use|able)\b",
    r"\b(?:reading|work|scanning|service) (?:continues|goes on|is continuing)\b|\bcontinues\b",
    r"\bseparately\b|\bone at a time\b|\bindividually\b",
    r"\b(?:are|is|am) (?:still )?(?:reading|scanning|working|signing|reporting)\b",
    r"\b(?:is|are) (?:right|correct|intact|all there)\b",
    r"\b(?:is|it is|are) (?:technically |still )?up\b(?! to)",
    r"\beverything else\b|\bthe rest (?:is|works|of it)\b|\brest of the (?:system|service|pacs|viewer)\b",
    r"(?<!the )\bonly (?:the|by|after|when|via|through|from|if)\b(?! way)",
    r"\bworks?\b(?!station| ?list|flow| around| for anybody| for anyone| for nobody)",
    r"\bcan (?:login|log back in|still|open|see|read|view|use)\b",
    r"\b(?:except|apart from|other than|besides)\b",
    r"\bworkaround\b|\binstead\b|\bfor now\b|\bbackup (?:line|link|server|connection|circuit)\b",
)

# Wording that looks like 'still working' but is not (the customer checked their own side).
CONTINUES_EXCEPTIONS = re.compile(
    r"\b(?:checked|tested|verified|confirmed) (?:our|the|my) (?:side|end|network|firewall|connection|"
    r"router|circuit)(?: and (?:it is|its|it|everything is|all is))? (?:fine|ok|okay|good|normal)\b"
)

# A workaround that keeps work flowing normally (Sev3) ...
WORKAROUND_GOOD = _cues(
    "workaround",
    r"\bworks? (?:fine |ok |okay |perfectly |normally )?(?:in|on|with|from|via|through|using|if|when|after|"
    r"the second time|month by month|one by one|individually)\b",
    r"\b(?:one by one|individually|one at a time)(?: \w+)? (?:works|is fine|is ok)\b",
    r"\b(?:the )?other (?:one|station|workstation|computer|pc|browser|button|monitor|machine|printer|"
    r"device) (?:works|is fine|does)\b",
    r"\b(?:on-screen|second|alternative|alternate|another) [\w\- ]{0,20}(?:does|works|is fine)\b",
    r"\b(?:we are|i am|we|i) (?:just )?using (?:it|the other|another|a different|that one|chrome|edge|firefox|"
    r"safari|that|this|those)\b",
    r"\bso (?:we|i|they) (?:just |now )?(?:use|go with|switch to) (?:that|this|it|those|the other|another|"
    r"a different)\b",
    r"\b(?:we|i|they|she|he) just (?:scroll|use|click|restart|refresh|reload|logout|re-?login|drag|select|pick|"
    r"switch|reopen|re-open)\b",
    r"\bwith (?:the )?defaults\b|\bafter clicking\b|\bclick(?:ing)? (?:through|continue)\b",
    r"\b(?:succeeds|goes through) (?:the )?(?:second|2nd|next) (?:time|try)\b|\bon (?:the )?(?:second|2nd) "
    r"(?:try|attempt)\b|\bsecond time they try\b",
    r"\bstill works\b|\bcan still (?:view|read) (?:online|with)\b",
)
# ... unless it is slow or painful (typing by hand, phoning each doctor, walking elsewhere).
WORKAROUND_PAINFUL = _cues(
    "painful workaround",
    r"\bby hand\b|\bby eye\b|\bmanually\b|\bby phone\b|\bphoning\b|\bfax\w*\b|\busb\b|\btyping\b|\bhand-?typ\w*\b",
    r"\bwalk\w* (?:to|over)\b|\berror prone\b|\btaking forever\b|\bkilling us\b|\bpainful\b",
    r"\bretry\b|\bresend\b|\bre-?send\w*\b|\bsometimes (?:that |it )?works\b",
    r"\bhave to (?:merge|re\w+|type|enter|call|check|phone)\b|\bcoordinat\w+\b|\binstead\b",
    r"\bbackup (?:line|link|server|connection|circuit)\b|\breading from\b|\bslow\w*\b",
)

# Cosmetic or minor: Sev3 however loud.
COSMETIC = _cues(
    "cosmetic",
    r"\bcosmetic\w*\b|\blogo\b|\bcolou?rs?\b|\bfonts?\b|\bgarbled\b|\bbanner\b|\bfooter\b|\boverlay\b",
    r"\bthumbnails?\b|\bicons?\b|\btool ?tips?\b|\bcut off\b|\btruncated\b|\btypos?\b|\bmisspel\w*\b",
    r"\bspelling\b|\bphone number\b|\bmisalign\w*\b|\bspam\b|\b(?:french|spanish|german|language)\b",
    r"\b(?:an |1 |one )?hours? off\b|\bcolumn\b|\bcolumns\b|\bunnamed\b|\b(?:date|name) unknown\b",
    r"\bgr[ae]y boxes\b|\bdisplay (?:issue|glitch|only)\b|\blooks? (?:weird|odd|off|ugly)\b|\bdark mode\b",
)
MINOR = _cues(
    "minor",
    r"\bnot (?:urgent|critical|blocking|a priority)\b|\bminor\b|\bannoying\b|\bnuisance\b",
    r"\bnot (?:a )?big deal\b|\bthought you should know\b|\bfyi\b",
    r"\b(?:small|tiny|little|slight|trivial) (?:\w+ )?(?:issue|error|thing|bug|glitch|problem|typo|defect)\b",
    r"\bwhen you (?:get|have) (?:a )?(?:chance|time)\b|\bno rush\b|\blow priority\b|\bthat is it\b",
    r"\bbatch\b|\bbulk\b|\bshortcut\b|\bhotkey\b|\bsort\w*\b|\bpresets?\b|\bmacros?\b|\bzoom\b|\bloupe\b",
    r"\bmagnif\w*\b|\bforgot password\b|\bemail (?:alerts?|notifications?)\b|\bzip\b|\boffline viewer\b",
    r"\bshare button\b|\bnotification email\b|\bwarning\b",
    r"\b(?:we|i|they) can live with (?:it|that|this)\b|\brarely used\b|\bhardly (?:ever )?used\b|"
    r"\b(?:nobody|no one|hardly anyone) (?:really )?(?:uses|prints|needs|burns|faxes) (?:it |that |them )?much\b",
)

# --- intent ---------------------------------------------------------------------------------------

_ACTIONS = (
    r"add|create|set ?up|setup|rename|change|update|move|increase|decrease|extend|enable|disable|turn|remove|"
    r"delete|reset|configure|install|activate|deactivate|provide|send|give|get|schedule|upgrade|merge|unlock|"
    r"grant|revoke|register|renew|buy|purchase|order|confirm|tell|check|switch|migrate|onboard|integrate|"
    r"allow|whitelist|export|import|share|burn|find"
)

REQUEST = _cues(
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

QUESTION = _cues(
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
PAST_INFO = _cues(
    "past incident",
    r"\broot cause\b|\brca\b|\bpost-?mortem\b|\bincident (?:report|log|review|summary)\b|\bwhat happened\b",
    r"\bwhy (?:was|were|did) (?:it|the|we|there)\b|\bwas there an? (?:outage|issue|problem|incident)\b",
    r"\bis (?:there )?anything still pending\b|\bfor our (?:[\w\-]+ )?(?:records|incident log|report|files)\b",
    r"\b(?:did|was|were) (?:the|that|this|yesterday's|last \w+'s|\w+day's) (?:[\w\-]+ ){0,2}(?:outage|incident|"
    r"downtime|disruption|slowdown)\b",
    negatable=False,
)
RESOLVED = _cues(
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
NO_IMPACT = _cues(
    "no impact",
    r"\beverything (?:seems|is|looks) (?:fine|ok|normal)(?: here| for us| on our (?:end|side))?\b",
    r"\bwe (?:are|were) not (?:affected|impacted)\b",
    negatable=False,
)
# Leftovers of a past incident that still need repair (Sev3).
LEFTOVER = _cues(
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

SECURITY = _cues(
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
SECURITY_ACTIVE = _cues(
    "active",
    r"\bactively\b|\bongoing\b|\bin progress\b|\bright now\b|\bas we speak\b|\bcurrently\b|\bspreading\b",
    r"\bstill happening\b|\b(?:is|are) being\b|\bencrypt(?:ing|ed)\b|\bransom note\b|\b(?:has|have) (?:access|"
    r"control)\b|\bkeeps? (?:logging|accessing)\b",
    negatable=False,
)
SECURITY_WIDE = _cues(
    "widespread",
    r"\b(?:all|many|multiple|dozens of|hundreds of|every|several) (?:of our )?(?:accounts|users|servers|"
    r"workstations|machines|systems|records|patients|sites|pcs|computers)\b",
    r"\bmass\b|\bwidespread\b|\bpublicly\b|\bon the internet\b|\bwhole (?:network|hospital|org)\b|"
    r"\beveryone\b|\bnetwork-wide\b",
    negatable=False,
)
SECURITY_CONTAINED = _cues(
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

# Words that negate the next few words ("not down", "no errors", "nothing works").
NEGATORS = frozenset({"not", "no", "never", "without", "nothing", "nobody", "hardly", "nor", "none"})

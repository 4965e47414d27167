"""Triage vocabulary of impact: outage, failure, slowness, workarounds, cosmetic; a component or the whole."""

from __future__ import annotations

import re

from intake.triage_lexicon import MODALITY, NUM, cues

_NOTHING_VERBS = (
    r"works|working|loads|loading|opens|opening|displays|displaying|shows|showing|flows|flowing|gets|getting|"
    r"goes|going|comes|coming|arrives|arriving|stored|sent|received|saved|responds|responding|"
    r"transfers|uploads|sending|reaches|reaching|moves|moving|pulls|pulling|crosses|crossing|load|open|work|"
    r"gets through|goes through|comes through"
)

# The service, or the way in to it, is not delivered at all.
OUTAGE = cues(
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
    rf"(?<!with )\bno (?:(?:{MODALITY}) (?=images?|studies|study|exams?))?(?:images?|studies|study|exams?|"
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
OPERATIONS_BLOCKED = cues(
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
COMPONENT_KEY = cues(
    "component",
    rf"\b(?:{MODALITY})\b",
    r"\bdictat\w*|\b(?:speech|voice)(?: recognition| rec| to text| dictation)\b|\bpowerscribe\b|\bdragon\b",
    r"\b(?:hl7|orders|adt|orm|oru|emr|ehr)\b|\b(?:results?|orders?) (?:feed|interface)\b",
    r"\bpriors?\b(?! to)|\bprior (?:studies|exams|images)\b|\bcomparisons?\b|\bpre-?fetch\w*",
    negatable=False,
)
COMPONENT = cues("component", rf"\b(?:{MODALITY}|{_FUNCTION})\b", negatable=False)
COMPONENT_MODALITY = re.compile(rf"\b(?:{MODALITY})\b")
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
    rf" (?!and\b|or\b|plus\b|too\b|also\b)(?:[\w\-]+ ){{0,2}}(?:{MODALITY}|{_FUNCTION})\b"
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
    rf"(?: [\w\-]+){{0,2}} (?:from|on|in|for|of|at|to) (?:the |our |any |their )?(?:{MODALITY}|{_FUNCTION})\b"
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
WORK_STOPPED = cues(
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
FAILURE = cues(
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

DEGRADED = cues(
    "degraded",
    r"\bslow(?:er|ly|ness|s|ing)?\b|\blag(?:gy|ging|s)?\b|\bsluggish\b|\bcrawl(?:ing|s)?\b",
    r"\bdelay(?:s|ed)?\b|\b(?:running|hours?|days?) late\b|\bway behind\b|\bbehind\b",
    rf"\b(?:takes?|taking|took) (?:about |around |up to |over |~|almost )?(?:{NUM}|a|an|one|several|a few|"
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
SEVERE = cues(
    "severe",
    r"\b(?:very|really|extremely|so|super|painfully|terribly|incredibly|unbearably|way) (?:slow|laggy|bad)\w*\b",
    r"\b(?:min\w*|hours?|hrs?)\b|\bages\b|\bforever\b|\bcrawl\w*\b|\bhalf (?:the|of the) time\b|\b\d+ ?%",
    r"\bfreez\w*\b|\bkeeps? (?:logging|kicking|dropping)\b|\bkilling us\b|\bit is bad\b|\breally disrupt\w*\b",
    r"\bnone of\b|\bany\b|\bnothing\b|\bstopped\b|\bcompletely\b|\bat all\b|\bfor everyone\b",
)
MILD = cues(
    "mild",
    r"\ba (?:little|bit|tad)\b|\bslightly\b|\bsomewhat\b|\bseconds?\b(?! each)|\boccasionally\b|\bsometimes slow\b",
)

# The service is still delivered (the rest works, reading continues): caps an outage at Sev2.
CONTINUES = cues(
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
WORKAROUND_GOOD = cues(
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
WORKAROUND_PAINFUL = cues(
    "painful workaround",
    r"\bby hand\b|\bby eye\b|\bmanually\b|\bby phone\b|\bphoning\b|\bfax\w*\b|\busb\b|\btyping\b|\bhand-?typ\w*\b",
    r"\bwalk\w* (?:to|over)\b|\berror prone\b|\btaking forever\b|\bkilling us\b|\bpainful\b",
    r"\bretry\b|\bresend\b|\bre-?send\w*\b|\bsometimes (?:that |it )?works\b",
    r"\bhave to (?:merge|re\w+|type|enter|call|check|phone)\b|\bcoordinat\w+\b|\binstead\b",
    r"\bbackup (?:line|link|server|connection|circuit)\b|\breading from\b|\bslow\w*\b",
)

# Cosmetic or minor: Sev3 however loud.
COSMETIC = cues(
    "cosmetic",
    r"\bcosmetic\w*\b|\blogo\b|\bcolou?rs?\b|\bfonts?\b|\bgarbled\b|\bbanner\b|\bfooter\b|\boverlay\b",
    r"\bthumbnails?\b|\bicons?\b|\btool ?tips?\b|\bcut off\b|\btruncated\b|\btypos?\b|\bmisspel\w*\b",
    r"\bspelling\b|\bphone number\b|\bmisalign\w*\b|\bspam\b|\b(?:french|spanish|german|language)\b",
    r"\b(?:an |1 |one )?hours? off\b|\bcolumn\b|\bcolumns\b|\bunnamed\b|\b(?:date|name) unknown\b",
    r"\bgr[ae]y boxes\b|\bdisplay (?:issue|glitch|only)\b|\blooks? (?:weird|odd|off|ugly)\b|\bdark mode\b",
)
MINOR = cues(
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

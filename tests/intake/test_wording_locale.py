"""The dialogue's own words in the conversation's locale: every sentence is a message id, every call passes the locale.

A pseudo-translation of the whole template (every letter made fullwidth) stands in for a language: a Latin word
left in what the dialogue says is English the catalog did not translate.
"""

from __future__ import annotations

import ast
import inspect
import re
import string
from collections.abc import Iterable, Iterator
from dataclasses import astuple, dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from intake import catalog as catalog_module
from intake import conversation as convo
from intake import numbers_times, prompts
from intake import wording as w
from intake import wording_conversation as wc
from intake import wording_maintenance as wm
from intake import wording_status as ws_
from intake import wording_survey as sv
from intake.catalog import DEFAULT_LOCALE, Catalogs, Translated
from intake.dialogue_events import (
    CaseCreated,
    CaseLookup,
    Context,
    CreateCase,
    KnownAccount,
    LookupCase,
    Start,
    Step,
    UserTurn,
)
from intake.dialogue_state import Phase, State
from intake.domain import CaseStatus, CaseSummary, Channel, Severity
from intake.guided_questions import QUESTIONS, Question
from intake.limits import TextLimits
from intake.policy import AccountFormat, Policy
from intake.prompts import Choice, Prompt
from intake.schedule import parse_holidays
from tests.intake.test_catalog import LOCALE_DIR, ROOT, write_catalog

POLICY = Policy(company_name="雲サポート")  # data in no Latin letters: any left in a sentence is English

NY = ZoneInfo("America/New_York")
TUESDAY = datetime(2026, 11, 24, 10, 0, tzinfo=NY)  # live chat open
EVENING = datetime(2026, 11, 24, 18, 0, tzinfo=NY)  # closed, opens tomorrow at 8:00
CASE = "2611-0042"
# The dialogue's modules whose every sentence is a message id (the service's: the tests above).
DIALOGUE_MODULES = (
    "intake/wording.py",
    "intake/wording_conversation.py",
    "intake/wording_status.py",
    "intake/wording_survey.py",
    "intake/wording_maintenance.py",
    "intake/prompts.py",
    "intake/numbers_times.py",
    "intake/guided_questions.py",
    "intake/policy.py",
)
PSEUDO = "ru"  # its names of days and months are not in Latin letters: a Latin word left in a sentence is English
_WIDE = str.maketrans({c: chr(ord(c) + 0xFEE0) for c in string.ascii_letters})


def _pseudo(message: str) -> str:
    """`Thanks, {account}.` with every letter made fullwidth and the placeholders kept: a translation of all of it."""
    return "".join(p if p.startswith("{") else p.translate(_WIDE) for p in re.split(r"(\{\w*\})", message))


class _Recording(Catalogs):
    """Catalogs that remember which message ids were looked up."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.looked_up: set[str] = set()

    def lookup(self, message: str, locale: str | None = None) -> Translated:
        self.looked_up.add(message)
        return super().lookup(message, locale)

    def ngettext(self, singular: str, plural: str, n: int, locale: str | None = None) -> str:
        self.looked_up.add(singular)
        return super().ngettext(singular, plural, n, locale)


@pytest.fixture
def pseudo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> _Recording:
    """Every message of the template translated into PSEUDO, in the catalogs every lookup goes to."""
    with (LOCALE_DIR / "messages.pot").open("rb") as pot:
        template = [m.id for m in read_po(pot) if m.id]
    forms = Catalog(locale=PSEUDO).num_plurals
    entries: dict[str | tuple[str, str], str | tuple[str, ...]] = {}
    for message in template:
        if isinstance(message, tuple):
            entries[(str(message[0]), str(message[1]))] = tuple(_pseudo(message[min(i, 1)]) for i in range(forms))
        else:
            entries[str(message)] = _pseudo(message)
    write_catalog(tmp_path, PSEUDO, entries)
    recording = _Recording(tmp_path)
    monkeypatch.setattr(catalog_module, "PACKAGED", recording)
    return recording


def _dialogue_ids() -> set[str]:
    with (ROOT / "babel.cfg").open(encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found = extract_from_dir(ROOT, method_map, options_map)
    ids = {m[0] if isinstance(m, tuple) else m for path, _, m, *_ in found if m and path in DIALOGUE_MODULES}
    return {str(m) for m in ids}


# Words that reach a sentence as data, not from the catalog: the policy's web address, chat hours and holiday
# names (intake/schedule.py, in English for now) and the clock's AM/PM and zone.
_HOURS = POLICY.chat.describe()
HELD = "every CT fails to send"  # a customer's words, quoted back as written
DATA = (POLICY.web_url, _HOURS, _HOURS.replace("-", " to "), "holiday", "Eastern", "AM", "PM", HELD)


def _english(said: Iterable[Prompt | str]) -> list[str]:
    """The Latin words in what was said once the data is taken out: English the catalog did not translate."""
    left: list[str] = []
    for item in said:
        texts = [item] if isinstance(item, str) else [item.text, item.speak, *(c.label for c in item.choices)]
        for text in texts:
            for value in DATA:
                text = text.replace(value, " ")
            left += [f"{word} in {text!r}" for word in re.findall(r"[A-Za-z]{2,}", text)]
    return left


def _everything_said(locale: str) -> Iterator[Prompt | str]:
    """Every wording function of the dialogue on each of its paths, in `locale`."""
    p, at, day = POLICY, TUESDAY, timedelta(days=1)
    holiday = replace(p, chat=replace(p.chat, holidays=parse_holidays(f"{TUESDAY.date()}")))
    fixed = replace(p, account=AccountFormat(min_digits=6, max_digits=6))
    for phone in (False, True):
        yield w.greeting(p, phone, locale)
        yield w.greeting_known(p, "花子", "K123456", phone, locale)
        yield w.confirm_account("K123456", phone, locale)
        yield w.ask_account(p, phone, have_problem=True, locale=locale)
        yield w.account_again(p, phone, locale)
        yield w.account_again(fixed, phone, locale)
        yield w.thanks_account("K123456", phone, locale)
        yield w.ask_problem(phone, locale)
        for question in QUESTIONS.values():
            yield w.guided(question.text, question.speak, question.choices, phone, first=True, locale=locale)
        for severity in Severity:
            yield prompts.again(w.confirm_severity(p, severity, phone, locale), locale)
            yield w.pick_severity(severity, phone, locale)
        yield w.filed(CASE, Severity.SEV3, at + timedelta(hours=2), at + 9 * day, at, p, phone, locale)
        yield w.filed(CASE, Severity.SEV4, at + 400 * day, None, at, p, phone, locale)
        yield w.anything_else(phone, locale)
        yield wc.help_text(p, phone, locale)
        yield wc.cancelled(CASE, phone, locale)
        yield prompts.again(w.offer_agent(locale), locale)
        yield ws_.status_ask_account(p, phone, locale)
        yield ws_.status_ask_number(phone, locale)
        yield ws_.looking_up(CASE, phone, locale)
        yield ws_.status_not_found(CASE, "K123456", phone, locale)
        yield ws_.status_not_found_for_caller(CASE, "K123456", phone, locale)
        yield ws_.status_no_number(locale)
        yield ws_.held_problem(HELD + " 画面" * 60 * (not phone), phone, locale)  # its start quoted
        for minutes in (1, 3, 200):
            yield ws_.status_throttled(timedelta(minutes=minutes), p, phone, locale)
        for status in CaseStatus:
            case = CaseSummary(CASE, Severity.SEV2, status, "画面", at - 3 * day, "確認中。", at - day, at + day)
            yield ws_.status_found(case, at, p, phone, locale)
    yield prompts.again(w.ask_account_and_problem(p, locale), locale)
    yield prompts.again(w.more_detail(locale), locale)
    yield w.text_cut(message=2_000, kept=262_144, locale=locale)
    yield w.text_cut(description=4_000, saved=True, locale=locale)
    yield w.filing(locale)
    yield w.still_working(locale)
    yield w.chat_closed(p, EVENING, locale)
    yield w.chat_closed(holiday, TUESDAY, locale)
    yield w.sev1_redirect(p, CASE, locale)
    yield w.sev1_connect(CASE, locale)
    yield w.live_agent_joining(CASE, locale)
    yield wc.agent_unavailable(p, at, True, locale)
    yield wc.agent_unavailable(p, EVENING, False, locale)
    yield wc.phone_person(locale)
    yield wc.start_over(locale)
    yield wc.goodbye(locale)
    yield wc.didnt_hear(locale)
    yield wc.no_input_goodbye(p, locale)
    yield wc.attached(["写真"], CASE, locale)
    yield wc.attached(["一", "二", "三"], None, locale)
    yield prompts.press_keys([Choice("one", "一", "1")], locale)
    yield from _survey_said(locale)
    yield from _maintenance_said(locale)
    for hours in (-30, -1, 30, 100, 24 * 20, 24 * 400):
        yield numbers_times.due(at + timedelta(hours=hours), at, NY, locale)
        yield numbers_times.moment(at + timedelta(hours=hours), at, NY, locale)


def _survey_said(locale: str) -> Iterator[str]:
    """The eXceed survey's call and web form (intake/wording_survey.py), on each of their paths."""
    yield sv.call_hello(POLICY.company_name, CASE, locale)
    for again in (False, True):
        yield sv.call_ask_nps(locale, again=again)
        yield sv.call_ask_csat(locale, again=again)
    yield from (sv.call_ask_comment(locale), sv.call_thanks(locale), sv.call_not_now(locale))
    yield sv.call_no_answer(locale)
    yield from astuple(sv.form_words(POLICY.company_name, CASE, locale))
    yield from (sv.form_title(locale), sv.form_thanks(locale), sv.form_used(locale), sv.form_expired(locale))
    yield sv.form_invalid(locale)
    yield from (sv.form_closed(locale), sv.form_bad_nps(locale), sv.form_bad_csat(locale))
    yield sv.form_bad_comment(2_000, locale)


# A planned maintenance window under way on TUESDAY (its title as the desk wrote it: data, not a message id).
WINDOW = wm.MaintenanceNote("メンテナンス", TUESDAY - timedelta(hours=1), TUESDAY + timedelta(hours=3), True, None)


def _maintenance_said(locale: str) -> Iterator[Prompt | str]:
    """What an affected customer is told by the bot and in the notices (intake/wording_maintenance.py)."""
    ahead = replace(WINDOW, start=TUESDAY + timedelta(days=2), end=TUESDAY + timedelta(days=2, hours=4))
    yield from (wm.told(ahead, TUESDAY, NY, locale), wm.told(WINDOW, TUESDAY, NY, locale))
    yield from (wm.outage_in_window(WINDOW, TUESDAY, NY, locale), wm.just_maintenance(locale))
    yield from (prompts.again(wm.something_else(phone, locale), locale) for phone in (False, True))
    for stage in ("scheduled", "reminder", "changed", "cancelled", "started", "ended"):
        for downtime in ("yes", "no"):
            extra = {"title": "メンテナンス", "stage": stage, "start": ahead.start.isoformat(),
                     "end": ahead.end.isoformat(), "downtime": downtime, "components": "ビューア"}  # fmt: skip
            yield from wm.notice_paragraphs(extra, TUESDAY, NY, locale)


def test_every_sentence_of_the_dialogue_is_a_message_id_said_in_the_locale(pseudo: _Recording) -> None:
    said = list(_everything_said(PSEUDO))
    assert _english(said) == []
    # Every message id those modules mark is said on some path above, so each was checked.
    assert _dialogue_ids() - pseudo.looked_up == set()
    english = list(_everything_said(DEFAULT_LOCALE))
    assert len(_english(english)) > 1000  # the same paths in English: the check reads what it should


@dataclass
class _Talk:
    """A conversation in `ctx`'s locale; the store's answers to its effects come straight back."""

    ctx: Context
    at: datetime = TUESDAY
    found: CaseSummary | None = None
    retry_after: timedelta | None = None
    said: list[Prompt] = field(default_factory=list)
    state: State = field(default_factory=State)
    phases: set[Phase] = field(default_factory=set)

    def begin(self, known: KnownAccount | None = None) -> _Talk:
        return self._take(convo.start(self.ctx, Start(self.at, known)))

    def say(self, *texts: str, digits: str | None = None, files: tuple[str, ...] = (), answer: bool = True) -> _Talk:
        for text in texts or ("",):
            self._take(convo.step(self.ctx, self.state, UserTurn(self.at, text, digits, files)), answer)
        return self

    def silent(self) -> _Talk:
        return self._take(convo.step(self.ctx, self.state, UserTurn(self.at, no_input=True)))

    def choose(self, index: int = 0) -> _Talk:
        """Answer the question asked with one of its choices: its key on the phone, its value in chat."""
        choice = self.said[-1].choices[index]
        return self.say(choice.value, digits=choice.digit)

    def _take(self, step: Step, answer: bool = True) -> _Talk:
        self.said.extend(step.prompts)
        self.state = step.state
        self.phases.add(step.state.phase)
        for effect in step.effects if answer else ():
            if isinstance(effect, CreateCase):
                response, fix = self.ctx.policy.due(effect.severity, self.at)
                self._take(convo.step(self.ctx, self.state, CaseCreated(self.at, CASE, response, fix)))
            elif isinstance(effect, LookupCase):
                self._take(convo.step(self.ctx, self.state, CaseLookup(self.at, self.found, self.retry_after)))
        return self


OUTAGE = "Nobody in the whole hospital can open the viewer, everything is down for everyone since 9"
QUESTION = "How do I export a study to PDF?"
VAGUE = "something is wrong with the reports"


def _conversations(locale: str) -> Iterator[_Talk]:
    """Chat and phone conversations through every phase and command, in `locale`."""
    chat, phone = Context(POLICY, Channel.CHAT, "c", 1, locale), Context(POLICY, Channel.PHONE, "p", 0, locale)
    opened = CaseSummary(CASE, Severity.SEV3, CaseStatus.IN_PROGRESS, "画面", TUESDAY, "確認中。", TUESDAY, None)
    talk = _Talk(chat, found=opened).begin().say("help", "hmm", "K123456", VAGUE, "purple").choose()
    while talk.state.phase is Phase.GUIDED:
        talk.say("not sure")
    yield talk.say("no", "hmm", "severity 3", "hmm", "no", "status of case 2611-0042", "no", "bye")
    yield _Talk(replace(chat, agents_online=0)).begin().say(f"K123456 {OUTAGE}", "yes", "agent", "cancel")
    yield _Talk(chat, EVENING).begin().say(f"K123456 {QUESTION}", "yes", "agent").say(files=("写真",))
    yield _Talk(chat).begin().say("start over").say(files=("写真1", "写真2")).say("K123456", "agent")
    yield _Talk(chat).begin().say(f"K123456 {QUESTION}", "I'd like a live agent", "yes")
    yield _Talk(chat).begin().say(f"K123456 {QUESTION}").say("yes", answer=False).say("anything")
    yield _Talk(chat, retry_after=timedelta(minutes=5)).begin().say("K123456 status of case 2611-0042")
    cut = replace(POLICY, text=TextLimits(message=500, description=1_000, kept=2_000))
    yield _Talk(replace(chat, policy=cut)).begin().say(f"K123456 {'Everything is down. ' * 40}", "more " * 200)
    talk = _Talk(phone).begin().silent().say("blah").say(digits="123456").say("help", "agent", VAGUE)
    while talk.state.phase is not Phase.CONFIRM_SEVERITY:
        talk.choose(-1)
    yield talk.say("4").choose(1).say(digits="26110042").silent().silent()
    caller = KnownAccount("K123456", "花子")
    talk = _Talk(replace(chat, maintenance=(WINDOW,))).begin().say(f"K123456 {OUTAGE}")
    while talk.state.phase is Phase.GUIDED:
        talk.choose()
    yield talk.say("hmm", "no", "bye")  # their maintenance: no case
    talk = _Talk(replace(phone, maintenance=(WINDOW,))).begin(caller).say("yes", OUTAGE)
    while talk.state.phase is Phase.GUIDED:
        talk.choose()
    yield talk.choose(0).choose(0)  # something else: recorded
    yield _Talk(phone).begin(caller).say("hmm", "yes", OUTAGE).choose(0)
    yield _Talk(phone).begin(caller).say("what's the status of case 2611-0042")
    yield _Talk(phone).begin(caller).say("no", "status of case 2611-0042", "hmm", "K123456")
    # A problem written beside a status question (quoted back as written): asked about once the status is told.
    yield _Talk(chat).begin().say(f"K123456 status of case 2611-0042? Also: {HELD}", "hmm", "yes")
    yield _Talk(chat).begin().say(f"K123456 any news on my case? Also: {HELD}", "I don't know it", "no")
    yield _Talk(phone).begin(caller).say(f"what's the status of case 2611-0042 also {HELD}").choose(0)


def test_the_dialogue_says_each_turn_in_the_conversation_s_locale(pseudo: _Recording) -> None:
    talks = list(_conversations(PSEUDO))
    assert set().union(*(talk.phases for talk in talks)) == set(Phase)
    said = [prompt for talk in talks for prompt in talk.said]
    assert _english(said) == []
    assert len(pseudo.looked_up) > 100
    # The same conversations in English take the same turns: the labels chosen above were understood.
    english = [prompt for talk in _conversations(DEFAULT_LOCALE) for prompt in talk.said]
    assert [p.expects for p in english] == [p.expects for p in said]
    assert len(_english(english)) > 500


# Where each function of the dialogue's wording that takes the locale takes it, by module and name.
SPEAKING = {
    module.__name__: {
        name: list(inspect.signature(function).parameters).index("locale")
        for name, function in vars(module).items()
        if inspect.isfunction(function)
        and function.__module__ == module.__name__
        and "locale" in inspect.signature(function).parameters
    }
    for module in (w, wc, ws_, prompts, numbers_times)
}


def _wording_calls(tree: ast.Module) -> Iterator[tuple[ast.Call, str, int]]:
    """The calls of a module to a function of SPEAKING (`w.greeting(...)`, `again(...)`), with where the locale goes."""
    modules: dict[str, dict[str, int]] = {}  # `from intake import wording as w`
    functions: dict[str, int] = {}  # `from intake.prompts import again`
    for node in ast.walk(tree):
        for alias in node.names if isinstance(node, ast.ImportFrom) else ():
            name, module = alias.asname or alias.name, f"{node.module}.{alias.name}"
            if module in SPEAKING:
                modules[name] = SPEAKING[module]
            elif alias.name in SPEAKING.get(node.module or "", {}):
                functions[name] = SPEAKING[node.module or ""][alias.name]
    for call in ast.walk(tree):
        if not isinstance(call, ast.Call):
            continue
        func = call.func
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in modules:
            if func.attr in modules[func.value.id]:
                yield call, func.attr, modules[func.value.id][func.attr]
        elif isinstance(func, ast.Name) and func.id in functions:
            yield call, func.id, functions[func.id]


def test_every_call_of_the_dialogue_to_its_wording_passes_the_conversation_s_locale() -> None:
    # A call that leaves the locale out says English whatever the customer's: none may.
    checked = []
    for path in sorted((ROOT / "intake").glob("*.py")):
        if path.name.startswith(("conversation", "dialogue_")):
            for call, name, at in _wording_calls(ast.parse(path.read_text(encoding="utf-8"))):
                passed = len(call.args) > at or any(k.arg == "locale" for k in call.keywords)
                assert passed, f"{path.name}:{call.lineno} {name}() without the locale"
                checked.append(name)
    assert {"greeting", "again", "looking_up", "guided", "text_cut"} <= set(checked)


def test_a_french_turn_is_french_where_the_catalog_translates_and_english_elsewhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    workaround = QUESTIONS[Question.WORKAROUND]
    write_catalog(
        tmp_path,
        "fr",
        {
            w.WELCOME: "Bonjour, bienvenue chez {company}.",
            w.WHAT_I_DO: "Je peux ouvrir un dossier d'assistance ou suivre un dossier existant.",
            w.THANKS_ACCOUNT: "Merci, {account}.",
            w.FEW_QUESTIONS: "Pour bien évaluer la gravité, quelques questions rapides.",
            workaround.text: "Existe-t-il un contournement qui permet de travailler normalement ?",
            workaround.choices[1][1]: "Seulement une solution lente ou pénible",
            prompts.NO: "Non",
            numbers_times.AT_WEEKDAY: "{weekday} à {time}",
        },
    )
    monkeypatch.setattr(catalog_module, "PACKAGED", Catalogs(tmp_path))
    talk = _Talk(Context(Policy(), Channel.CHAT, "conv-fr", 1, "fr-CA")).begin()
    assert talk.said[-1].text == (
        "Bonjour, bienvenue chez Vue Cloud Support. Je peux ouvrir un dossier d'assistance ou suivre un dossier "
        "existant. Please tell me your account number (your K#, like K123456) and what's going on."
    )
    thanks, asked = talk.say(f"K123456 {VAGUE}").said[-2:]
    assert thanks.text == "Merci, K123456."
    assert asked.text == (
        "Pour bien évaluer la gravité, quelques questions rapides. "
        "Existe-t-il un contournement qui permet de travailler normalement ?"
    )
    assert [(c.value, c.label) for c in asked.choices] == [
        ("yes", "Yes, work continues normally"),
        ("slow", "Seulement une solution lente ou pénible"),
        ("no", "Non"),
    ]
    # The button sends its label, said in French; what is kept is the choice's value, the same in every language.
    talk.say("Seulement une solution lente ou pénible")
    assert talk.state.assessment.answers == (("workaround", "slow"),)
    saturday = datetime(2026, 11, 28, 3, 0, tzinfo=NY)
    assert w.chat_opens(POLICY, saturday, "fr-CA") == "lundi à 8:00 AM Eastern"  # the day named in French
    assert w.chat_opens(POLICY, saturday, "de") == "Monday at 8:00 AM Eastern"


def test_every_case_status_is_told_in_words() -> None:
    for status in CaseStatus:
        case = CaseSummary(CASE, Severity.SEV3, status, "Export", TUESDAY, "Noted.", TUESDAY, None)
        assert "Status: " in ws_.status_found(case, TUESDAY, POLICY, phone=False).text
    waiting = CaseSummary(CASE, Severity.SEV3, CaseStatus.PENDING_CUSTOMER, "Export", TUESDAY, "Asked.", TUESDAY, None)
    assert "Status: waiting for your reply." in ws_.status_found(waiting, TUESDAY, POLICY, phone=False).text

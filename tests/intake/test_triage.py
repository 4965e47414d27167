"""Tests of the rule-based triage: POLICY.md's rules, guided answers, the Sev1 safety net, evaluation."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from intake import triage_facts as triage_module
from intake.domain import Severity
from intake.guided_questions import GuidedQuestion, Question, Triage
from intake.triage import questions_for, triage
from intake.triage_eval import EvalReport, evaluate
from intake.triage_facts import normalise

# In the repository (data/triage/README.md says where it came from): the suite runs it everywhere.
DEV_SET = Path(__file__).resolve().parents[2] / "data/triage/dev.jsonl"


def sev(text: str) -> int:
    return int(triage(text).severity)


# --- one table per POLICY.md rule (messages written for these tests, not taken from the dev set) -----

SCOPE_CASES = [
    ("nobody at the clinic can log in since 8, the sign-in page just errors", 1),
    ("one of our radiologists can't log in, password reset doesn't work for her, everyone else is fine", 3),
    ("our south campus cannot connect to the cloud since 8am, the other three campuses are working", 2),
    ("the viewer crashes on my home pc when I open mammo, works fine on the hospital computers", 3),
    ("every radiologist at all three sites gets 'database error' opening any study, reading has stopped", 1),
    ("I can't log in and nobody else here can either, whole clinic is locked out", 1),
]

OUTAGE_VS_DEGRADATION_CASES = [
    ("the cloud archive is completely down, no images can be stored or retrieved anywhere", 1),
    ("the viewer is really slow for everyone today, about a minute per study, we're still reading", 2),
    ("our radiologists have stopped reading completely, every study takes 10 minutes to open for everyone", 1),
    ("the referring portal is completely down, but radiology is reading and signing normally", 2),
    ("the 3D tools crash for every reader, plain 2D reading works", 2),
]

WORKAROUND_CASES = [
    ("the keyboard shortcut for next study doesn't work in firefox but works in chrome", 3),
    ("export to CD fails on one of our two stations, the other one works so we use it", 3),
    ("dictation is down for all radiologists, they're typing their reports by hand and it's taking forever", 2),
    ("critical results alerts aren't reaching referring doctors, the rads are phoning each one", 2),
    ("batch printing fails for everyone, printing one by one works", 3),
    ("lookup by date of birth returns nothing in the portal, accession lookup works so we use that", 3),
]

ALARMING_QUESTION_CASES = [
    ("What would happen to our studies if your data center went down completely?", 4),
    ("we're writing our downtime plan: if the cloud is down, what is the procedure to keep reading?", 4),
    ("Will the viewer be down during Saturday's maintenance, and for how long?", 4),
    ("How do you protect us against ransomware?", 4),
]

URGENT_CHANGE_CASES = [
    ("URGENT!!! we need accounts for 2 locum radiologists starting at noon today", 4),
    ("EMERGENCY - please add Dr. Nguyen to the breast reading group before tomorrow!!!", 4),
    ("a tech quit today, we need her access turned off asap for compliance", 4),
    ("CRITICAL: pls renew our SSO certificate before friday when the old one expires!!", 4),
]

CAPITALS_CASES = [
    ("THE LOGO ON OUR PATIENT PORTAL IS STILL THE OLD ONE!!! FIX THIS NOW", 3),
    ("THE SPELLING OF OUR HOSPITAL NAME IS WRONG ON THE LOGIN PAGE!!!", 3),
    ("THE PACS IS DOWN. NOBODY CAN READ. ALL SITES.", 1),
]

NEGATION_CASES = [
    ("the viewer is not down, just slow for everyone, studies take about two minutes to open", 2),
    ("it's not a full outage, but the viewer keeps freezing for all readers every few minutes", 2),
    ("no errors or anything, just the study list shows names in a different font since the update", 3),
    ("it's not just slow, nothing loads at all for anyone in the hospital", 1),
]

PAST_INCIDENT_CASES = [
    ("The archive was down for about an hour last night. It's working now. What caused it?", 4),
    ("Yesterday the whole PACS was down for 30 min, all good now - please send the root cause analysis", 4),
    ("was there an outage around 2am? our night rad said it was slow but it's all fine now", 4),
    ("after last night's outage everything is back, but three studies are still missing from the worklist", 3),
    ("after this morning's short outage the system is back but my saved hanging protocol is gone", 3),
    ("since the network blip at 3 everything is moving again, but 12 studies from that hour never made it", 3),
    ("Did last week's archive outage lose any studies? we need to know for our compliance records", 4),
]

CASUAL_OUTAGE_CASES = [
    ("hey so basically nothing is loading for anyone, the portal just shows a white page, docs are stuck", 1),
    ("yeah so nothing works lol, login page just bounces everyone back to the login page", 1),
    ("is your system down?? none of us can get into the pacs, whole practice, since 7:30", 1),
    ("um the whole thing's frozen, like, viewer, worklist, all of it, for every reader here", 1),
]

SECURITY_CASES = [
    ("ransomware is encrypting the reading workstations at all of our sites right now", 1),
    ("attackers have access to the PACS admin and patient data is being downloaded from every site right now", 1),
    ("we think one radiologist's account was compromised, logins from another country, we disabled it", 2),
    ("there was a phishing email two techs clicked, we reset their passwords, nothing seems accessed", 2),
    ("hundreds of failed logins on our admin account overnight from a foreign IP, none succeeded", 2),
    ("our audit found a clerk looked at patient records without a reason last month, please investigate", 2),
]

SPEECH_CASES = [
    ("so um, the the dye com router, uh, it's not sending anything up, like, every room, everything's stuck", 1),
    ("uh hi yeah so the the packs is uh completely down, um, nobody can open any studies", 1),
    ("um, the, the work list, it's, it's completely empty for everybody, like no studies, nothing", 1),
    ("uh so the the die com gateway, one of our four sites, it's not sending, the other sites are okay", 2),
    ("hi, um, could you, uh, reset the password for doctor Patel, she's back from leave", 4),
    ("um, it's, it's just me I think, the view were is kind of slow when I'm on the cafeteria wifi", 3),
    ("hw do i chnage my pasword?? cant find it in settngs", 4),
]

COSMETIC_AND_MINOR_CASES = [
    ("the 'scheduled maintenance' banner still shows for everyone though maintenance is done, can't close it", 3),
    ("a couple of old reports show the wrong doctor name in the PDF header, the report text is right", 3),
    ("when I click the help icon nothing happens, not urgent", 3),
    ("accented patient names show garbled in the portal, images and reports are fine", 3),
]

# One component (a modality, dictation, an interface, printing...) versus the whole service (POLICY.md: "one
# modality, dictation for all" is Sev2; "the service, or every site, or every user unable to work" is Sev1).
COMPONENT_CASES = [
    # a component down for everyone: Sev2
    ("voice recognition has been down since 7 for every radiologist at all three sites", 2),
    ("uh so the, the speech recognition, it's, it's not working for anybody, um, nobody can dictate at all", 2),
    ("the HL7 results feed to the EMR is down, no reports have crossed since noon", 2),
    ("CD burning is completely broken at every site", 2),
    ("the tomo studies won't open for anyone, 2D mammo is fine", 2),
    ("nobody can dictate since 6am and reports are piling up, rads are typing what they can", 2),
    # one modality, "the others are fine" meaning the other modalities
    ("um, em are eye images aren't showing up at all, uh, the others are fine", 2),
    ("the ultrasound images from all rooms stopped arriving an hour ago, CT and MR are coming in fine", 2),
    ("CT studies stopped showing up in the worklist this morning, the other modalities come through normally", 2),
    ("every MR from the outpatient center arrives without the diffusion series, the other MR sites are fine", 2),
    # near misses upwards: the whole service is named, or work cannot proceed at all
    ("the pacs is down so dictation doesn't work either, nobody can read", 1),
    ("dictation is down and the viewer won't open, we can't read any studies", 1),
    ("speech recognition is down, which means the radiologists have stopped reading completely", 1),
    ("since the archive went offline none of the CT or MR studies can be opened", 1),
    ("the HL7 interface is down and no orders are coming, the techs can't start any exam", 1),
    ("every CT and MR push fails with association rejected, images are piling up on the scanners", 1),
    ("the orders feed is dead and the techs can't scan anyone at any site", 1),
    # one modality is not the service even when reading it has stopped
    ("we cannot read any CT studies since 9, MR and plain film are fine", 2),
    # near misses downwards: one user's or one device's component, or a minor one with work flowing
    ("my dictation mic stopped working this morning, everyone else in the reading room is fine", 3),
    ("Dr. Okafor's voice recognition keeps crashing on her workstation, nobody else has the problem", 3),
    ("the CT in room 3 can't query the modality worklist, the other CT and the MR are fine, we type patients in", 3),
    ("printing from the viewer errors for everyone, nobody prints much, we can live with it", 3),
]


@pytest.mark.parametrize(
    ("text", "expected"),
    SCOPE_CASES
    + OUTAGE_VS_DEGRADATION_CASES
    + WORKAROUND_CASES
    + ALARMING_QUESTION_CASES
    + URGENT_CHANGE_CASES
    + CAPITALS_CASES
    + NEGATION_CASES
    + PAST_INCIDENT_CASES
    + CASUAL_OUTAGE_CASES
    + SECURITY_CASES
    + SPEECH_CASES
    + COSMETIC_AND_MINOR_CASES
    + COMPONENT_CASES,
)
def test_policy_rules(text: str, expected: int) -> None:
    assert sev(text) == expected, triage(text).evidence


def test_every_rule_table_has_several_cases() -> None:
    tables = [
        SCOPE_CASES,
        OUTAGE_VS_DEGRADATION_CASES,
        WORKAROUND_CASES,
        ALARMING_QUESTION_CASES,
        URGENT_CHANGE_CASES,
        CAPITALS_CASES,
        NEGATION_CASES,
        PAST_INCIDENT_CASES,
        CASUAL_OUTAGE_CASES,
        SECURITY_CASES,
        SPEECH_CASES,
        COSMETIC_AND_MINOR_CASES,
        COMPONENT_CASES,
    ]
    assert all(len(t) >= 3 for t in tables)
    assert sum(map(len, tables)) >= 20


# --- normalisation ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spoken", "expected"),
    [
        ("the dye com router", "the dicom router"),
        ("the die com gateway", "the dicom gateway"),
        ("so the packs is down", "so the pacs is down"),
        ("the pax is slow", "the pacs is slow"),
        ("the p a c s is slow", "the pacs is slow"),
        ("the work list is empty", "the worklist is empty"),
        ("the view were froze", "the viewer froze"),
        ("um, uh, the the viewer, you know, is like slow", "the viewer, is slow"),
        ("the E R is waiting", "the er is waiting"),
        ("we can't log in", "we cannot login"),
        ("teh viewr wont load, evry1 else is fine", "the viewer will not load, everyone else is fine"),
    ],
)
def test_normalise(spoken: str, expected: str) -> None:
    assert normalise(spoken) == expected


def test_we_would_like_keeps_its_like() -> None:
    assert normalise("we'd like to add a modality") == "we would like to add a modality"


def test_speech_and_chat_wording_triage_alike() -> None:
    chat = triage("The PACS is completely down, nobody can open any studies")
    phone = triage("uh hi so the the packs is, uh, completely down, um, like nobody can open, uh, any studies")
    assert chat.severity == phone.severity == Severity.SEV1


def _spoken(text: str) -> str:
    """The same words as a noisy transcript: fillers, a stutter, no capitals."""
    words = text.lower().split()
    noisy = [f"{w}, {w}" if i == 1 else (f"um, {w}" if i % 4 == 2 else w) for i, w in enumerate(words)]
    return "uh, so, " + " ".join(noisy) + ", you know"


@pytest.mark.parametrize(
    ("text", "expected"), SCOPE_CASES + OUTAGE_VS_DEGRADATION_CASES + WORKAROUND_CASES + COMPONENT_CASES
)
def test_fillers_and_stutters_do_not_move_the_verdict(text: str, expected: int) -> None:
    assert sev(_spoken(text)) == expected, normalise(_spoken(text))


# --- component or whole service -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "dictation is down for all radiologists, nobody can dictate",
        "the mammo worklist is empty for every tech at both sites",
        "our fax server is offline, no faxes going out to referrers",
    ],
)
def test_component_outage_for_everyone_is_sev2_and_asks_the_sev1_question(text: str) -> None:
    t = triage(text)
    assert t.severity is Severity.SEV2
    assert t.sev1_signal and t.sev1_unconfirmed
    assert [q.key for q in t.questions][:2] == [Question.SCOPE, Question.OUTAGE]
    assert any(e.startswith("component: ") for e in t.evidence)
    # The customer can still make it a Sev1: "nobody can work at all, everyone".
    assert triage(text, {Question.SCOPE: "everyone", Question.OUTAGE: "down"}).severity is Severity.SEV1


def test_one_modality_with_the_other_modalities_fine_is_sev2() -> None:
    t = triage("none of our CT images are arriving, MR and xray are fine")
    assert t.severity is Severity.SEV2
    t = triage("none of our CT images are arriving, the others are fine")
    assert t.severity is Severity.SEV2
    assert "scope: 'the others are fine'" in t.evidence


def test_others_fine_still_means_other_users_when_no_modality_fails() -> None:
    assert sev("dictation keeps crashing for one of our radiologists, the others are fine") == 3
    assert sev("dictation keeps crashing for one of our rads, the other rads are fine") == 3


def test_the_other_sites_fine_is_one_site_of_several() -> None:
    t = triage("the CD burners at the downtown clinic all fail, the other clinics are fine")
    assert t.severity is Severity.SEV2
    assert not t.sev1_signal


def test_gateway_carrying_all_imaging_is_the_whole_service() -> None:
    t = triage("uh the, the dye com router, it's not sending anything up to the cloud, every room's stuck")
    assert t.severity is Severity.SEV1
    assert not any(e.startswith("component: ") for e in t.evidence)


def test_key_function_lost_while_the_rest_works_is_sev2_a_minor_one_sev3() -> None:
    assert sev("prior studies aren't being pulled anymore, current exams open fine") == 2
    assert sev("the print preview is blank, everything else works fine, not urgent") == 3


# --- verdict shape and evidence -------------------------------------------------------------------


def test_verdict_explains_itself() -> None:
    t = triage("the dicom gateway is not sending anything to the cloud, every room is stuck")
    assert isinstance(t, Triage)
    assert t.severity is Severity.SEV1
    assert 0.0 <= t.confidence <= 1.0
    assert "scope: 'every room'" in t.evidence
    assert any(e.startswith("outage: 'not sending anything") for e in t.evidence)


@pytest.mark.parametrize("text", ["", "   ", "???", "\U0001f525\U0001f525\U0001f525", "x" * 5000, "ok " * 2000])
def test_odd_input_does_not_break(text: str) -> None:
    t = triage(text)
    assert t.severity in Severity
    assert 0.0 <= t.confidence <= 1.0


def test_empty_problem_asks_what_it_is() -> None:
    t = triage("")
    assert t.confidence < 0.7
    assert [q.key for q in t.questions][:1] == [Question.REQUEST]


# --- answers to the guided questions move the severity ---------------------------------------------

VAGUE = "there is a problem with the viewer"


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ({Question.OUTAGE: "down", Question.SCOPE: "everyone"}, Severity.SEV1),
        ({Question.OUTAGE: "down", Question.SCOPE: "some"}, Severity.SEV2),
        ({Question.OUTAGE: "down", Question.SCOPE: "one"}, Severity.SEV3),
        ({Question.OUTAGE: "degraded", Question.SCOPE: "everyone"}, Severity.SEV2),
        ({Question.OUTAGE: "degraded", Question.SCOPE: "one"}, Severity.SEV3),
        ({Question.OUTAGE: "minor", Question.SCOPE: "everyone"}, Severity.SEV3),
        ({Question.SCOPE: "one", Question.WORKAROUND: "yes"}, Severity.SEV3),
        ({Question.REQUEST: "question"}, Severity.SEV4),
        ({Question.REQUEST: "change"}, Severity.SEV4),
    ],
)
def test_answers_set_severity(answers: dict[Question, str], expected: Severity) -> None:
    assert triage(VAGUE, answers).severity is expected


def test_workaround_that_keeps_work_flowing_lowers_to_sev3() -> None:
    text = "dictation is not working for any of the radiologists"
    assert triage(text).severity is Severity.SEV2
    assert triage(text, {Question.WORKAROUND: "yes"}).severity is Severity.SEV3


def test_slow_painful_workaround_does_not_lower() -> None:
    text = "dictation is not working for any of the radiologists"
    assert triage(text, {Question.WORKAROUND: "slow"}).severity is Severity.SEV2
    assert triage(text, {Question.WORKAROUND: "no"}).severity is Severity.SEV2


def test_answer_no_workaround_cancels_one_read_from_the_text() -> None:
    text = "the print button fails for everyone in chrome, works in edge"
    assert triage(text).severity is Severity.SEV3
    assert triage(text, {Question.WORKAROUND: "no"}).severity is Severity.SEV2


def test_problem_answer_turns_a_question_into_a_problem() -> None:
    text = "is the worklist supposed to look like this?"
    assert triage(text).severity is Severity.SEV4
    assert triage(text, {Question.REQUEST: "problem", Question.SCOPE: "one"}).severity is Severity.SEV3


def test_question_answer_makes_an_urgent_sounding_text_sev4() -> None:
    t = triage("we need this sorted today, it's urgent", {Question.REQUEST: "change"})
    assert t.severity is Severity.SEV4


def test_degraded_answer_overrides_an_outage_reading() -> None:
    text = "the worklist is down"
    assert triage(text).severity is Severity.SEV1
    assert triage(text, {Question.OUTAGE: "degraded", Question.SCOPE: "everyone"}).severity is Severity.SEV2


def test_answers_accept_string_keys_and_odd_case() -> None:
    answers = {Question("scope"): " Everyone ", Question("outage"): "DOWN"}
    assert triage(VAGUE, answers).severity is Severity.SEV1


def test_unreadable_answer_is_ignored() -> None:
    text = "every user gets an error when opening the viewer"
    base = triage(text)
    odd = triage(text, {Question.SCOPE: "maybe"})
    assert odd.severity is base.severity
    assert odd.sev1_unconfirmed is base.sev1_unconfirmed
    assert "answer scope: maybe" not in odd.evidence


def test_answers_are_recorded_as_evidence() -> None:
    t = triage(VAGUE, {Question.OUTAGE: "down", Question.SCOPE: "everyone"})
    assert "answer outage: down" in t.evidence
    assert "answer scope: everyone" in t.evidence


# --- the Sev1 safety net -----------------------------------------------------------------------------

# Sev1 signals in the text that the verdict did not take.
UNCONFIRMED = [
    "the patient portal is down for everyone, radiology is reading normally",
    "every user gets an error when opening the viewer",
    "the worklist is very slow for everyone, we are still reading",
]


@pytest.mark.parametrize("text", UNCONFIRMED)
def test_sev1_signal_not_taken_must_be_asked(text: str) -> None:
    t = triage(text)
    assert t.sev1_signal and t.severity > Severity.SEV1
    assert t.sev1_unconfirmed
    assert [q.key for q in t.questions][:2] == [Question.SCOPE, Question.OUTAGE]


@pytest.mark.parametrize("text", UNCONFIRMED)
def test_answers_settle_the_sev1_question(text: str) -> None:
    confirmed = triage(text, {Question.SCOPE: "everyone", Question.OUTAGE: "down"})
    assert confirmed.severity is Severity.SEV1 and not confirmed.sev1_unconfirmed
    ruled_out = triage(text, {Question.SCOPE: "some"})
    assert ruled_out.severity > Severity.SEV1 and not ruled_out.sev1_unconfirmed
    assert Question.SCOPE not in {q.key for q in ruled_out.questions}


def test_half_answered_sev1_question_asks_the_rest() -> None:
    t = triage(UNCONFIRMED[1], {Question.SCOPE: "everyone"})
    assert t.sev1_unconfirmed
    assert [q.key for q in t.questions][:1] == [Question.OUTAGE]


def test_sev1_verdict_is_not_unconfirmed() -> None:
    t = triage("PACS is completely down, nobody at any of our sites can read")
    assert t.severity is Severity.SEV1 and t.sev1_signal and not t.sev1_unconfirmed


def test_workaround_answer_cannot_silently_drop_a_sev1() -> None:
    t = triage("PACS is completely down, nobody at any of our sites can read", {Question.WORKAROUND: "yes"})
    assert t.severity > Severity.SEV1
    assert t.sev1_unconfirmed
    assert {Question.SCOPE, Question.OUTAGE} <= {q.key for q in t.questions}


def test_one_user_outage_is_no_sev1_signal() -> None:
    t = triage("my account is locked out, my colleagues are all working fine")
    assert t.severity is Severity.SEV3
    assert not t.sev1_signal and not t.sev1_unconfirmed


def test_hypothetical_outage_is_no_sev1_signal() -> None:
    t = triage("What happens to our images if the cloud goes down?")
    assert t.severity is Severity.SEV4 and not t.sev1_signal


def test_confident_verdict_asks_nothing() -> None:
    for text in [
        "How do I add a new user for a radiologist starting Monday?",
        "the zoom shortcut stopped working on my workstation, mouse-wheel zoom still works",
    ]:
        t = triage(text)
        assert t.confidence >= 0.7
        assert t.questions == () and questions_for(t) == ()


def test_guided_questions_offer_the_documented_values() -> None:
    t = triage("")
    by_key = {q.key: q for q in t.questions}
    assert isinstance(by_key[Question.SCOPE], GuidedQuestion)
    assert [v for v, _ in by_key[Question.SCOPE].choices] == ["everyone", "some", "one"]
    assert [v for v, _ in by_key[Question.OUTAGE].choices] == ["down", "degraded", "minor"]
    assert [v for v, _ in by_key[Question.REQUEST].choices] == ["problem", "security", "question", "change"]
    assert all(q.text and q.speak and len(q.speak) <= len(q.text) for q in t.questions)


def test_answered_questions_are_not_asked_again() -> None:
    t = triage("", {Question.REQUEST: "problem"})
    assert Question.REQUEST not in {q.key for q in t.questions}


# --- evaluate ---------------------------------------------------------------------------------------

DOWN = "PACS is completely down, nobody can read anything"
SLOW = "the viewer is really slow for everyone, we're still reading"
LOGO = "the logo on the portal is the old one"
HOWTO = "How do I reset my password?"


def test_evaluate_on_a_tiny_list() -> None:
    items = [(DOWN, 1), (SLOW, 2), (SLOW, 1), (LOGO, 3), (HOWTO, 4), (HOWTO, 3), (HOWTO, 2)]
    report = evaluate(items)
    assert isinstance(report, EvalReport)
    assert report.total == 7 and report.correct == 4
    assert report.accuracy == pytest.approx(4 / 7)
    assert report.confusion == [[1, 1, 0, 0], [0, 1, 0, 1], [0, 0, 1, 1], [0, 0, 0, 1]]
    assert report.per_severity == {
        1: (1.0, 0.5),
        2: (0.5, 0.5),
        3: (1.0, 0.5),
        4: (pytest.approx(1 / 3), 1.0),
    }
    assert report.max_distance == 2
    assert report.missed_sev1 == 1
    text = report.to_text()
    assert "accuracy 0.571 (4/7)" in text and "missed Sev1 1" in text
    data = report.to_dict()
    assert data["confusion"] == report.confusion and data["missed_sev1"] == 1
    assert json.loads(json.dumps(data)) == data


def test_evaluate_nothing() -> None:
    report = evaluate([])
    assert (report.total, report.correct, report.accuracy, report.max_distance, report.missed_sev1) == (0, 0, 0.0, 0, 0)
    assert report.per_severity == {s: (0.0, 0.0) for s in (1, 2, 3, 4)}


# --- the labelled dev set ---------------------------------------------------------------------------


def _dev_items() -> list[dict[str, object]]:
    return [json.loads(line) for line in DEV_SET.read_text(encoding="utf-8").splitlines() if line.strip()]


def _check(items: list[dict[str, object]]) -> EvalReport:
    report = evaluate((str(x["text"]), int(str(x["severity"]))) for x in items)
    assert report.accuracy >= 0.90, report.to_text()
    assert report.missed_sev1 == 0, report.to_text()
    assert report.max_distance <= 1, report.to_text()
    return report


def test_dev_set_meets_the_targets() -> None:
    report = _check(_dev_items())
    assert report.total == 160


@pytest.mark.parametrize("parity", [1, 0], ids=["odd-ids", "even-ids"])
def test_dev_set_halves_meet_the_targets(parity: int) -> None:
    # Rules were tuned on odd ids and checked on even ids; both halves must hold the targets.
    _check([x for x in _dev_items() if int(str(x["id"])[1:]) % 2 == parity])


# --- long and hostile texts: the work grows with the length, no faster -----------------------------
# Tests count work rather than time it: each fixed cause of quadratic (or worse) time has a check that
# counts what it did, and the hostile shapes that exposed them run at sizes the old code took minutes on.


class _Spaces:
    """Records the longest whitespace run a pattern was handed, then does what it would have done."""

    def __init__(self, real: object) -> None:
        self.real, self.longest = real, 0

    def _note(self, text: str) -> None:
        self.longest = max([self.longest, *(len(run) for run in re.findall(r"\s+", text))])

    def sub(self, repl: object, text: str) -> str:
        self._note(text)
        return self.real.sub(repl, text)  # type: ignore[attr-defined, no-any-return]

    def __call__(self, text: str) -> str:
        self._note(text)
        return self.real(text)  # type: ignore[operator, no-any-return]


@pytest.mark.parametrize(
    "text",
    ["\U0001f525" * 5_000, "\u67e5\u770b\u5668 " * 2_000, "\n" * 5_000 + "pacs down", "um " * 3_000, "a" + " " * 5_000],
    ids=["emoji", "other-script", "newlines", "fillers", "spaces"],
)
def test_patterns_starting_with_spaces_never_see_a_run_of_them(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    # `\s*` rescans a run from each of its positions: one run of n spaces (emoji and other scripts are
    # dropped as spaces, fillers leave theirs behind) cost n*n/2 steps before normalise made runs single.
    fillers, repeats = _Spaces(triage_module._FILLERS), _Spaces(triage_module._collapse_repeats)
    monkeypatch.setattr(triage_module, "_FILLERS", fillers)
    monkeypatch.setattr(triage_module, "_collapse_repeats", repeats)
    triage(text)
    assert fillers.longest <= 1 and repeats.longest <= 1


class _CountedSlices(str):
    """A string that counts the characters copied out of it by slicing."""

    copied = 0

    def __getitem__(self, key: object) -> str:
        part = str.__getitem__(self, key)  # type: ignore[index]
        _CountedSlices.copied += len(part)
        return part


def test_finding_what_is_down_reads_back_a_few_words_per_match_not_the_whole_clause() -> None:
    # Every "the pacs is not working" here is only where dictation fails: each match looks at the words
    # before it. Splitting all of the clause before each match copied n*n/74 characters.
    clause = _CountedSlices("dictation in the pacs is not working " * 400)
    _CountedSlices.copied = 0
    assert triage_module._whole_named(clause) is None
    assert _CountedSlices.copied <= 4 * len(clause)


class _CountedIndex(dict[str, str]):
    lookups = 0

    def get(self, key: str, default: object = None) -> object:  # type: ignore[override]
        _CountedIndex.lookups += 1
        return super().get(key, default)


def test_a_token_longer_than_any_key_term_is_not_checked_for_typos(monkeypatch: pytest.MonkeyPatch) -> None:
    # Each deletion of a 100,000-letter token is a 100,000-letter copy: a square's worth of work for
    # tokens that cannot be one letter away from a key term anyway.
    index = _CountedIndex(triage_module._typo_index())
    monkeypatch.setattr(triage_module, "_typo_index", lambda: index)
    assert triage_module._correct("viewr") == "viewer" and _CountedIndex.lookups > 0
    _CountedIndex.lookups = 0
    assert triage_module._correct("x" * 100_000) == "x" * 100_000
    assert _CountedIndex.lookups == 0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("\U0001f525" * 40_000 + " the pacs is down for everyone", Severity.SEV1),
        ("no one can read " + "not a no b never c " * 3_150 + ". at all", Severity.SEV1),
        ("the viewer is down for everyone " + "\n" * 100_000 + "since 9", Severity.SEV1),
    ],
    ids=["emoji-run", "negations-without-at-all", "newline-run"],
)
def test_hostile_long_texts_are_triaged(text: str, expected: Severity | None) -> None:
    # Before: minutes each (quadratic in the run, the token or the clause). No timing here: the suite's
    # own run time is the check, and the verdict must still make sense.
    result = triage(text)
    assert expected is None or result.severity is expected

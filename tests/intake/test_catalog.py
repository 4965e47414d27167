"""Customer-facing words by message id and locale: the catalogs match the sources, English is the fallback.

The dialogue's own words in the conversation's locale: tests/intake/test_wording_locale.py.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po, write_po

from intake import wording_service as ws
from intake.catalog import DEFAULT_LOCALE, PACKAGED, Catalogs, candidates, gettext

ROOT = Path(__file__).parents[2]
LOCALE_DIR = ROOT / "intake" / "locale"


MESSAGES = {value for name, value in vars(ws).items() if name.isupper() and isinstance(value, str)}


def _used_ids() -> set[str]:
    """Every message id the sources mark, as `pybabel extract -F babel.cfg` finds them (a plural: its singular)."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found = (message for _, _, message, *_ in extract_from_dir(ROOT, method_map, options_map) if message)
    return {str(message[0] if isinstance(message, tuple) else message) for message in found}


def _po_ids(path: Path) -> set[str]:
    with path.open("rb") as po:
        return {str(m.id[0] if isinstance(m.id, tuple) else m.id) for m in read_po(po) if m.id}


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def test_every_message_id_used_is_in_the_template_and_the_english_catalog() -> None:
    used = _used_ids()
    assert used >= MESSAGES > set()  # the service's sentences are among them
    assert used == _po_ids(LOCALE_DIR / "messages.pot"), "run the extract command in docs/TRANSLATING.md"
    assert used == set(PACKAGED.messages(DEFAULT_LOCALE)), "run the update command in docs/TRANSLATING.md"


def test_every_catalog_keeps_the_placeholders_of_its_message_ids() -> None:
    catalogs = sorted(p.parent.parent.name for p in LOCALE_DIR.glob("*/LC_MESSAGES/messages.po"))
    assert DEFAULT_LOCALE in catalogs
    for locale in catalogs:
        for message, entry in PACKAGED.messages(locale).items():
            if entry.plural is None:
                assert all(not form or _fields(form) == _fields(message) for form in entry.forms), (locale, message)
            else:  # a form may leave the count out ("une minute"), never name what the ids do not
                fields = _fields(message) | _fields(entry.plural)
                assert all(_fields(form) <= fields for form in entry.forms), (locale, message)


@pytest.mark.parametrize("locale", [None, "", "en", "en-US", "en_GB", "de-DE", "xx", "not a locale", "fr-CA"])
def test_a_locale_without_a_catalog_falls_back_to_english(locale: str | None) -> None:
    assert gettext(ws.HANDED_BACK, locale) == "You're back with the assistant."
    assert ws.queue_position(3, locale) == "You're number 3 in the queue for a live agent."


def test_the_english_wording_is_what_the_service_said_before_the_catalog() -> None:
    assert ws.agent_joined("alice") == "Alice from the support team has joined the chat."
    assert ws.agent_closed("alice", "Vue Cloud Support") == (
        "alice has closed the chat. Thank you for contacting Vue Cloud Support."
    )
    assert ws.no_agent_no_case() == (
        "Sorry, no live agent could take your chat in time. "
        "I haven't recorded a case for you yet: let's do that now, so an engineer can follow up."
    )
    assert ws.no_agent_web_request("2611-0042", "by 10:15 AM Eastern today") == (
        "Sorry, no live agent could take your chat in time. I've passed case 2611-0042 to our engineers as a web "
        "support request; an engineer will respond by 10:15 AM Eastern today."
    )
    assert ws.turn_failed(phone=False) == (
        "Sorry, something went wrong on our side. Please try again, or say 'start over'."
    )
    assert ws.voicemail_invite("2611-0007") == (
        "Our on-call engineers could not be reached right now. Case 2 6 1 1, 0 0 0 7 has been escalated and the "
        "on-call team has been paged; an engineer will call you back. Please leave a message describing the "
        "problem after the tone, then hang up or press pound."
    )
    assert ws.whisper("2611-0007", "K12", "All down") == (
        "Support line, severity 1 case 2 6 1 1, 0 0 0 7. Account K 1 2. Problem: All down. Press 1 to take the call."
    )
    assert ws.whisper_declined() == "No key was pressed. The next engineer is being called. Goodbye."


def write_catalog(
    root: Path,
    locale: str,
    entries: Mapping[str | tuple[str, str], str | tuple[str, ...]],
    fuzzy: frozenset[str] = frozenset(),
) -> None:
    """A catalog in `root` as `scripts/messages` and a translator leave one (a plural: (singular, plural) -> forms)."""
    catalog = Catalog(locale=locale, domain="messages")
    for message, translated in entries.items():
        catalog.add(message, translated, flags=("fuzzy",) if message in fuzzy else ())
    folder = root / locale / "LC_MESSAGES"
    folder.mkdir(parents=True)
    with (folder / "messages.po").open("wb") as po:
        write_po(po, catalog)


def test_a_translation_is_used_for_its_locale_and_its_regions_with_english_for_the_rest(tmp_path: Path) -> None:
    write_catalog(
        tmp_path,
        "fr",
        {
            ws.HANDED_BACK: "Vous êtes de retour avec l'assistant.",
            ws.QUEUE_POSITION: "Vous êtes numéro {position} dans la file d'attente.",
            ws.ONE_MOMENT: "Un instant, s'il vous plaît.",
        },
        fuzzy=frozenset({ws.ONE_MOMENT}),
    )
    catalogs = Catalogs(tmp_path)
    assert catalogs.gettext(ws.HANDED_BACK, "fr") == "Vous êtes de retour avec l'assistant."
    assert catalogs.gettext(ws.HANDED_BACK, "fr-CA") == "Vous êtes de retour avec l'assistant."
    queued = catalogs.gettext(ws.QUEUE_POSITION, "fr_BE").format(position=2)
    assert queued == "Vous êtes numéro 2 dans la file d'attente."
    # Not translated, or only a fuzzy guess: English.
    assert catalogs.gettext(ws.CALL_ENDED, "fr") == "Thank you for calling support. Goodbye."
    assert catalogs.gettext(ws.ONE_MOMENT, "fr") == "One moment, please."
    assert catalogs.gettext(ws.HANDED_BACK, "de") == "You're back with the assistant."


def test_locale_names_from_channels_become_catalog_names() -> None:
    assert candidates("en-US") == ("en_US", "en")
    assert candidates("fr") == ("fr",)
    assert candidates("pt_BR") == ("pt_BR", "pt")
    assert candidates(None) == candidates("") == candidates("xx") == candidates("../../etc") == ()


def test_no_customer_sentence_is_left_in_the_service_modules_the_catalog_replaced() -> None:
    # The sentences that moved to intake/wording_service.py: none may be written out again in the service.
    starts = {m.split("{")[0][:40] for m in MESSAGES}
    pattern = re.compile("|".join(re.escape(start) for start in starts if len(start) > 12))
    for path in sorted((ROOT / "bot").rglob("*.py")):
        found = pattern.search(path.read_text(encoding="utf-8"))
        assert found is None, (path.relative_to(ROOT).as_posix(), found.group(0) if found else "")


def test_a_count_takes_the_plural_form_of_the_catalog_s_language(tmp_path: Path) -> None:
    minutes = ("about {n} minute", "about {n} minutes")
    write_catalog(tmp_path, "pl", {minutes: ("za {n} minutę", "za {n} minuty", "za {n} minut")})
    catalogs = Catalogs(tmp_path)
    said = {n: catalogs.ngettext(*minutes, n, "pl").format(n=n) for n in (1, 3, 5, 12, 22)}
    assert said == {1: "za 1 minutę", 3: "za 3 minuty", 5: "za 5 minut", 12: "za 12 minut", 22: "za 22 minuty"}
    assert [catalogs.ngettext(*minutes, n, "en").format(n=n) for n in (1, 2)] == ["about 1 minute", "about 2 minutes"]

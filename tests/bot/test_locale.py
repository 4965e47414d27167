"""The dialogue speaks the chat customer's language: the activity's locale reaches every lookup of its words."""

from __future__ import annotations

from pathlib import Path

import pytest

from intake import catalog, wording
from intake.catalog import Catalogs
from tests.bot.conftest import Service, texts
from tests.intake.test_catalog import write_catalog


async def test_a_chat_in_french_is_answered_in_french_where_the_catalog_translates(
    service: Service, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    translated = {wording.WELCOME: "Bonjour, bienvenue chez {company}.", wording.THANKS_ACCOUNT: "Merci, {account}."}
    write_catalog(tmp_path, "fr", translated)
    monkeypatch.setattr(catalog, "PACKAGED", Catalogs(tmp_path))
    joined = await service.say(None, type="conversationUpdate", membersAdded=[{"id": "user-1"}], locale="fr-CA")
    assert texts(joined).startswith("Bonjour, bienvenue chez Vue Cloud Support. I can file a support case")
    assert texts(await service.say("K123456", locale="fr-CA")).startswith("Merci, K123456.\n")
    # Another conversation, its activities with no locale: English.
    assert texts(await service.say("K123456", conversation="conv-2")).startswith("Thanks, K123456.\n")

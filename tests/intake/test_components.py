"""Which components a customer's words name: whole words, accents and case ignored, speech spellings, config."""

from __future__ import annotations

import pytest

from intake.components import DEFAULT_COMPONENTS, ComponentsError, components_from_mapping

LINES = [
    ("The viewer is down, nobody at any site can open studies", ("viewer",)),
    ("the whole PACS is down, nobody can open studies", ("archive", "viewer")),
    ("the packs is down since nine", ("archive",)),  # a recogniser's PACS
    ("die com sends from the CT have been stuck for an hour", ("ingestion",)),  # DICOM, as heard
    ("Nobody can log in, SSO says invalid assertion", ("login",)),
    ("logins fail for every radiologist", ("login",)),
    ("HL7 ADT messages are not crossing to the RIS", ("hl7",)),
    ("our patients cannot reach the patient portal", ("patient_portal",)),
    ("the referring physician portal shows a blank page", ("referring_portal",)),
    ("dictation stopped working in the report editor", ("reporting",)),
    ("El visor no carga las imágenes", ("viewer",)),
    ("La visionneuse ne s'ouvre plus", ("viewer",)),
    ("Die Befundung geht seit heute Morgen nicht", ("reporting",)),
    ("O portal do paciente está fora do ar", ("patient_portal",)),
    ("the worklist is empty at every site", ("worklist",)),
    ("how do I change my password?", ()),
    ("the logo on our printed reports is blurry", ()),
    ("we bought adtech software", ()),  # no ADT inside a word
    ("our spacs are fine", ()),  # no PACS inside a word
]


@pytest.mark.parametrize(("line", "expected"), LINES)
def test_a_report_names_the_components_it_is_about(line: str, expected: tuple[str, ...]) -> None:
    assert DEFAULT_COMPONENTS.named_in(line) == expected


def test_components_come_from_configuration_in_its_order() -> None:
    mine = components_from_mapping({"billing": {"label": "billing portal", "words": ["invoice", "billing"]}})
    assert mine.named_in("the billing page shows no invoices") == ("billing",)
    assert mine.named_in("the viewer is down") == ()
    assert mine.label("billing") == "billing portal" and mine.label("gone_one") == "gone one"


@pytest.mark.parametrize(
    "bad",
    [
        {},
        {"Bad Key": {"label": "x", "words": ["x"]}},
        {"a": {"label": "a", "words": []}},
        {"a": {"label": "a", "words": "not a list"}},
        {"a": "not an object"},
        {"a": {"label": "", "words": ["a"]}},
    ],
)
def test_a_component_list_that_cannot_work_is_refused(bad: dict[str, object]) -> None:
    with pytest.raises(ComponentsError):
        components_from_mapping(bad)

"""The parts of the service customers report about, with the words they use, and which parts a report names.

Components are configuration: the defaults below cover the imaging service's parts, and a deployment may
replace them (bot/incidents.py reads INCIDENT_COMPONENTS_FILE). Matching is by whole words on a normalised
text (lower case, accents and punctuation dropped), so "ADT" never matches inside "adtech" and "visor"
matches "Visor" and "visór" alike; speech recognisers' spellings ("packs", "die com") are words too.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

from intake.domain import IntakeError

__all__ = [
    "DEFAULT_COMPONENTS",
    "Component",
    "Components",
    "ComponentsError",
    "components_from_mapping",
    "normalise",
]

_KEY = re.compile(r"[a-z][a-z0-9_]{0,31}")


class ComponentsError(IntakeError, ValueError):
    """A component list that cannot be used (bad key, no words, a duplicate)."""


def normalise(text: str) -> str:
    """Lower case, accents dropped, anything but letters and digits a single space: what words match on."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^0-9a-z]+", " ", plain).split())


@dataclass(frozen=True)
class Component:
    """A part of the service: its key (stored), its name as customers are told it, and the words for it."""

    key: str
    label: str
    words: tuple[str, ...]

    def __post_init__(self) -> None:
        if not _KEY.fullmatch(self.key):
            raise ComponentsError(f"component key {self.key!r}: lower-case letters, digits and _, at most 32")
        if not self.label.strip():
            raise ComponentsError(f"component {self.key}: a label is needed")
        if not any(normalise(w) for w in self.words):
            raise ComponentsError(f"component {self.key}: at least one word is needed")

    @cached_property
    def pattern(self) -> re.Pattern[str]:
        """Any of the words, whole, on a normalised text; a word may take a plural s."""
        forms = sorted({normalise(w) for w in self.words if normalise(w)}, key=len, reverse=True)
        alternatives = "|".join(re.escape(f) for f in forms)
        return re.compile(rf"(?<![0-9a-z])(?:{alternatives})(?:s|es)?(?![0-9a-z])")


@dataclass(frozen=True)
class Components:
    """The configured components, in order."""

    items: tuple[Component, ...]

    def __post_init__(self) -> None:
        keys = [c.key for c in self.items]
        if len(set(keys)) != len(keys):
            raise ComponentsError("component keys must be unique")

    def get(self, key: str) -> Component | None:
        """The component with `key`, or None."""
        return next((c for c in self.items if c.key == key), None)

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(c.key for c in self.items)

    def named_in(self, text: str) -> tuple[str, ...]:
        """The keys of the components `text` names, in the order the text first names them."""
        plain = normalise(text)
        found: list[tuple[int, int, str]] = []
        for order, component in enumerate(self.items):
            match = component.pattern.search(plain)
            if match is not None:
                found.append((match.start(), order, component.key))
        return tuple(key for _, _, key in sorted(found))

    def label(self, key: str) -> str:
        """The component's name for customers (its key when it is no longer configured)."""
        component = self.get(key)
        return component.label if component is not None else key.replace("_", " ")


def components_from_mapping(data: Mapping[str, object]) -> Components:
    """Components from configuration: {key: {"label": "...", "words": ["...", ...]}}, in the mapping's order."""
    items = []
    for key, spec in data.items():
        if not isinstance(spec, Mapping):
            raise ComponentsError(f"component {key}: expected an object with label and words")
        label, words = spec.get("label", key), spec.get("words", ())
        if not isinstance(label, str) or not isinstance(words, Sequence) or isinstance(words, str):
            raise ComponentsError(f"component {key}: label must be text and words a list of texts")
        if not all(isinstance(w, str) for w in words):
            raise ComponentsError(f"component {key}: every word must be text")
        items.append(Component(key=str(key), label=label, words=tuple(str(w) for w in words)))
    if not items:
        raise ComponentsError("at least one component is needed")
    return Components(tuple(items))


# English first, then the obvious Spanish, French, German and Portuguese words; speech forms as a recogniser
# writes them. Words shared by two parts ("portal") are left to the longer phrases that tell them apart.
DEFAULT_COMPONENTS = Components(
    (
        Component(
            "viewer",
            "viewer",
            (
                "viewer",
                "image viewer",
                "zero footprint viewer",
                "web viewer",
                "diagnostic viewer",
                "open studies",
                "open a study",
                "open images",
                "load images",
                "images won't load",
                "images wont load",
                "images not loading",
                "images are not loading",
                "hanging protocol",
                "visor",
                "visualizador",
                "visionneuse",
                "visualiseur",
                "betrachter",
                "bildbetrachter",
            ),
        ),
        Component(
            "worklist",
            "worklist",
            (
                "worklist",
                "work list",
                "reading list",
                "reading queue",
                "study list",
                "lista de trabajo",
                "liste de travail",
                "arbeitsliste",
                "lista de trabalho",
            ),
        ),
        Component(
            "archive",
            "archive",
            (
                "archive",
                "pacs",
                "packs",
                "pax",
                "long term storage",
                "prior studies",
                "priors",
                "vna",
                "archivo",
                "archivage",
                "archiv",
                "arquivo",
            ),
        ),
        Component(
            "ingestion",
            "image sending from modalities",
            (
                "modality send",
                "modality sends",
                "modalities",
                "modality",
                "ingestion",
                "dicom",
                "die com",
                "dye com",
                "dicom send",
                "c store",
                "studies not arriving",
                "images not arriving",
                "studies are not arriving",
                "images are not arriving",
                "scanner can't send",
                "router",
                "dicom router",
                "envio de imagenes",
                "modalidad",
                "modalidades",
                "envoi des images",
                "modalite",
                "modalites",
                "bildversand",
                "modalitat",
                "modalitaten",
                "envio de imagens",
            ),
        ),
        Component(
            "reporting",
            "reporting",
            (
                "reporting",
                "report editor",
                "dictation",
                "dictate",
                "speech recognition",
                "voice recognition",
                "sign reports",
                "signing reports",
                "informes",
                "dictado",
                "comptes rendus",
                "dictee",
                "befundung",
                "befunde",
                "diktat",
                "laudos",
                "laudo",
                "ditado",
            ),
        ),
        Component(
            "referring_portal",
            "referring physician portal",
            (
                "referring portal",
                "referrer portal",
                "referring physician portal",
                "physician portal",
                "doctor portal",
                "referring doctors",
                "referring physicians",
                "portal de medicos",
                "portail medecin",
                "portail des medecins",
                "zuweiserportal",
                "portal do medico",
                "portal medico",
            ),
        ),
        Component(
            "patient_portal",
            "patient portal",
            (
                "patient portal",
                "patients portal",
                "portal del paciente",
                "portal de pacientes",
                "portail patient",
                "portail des patients",
                "patientenportal",
                "portal do paciente",
            ),
        ),
        Component(
            "hl7",
            "HL7 orders and ADT interface",
            (
                "hl7",
                "h l 7",
                "h l seven",
                "hl seven",
                "adt",
                "a d t",
                "orders interface",
                "order interface",
                "interface engine",
                "orders not arriving",
                "orders are not arriving",
                "orders not crossing",
                "interfaz",
                "schnittstelle",
                "interface hl7",
            ),
        ),
        Component(
            "login",
            "sign-in",
            (
                "login",
                "log in",
                "logon",
                "log on",
                "sign in",
                "signin",
                "sso",
                "single sign on",
                "s s o",
                "authentication",
                "two factor",
                "mfa",
                "iniciar sesion",
                "inicio de sesion",
                "connexion",
                "se connecter",
                "anmeldung",
                "anmelden",
                "entrar",
                "acesso",
            ),
        ),
    )
)

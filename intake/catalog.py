"""Customer-facing words by message id and locale: gettext catalogs (Babel .po files) under intake/locale.

A message id is the English sentence itself, marked with `N_` where it is written (intake/wording*.py,
intake/prompts.py, intake/numbers_times.py, intake/guided_questions.py) so that `pybabel extract -F babel.cfg`
finds it (docs/TRANSLATING.md); a sentence with a count is a pair written out in an `ngettext` call.
`gettext(message, locale)` returns it in the customer's locale (`fr-CA`, then `fr`) when a catalog translates
it, else in English. Catalogs are read from the package's own .po files on first use, so a fresh clone needs
no compile step.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache, lru_cache
from gettext import GNUTranslations, NullTranslations
from importlib import resources
from importlib.resources.abc import Traversable
from io import BytesIO
from typing import NamedTuple

from babel import Locale, UnknownLocaleError
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

DEFAULT_LOCALE = "en"
DOMAIN = "messages"


def N_(message: str) -> str:
    """Mark `message` for extraction; it is looked up in the customer's locale where it is said."""
    return message


class Translated(NamedTuple):
    """A message as it is said, and the catalog's locale it came from (`en` when said as written)."""

    text: str
    locale: str


@dataclass(frozen=True)
class Entry:
    """One message of a catalog: its id (and plural id), and its translated forms ("" where not translated)."""

    id: str
    plural: str | None
    forms: tuple[str, ...]

    @property
    def translated(self) -> bool:
        return bool(self.forms) and all(self.forms)


@dataclass(frozen=True)
class _Catalog:
    entries: Mapping[str, Entry] = field(default_factory=dict)
    translations: NullTranslations = field(default_factory=NullTranslations)

    def translates(self, message: str) -> bool:
        entry = self.entries.get(message)
        return entry is not None and entry.translated


class Catalogs:
    """The translations in a `<root>/<locale>/LC_MESSAGES/messages.po` tree, read once per locale."""

    def __init__(self, root: Traversable) -> None:
        self._root = root
        self._read = cache(self._load)
        # A turn says a few dozen sentences, each looked up through two or three catalogs; the catalogs never
        # change once read, so the answer for a message in a locale is kept (bounded: locales come from clients).
        self._said = lru_cache(maxsize=4096)(self._find)

    def lookup(self, message: str, locale: str | None = None) -> Translated:
        """`message` in the first of `locale`'s candidates (`fr_CA`, `fr`) that translates it, else in English."""
        return self._said(message, locale)

    def _find(self, message: str, locale: str | None) -> Translated:
        for name in (*candidates(locale), DEFAULT_LOCALE):
            catalog = self._read(name)
            if catalog.translates(message):
                return Translated(catalog.translations.gettext(message), name)
        # The English catalog leaves msgstr empty: a message id is its own English (gettext's rule).
        return Translated(message, DEFAULT_LOCALE)

    def gettext(self, message: str, locale: str | None = None) -> str:
        """`message` in the customer's `locale`, else in English."""
        return self.lookup(message, locale).text

    def ngettext(self, singular: str, plural: str, n: int, locale: str | None = None) -> str:
        """The form for `n` of a message with a count, by the plural rule of the catalog that translates it."""
        for name in (*candidates(locale), DEFAULT_LOCALE):
            catalog = self._read(name)
            if catalog.translates(singular):
                return catalog.translations.ngettext(singular, plural, n)
        return singular if n == 1 else plural

    def messages(self, locale: str) -> Mapping[str, Entry]:
        """The catalog of `locale` exactly (no fallback): every message id -> its entry."""
        return self._read(locale).entries

    def _load(self, locale: str) -> _Catalog:
        path = self._root / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
        if not path.is_file():
            return _Catalog()
        with path.open("rb") as po:
            catalog = read_po(po, locale=locale, domain=DOMAIN, abort_invalid=True)
        entries = {}
        for message in catalog:
            if not message.id:
                continue
            ids = message.id if isinstance(message.id, tuple) else (message.id, None)
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            # A fuzzy entry is a translator's guess, not yet a translation: English is better than a wrong sentence.
            forms = tuple("" if message.fuzzy or not isinstance(s, str) else s for s in strings)
            entries[str(ids[0])] = Entry(str(ids[0]), None if ids[1] is None else str(ids[1]), forms)
        # The standard library's gettext picks a count's form by the catalog's Plural-Forms, from a compiled copy.
        compiled = BytesIO()
        write_mo(compiled, catalog)
        compiled.seek(0)
        return _Catalog(entries, GNUTranslations(compiled))


@lru_cache(maxsize=256)  # every sentence of a turn is looked up in the same few locales; parsing one takes 3 us
def candidates(locale: str | None) -> tuple[str, ...]:
    """Catalog names to try for a Bot Framework or HTTP locale: `en-US` -> (`en_US`, `en`); junk -> ()."""
    if not locale:
        return ()
    try:
        parsed = Locale.parse(locale.strip().replace("-", "_"))
    except (ValueError, TypeError, UnknownLocaleError):
        return ()
    full = str(parsed)
    return (full, parsed.language) if full != parsed.language else (full,)


PACKAGED = Catalogs(resources.files("intake") / "locale")


def lookup(message: str, locale: str | None = None) -> Translated:
    """`message` in the customer's `locale` and the locale it is said in (for the names of days and months)."""
    return PACKAGED.lookup(message, locale)


def gettext(message: str, locale: str | None = None) -> str:
    """`message` (an English message id) in the customer's `locale`, falling back to English."""
    return PACKAGED.gettext(message, locale)


def ngettext(singular: str, plural: str, n: int, locale: str | None = None) -> str:
    """The form of a message with a count for `n`, in the customer's `locale`, falling back to English."""
    return PACKAGED.ngettext(singular, plural, n, locale)

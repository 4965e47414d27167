"""Customer-facing words by message id and locale: gettext catalogs (Babel .po files) under intake/locale.

A message id is the English sentence itself, marked with `N_` where it is written (intake/wording_*.py) so
that `pybabel extract -F babel.cfg` finds it (docs/TRANSLATING.md). `gettext(message, locale)` returns it in
the customer's locale (`fr-CA`, then `fr`) when a catalog translates it, else in English. Catalogs are read
from the package's own .po files on first use, so a fresh clone needs no compile step.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable

from babel import Locale, UnknownLocaleError
from babel.messages.pofile import read_po

DEFAULT_LOCALE = "en"
DOMAIN = "messages"


def N_(message: str) -> str:
    """Mark `message` for extraction; it is looked up in the customer's locale where it is said."""
    return message


class Catalogs:
    """The translations in a `<root>/<locale>/LC_MESSAGES/messages.po` tree, read once per locale."""

    def __init__(self, root: Traversable) -> None:
        self._root = root
        self._read = cache(self._load)

    def gettext(self, message: str, locale: str | None = None) -> str:
        """`message` in the first of `locale`'s candidates (`fr_CA`, `fr`) that translates it, else in English."""
        for name in (*candidates(locale), DEFAULT_LOCALE):
            translated = self._read(name).get(message)
            if translated:
                return translated
        # The English catalog leaves msgstr empty: a message id is its own English (gettext's rule).
        return message

    def messages(self, locale: str) -> Mapping[str, str]:
        """The catalog of `locale` exactly (no fallback): every message id -> its translation ("" if none yet)."""
        return self._read(locale)

    def _load(self, locale: str) -> Mapping[str, str]:
        path = self._root / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
        if not path.is_file():
            return {}
        with path.open("rb") as po:
            catalog = read_po(po, locale=locale, domain=DOMAIN, abort_invalid=True)
        # A fuzzy entry is a translator's guess, not yet a translation: English is better than a wrong sentence.
        return {str(m.id): "" if m.fuzzy or not isinstance(m.string, str) else m.string for m in catalog if m.id}


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


def gettext(message: str, locale: str | None = None) -> str:
    """`message` (an English message id) in the customer's `locale`, falling back to English."""
    return PACKAGED.gettext(message, locale)

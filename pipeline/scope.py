"""One resolver for what a command works on: programmes, registry, provinces.

Every command that takes ``--programme``, ``--registry`` or ``--province``
turns them into a :class:`Scope` with :func:`resolve_scope`, so the rules are
the same everywhere:

* a programme brings its shipped registry and its province;
* ``--registry FILE`` replaces the shipped registry (limited to ``--programme``
  when both are given);
* ``--province`` names the provinces of province-wide layers; without it the
  programmes' provinces are used;
* the counties a pairs layer needs (:attr:`Scope.pair_provinces`) are those
  provinces plus every province a registry county lies in.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

import pandas as pd

from countylink.errors import CountylinkError

#: What a command cannot do without.
Requirement = Literal["pairs", "provinces", "pairs_or_provinces"]


@dataclass(frozen=True)
class Scope:
    """Programmes, provinces and pairs a command works on.

    Attributes
    ----------
    programmes
        Shipped programme ids in the user's order (empty for a registry file
        given without ``--programme``, or for province-only commands).
    provinces
        Province keys for province-wide layers (counties, gaps, stations ...).
    registry
        The pairs registry (schema of :func:`countylink.layers.pairs.load_registry`):
        the programmes' shipped registries, or the user's file; None when the
        scope has no pairs.
    user_registry
        True when ``registry`` comes from the user's ``--registry`` file.
    """

    programmes: tuple[str, ...] = ()
    provinces: tuple[str, ...] = ()
    registry: pd.DataFrame | None = field(default=None, compare=False)
    user_registry: bool = False

    @property
    def programme(self) -> str | None:
        """The single programme id, or None (no programme or several)."""
        return self.programmes[0] if len(self.programmes) == 1 else None

    @property
    def label(self) -> str:
        """How messages name the pairs: the programme id(s), or ``registry``."""
        return ",".join(self.programmes) if self.programmes else "registry"

    @property
    def adcodes(self) -> tuple[str, ...]:
        """Helper and helped adcodes of the registry (sorted; empty without pairs)."""
        if self.registry is None:
            return ()
        codes = pd.concat([self.registry["helper_adcode"], self.registry["helped_adcode"]]).dropna()
        return tuple(sorted(set(codes) - {""}))

    @property
    def pair_provinces(self) -> tuple[str, ...]:
        """Province keys whose counties the pairs layers need (sorted).

        A shipped programme's pairs lie in its province; a user registry may
        reach any province its adcodes name, added to :attr:`provinces`.
        """
        from countylink.geo.provinces import province_key
        from countylink.layers.pairs import programme_province

        if not self.user_registry:
            return tuple(dict.fromkeys(programme_province(p) for p in self.programmes))
        return tuple(sorted(set(self.provinces) | {province_key(code[:2]) for code in self.adcodes}))

    def registry_of(self, programme: str | None) -> pd.DataFrame:
        """Registry rows of one programme (all rows for ``None``)."""
        if self.registry is None:
            raise CountylinkError("this command has no pairs: name a programme with --programme")
        if programme is None:
            return self.registry
        return self.registry[self.registry["programme"] == programme].reset_index(drop=True)


def resolve_scope(
    *,
    programmes: str | Iterable[str] | None = None,
    registry: str | os.PathLike | None = None,
    provinces: str | Iterable[str] | None = None,
    require: Requirement | None = None,
    all_programmes: bool = False,
) -> Scope:
    """Turn the command options ``--programme``, ``--registry``, ``--province`` into a :class:`Scope`.

    Parameters
    ----------
    programmes
        Programme id(s) (``--programme``, repeatable for some commands).
    registry
        A user's registry CSV (``--registry``).
    provinces
        Province keys, Chinese names or 2-digit codes (``--province``).
    require
        ``"pairs"``: a programme or registry is needed; ``"provinces"``: a
        province is needed; ``"pairs_or_provinces"``: either.
    all_programmes
        Use every shipped programme when none is named (``countylink run``).

    Raises
    ------
    CountylinkError
        Unknown programme or province, unreadable registry, or a missing
        requirement (one sentence naming the option to add).
    """
    from countylink.geo.provinces import province_key
    from countylink.layers.pairs import PROGRAMMES, load_registry, programme_province

    progs = (programmes,) if isinstance(programmes, str) else tuple(programmes or ())
    progs = tuple(dict.fromkeys(progs))
    if not progs and all_programmes and registry is None:
        progs = tuple(PROGRAMMES)
    for p in progs:
        programme_province(p)  # unknown programme -> NotFoundError naming the known ones
    if require == "pairs" and not progs and registry is None:
        raise CountylinkError(
            f"name a programme with --programme ({', '.join(PROGRAMMES)}) or a registry with --registry FILE"
        )
    given = (provinces,) if isinstance(provinces, str) else tuple(provinces or ())
    keys = tuple(dict.fromkeys(province_key(p) for p in given))
    if registry is not None:
        if len(progs) > 1:
            raise CountylinkError("--registry takes at most one --programme")
        table = load_registry(progs[0] if progs else None, path=registry)
    elif progs:
        table = pd.concat([load_registry(p) for p in progs], ignore_index=True)
    else:
        table = None
    keys = keys or tuple(dict.fromkeys(programme_province(p) for p in progs))
    if require == "provinces" and not keys:
        raise CountylinkError("give at least one --province (e.g. shandong, zhejiang, 山东省)")
    if require == "pairs_or_provinces" and not keys and table is None:
        raise CountylinkError("name a province with --province (or a programme with --programme)")
    return Scope(programmes=progs, provinces=keys, registry=table, user_registry=registry is not None)

"""The random draw, as pure functions: given the same seed and candidate lists, the same sites.

The rule (docs/ARCHITECTURE.md, "Sampling"):
1. A stratum is one site type in one sub-district. Its candidates are the active sites of that
   type anywhere inside the sub-district, minus those excluded beforehand (inspected in the last
   N days), sorted by site code. Exclusions are recorded with the draw.
2. Each stratum is drawn with its own generator, `random.Random(f"{seed}/{stratum key}")`, where
   the key is "<sub-district code>/<site type code>": adding or removing a stratum never changes
   another stratum's sites, and row ids play no part.
3. `Random.sample(candidates, k)` draws k sites without replacement; every site of the stratum
   is equally likely (checked by a chi-square test over 20,000 draws). With fewer candidates
   than asked for, all are taken and the shortfall is recorded.
4. Preferred sites first (long-term management: sites overdue for coverage, rebound hotspots;
   docs/ARCHITECTURE.md, "Long-term management"). A stratum may name some of its candidates as
   preferred; the same generator then draws among the preferred first and, if the count is not
   reached, among the rest: `rng.sample(preferred, min(k, len(preferred)))` followed by
   `rng.sample(others, k - that)`, each list sorted by code. Inside each group every site is
   equally likely; with nothing preferred the draw is exactly rule 3 (sampling the empty
   preferred group takes no random numbers), so draws made before this rule repeat unchanged.

Anyone holding the SampleDraw (seed + candidate lists) can repeat it with `draw_repeat`, or in
a Python shell with the two lines in `draw_stratum`."""

import random
import secrets

ALGORITHM = "py-random-sample-v1"


def new_seed() -> str:
    """A fresh seed when the office gives none: 12 decimal digits, easy to read out in a meeting."""
    return f"{secrets.randbelow(10**12):012d}"


def draw_stratum(seed: str, key: str, candidates: list[str], count: int, preferred=()) -> list[str]:
    """Draw `count` of the candidates (site codes) for one stratum, the preferred ones first."""
    preferred = set(preferred)
    first = sorted(code for code in set(candidates) if code in preferred)
    rest = sorted(code for code in set(candidates) if code not in preferred)
    rng = random.Random(f"{seed}/{key}")
    drawn = rng.sample(first, min(count, len(first)))
    return drawn + rng.sample(rest, min(count - len(drawn), len(rest)))


def draw_repeat(seed: str, strata: list[dict]) -> dict[str, list[str]]:
    """Recompute a stored draw from its seed and candidate lists: stratum key -> drawn codes."""
    return {
        stratum["key"]: draw_stratum(
            seed,
            stratum["key"],
            [c["code"] for c in stratum["candidates"]],
            stratum["count"],
            [c["code"] for c in stratum["candidates"] if c.get("preferred")],
        )
        for stratum in strata
    }

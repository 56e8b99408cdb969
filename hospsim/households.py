"""Households from types (population.households): who lives with whom, drawn after everyone's age and sex.

Ages and sexes come first (the pyramid stays exactly the params'), then people are grouped: everyone under 18
and a share of young adults live as someone's child; children are cut into sibling groups of close ages; each
group gets a mother 15-49 years older (a father when no woman fits, else it joins another family); some
mothers get a partner, and a share of the single-parent families are a father's; of the other adults some live
alone (the old more often), some as couples, some in other shared households, and the rest join a family
(grandparents, relatives). The household count is population / household_size, so the mean size holds; the
type shares hold while the people allow.
"""
from __future__ import annotations

import numpy as np

HEAD, PARTNER, CHILD, OTHER = 0, 1, 2, 3
"""A person's place in the household: the order members are listed in."""
ADULT_AGE = 18
_SIBLING_AGE_NOISE = 3.0         # years of noise before cutting age-sorted children into sibling groups


def _by_age(age: np.ndarray, bands) -> np.ndarray:
    """Each person's value from a table of {min_age, max_age, share} bands (0 outside them)."""
    out = np.zeros(age.size)
    for b in bands:
        out[(age >= b.min_age) & (age <= b.max_age)] = b.share
    return out


def _draw_ages(rng: np.random.Generator, bands, n: int) -> np.ndarray:
    """Integer ages drawn from a {min_age, max_age, share} distribution, uniform within a band."""
    shares = np.array([b.share for b in bands], dtype=float)
    band = rng.choice(len(bands), size=n, p=shares / shares.sum())
    lo = np.array([b.min_age for b in bands])[band]
    hi = np.array([b.max_age for b in bands])[band]
    return lo + (rng.random(n) * (hi - lo + 1)).astype(np.int64)


def match(rng: np.random.Generator, want: np.ndarray, lo: np.ndarray, hi: np.ndarray, pool: np.ndarray,
          pool_age: np.ndarray) -> np.ndarray:
    """For each want (a target age within [lo, hi]) a distinct member of pool of that age, or -1.

    Passes widen the target (want + 0, +1, -1, +2, -2, ...) inside [lo, hi]; in each pass the wants aiming at
    one age take that age's next free members (the pool in a random order within each age), so nobody is
    matched twice and close ages go first. The wants stay sorted by age, so a pass costs no sort.
    """
    out = np.full(want.size, -1, dtype=np.int64)
    if not want.size or not pool.size:
        return out
    shuffle = rng.permutation(pool.size)
    by_age = pool[shuffle][np.argsort(pool_age[shuffle], kind="stable")]   # random order within each age
    top = int(pool_age.max()) + 1
    size = np.bincount(pool_age, minlength=top)
    start = np.concatenate([[0], np.cumsum(size)[:-1]])
    used = np.zeros(top, dtype=np.int64)                                   # taken from the front of each age
    lo, hi = np.maximum(lo, pool_age.min()), np.minimum(hi, top - 1)
    order = rng.permutation(want.size)
    order = order[np.argsort(want[order], kind="stable")]
    pending = order[lo[order] <= hi[order]]
    reach = int(np.maximum(want - lo, hi - want)[pending].max(initial=-1))
    for offset in (s * k for k in range(reach + 1) for s in ((1,) if k == 0 else (1, -1))):
        if not pending.size:
            break
        target = want[pending] + offset                                    # sorted, as want is
        fits = (target >= lo[pending]) & (target <= hi[pending])
        rows, target = pending[fits], target[fits]
        if not rows.size:
            continue
        index = np.arange(target.size)
        first = np.maximum.accumulate(np.where(np.r_[True, target[1:] != target[:-1]], index, 0))
        rank = index - first + used[target]
        ok = rank < size[target]
        out[rows[ok]] = by_age[start[target[ok]] + rank[ok]]
        used += np.bincount(target[ok], minlength=top)
        pending = pending[out[pending] < 0]
    return out


def _sibling_groups(rng: np.random.Generator, children: np.ndarray, age: np.ndarray, n_groups: int):
    """Children cut into n_groups groups of close ages (1 + an even spread of the rest): members, starts."""
    noisy = age[children] + rng.normal(0, _SIBLING_AGE_NOISE, children.size)
    members = children[np.argsort(noisy, kind="stable")]
    sizes = 1 + np.bincount(rng.integers(0, n_groups, children.size - n_groups), minlength=n_groups)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    return members, starts, sizes


def _parents(rng, members, starts, sizes, age, female, adults, mother_ages):
    """A mother (else a father, else a grandparent) per sibling group: the parent's index, or -1 where none fits."""
    oldest = np.maximum.reduceat(age[members], starts)
    youngest = np.minimum.reduceat(age[members], starts)
    want = oldest + _draw_ages(rng, mother_ages, starts.size)
    lo, hi = oldest + 15, np.maximum(youngest + 49, oldest + 15)
    women = adults[female[adults]]
    parent = match(rng, np.clip(want, lo, hi), lo, hi, women, age[women])
    orphan = parent < 0
    if orphan.any():
        used = np.zeros(age.size, dtype=bool)
        used[parent[~orphan]] = True
        men = adults[~female[adults] & ~used[adults]]
        parent[orphan] = match(rng, np.clip(want[orphan] + 3, oldest[orphan] + 18, youngest[orphan] + 60),
                               oldest[orphan] + 18, youngest[orphan] + 60, men, age[men])
    orphan = parent < 0
    if orphan.any():                                 # a grandparent (or any adult 15+ years older) keeps them
        used = np.zeros(age.size, dtype=bool)
        used[parent[~orphan]] = True
        rest = adults[~used[adults]]
        lo = oldest[orphan] + 15
        parent[orphan] = match(rng, lo + 30, lo, np.full(lo.size, 10_000), rest, age[rest])
    return parent


def _pick(rng: np.random.Generator, candidates: np.ndarray, k: int, weight: np.ndarray | None = None) -> np.ndarray:
    """k distinct candidates, with probability rising with weight (exponential keys); all if k >= len."""
    if k >= candidates.size:
        return candidates
    key = rng.random(candidates.size) if weight is None else np.log(rng.random(candidates.size)) / weight
    # sorted: the set is the k largest keys, and its order must not hang on the partition's implementation
    return np.sort(candidates[np.argpartition(-key, k - 1)[:k]]) if k > 0 else candidates[:0]


def build(rng: np.random.Generator, age: np.ndarray, female: np.ndarray, shape, mean_size: float):
    """(household id, place in it) per person; ids run 0..H-1 in a random order of types.

    age: whole years on the start date; female: bool; shape: population.households.
    """
    n = age.size
    household = np.full(n, -1, dtype=np.int64)
    place = np.full(n, OTHER, dtype=np.int8)
    if n == 0:
        return household, place
    total = max(1, round(n / mean_size))
    is_child = (age < ADULT_AGE) | (rng.random(n) < _by_age(age, shape.living_with_parents))
    children, adults = np.flatnonzero(is_child), np.flatnonzero(~is_child)
    next_id = _families(rng, shape, total, children, adults, age, female, household, place)
    free = np.flatnonzero((household < 0) & (age >= ADULT_AGE))
    n_alone = min(round(shape.one_person * total), free.size)
    with np.errstate(divide="ignore"):
        alone = _pick(rng, free, n_alone, _by_age(age[free], shape.one_person_age_weights))
    household[alone] = next_id + np.arange(alone.size)
    place[alone] = HEAD
    next_id += alone.size
    singles = next_id
    next_id = _couples(rng, shape, total, age, female, household, place, next_id)
    free = rng.permutation(np.flatnonzero(household < 0))
    n_other = max(0, min(total - next_id, free.size // 2))
    household[free[:2 * n_other]] = next_id + np.arange(2 * n_other) // 2
    place[free[:2 * n_other:2]] = HEAD
    next_id += n_other
    _join(rng, household, next_id, singles - alone.size, singles)
    label = rng.permutation(next_id + int((household < 0).any()))
    household[household < 0] = next_id              # only without any adult: the children keep house together
    return label[household], place


def _families(rng, shape, total, children, adults, age, female, household, place) -> int:
    """Sibling groups with their parents (and partners); returns the number of family households."""
    n_groups = min(round((shape.couple_with_children + shape.single_parent) * total), children.size)
    if n_groups == 0 or adults.size == 0:
        return 0
    members, starts, sizes = _sibling_groups(rng, children, age, n_groups)
    parent = _parents(rng, members, starts, sizes, age, female, adults, shape.mother_age_at_birth)
    has = parent >= 0
    if not has.any():        # a tiny or odd pyramid: no adult 15+ years older; the oldest adult keeps them all
        parent[0], has[0] = adults[np.argmax(age[adults])], True
    fid = np.cumsum(has) - 1                         # family id of each parented group
    home = np.where(has, fid, rng.integers(0, has.sum(), size=has.size))   # the rest join a random family
    household[members] = np.repeat(home, sizes)
    place[members] = CHILD
    heads = parent[has]
    household[heads] = fid[has]
    place[heads] = HEAD
    mothers = heads[female[heads]]
    share = shape.couple_with_children / (shape.couple_with_children + shape.single_parent)
    chosen = _pick(rng, mothers, round(share * heads.size))
    _partners(rng, chosen, age, female, household, place, shape.partner_age_gap)
    single = np.setdiff1d(mothers, chosen)
    single = _pick(rng, single, round(shape.single_father_share * single.size))
    group = np.full(age.size, -1, dtype=np.int64)
    group[heads] = np.flatnonzero(has)
    oldest = np.maximum.reduceat(age[members], starts)[group[single]]
    youngest = np.minimum.reduceat(age[members], starts)[group[single]]
    _fathers_instead(rng, single, oldest + 18, youngest + 60, age, female, household, place, shape.partner_age_gap)
    return int(has.sum())


def _fathers_instead(rng, mothers, lo, hi, age, female, household, place, gap) -> None:
    """Single-father families: a man of about the mother's partner's age heads them, she leaves (to live alone,
    in a couple or with others later)."""
    men = np.flatnonzero(~female & (household < 0) & (age >= ADULT_AGE))
    want = age[mothers] + np.rint(rng.normal(gap.mean, gap.sd, mothers.size)).astype(np.int64)
    father = match(rng, np.clip(want, lo, np.maximum(lo, hi)), lo, hi, men, age[men])
    ok = father >= 0
    household[father[ok]], place[father[ok]] = household[mothers[ok]], HEAD
    household[mothers[ok]], place[mothers[ok]] = -1, OTHER


def _partners(rng, women, age, female, household, place, gap) -> None:
    """A man for each woman (about gap years older, 18+), put in her household; some stay without."""
    men = np.flatnonzero(~female & (household < 0) & (age >= ADULT_AGE))
    want = age[women] + np.rint(rng.normal(gap.mean, gap.sd, women.size)).astype(np.int64)
    lo = np.full(women.size, ADULT_AGE)
    partner = match(rng, np.maximum(want, ADULT_AGE), lo, np.full(women.size, 200), men, age[men])
    ok = partner >= 0
    household[partner[ok]] = household[women[ok]]
    place[partner[ok]] = PARTNER


def _couples(rng, shape, total, age, female, household, place, next_id) -> int:
    """Couples without children from the adults still free; returns the next household id."""
    women = np.flatnonzero(female & (household < 0) & (age >= ADULT_AGE))
    women = _pick(rng, women, min(round(shape.couple * total), women.size))
    household[women] = next_id + np.arange(women.size)
    place[women] = HEAD
    _partners(rng, women, age, female, household, place, shape.partner_age_gap)
    alone = np.bincount(household[household >= next_id] - next_id, minlength=women.size) == 1
    if alone.any():                                  # no partner found: she goes back to the free adults
        household[women[alone]] = -1
        place[women[alone]] = OTHER
        kept = np.flatnonzero(~alone)
        remap = np.full(women.size, -1)
        remap[kept] = np.arange(kept.size)
        mine = household >= next_id
        household[mine] = next_id + remap[household[mine] - next_id]
    return next_id + int((~alone).sum())


def _join(rng, household, n_households, alone_first, alone_end) -> None:
    """Adults still without a home join a random household that is not a one-person one."""
    free = np.flatnonzero(household < 0)
    open_to = np.ones(n_households, dtype=bool)
    open_to[alone_first:alone_end] = False
    shared = np.flatnonzero(open_to)
    if free.size and shared.size:
        household[free] = shared[rng.integers(0, shared.size, free.size)]

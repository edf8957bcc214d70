"""What must hold before a draft version is published (reads only).

- Completeness: at least one practice; every practice has a component and every component an
  indicator; every indicator has text and a descriptor for every level of the scale (and none for
  a level the scale does not have).
- No orphaned ratings: an indicator of the previous version that assessments have rated must be
  continued by an indicator of the new one (its ``derived_from``), so ratings compare across
  versions.
"""

from __future__ import annotations

from collections import defaultdict

from turnaround.frameworks.io import content_queryset
from turnaround.frameworks.models import FrameworkVersion, Indicator
from turnaround.frameworks.problems import Problem


def _range(codes: list[int]) -> str:
    return f"{min(codes)}–{max(codes)}" if codes else "none"


def completeness_problems(version: FrameworkVersion) -> list[Problem]:
    framework = version.framework
    levels = list(version.scale.levels.all())
    codes = {lv.code for lv in levels}
    problems: list[Problem] = []
    practices = list(content_queryset(version))
    if not practices:
        problems.append(Problem((), f"the version has no {framework.practice_term.lower()}s"))
    for p in practices:
        components = list(p.components.all())
        if not components:
            problems.append(
                Problem((p.code,), f"has no {framework.component_term.lower()}s; add one")
            )
        for c in components:
            indicators = list(c.indicators.all())
            if not indicators:
                problems.append(Problem((c.code,), "has no indicators; add one"))
            for i in indicators:
                if not i.text.strip():
                    problems.append(Problem((i.code,), "the indicator has no text"))
                have = {d.level_code for d in i.descriptors.all() if d.text.strip()}
                missing = [lv for lv in levels if lv.code not in have]
                if missing:
                    shown = ", ".join(f"{lv.code} ({lv.label})" for lv in missing)
                    word = "level" if len(missing) == 1 else "levels"
                    problems.append(Problem((i.code,), f"no descriptor for {word} {shown}"))
                for extra in sorted(have - codes):
                    problems.append(
                        Problem(
                            (i.code,),
                            f"a descriptor for level {extra}, which is not on the scale "
                            f"'{version.scale.key}' "
                            f"(levels {_range(sorted(codes))}); delete its descriptor",
                        )
                    )
    return problems


def rated_assessments(indicator_ids: list[int]) -> dict[int, set[int]]:
    """indicator id → ids of the assessments holding a consensus or reviewer rating of it."""
    found: dict[int, set[int]] = defaultdict(set)
    if not indicator_ids:
        return found
    for relation in ("consensus_ratings", "reviewer_ratings"):
        rows = (
            Indicator.objects.filter(pk__in=indicator_ids, **{f"{relation}__isnull": False})
            .values_list("pk", f"{relation}__assessment_id")
            .distinct()
        )
        for pk, assessment_id in rows:
            found[pk].add(assessment_id)
    return found


def orphan_problems(version: FrameworkVersion) -> list[Problem]:
    previous = version.previous
    if previous is None:
        return []
    continued = set(
        Indicator.objects.filter(framework_version=version, derived_from__isnull=False).values_list(
            "derived_from_id", flat=True
        )
    )
    dropped = dict(
        Indicator.objects.filter(framework_version=previous)
        .exclude(pk__in=continued)
        .values_list("pk", "code")
    )
    problems = []
    rated = rated_assessments(list(dropped))
    for pk, code in sorted(dropped.items(), key=lambda item: item[1]):
        n = len(rated.get(pk, ()))
        if n:
            problems.append(
                Problem(
                    (code,),
                    f"{code} has ratings in {n} assessment{'s' if n != 1 else ''} under "
                    f"v{previous.number}; keep it, or map it to an indicator of "
                    f"v{version.number} before publishing",
                )
            )
    return problems


def publish_problems(version: FrameworkVersion) -> list[Problem]:
    """Everything that stops ``version`` from being published; empty when it may be."""
    if version.status != FrameworkVersion.Status.DRAFT:
        return [Problem((), f"v{version.number} is already {version.get_status_display().lower()}")]
    return completeness_problems(version) + orphan_problems(version)

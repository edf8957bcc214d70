"""The need areas partners serve, and which framework indicators point to which areas.

The areas are the issue's list (staffing and human resources, learning time, social-emotional and
health, climate and culture, instruction, leadership, data use, family engagement, district
systems), after the Massachusetts Priority Partner categories (turnaround-practice.md §8).

``INDICATOR_AREAS`` maps a framework indicator code (Turnaround Practices ``TP…``, district
capacity ``DS…``) to the areas a partner could help with when that indicator is rated low. A code
not listed falls back to its practice (``TP2.4`` → ``TP2``). Codes survive framework versions (a
renamed indicator keeps ``derived_from``), so the mapping follows the seeded frameworks and a
state's copies of them.
"""

from __future__ import annotations

from django.db import models


class NeedArea(models.TextChoices):
    STAFFING_HR = "staffing_hr", "Staffing and human resources"
    LEARNING_TIME = "learning_time", "Learning time"
    SEL_HEALTH = "sel_health", "Social-emotional and health needs"
    CLIMATE_CULTURE = "climate_culture", "Climate and culture"
    INSTRUCTION = "instruction", "Instruction"
    LEADERSHIP = "leadership", "Leadership"
    DATA_USE = "data_use", "Data use"
    FAMILY_ENGAGEMENT = "family_engagement", "Family engagement"
    DISTRICT_SYSTEMS = "district_systems", "District systems of support"


class GradeBand(models.TextChoices):
    ELEMENTARY = "elementary", "Elementary (PK–5)"
    MIDDLE = "middle", "Middle (6–8)"
    HIGH = "high", "High (9–12)"


A = NeedArea

#: practice code → areas (the fallback for indicators not listed below)
PRACTICE_AREAS: dict[str, tuple[NeedArea, ...]] = {
    "TP1": (A.LEADERSHIP, A.STAFFING_HR),
    "TP2": (A.INSTRUCTION, A.DATA_USE),
    "TP3": (A.INSTRUCTION, A.LEARNING_TIME, A.SEL_HEALTH),
    "TP4": (A.CLIMATE_CULTURE, A.SEL_HEALTH),
    "DS1": (A.DISTRICT_SYSTEMS, A.LEADERSHIP),
    "DS2": (A.DISTRICT_SYSTEMS, A.INSTRUCTION),
    "DS3": (A.DISTRICT_SYSTEMS, A.STAFFING_HR),
    "DS4": (A.DISTRICT_SYSTEMS, A.SEL_HEALTH),
    "DS5": (A.DISTRICT_SYSTEMS, A.DATA_USE),
    "DS6": (A.DISTRICT_SYSTEMS,),
}

#: indicator code → areas, where the indicator is narrower than its practice
INDICATOR_AREAS: dict[str, tuple[NeedArea, ...]] = {
    "TP1.1": (A.LEADERSHIP,),
    "TP1.2": (A.LEADERSHIP, A.DATA_USE),
    "TP1.3": (A.LEADERSHIP,),
    "TP1.4": (A.STAFFING_HR, A.DISTRICT_SYSTEMS),
    "TP1.5": (A.LEARNING_TIME, A.LEADERSHIP),
    "TP1.6": (A.CLIMATE_CULTURE, A.LEADERSHIP),
    "TP2.1": (A.INSTRUCTION,),
    "TP2.2": (A.DATA_USE, A.INSTRUCTION),
    "TP2.3": (A.DATA_USE, A.INSTRUCTION),
    "TP2.4": (A.INSTRUCTION, A.LEADERSHIP),
    "TP2.5": (A.INSTRUCTION, A.STAFFING_HR),
    "TP3.1": (A.INSTRUCTION, A.SEL_HEALTH),
    "TP3.2": (A.DATA_USE, A.INSTRUCTION),
    "TP3.3": (A.LEARNING_TIME,),
    "TP3.4": (A.DATA_USE, A.INSTRUCTION),
    "TP3.5": (A.FAMILY_ENGAGEMENT, A.SEL_HEALTH),
    "TP4.1": (A.CLIMATE_CULTURE,),
    "TP4.2": (A.CLIMATE_CULTURE, A.SEL_HEALTH),
    "TP4.3": (A.SEL_HEALTH,),
    "TP4.4": (A.FAMILY_ENGAGEMENT,),
    "TP4.5": (A.CLIMATE_CULTURE, A.STAFFING_HR),
}


def areas_for_indicator(code: str) -> tuple[NeedArea, ...]:
    """The need areas an indicator points to (its own mapping, else its practice's, else none)."""
    if code in INDICATOR_AREAS:
        return INDICATOR_AREAS[code]
    return PRACTICE_AREAS.get(code.split(".", 1)[0], ())


def area_label(code: str) -> str:
    try:
        return str(NeedArea(code).label)
    except ValueError:
        return code

"""Plan templates, as data: what a new plan starts with when its authors choose a template.

A template names the objectives (one per practice of a framework, titled with the practice's
name as published for the plan's state — ``frameworks.selectors.current_version``) and the
standard measurable annual goals. It carries **no numbers**: targets are the school's to set
(a draft may leave them empty; submitting the plan needs one for every year), and a baseline is
filled only from the school's own results already in the platform (``baseline_from_data``).

Wording is this project's own (reference §4.2–§4.3: Massachusetts statutory goal areas and the
Level 4 plan template organised by Turnaround Practice).
"""

from __future__ import annotations

from dataclasses import dataclass

from turnaround.frameworks.selectors import TURNAROUND_PRACTICES
from turnaround.plans.models import Metric


@dataclass(frozen=True)
class GoalSpec:
    metric: str
    description: str
    subject: str = ""
    student_group: str = "all"
    data_source: str = ""
    statutory_area: str = ""


@dataclass(frozen=True)
class ObjectiveSpec:
    #: the practice code in the framework (``TP1``); the objective's title is its name
    practice: str
    #: what full implementation looks like (project wording)
    description: str


@dataclass(frozen=True)
class PlanTemplate:
    key: str
    name: str
    description: str
    framework_key: str
    objectives: tuple[ObjectiveSpec, ...]
    goals: tuple[GoalSpec, ...]


MA_TURNAROUND = PlanTemplate(
    key="ma-turnaround-practices",
    name="Massachusetts turnaround plan (Turnaround Practices)",
    description=(
        "One objective per Turnaround Practice and the standard measurable annual goals: ELA "
        "and mathematics proficiency, median student growth percentile in both, and chronic "
        "absence. Targets are left for the school to set; baselines come from the school's "
        "latest results where the platform has them."
    ),
    framework_key=TURNAROUND_PRACTICES,
    objectives=(
        ObjectiveSpec(
            "TP1",
            "Leaders set a clear direction tied to measurable goals; a leadership team shares "
            "decisions and responsibility for every student; teacher teams have protected, "
            "structured time to improve together.",
        ),
        ObjectiveSpec(
            "TP2",
            "Every classroom teaches a standards-aligned curriculum; teams use common and "
            "formative assessments to adjust teaching; observation brings timely, actionable "
            "feedback and professional learning follows what data show.",
        ),
        ObjectiveSpec(
            "TP3",
            "A tiered system of academic and non-academic support identifies each student's "
            "needs early, gives time for intervention and enrichment, monitors progress and "
            "regroups students.",
        ),
        ObjectiveSpec(
            "TP4",
            "Behaviour expectations are clear and applied consistently; every student has "
            "positive relationships with adults; families are engaged; the staff culture is "
            "collaborative and focused on achievement.",
        ),
    ),
    goals=(
        GoalSpec(
            Metric.PROFICIENCY,
            "ELA proficiency, all students",
            subject="ELA",
            data_source="State assessment (MCAS)",
            statutory_area="MCAS achievement",
        ),
        GoalSpec(
            Metric.PROFICIENCY,
            "Mathematics proficiency, all students",
            subject="MATH",
            data_source="State assessment (MCAS)",
            statutory_area="MCAS achievement",
        ),
        GoalSpec(
            Metric.GROWTH,
            "ELA median student growth percentile, all students",
            subject="ELA",
            data_source="State assessment (MCAS) growth",
            statutory_area="Progress in areas of underperformance",
        ),
        GoalSpec(
            Metric.GROWTH,
            "Mathematics median student growth percentile, all students",
            subject="MATH",
            data_source="State assessment (MCAS) growth",
            statutory_area="Progress in areas of underperformance",
        ),
        GoalSpec(
            Metric.CHRONIC_ABSENCE,
            "Chronic absence, all students",
            data_source="Student information system (attendance)",
            statutory_area="Attendance, dismissal and exclusion rates",
        ),
    ),
)

TEMPLATES: dict[str, PlanTemplate] = {t.key: t for t in (MA_TURNAROUND,)}


def template_choices() -> list[tuple[str, str]]:
    return [(t.key, t.name) for t in TEMPLATES.values()]


def get_template(key: str) -> PlanTemplate | None:
    return TEMPLATES.get(key)

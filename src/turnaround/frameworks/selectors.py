"""Reading frameworks, and who may do what with them.

- Everyone signed in with at least one membership reads the shared (seeded) frameworks and the
  frameworks of the states they reach; anyone else reads none ("missing" and "not yours" are the
  same 404).
- Only administrators of a framework's state edit it (its drafts), start versions and publish.
  Shared frameworks are read-only for everyone on the web and the API (the ``turnaround
  frameworks`` command and the seed change them); a state administrator copies one into their
  state to change its wording.
- Other apps find the version to use with ``current_version(key, state=…)``: the state's own
  published version of that framework if it has one, otherwise the shared one.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.http import Http404

from turnaround.accounts.access import get_reach, visible_states
from turnaround.accounts.models import User
from turnaround.frameworks.models import Framework, FrameworkVersion, Indicator, RatingScale
from turnaround.organizations.models import State

TURNAROUND_PRACTICES = "turnaround-practices"
DISTRICT_CAPACITY = "district-capacity"
FOCUS_AREAS = "cst-focus-areas"


def _readable_q(user: User | object) -> Q | None:
    """Which frameworks the user reads, or None when they read none."""
    reach = get_reach(user)
    if not reach.roles:
        return None
    state_ids = set(reach.state_ids) | set(visible_states(user).values_list("pk", flat=True))
    return Q(state__isnull=True) | Q(state_id__in=state_ids)


def can_read_frameworks(user: User | object) -> bool:
    return _readable_q(user) is not None


def frameworks_for_user(user: User | object) -> QuerySet[Framework]:
    q = _readable_q(user)
    if q is None:
        return Framework.objects.none()
    return Framework.objects.filter(q).select_related("state").order_by("state__name", "name")


def admin_states_for_user(user: User | object) -> QuerySet[State]:
    """The states whose frameworks the user edits, imports into and copies into."""
    return State.objects.filter(pk__in=get_reach(user).admin_state_ids).order_by("name")


@dataclass(frozen=True)
class FrameworkAccess:
    framework: Framework
    #: administrator of the framework's state (never for a shared framework)
    can_edit: bool
    #: may copy it into a state they administer (shared frameworks, state administrators)
    can_copy: bool


@dataclass(frozen=True)
class VersionAccess:
    version: FrameworkVersion
    access: FrameworkAccess

    @property
    def framework(self) -> Framework:
        return self.access.framework

    @property
    def can_edit(self) -> bool:
        """Change this version's content: a draft of a framework the user administers."""
        return self.access.can_edit and self.version.is_editable


def _access(user: User | object, framework: Framework) -> FrameworkAccess:
    reach = get_reach(user)
    if framework.state_id is None:
        return FrameworkAccess(framework, can_edit=False, can_copy=bool(reach.admin_state_ids))
    return FrameworkAccess(
        framework, can_edit=reach.administers(framework.state_id), can_copy=False
    )


def get_framework_for_user(user: User | object, framework_id: int) -> FrameworkAccess:
    framework = frameworks_for_user(user).filter(pk=framework_id).first()
    if framework is None:
        raise Http404("No such framework.")
    return _access(user, framework)


def get_version_for_user(user: User | object, framework_id: int, number: int) -> VersionAccess:
    access = get_framework_for_user(user, framework_id)
    version = (
        access.framework.versions.select_related("scale", "previous", "published_by")
        .filter(number=number)
        .first()
    )
    if version is None:
        raise Http404("No such version.")
    version.framework = access.framework
    return VersionAccess(version=version, access=access)


def default_version(framework: Framework) -> FrameworkVersion | None:
    """What a reader opens first: the published version, else the newest one."""
    versions = framework.versions.all()
    return (
        versions.filter(status=FrameworkVersion.Status.PUBLISHED).first()
        or versions.order_by("-number").first()
    )


def current_version(key: str, *, state: State | None = None) -> FrameworkVersion | None:
    """The published version of framework ``key`` to use in ``state``: the state's own copy when
    it has published one, otherwise the shared (seeded) framework's."""
    qs = FrameworkVersion.objects.filter(
        framework__key=key, status=FrameworkVersion.Status.PUBLISHED
    ).select_related("framework", "scale")
    if state is not None:
        own = qs.filter(framework__state=state).first()
        if own is not None:
            return own
    return qs.filter(framework__state__isnull=True).first()


def crosswalk_source(version: FrameworkVersion) -> FrameworkVersion | None:
    """The version whose indicators this one's continue: its previous version, or for a state's
    copy the (shared) version it was copied from."""
    if version.previous_id is not None:
        return version.previous
    linked = (
        Indicator.objects.filter(framework_version=version, derived_from__isnull=False)
        .select_related("derived_from__framework_version__framework")
        .first()
    )
    return linked.derived_from.framework_version if linked and linked.derived_from else None


def scales_for(state: State | None) -> QuerySet[RatingScale]:
    """Scales a framework of ``state`` may use: the shared ones and the state's own."""
    q = Q(state__isnull=True)
    if state is not None:
        q |= Q(state=state)
    return RatingScale.objects.filter(q).order_by("name")

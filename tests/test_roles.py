"""Who is an admin, and changing that from Slack."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.errors import Conflict, PermissionDenied
from bot.permissions import Permission, Role, UserFacts, decide_role
from bot.roles import RoleService
from bot.services import Services
from storage.models import AuditEvent
from tests.support import ADMIN, MEMBER


@pytest.mark.parametrize(
    ("facts", "configured", "granted", "role"),
    [
        (UserFacts("U1"), {"U1"}, set(), Role.ADMIN),
        (UserFacts("U1"), set(), {"U1"}, Role.ADMIN),
        (UserFacts("U1", workspace_admin=True), set(), set(), Role.ADMIN),
        (UserFacts("U1", workspace_admin=True), {"U2"}, set(), Role.MEMBER),
        (UserFacts("U1"), set(), set(), Role.MEMBER),
        (UserFacts("U1", guest=True), {"U1"}, set(), Role.GUEST),
        (UserFacts("U1", guest=True, workspace_admin=True), set(), set(), Role.GUEST),
        (UserFacts("U1", workspace_admin=True, external=True), set(), set(), Role.GUEST),
        (UserFacts("U1", external=True), set(), set(), Role.GUEST),
        (UserFacts("U1", external=True), {"U1"}, set(), Role.ADMIN),
        (UserFacts("U1", external=True), set(), {"U1"}, Role.ADMIN),
    ],
)
def test_role_decision(facts, configured, granted, role):
    assert decide_role(facts, configured=frozenset(configured), granted=frozenset(granted)) == role


def test_permissions_per_role():
    assert MEMBER.can(Permission.VIEW) and not MEMBER.can(Permission.MANAGE)
    with pytest.raises(PermissionDenied, match="admin permission") as info:
        MEMBER.require(Permission.MANAGE)
    assert info.value.permission == Permission.MANAGE


async def test_granting_and_revoking_admins(core: Services):
    assert await core.roles.role_of(UserFacts("UNEW")) == Role.MEMBER
    await core.roles.grant_admin(ADMIN, "UNEW")
    assert await core.roles.role_of(UserFacts("UNEW")) == Role.ADMIN
    with pytest.raises(Conflict, match="already an admin"):
        await core.roles.grant_admin(ADMIN, "UNEW")
    with pytest.raises(Conflict, match="ADOPS_ADMINS"):
        await core.roles.revoke_admin(ADMIN, "UCONFIGADMIN")
    with pytest.raises(PermissionDenied):
        await core.roles.revoke_admin(MEMBER, "UNEW")
    admins = await core.roles.admins(MEMBER)
    assert (admins.configured, admins.granted) == (("UCONFIGADMIN",), ("UNEW",))
    await core.roles.revoke_admin(ADMIN, "UNEW")
    assert await core.roles.role_of(UserFacts("UNEW")) == Role.MEMBER
    async with core.db.reader() as session:
        actions = (await session.scalars(select(AuditEvent.action))).all()
    assert actions == ["role.grant", "role.revoke"]


async def test_a_grant_on_another_replica_applies_within_the_cache_lifetime(core: Services, clock):
    now = [0.0]
    here = RoleService(core.db, clock, frozenset(), grants_ttl=10, monotonic=lambda: now[0])
    there = RoleService(core.db, clock, frozenset(), grants_ttl=10, monotonic=lambda: now[0])
    assert await here.role_of(UserFacts("UNEW")) == Role.MEMBER
    await there.grant_admin(ADMIN, "UNEW")
    assert await there.role_of(UserFacts("UNEW")) == Role.ADMIN  # at once where it was made
    now[0] = 9.9
    assert await here.role_of(UserFacts("UNEW")) == Role.MEMBER
    now[0] = 10.0
    assert await here.role_of(UserFacts("UNEW")) == Role.ADMIN
    await here.revoke_admin(ADMIN, "UNEW")
    assert await here.role_of(UserFacts("UNEW")) == Role.MEMBER


async def test_alert_channel_setting_overrides_the_configured_default(core: Services):
    assert await core.settings.alert_channel() is None
    await core.settings.set_alert_channel(ADMIN, "C0ALERTS")
    assert await core.settings.alert_channel() == "C0ALERTS"
    await core.settings.set_alert_channel(ADMIN, None)
    assert await core.settings.alert_channel() is None
    with pytest.raises(PermissionDenied):
        await core.settings.set_alert_channel(MEMBER, "C0ALERTS")

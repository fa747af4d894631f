"""What the signed-in person may sign (app.services.signing_desk), on a real demo school."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from app.models import UserAccount
from app.services.access import Actor, PermissionDenied, load_actor
from app.services.certificates import SEAL
from app.services.signing_desk import (
    WHOLE_SCHOOL,
    demo_choice,
    desk_plans,
    registered_certificates,
    signing_roles,
    signing_scopes,
)
from app.services.signing_order import SigningRefused
from tests.services.signing_data import DemoClass, make_demo_class


@pytest.fixture(scope="module")
def school(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoClass]:
    demo = make_demo_class(tmp_path_factory.mktemp("desk") / "school", students=2)
    yield demo
    demo.db.dispose()


def actor(demo: DemoClass, login: str) -> Actor:
    with demo.db.read() as s:
        user_id = s.scalar(select(UserAccount.id).where(UserAccount.login == login))
        assert user_id is not None
        return load_actor(s, user_id)


def test_roles_follow_the_account(school: DemoClass) -> None:
    assert signing_roles(actor(school, "hieutruong")) == ("hieutruong",)
    assert signing_roles(actor(school, "admin")) == ("condau",)
    assert signing_roles(actor(school, "vanthu")) == ("condau",)
    assert "gvcn" in signing_roles(actor(school, school.homeroom))
    teacher = next(t for t in school.teachers.values() if t != school.homeroom)
    assert signing_roles(actor(school, teacher)) == ("gvbm",)
    nobody = Actor(None, "x", "X", frozenset())
    assert signing_roles(nobody) == ()
    with pytest.raises(PermissionDenied):
        signing_scopes(school.db, nobody, "gvbm")


def test_scopes_and_certificates(school: DemoClass) -> None:
    leader = actor(school, "hieutruong")
    [scope] = signing_scopes(school.db, leader, "hieutruong")  # one class: no "whole school" line
    assert scope.class_ids == (school.class_id,) and scope.label != WHOLE_SCHOOL
    mine = registered_certificates(school.db, leader, "hieutruong")
    assert [c.sha256 for c in mine] == [school.sha("hieutruong")]
    seal = registered_certificates(school.db, actor(school, "admin"), "condau")
    assert [c.sha256 for c in seal] == [school.sha(SEAL)]
    choice = demo_choice(school.db, actor(school, "admin"), "condau")
    assert choice is not None and choice.identity == SEAL and choice.sha256 == school.sha(SEAL)


def test_plans_refuse_someone_elses_certificate_and_class(school: DemoClass) -> None:
    leader = actor(school, "hieutruong")
    [plan] = desk_plans(school.db, leader, "hieutruong", (school.class_id,), school.sha("hieutruong"))
    assert plan.signer.login == "hieutruong"
    with pytest.raises(SigningRefused, match="không đăng ký cho tài khoản của bạn"):
        desk_plans(school.db, leader, "hieutruong", (school.class_id,), school.sha(school.homeroom))
    with pytest.raises(PermissionDenied):
        desk_plans(school.db, leader, "hieutruong", (school.class_id + 999,), school.sha("hieutruong"))

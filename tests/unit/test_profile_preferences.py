"""R8: GET /v1/me answers the caller's preferences from the read model, with their profile
(issue 20), and from the store's User while the read model does not know them as a member."""

from __future__ import annotations

from api.usecases import _preferences
from domain.values import Notification, Role
from projections.queries import UserView
from tests.builders import a_company, add_user, person

TOGGLED = Notification.INVOICE_AVAILABLE


def test_the_store_answers_while_the_read_model_does_not_know_the_caller() -> None:
    app, company = a_company()
    login = add_user(app, company, "ona", Role.VIEW_ONLY)
    app.set_notification_preferences(person(login), {TOGGLED: False})
    answered = _preferences(app, login, None)
    assert answered == dict(app.user(login).preferences)
    assert answered[TOGGLED.value] is False


def test_the_read_model_answers_once_it_knows_the_caller() -> None:
    app, company = a_company()
    login = add_user(app, company, "ona", Role.VIEW_ONLY)
    app.set_notification_preferences(person(login), {TOGGLED: False})
    held = {**dict(app.user(login).preferences), TOGGLED.value: True}  # not the store's
    view = UserView(login, "ona@example.com", "Ona", "VIEW_ONLY", (), False, notifications=held)
    assert _preferences(app, login, view) == held

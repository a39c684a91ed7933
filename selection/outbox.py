"""The notification outbox (通知发送记录): the staff page, and the command that delivers messages.

``flask --app selection outbox deliver [--loop]`` sends what is due through the back-ends
the config names (selection/notify.py); any number of deliverers may run at once.
"""

from __future__ import annotations

import json
import signal
import time
from collections import Counter
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import click
from flask import Blueprint, current_app, render_template, request
from flask.cli import AppGroup, with_appcontext
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from .auth import requires_role
from .clock import TIMEZONE
from .extensions import db
from .i18n import _, _l
from .models import Channel, DeliveryStatus, Role, utcnow
from .notify import Backend, OutboxFilter, claim_due, configured_backends, outbox_counts, outbox_kinds, outbox_page
from .notify import send_claimed
from .web import whole_number

bp = Blueprint("outbox", __name__, template_folder="templates")

DELIVERY_LABELS = {DeliveryStatus.PENDING: _l("Waiting to be sent"), DeliveryStatus.SENT: _l("Sent"),
                   DeliveryStatus.FAILED: _l("Delivery failed")}
CHANNEL_LABELS = {Channel.SMS: _l("SMS"), Channel.EMAIL: _l("Email")}
KIND_LABELS = {"status_changed": _l("Status changed"), "score_review_answered": _l("Score review answered"),
               "scores_published_written": _l("Written exam scores published"),
               "scores_published_interview": _l("Interview scores published")}


class OutboxFilterForm(FlaskForm):
    """Filters of the outbox page (a GET form)."""

    class Meta:
        csrf = False

    status = SelectField(_l("Delivery"), validate_choice=False, choices=[
        SelectChoice("", _l("All")), *(SelectChoice(s.value, label) for s, label in DELIVERY_LABELS.items())])
    channel = SelectField(_l("Channel"), validate_choice=False, choices=[
        SelectChoice("", _l("All")), *(SelectChoice(c.value, label) for c, label in CHANNEL_LABELS.items())])
    kind = SelectField(_l("Kind"), choices=[], validate_choice=False)
    round = StringField(_l("Round code"), validators=[Optional(), Length(max=40)])


def local_time(moment: datetime | None) -> str:
    """A moment in Beijing time, to the minute; — for none."""
    return "—" if moment is None else moment.astimezone(TIMEZONE).strftime("%Y-%m-%d %H:%M")


@bp.get("/admin/outbox")
@requires_role(Role.ADMIN, Role.SUPERVISION)
def list_outbox() -> ResponseReturnValue:
    form = OutboxFilterForm(request.args)
    form.kind.choices = [SelectChoice("", _("All")),
                         *(SelectChoice(k, str(KIND_LABELS.get(k, k))) for k in outbox_kinds())]
    form.validate()
    where = OutboxFilter(form.status.data or "", form.channel.data or "", form.kind.data or "",
                         (form.round.data or "").strip())
    page = outbox_page(where, whole_number(request.args.get("page")) or 1)
    return render_template("selection/outbox_list.html", form=form, page=page, where=where, counts=outbox_counts(),
                           local_time=local_time, delivery_labels=DELIVERY_LABELS, channel_labels=CHANNEL_LABELS,
                           kind_labels=KIND_LABELS)


# ---------------------------------------------------------------- delivery


def deliver_batch(backends: Mapping[Channel, Backend], *, limit: int = 50,
                  now: datetime | None = None) -> Counter[str]:
    """Claim a batch of due messages and send each; one transaction per claim and per message.

    The claim is committed before anything is sent, so other deliverers skip these messages;
    each outcome is committed as soon as it is known. Returns the outcomes counted.
    """
    claimed = claim_due(now=now or utcnow(), limit=limit)
    db.session.commit()
    outcomes: Counter[str] = Counter(claimed=len(claimed))
    for notification_id in claimed:
        status = send_claimed(notification_id, backends, now=now or utcnow())
        db.session.commit()
        outcomes["retrying" if status is DeliveryStatus.PENDING else status.value] += 1
    return outcomes


outbox_cli = AppGroup("outbox", help="Deliver the notification outbox (email, SMS).")


@outbox_cli.command("deliver")
@click.option("--loop", is_flag=True, help="Keep delivering until stopped (SIGTERM or Ctrl-C).")
@click.option("--batch", default=50, show_default=True, help="Messages claimed at a time.")
@click.option("--interval", default=15.0, show_default=True, help="Seconds to wait when nothing is due (--loop).")
@with_appcontext
def deliver(loop: bool, batch: int, interval: float) -> None:
    """Send the due messages of the outbox; prints what happened as JSON."""
    try:
        backends = configured_backends(current_app.config)
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    if not loop:
        click.echo(json.dumps(_totals(deliver_batch(backends, limit=batch))))
        return
    stopping: dict[str, Any] = {"now": False}

    def stop(_signum: int, _frame: Any) -> None:
        stopping["now"] = True

    signal.signal(signal.SIGTERM, stop)
    try:
        while not stopping["now"]:
            outcomes = deliver_batch(backends, limit=batch)
            if outcomes["claimed"]:
                click.echo(json.dumps(_totals(outcomes)))
            else:
                db.session.remove()
                waited = 0.0
                while waited < interval and not stopping["now"]:
                    time.sleep(min(0.5, interval - waited))
                    waited += 0.5
    except KeyboardInterrupt:
        pass


def _totals(outcomes: Counter[str]) -> dict[str, int]:
    return {key: outcomes[key] for key in ("claimed", "sent", "retrying", "failed")}

"""Pages of accounts (账户): login, logout, password change, and account management."""

from __future__ import annotations


from flask import (
    Blueprint, abort, current_app, flash, g, make_response, redirect, render_template, request,
    session, url_for,
)
from flask.typing import ResponseReturnValue
from flask.wrappers import Response
from flask_login import current_user, logout_user

from selection.auth import (
    EVERY_ROLE, public, requires_role, signed_in_user, stamp_password, start_session,
)
from selection.extensions import db, limiter, limiter_key
from selection.i18n import _
from selection.labels import ROLE_LABELS
from selection.models import Role, User
from selection.services import UsernameTaken

from . import services
from .forms import (
    PASSWORD_PROBLEMS, AccountActiveForm, ChangePasswordForm, CreateAccountForm, LoginForm,
    ReauthForm, RoleForm,
)
from .rules import NotStaffRole, OwnAccount, PasswordRefused, WrongPassword, is_safe_next

bp = Blueprint("accounts", __name__, template_folder="templates")


# ---------------------------------------------------------------- throttling (P02)


def _username_key() -> str:
    """The per-username limiter key: a keyed hash, never the name someone typed."""
    return "login:" + limiter_key((request.form.get("username") or "").strip())


def _user_key() -> str:
    return f"password:{current_user.id}"


def _failed(response: Response) -> bool:
    """Count only failed attempts against the per-username limit."""
    return bool(g.get("auth_failed"))


def _username_limit() -> str:
    return str(current_app.config["LOGIN_LIMIT_PER_USERNAME"])


def _client_limit() -> str:
    return str(current_app.config["LOGIN_LIMIT_PER_CLIENT"])


def _username_refused() -> str:
    return _("Too many failed attempts for this account. Wait 15 minutes, then try again.")


def _client_refused() -> str:
    return _("Too many login attempts from this computer. Wait 15 minutes, then try again.")


# ---------------------------------------------------------------- login and logout


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit(_client_limit, methods=["POST"], error_message=_client_refused)
@limiter.limit(_username_limit, key_func=_username_key, methods=["POST"], deduct_when=_failed,
               error_message=_username_refused)
def login() -> ResponseReturnValue:
    form = LoginForm()
    target = request.args.get("next")
    target = target if is_safe_next(target) else None
    if form.validate_on_submit():
        user = services.authenticate(form.username.data, form.password.data)
        db.session.commit()
        if user is not None:
            start_session(user)
            if user.must_change_password:
                return redirect(url_for(".change_password"))
            # a candidate's home is their own page: their registrations and where each stands;
            # a committee member's, the sittings they can vote in; supervision staff's, the complaints
            home = {Role.CANDIDATE: "candidates.show_status",
                    Role.COMMITTEE_MEMBER: "committee.list_my_sittings",
                    Role.SUPERVISION: "supervision.list_complaints"}.get(user.role, "selection.list_rounds")
            return redirect(target or url_for(home))
    g.auth_failed = request.method == "POST"
    form.username.data = None  # the reply must not tell an unknown user from a wrong password
    return render_template("accounts/login.html", form=form, target=target, failed=g.auth_failed)


@bp.post("/logout")
@requires_role(*EVERY_ROLE)
def logout() -> ResponseReturnValue:
    services.log_out(signed_in_user())
    db.session.commit()
    logout_user()
    session.clear()
    flash(_("You have logged out."), "success")
    return redirect(url_for(".login"))


@bp.route("/account/password", methods=["GET", "POST"])
@requires_role(*EVERY_ROLE)
@limiter.limit(_username_limit, key_func=_user_key, methods=["POST"], deduct_when=_failed,
               error_message=_username_refused)
def change_password() -> ResponseReturnValue:
    form, user = ChangePasswordForm(), signed_in_user()
    if form.validate_on_submit():
        try:
            services.change_password(user, form.current_password.data, form.new_password.data)
        except WrongPassword:
            g.auth_failed = True
            form.current_password.errors.append(_("The current password is wrong."))
        except PasswordRefused as refused:
            form.new_password.errors.append(PASSWORD_PROBLEMS[refused.problem])
        else:
            db.session.commit()
            start_session(user)
            flash(_("Your password has been changed. Your other sessions have ended."), "success")
            return redirect(url_for("selection.list_rounds"))
    return render_template("accounts/password_change.html", form=form)


@bp.route("/reauth", methods=["GET", "POST"])
@requires_role(*EVERY_ROLE)
@limiter.limit(_client_limit, methods=["POST"], error_message=_client_refused)
@limiter.limit(_username_limit, key_func=_user_key, methods=["POST"], deduct_when=_failed,
               error_message=_username_refused)
def reauthenticate() -> ResponseReturnValue:
    """The password again before a sensitive action (再次验证身份, P12), then back where the user was."""
    form, target = ReauthForm(), request.args.get("next")
    target, again = (target if is_safe_next(target) else None), request.args.get("again") == "1"
    if form.validate_on_submit():
        confirmed = services.reauthenticate(signed_in_user(), form.password.data)
        db.session.commit()
        if confirmed:
            stamp_password(session)
            if again:  # a POST is never replayed: the user submits the form again
                flash(_("Identity confirmed. Submit the form again to go on."), "success")
            return redirect(target or url_for("selection.list_rounds"))
    g.auth_failed = request.method == "POST"
    return render_template("accounts/reauth.html", form=form, target=target, again=again,
                           failed=g.auth_failed, minutes=current_app.config["REAUTH_MINUTES"])


# ---------------------------------------------------------------- account management


@bp.get("/admin/users")
@requires_role(Role.ADMIN)
def list_users() -> ResponseReturnValue:
    return render_template(
        "accounts/user_list.html", users=services.list_accounts(), role_labels=ROLE_LABELS,
        role_form=RoleForm(),
    )


@bp.route("/admin/users/new", methods=["GET", "POST"])
@requires_role(Role.ADMIN)
def create_account() -> ResponseReturnValue:
    form = CreateAccountForm()
    if form.validate_on_submit():
        try:
            account = services.create_staff_account(
                form.username.data, display_name=form.display_name.data,
                role=Role(form.role.data), actor=signed_in_user(),
            )
        except UsernameTaken:
            form.username.errors.append(_("This username is taken."))
        else:
            db.session.commit()
            # the initial password is shown on this page only, and never cached
            page = render_template("accounts/user_created.html", account=account,
                                   role_labels=ROLE_LABELS)
            response = make_response(page, 201)
            response.headers["Cache-Control"] = "no-store"
            return response
    return render_template("accounts/user_new.html", form=form)


@bp.post("/admin/users/<int:user_id>/active")
@requires_role(Role.ADMIN)
def set_account_active(user_id: int) -> ResponseReturnValue:
    user = db.get_or_404(User, user_id)
    form = AccountActiveForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        services.set_account_active(user, form.active.data == "1", actor=signed_in_user())
    except OwnAccount:
        flash(_("You cannot disable your own account."), "error")
    else:
        db.session.commit()
        flash(_("Account %(username)s updated.", username=user.username), "success")
    return redirect(url_for(".list_users"))


@bp.post("/admin/users/<int:user_id>/role")
@requires_role(Role.ADMIN)
def set_role(user_id: int) -> ResponseReturnValue:
    user = db.get_or_404(User, user_id)
    form = RoleForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        services.set_role(user, Role(form.role.data), actor=signed_in_user())
    except OwnAccount:
        flash(_("You cannot change your own role."), "error")
    except NotStaffRole:
        flash(_("Only staff accounts change role here."), "error")
    else:
        db.session.commit()
        flash(_("Account %(username)s updated.", username=user.username), "success")
    return redirect(url_for(".list_users"))

"""Forms of score publication, the score query and score reviews (成绩公布、查询与复核): shape only."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, HiddenField, IntegerField, StringField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length

from exams.models import ExamKind
from selection.i18n import _l


class PublicationForm(FlaskForm):
    """When one exam's scores are published and the review window ends, in Beijing time."""

    exam = HiddenField(validators=[AnyOf([e.value for e in ExamKind])])
    publish_at = DateTimeLocalField(_l("Published at (Beijing time)"), validators=[DataRequired()])
    review_until = DateTimeLocalField(_l("Review requests until (Beijing time)"), validators=[DataRequired()])


class ScoreQueryForm(FlaskForm):
    """The public score query: the admission ticket number and the ID number, both needed."""

    ticket_number = StringField(_l("Admission ticket number"), validators=[DataRequired(), Length(max=40)])
    id_number = StringField(_l("ID number"), validators=[DataRequired(), Length(max=40)])


class ReviewRequestForm(FlaskForm):
    """A candidate's request for a score review (成绩复核)."""

    reason = TextAreaField(_l("Why should the score be checked again?"),
                           validators=[DataRequired(), Length(max=2000)])


class ReviewAnswerForm(FlaskForm):
    """Staff's answer to a review request; corrected scores are cells read by name (``score-<n>``)."""

    version = IntegerField(validators=[InputRequired()])
    answer = TextAreaField(_l("Answer to the candidate"), validators=[DataRequired(), Length(max=4000)])

"""Forms (Flask-WTF, so every POST carries a CSRF token)."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, StringField
from wtforms.validators import DataRequired, InputRequired, Length


class AttestForm(FlaskForm):
    """The statement, the tick box and the typed signature."""

    version = HiddenField(validators=[InputRequired()])
    agree = BooleanField(
        validators=[
            DataRequired("Tick the box to confirm you have read and understood the policy.")
        ]
    )
    signature = StringField(
        "Type your full name to sign",
        validators=[
            DataRequired("Type your full name to sign."),
            Length(max=200, message="A name is at most 200 characters."),
        ],
    )


#: What a page shown again shows of a field over its limit: enough to recognise it.
EXCERPT = 100


def trim_oversized(form: FlaskForm, **limits: int) -> None:
    """Before showing ``form`` again: a field longer than its limit keeps only its start.

    A 5 MB title refused for its length is not echoed back whole (a 15 MB
    page); the message already says how long it was and what fits.
    """
    for name, limit in limits.items():
        field = form[name]
        if isinstance(field.data, str) and len(field.data) > limit:
            field.data = field.data[:EXCERPT] + "…"
            field.raw_data = [field.data]


class CSRFOnlyForm(FlaskForm):
    """A form whose fields are built in the template (the quiz, start buttons)."""

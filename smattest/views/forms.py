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


class CSRFOnlyForm(FlaskForm):
    """A form whose fields are built in the template (the quiz, start buttons)."""

"""The intranet's own tables: its people, and the mail sink. smattest's live beside them."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask_login import LoginManager, UserMixin
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class IntranetBase(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=IntranetBase)
login_manager = LoginManager()
login_manager.login_view = "auth.sign_in"
login_manager.login_message = "Please sign in to continue."
login_manager.login_message_category = "info"


class User(UserMixin, db.Model):
    """A person on the intranet. smattest reads these attributes, never this table."""

    __tablename__ = "intranet_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(255), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    department: Mapped[str | None] = mapped_column(sa.String(120))
    manager_email: Mapped[str | None] = mapped_column(sa.String(255))
    hire_date: Mapped[dt.date | None] = mapped_column(sa.Date)
    is_hr: Mapped[bool] = mapped_column(default=False)
    job_title: Mapped[str | None] = mapped_column(sa.String(120))

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"


class SentMail(db.Model):
    """One message Flask-Mail dispatched, kept so the demo's mail can be read at /mail."""

    __tablename__ = "intranet_sent_mail"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: When it was dispatched, as naive UTC (SQLite keeps no time zone).
    sent_at: Mapped[dt.datetime] = mapped_column(sa.DateTime, index=True)
    sender: Mapped[str | None] = mapped_column(sa.String(320))
    #: To, Cc and Bcc addresses, comma-joined.
    recipients: Mapped[str] = mapped_column(sa.Text)
    subject: Mapped[str] = mapped_column(sa.String(998))
    body: Mapped[str | None] = mapped_column(sa.Text)
    html: Mapped[str | None] = mapped_column(sa.Text)


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    try:
        return db.session.get(User, int(user_id))
    except ValueError:
        return None

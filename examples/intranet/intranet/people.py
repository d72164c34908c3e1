"""The demo agency's 40 people, in five departments. Deterministic: no randomness.

The Director sits in Business Support and reports to nobody; each department
has one Team Manager reporting to the Director; everyone else reports to
their department's manager. Four people were hired in the last 40 days.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

DEPARTMENTS = [
    "Child Protection",
    "Adult Services",
    "Family Support",
    "Foster Care and Adoption",
    "Business Support",
]

DIRECTOR_TITLE = "Director of Social Services"
MANAGER_TITLES = ("Team Manager", "Business Support Manager")
HR_TITLE = "HR Business Partner"

# (department, name, job title, days since hired for new hires, else None).
# The first person in each department is its manager; the Director comes first of all.
ROSTER: list[tuple[str, str, str, int | None]] = [
    ("Business Support", "Denise Washington", DIRECTOR_TITLE, None),
    ("Child Protection", "Sandra Delgado", "Team Manager", None),
    ("Child Protection", "Marcus Johnson", "Senior Social Worker", None),
    ("Child Protection", "Aisha Rahman", "Senior Social Worker", None),
    ("Child Protection", "José Hernández", "Social Worker", None),
    ("Child Protection", "Emily O'Brien", "Social Worker", None),
    ("Child Protection", "Kwame Asante", "Social Worker", None),
    ("Child Protection", "Hannah Schultz", "Social Worker", None),
    ("Child Protection", "Priya Natarajan", "Social Worker", None),
    ("Child Protection", "Lucía Ramírez", "Social Worker", 5),
    ("Child Protection", "Tyrone Banks", "Case Aide", None),
    ("Adult Services", "Michael Thompson", "Team Manager", None),
    ("Adult Services", "Fatima Al-Sayed", "Senior Social Worker", None),
    ("Adult Services", "Daniel Cho", "Social Worker", None),
    ("Adult Services", "Rosa Gutierrez", "Social Worker", None),
    ("Adult Services", "Samuel Osei", "Social Worker", None),
    ("Adult Services", "Katie Nguyen", "Social Worker", None),
    ("Adult Services", "Ivan Petrov", "Case Aide", None),
    ("Adult Services", "Mariam Yusuf", "Case Aide", 12),
    ("Family Support", "Jennifer Walsh", "Team Manager", None),
    ("Family Support", "Carlos Mendoza", "Senior Family Support Worker", None),
    ("Family Support", "Keisha Williams", "Family Support Worker", None),
    ("Family Support", "Ben Goldberg", "Family Support Worker", None),
    ("Family Support", "Anh Tran", "Family Support Worker", None),
    ("Family Support", "Olivia Bennett", "Family Support Worker", None),
    ("Family Support", "Dmitri Volkov", "Family Support Worker", 26),
    ("Family Support", "Nia Robinson", "Case Aide", None),
    ("Foster Care and Adoption", "Laura Fitzgerald", "Team Manager", None),
    ("Foster Care and Adoption", "Hiroshi Tanaka", "Senior Social Worker", None),
    ("Foster Care and Adoption", "Amara Nwosu", "Social Worker", None),
    ("Foster Care and Adoption", "Jessica Park", "Social Worker", None),
    ("Foster Care and Adoption", "Miguel Torres", "Social Worker", None),
    ("Foster Care and Adoption", "Sarah Lindqvist", "Social Worker", 38),
    ("Foster Care and Adoption", "Devon Marshall", "Adoption Support Worker", None),
    ("Business Support", "Rahul Mehta", "Business Support Manager", None),
    ("Business Support", "Grace Kim", HR_TITLE, None),
    ("Business Support", "Tomasz Nowak", "Finance Officer", None),
    ("Business Support", "Linda Morales", "Administrative Assistant", None),
    ("Business Support", "Ahmed Farah", "Records Clerk", None),
    ("Business Support", "Brianna Clarke", "IT Support Analyst", None),
]


@dataclass(frozen=True)
class Person:
    name: str
    email: str
    department: str
    job_title: str
    manager_email: str | None
    hire_date: dt.date
    is_hr: bool


def email_for(name: str) -> str:
    """'José Hernández' -> 'jose.hernandez@riverside.example' (lower-case ASCII)."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    first, *rest = ascii_name.lower().split()
    parts = [re.sub(r"[^a-z-]", "", p) for p in (first, "-".join(rest))]
    return ".".join(parts) + "@riverside.example"


def _long_ago(index: int) -> dt.date:
    """A fixed hire date between 2009 and 2022, spread over the year."""
    return dt.date(2009 + (index * 7) % 14, 1 + (index * 5) % 12, 1 + (index * 11) % 28)


def roster(today: dt.date) -> list[Person]:
    """Everyone, with emails, managers and hire dates (new hires relative to ``today``)."""
    director_email = email_for(ROSTER[0][1])
    manager_of: dict[str, str] = {}
    people = []
    for index, (department, name, title, days_ago) in enumerate(ROSTER):
        email = email_for(name)
        if title == DIRECTOR_TITLE:
            manager = None
        elif title in MANAGER_TITLES:
            manager_of[department] = email
            manager = director_email
        else:
            manager = manager_of[department]
        hired = today - dt.timedelta(days=days_ago) if days_ago is not None else _long_ago(index)
        people.append(
            Person(name, email, department, title, manager, hired, is_hr=title == HR_TITLE)
        )
    emails = [p.email for p in people]
    assert len(set(emails)) == len(emails), "two people share an email"
    return people

"""A course in several languages: Lucía reads it and takes the quiz in Spanish, with the
same questions and answers, and her completion records the language (issue 25, item 4)."""

from __future__ import annotations

import copy
import csv
import re
import subprocess
import sys

import pytest
import sqlalchemy as sa

import smattest.verify
from smattest.evidence import export as evidence_export
from smattest.models import QuizAttempt, TrainingCompletion
from smattest.publishing.courses import CourseFileError, import_course

from . import hostapp
from .content import SMALL_COURSE

BILINGUAL = copy.deepcopy(SMALL_COURSE)
BILINGUAL["translations"] = {"es": {"title": "Repaso de redes sociales"}}
BILINGUAL["sections"][0]["translations"] = {
    "es": {"title": "Por qué importa", "body": "Los clientes confían en nosotros."}
}
BILINGUAL["questions"][0]["translations"] = {
    "es": {
        "prompt": "Un cliente le envía una solicitud de amistad. ¿Qué hace?",
        "options": ["La rechazo", "La acepto"],
        "explanation": "Mantenga los límites profesionales.",
    }
}
COURSE = "/compliance/courses/refresher"


@pytest.fixture
def lucia(app, client, login_as, freeze):
    freeze("2026-03-02T10:00:00+00:00")
    import_course(BILINGUAL)
    user = login_as(name="Lucía Fernández")
    client.get("/compliance/")
    return user


def option_id(page: str, text: str) -> str:
    return re.search(rf'value="([^"]+)">\s*<label for="[^"]+" lang="es">{text}</label>',
                     page).group(1)  # fmt: skip


@pytest.mark.tampers
def test_lucia_takes_the_course_in_spanish_and_her_completion_says_so(
    lucia, client, runner, tmp_path
):
    spanish = {"Accept-Language": "es"}
    course = client.get(COURSE, headers=spanish).get_data(as_text=True)
    assert '<h1 lang="es">Repaso de redes sociales</h1>' in course
    assert "Los clientes confían en nosotros." in course and "Clients trust us." not in course
    assert '<input type="hidden" name="language" value="es">' in course

    started = client.post(f"{COURSE}/attempts", data={"language": "es"}, headers=spanish)
    quiz = client.get(started.headers["Location"], headers=spanish).get_data(as_text=True)
    assert "Un cliente le envía una solicitud de amistad. ¿Qué hace?" in quiz
    assert "friend request" not in quiz and "Repaso de redes sociales</h1>" in quiz
    (question_id,) = re.findall(r'name="q(\d+)"', quiz)[:1]
    client.post(started.headers["Location"],
                data={f"q{question_id}": option_id(quiz, "La rechazo")})  # fmt: skip

    (completion,) = hostapp.db.session.scalars(sa.select(TrainingCompletion)).all()
    assert (completion.language, completion.format, completion.score) == ("es", 6, 100)
    receipt = client.get(f"/compliance/receipts/{completion.chain_seq}", headers=spanish)
    assert "Idioma del curso que hizo" in receipt.get_data(as_text=True)
    assert "Español</span> (es)" in receipt.get_data(as_text=True)
    assert runner.invoke(args=["smattest", "audit", "verify"]).exit_code == 0
    path = tmp_path / "evidence.csv"
    path.write_text("".join(evidence_export.evidence_csv()), encoding="utf-8", newline="")
    (row,) = [r for r in csv.DictReader(path.open(encoding="utf-8-sig", newline=""))
              if r["kind"] == "training_completion"]  # fmt: skip
    assert (row["language"], row["format"]) == ("es", "6")
    offline = subprocess.run([sys.executable, smattest.verify.__file__, str(path)],
                             capture_output=True, text=True, timeout=60)  # fmt: skip
    assert offline.returncode == 0, offline.stdout

    with hostapp.db.engine.begin() as conn:
        conn.execute(sa.text("UPDATE smattest_question SET translations = :t"), {"t": (
            '{"es": {"prompt": "Un cliente le envía una solicitud de amistad. ¿Qué hace?", '
            '"options": ["La acepto", "La rechazo"], "explanation": "Da igual."}}')})  # fmt: skip

    result = runner.invoke(args=["smattest", "audit", "verify"])
    assert result.exit_code == 1
    assert "course refresher version 1: completions recorded its content's SHA-256" in (
        result.output
    )


def test_the_quiz_in_english_records_english(lucia, client):
    course = client.get(f"{COURSE}?lang=en").get_data(as_text=True)
    assert "Clients trust us." in course

    started = client.post(f"{COURSE}/attempts", data={"language": "en"})

    (attempt,) = hostapp.db.session.scalars(sa.select(QuizAttempt)).all()
    assert attempt.language == "en"
    quiz = client.get(started.headers["Location"]).get_data(as_text=True)
    assert "A client sends you a friend request." in quiz


def test_a_course_without_translations_takes_the_quiz_in_its_own_language(app, client, login_as):
    import_course(SMALL_COURSE)
    login_as(name="Ann Archer")

    page = client.get(COURSE).get_data(as_text=True)

    assert "smattest-languages" not in page
    assert '<input type="hidden" name="language" value="en">' in page


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda c: c["questions"][0].pop("translations"),
         "questions[1].translations.es: missing: a language given anywhere in the file is "
         "given for the course, every section and every question."),
        (lambda c: c["questions"][0]["translations"]["es"]["options"].pop(),
         "questions[1].translations.es.options: must list the 2 options' texts, in the same "
         "order as the question's own options."),
        (lambda c: c["translations"].update({"xx": {"title": "?"}}),
         "translations: 'xx' is not a language code as smattest writes it"),
        (lambda c: c["sections"][0]["translations"]["es"].update(body=""),
         "sections[1].translations.es.body: must be non-empty text"),
    ],
)  # fmt: skip
def test_a_course_file_with_an_incomplete_translation_is_refused(app, change, problem):
    data = copy.deepcopy(BILINGUAL)
    change(data)

    with pytest.raises(CourseFileError) as refused:
        import_course(data)

    assert any(p.startswith(problem) for p in refused.value.problems), refused.value.problems

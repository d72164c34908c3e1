"""HR writes a policy's translations in its draft and publishes them with the version."""

import datetime as dt
import hashlib
import re

import pytest
import sqlalchemy as sa

from smattest.models import HREvent, PolicyDraft, PolicyTranslation, PolicyVersion

from . import hostapp

HR = "/compliance/hr"
V1 = "# Social Media Policy\n\nDo not friend clients.\n"
V2 = "# Social Media Policy\n\nDo not friend or follow clients.\n"
ES = "# Política de redes sociales\n\nNo agregue ni siga a los clientes.\n"
FR = "# Politique des réseaux sociaux\n\nN'ajoutez pas les clients.\n"
pytestmark = pytest.mark.policy(
    now="2026-03-02T09:00:00+00:00", text=V1, effective=dt.date(2026, 1, 5), published_by="cli"
)


def rows(model):
    hostapp.db.session.expire_all()
    return hostapp.db.session.scalars(sa.select(model).order_by(model.id)).all()


def page(response) -> str:
    return response.get_data(as_text=True)


def revision_in(html: str) -> str:
    return re.search(r'name="revision" type="hidden" value="([^"]*)"', html).group(1)


def new_version(client, **fields):
    data = {"body": V2, "summary": "Following clients too.", "change": "material",
            "effective_date": "", **fields}  # fmt: skip
    return client.post(f"{HR}/drafts/new?policy=social-media", data=data)


def test_a_draft_keeps_its_spanish_text_and_publishes_it_with_the_version(
    client, policy, hr, freeze
):
    assert new_version(client, new_language="es", new_translation=ES).status_code == 303
    [draft] = rows(PolicyDraft)
    edit = page(client.get(f"{HR}/drafts/{draft.id}"))
    assert 'name="translation-es"' in edit and "No agregue ni siga a los clientes." in edit
    assert 'lang="es"' in edit

    freeze("2026-03-02T10:00:00+00:00")
    saved = client.post(f"{HR}/drafts/{draft.id}", data={
        "revision": revision_in(edit), "body": V2, "summary": "Following clients too.",
        "change": "material", "translation-es": ES, "new_language": "fr",
        "new_translation": FR})  # fmt: skip
    assert saved.status_code == 303
    preview = page(client.get(f"{HR}/drafts/{draft.id}/preview"))
    es_sha = hashlib.sha256(ES.encode()).hexdigest()
    assert "The text in Español (es)" in preview and es_sha in preview
    assert "The text in Français (fr)" in preview

    published = client.post(
        f"{HR}/drafts/{draft.id}/publish", data={"revision": revision_in(preview)}
    )

    assert published.status_code == 303
    [_, v2] = rows(PolicyVersion)
    translations = rows(PolicyTranslation)
    assert [(t.policy_version_id, t.language, t.text_sha256, t.added_by) for t in translations] == [
        (v2.id, "es", es_sha, str(hr.id)),
        (v2.id, "fr", hashlib.sha256(FR.encode()).hexdigest(), str(hr.id)),
    ]
    assert all(t.chain_seq is not None and t.format == 6 for t in translations)
    assert rows(PolicyDraft) == []
    assert "policy.publish" in [e.action for e in rows(HREvent)]


def test_emptying_a_translation_removes_it_and_changes_the_revision(client, policy, hr, freeze):
    new_version(client, new_language="es", new_translation=ES)
    [draft] = rows(PolicyDraft)
    before = revision_in(page(client.get(f"{HR}/drafts/{draft.id}")))
    freeze("2026-03-02T10:00:00+00:00")

    client.post(f"{HR}/drafts/{draft.id}", data={
        "revision": before, "body": V2, "summary": "Following clients too.",
        "change": "material", "translation-es": ""})  # fmt: skip

    [draft] = rows(PolicyDraft)
    assert draft.translations is None
    assert revision_in(page(client.get(f"{HR}/drafts/{draft.id}"))) != before


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"new_language": "xx", "new_translation": ES},
         "&#39;xx&#39; is not a language code: use one such as es, fr or pt_BR."),
        ({"new_language": "en", "new_translation": ES},
         "The policy text itself is in English: a translation is in another language."),
        ({"new_language": "es", "new_translation": ""}, "Type or paste the text in Spanish."),
        ({"new_language": "es", "new_translation": "Hola\u202e"},
         "The text in Español (es) (outside code) contains an invisible or direction-changing"),
    ],
)  # fmt: skip
def test_a_bad_translation_is_refused_with_the_reason_and_nothing_is_saved(
    client, policy, hr, fields, problem
):
    response = new_version(client, **fields)

    assert response.status_code == 400
    assert problem in page(response)
    assert rows(PolicyDraft) == []
    assert 'id="smattest-draft-new-language"' in page(response)

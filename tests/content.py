"""Small content that tests and benchmarks import: a one-question refresher course."""

#: The smallest valid course file: one section, one single-choice question.
SMALL_COURSE = {
    "slug": "refresher",
    "title": "Social Media Refresher",
    "sections": [{"title": "Why it matters", "body": "Clients trust us."}],
    "questions": [
        {
            "id": "q1",
            "kind": "single",
            "prompt": "A client sends you a friend request. What do you do?",
            "options": [{"text": "Decline it", "correct": True}, {"text": "Accept it"}],
            "explanation": "Keep professional boundaries.",
        }
    ],
}

#: The Social Media Policy's text, version 1 (the ``policy_version`` fixture's default).
POLICY_TEXT = "# Social Media Policy\n\nNever post anything that could identify a client.\n"

"""The two kinds of requirement: a policy to attest to, or a course to complete."""

POLICY = "policy"
COURSE = "course"

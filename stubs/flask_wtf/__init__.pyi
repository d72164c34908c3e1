# Only the names smattest uses; see stubs/README.md.
from collections.abc import Mapping, Sequence
from typing import Any

from markupsafe import Markup
from wtforms import Form
from wtforms.form import BaseForm
from wtforms.meta import DefaultMeta, _MultiDictLike

class FlaskForm(Form):
    class Meta(DefaultMeta):
        def get_translations(self, form: BaseForm) -> Any: ...

    # formdata defaults to the current request's form and files.
    def __init__(self, formdata: _MultiDictLike | None = ..., **kwargs: object) -> None: ...
    def is_submitted(self) -> bool: ...
    def validate_on_submit(
        self, extra_validators: Mapping[str, Sequence[Any]] | None = None
    ) -> bool: ...
    def hidden_tag(self, *fields: object) -> Markup: ...

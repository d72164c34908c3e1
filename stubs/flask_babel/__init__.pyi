# The part of Flask-Babel smattest uses (it ships no type information).
from babel import Locale

def get_locale() -> Locale | None: ...

# Only the names smattest uses; see stubs/README.md.
from werkzeug.exceptions import BadRequest

class CSRFError(BadRequest): ...

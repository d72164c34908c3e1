"""smattest: social media policy attestation and refresher training for Flask intranets.

``SMAttest(app, db=db)`` mounts it; the mounting guide is docs/mounting.md.
"""

from .config import ConfigurationError
from .extension import SMAttest
from .migrate import include_object

__version__ = "0.1.0"
__all__ = ["ConfigurationError", "SMAttest", "include_object", "__version__"]

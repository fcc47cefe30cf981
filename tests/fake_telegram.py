"""The strict fake of the Telegram Bot API, under the name tests have always imported.

The fake itself lives in tests/support/telegram/, one concern a module (see that package's
docstring); this module re-exports the package's public names, exactly those of its __all__.
"""

from tests.support.telegram import *  # noqa: F403
from tests.support.telegram import __all__  # noqa: F401

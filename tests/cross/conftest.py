"""Both platforms' fakes as fixtures: `slack` (fake Slack Web API) and `teams` (fake Microsoft)."""

from tests.slack.conftest import slack  # noqa: F401
from tests.teams.conftest import teams  # noqa: F401

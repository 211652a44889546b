"""The wizard's tmux terminal and its lab, for ``run`` on a terminal (test_run_playbooks defines its own world)."""

from tests.wizard.test_terminal import terminal, world  # noqa: F401 (fixtures)

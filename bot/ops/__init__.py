"""Running CareChat: the command line, the stack runner, training, retention and reports.

- ``cli``: ``python -m bot ...``.
- ``stack``: starts the action server, the Rasa server and the gateway, and waits for health.
- ``training``: trains the model only when its inputs changed (standard library only; the
  engine's evaluation imports it too).
- ``retention``: purging and erasing stored conversations.
- ``action_server``: the rasa-sdk action server with CareChat's start-up checks.
- ``safety_report``: safety replies and check-ins per day and category, without text.
"""

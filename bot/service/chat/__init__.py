"""Chat slash commands (Slack, Mattermost): verification, parsing, authorisation, replies."""

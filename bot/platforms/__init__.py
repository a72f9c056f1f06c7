"""Platforms: GitHub (PyGithub), GitLab (python-gitlab) and local checkouts."""

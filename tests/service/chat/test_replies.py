from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from bot.service.chat.replies import MAX_TEXT, ReplyPoster, digest_text, post_digests
from bot.settings.registry_access import Secret
from bot.settings.web import ChatSettings, MattermostSettings, SlackSettings, TargetChatSettings
from tests.service.web.fakes import NOW, sample_requests
from tests.service.web.serving import Recorder


def test_slack_replies_go_through_the_webhook_client() -> None:
    with Recorder() as hook:
        assert ReplyPoster().reply("slack", f"{hook.url}/commands/T1/42/abc", "done", public=True)
        path, body = hook.next()
    assert path == "/commands/T1/42/abc"
    assert body == {"text": "done", "response_type": "in_channel", "replace_original": False}


def test_mattermost_replies_are_json() -> None:
    with Recorder() as hook:
        assert ReplyPoster().reply("mattermost", f"{hook.url}/hooks/commands/xyz", "done")
        assert hook.next() == ("/hooks/commands/xyz", {"response_type": "ephemeral", "text": "done"})


def test_secrets_are_scrubbed_and_long_texts_clipped() -> None:
    poster = ReplyPoster([Secret("s3cr3t-value")])
    with Recorder() as hook:
        poster.reply("mattermost", hook.url, "token s3cr3t-value leaked? " + "x" * 5000)
        text = hook.next()[1]["text"]
    assert "s3cr3t-value" not in text and text.startswith("token *** leaked?")
    assert len(text) <= MAX_TEXT and text.endswith("(truncated)")


def test_a_lost_reply_is_logged_without_its_url(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    url = "http://127.0.0.1:9/commands/T1/secret-path"  # the discard port: nothing listens
    assert not ReplyPoster(timeout=2).reply("slack", url, "hello")
    assert not ReplyPoster(timeout=2).reply("mattermost", url, "hello")
    assert "posting to Slack failed" in caplog.text and "posting to Mattermost failed" in caplog.text
    assert "secret-path" not in caplog.text


def test_digest_groups_the_weeks_requests_by_team() -> None:
    text = digest_text("acme", sample_requests(), NOW - timedelta(days=7))
    assert text == (
        "*dockmend* weekly digest for acme: 1 new request(s) since 2025-03-03.\n"
        "\n*payments*\n"
        "• acme/payments-api: dockmend: pin base images, clean apt caches "
        "https://github.example.com/acme/payments-api/pull/412"
    )
    two_weeks = digest_text("acme", sample_requests(), NOW - timedelta(days=8))
    assert "*payments*" in two_weeks and "*web*" in two_weeks and "acme/web-frontend" in two_weeks
    assert digest_text("acme-gl", sample_requests(), NOW - timedelta(days=7)).endswith(
        "no new requests since 2025-03-03."
    )
    assert "*No team*" in digest_text("acme-gl", sample_requests(), NOW - timedelta(days=30))


def test_post_digests_posts_to_each_targets_webhook() -> None:
    with Recorder() as slack_hook, Recorder() as mm_hook:
        chat = ChatSettings(
            SlackSettings(
                Secret("slack-signing-secret"),
                ("U1",),
                targets={"acme": TargetChatSettings(digest_webhook=Secret(slack_hook.url + "/s"))},
            ),
            MattermostSettings(
                Secret("mattermost-token"),
                ("alice",),
                targets={"acme-gl": TargetChatSettings(("bob",), digest_webhook=Secret(mm_hook.url + "/m"))},
            ),
        )
        assert post_digests(chat, sample_requests(), NOW - timedelta(days=30)) == ["acme", "acme-gl"]
        path, body = slack_hook.next()
        assert path == "/s" and body["text"].startswith("*dockmend* weekly digest for acme: 2 new")
        path, body = mm_hook.next()
        assert path == "/m" and body == {"text": body["text"]} and "ci-runner" in body["text"]

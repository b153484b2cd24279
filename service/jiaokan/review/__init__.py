"""The review page: server-rendered Jinja2 templates plus one small script, no build step."""

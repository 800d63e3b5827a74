"""A broker's answer that retrying cannot change: wrong login, a vhost that does not exist or is not allowed."""
from __future__ import annotations


def refusal(error: BaseException) -> str | None:
    """Why the broker refused us for good (wrong user or password, no such vhost or no access to it), else None.

    Retrying cannot fix these, so the first connection fails at once with the reason
    instead of being retried as "unreachable" until connect_timeout_ms.
    """
    import aiormq

    if isinstance(error, (aiormq.exceptions.ProbableAuthenticationError, aiormq.exceptions.AuthenticationError)):
        return "the broker refused the login (ACCESS_REFUSED): check the user and password in the URL"
    text = repr(error) + " " + " ".join(repr(getattr(arg, "reply_text", "")) for arg in getattr(error, "args", ()))
    for arg in getattr(error, "args", ()):
        code = getattr(arg, "reply_code", None)
        if code in (403, 530):  # ACCESS_REFUSED, NOT_ALLOWED (e.g. a vhost that does not exist or is not allowed)
            return f"the broker refused the connection ({getattr(arg, 'reply_text', code)}): check the vhost and the user's permissions"
    if "ACCESS_REFUSED" in text:
        return "the broker refused the login (ACCESS_REFUSED): check the user and password in the URL"
    return None

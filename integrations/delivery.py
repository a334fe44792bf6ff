"""Fan events out to integrations. Filled in with webhook delivery."""


def fan_out(event_pk):
    """Create and queue one delivery per subscribed active integration."""
    return []

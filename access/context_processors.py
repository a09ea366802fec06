import access


def actor(request):
    """The signed-in person's capabilities, so the navigation shows only what applies."""
    return {"actor": access.actor_for(getattr(request, "user", None))}

import access


def offline(request):
    """An inspector's pages all carry the phone's offline layer (static/js/inspect-offline.js,
    loaded by base.html): records kept on the phone are sent, and retried, from whatever page
    of the app is open, not only from 今日检查 and the checklists."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not access.actor_for(user).inspector:
        return {}
    from inspections.views import offline_config

    return {"offline_config": offline_config(user)}

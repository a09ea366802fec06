from notifications.services import UNREAD_SHOWN, unread_count


def unread(request):
    """The unread count beside the bell in the navigation: one indexed COUNT per page."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_count": lambda: _shown(unread_count(user))}


def _shown(count: int) -> int | str:
    return f"{UNREAD_SHOWN}+" if count > UNREAD_SHOWN else count

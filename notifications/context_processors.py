from notifications.services import unread_count


def unread(request):
    """The unread count beside the bell in the navigation: one indexed COUNT per page."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_count": lambda: unread_count(user)}

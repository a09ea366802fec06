"""The worker's part of bulletins: the Word and PDF files of a published bulletin."""

from django_tasks import task


@task()
def render_files(bulletin_id: int) -> str:
    """Enqueued by publication (and by a retry) in its transaction; safe to run twice: only a
    pending rendering, or one cut short past its lease, is taken up."""
    from bulletins.services import bulletin_render

    return bulletin_render(bulletin_id=bulletin_id)

"""Renderers of documents: Excel workbooks (`xlsx`), Word in the official document layout after
GB/T 9704 (`official`), and PDF converted from Word by LibreOffice (`pdf`).

They know how a document looks, never what it says: the apps build the content (rows, a bulletin's
document model, the dossier's index) from their selectors and hand it here. Nothing here imports
a domain app."""

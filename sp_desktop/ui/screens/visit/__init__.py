"""The home visit, one module per part: the conversation's pages (`pages`), the summary signed
at the end (`summary`), and the screen that holds them and talks to the services (`screen`)."""

from sp_desktop.ui.screens.visit.pages import DomainPage, StepsPage
from sp_desktop.ui.screens.visit.screen import AUTOSAVE_MS, DRAFT_VERSION, VisitScreen
from sp_desktop.ui.screens.visit.summary import summary_html

__all__ = ["AUTOSAVE_MS", "DRAFT_VERSION", "DomainPage", "StepsPage", "VisitScreen", "summary_html"]

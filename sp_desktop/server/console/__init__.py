"""The office console: web pages served by `sp-server` for managers, service leads and
commissioners (server-rendered HTML, a little vendored JavaScript, nothing from a CDN).

`mount_console(app, engine)` adds it to the server's application under /console.
"""

from sp_desktop.server.console.routes import mount_console
from sp_desktop.server.console.web import ConsoleSettings

__all__ = ["ConsoleSettings", "mount_console"]

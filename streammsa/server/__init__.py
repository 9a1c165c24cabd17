"""streammsa.server: the live dashboard (WebSocket hub + the static page in web/).

The pipeline uses exactly::

    server = DashboardServer(ServerConfig(port=0))
    url = server.start()          # background thread; returns the URL to open
    server.set_hello(hello)
    server.publish(reading)       # thread-safe, never blocks
    server.stop()
"""

from streammsa.server.app import DashboardServer
from streammsa.server.config import ServerConfig

__all__ = ["DashboardServer", "ServerConfig"]

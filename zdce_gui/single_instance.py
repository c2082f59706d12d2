"""One app per user: ``zdce-gui FILES…`` started while the app runs hands the files to the
running app (they join its queue) instead of opening a second window.

The running app listens on a :class:`QLocalServer` (a Unix socket or a Windows pipe) whose
name is per user and per data folder (``$ZDCE_HOME``), readable by that user only. A new
start first tries :func:`hand_over`: it sends the paths as one JSON line and waits for the
running app's ``ok``; when no app listens, or it does not answer in time (crashed, hung, a
stale socket), the new start opens its own window and takes the name over (:func:`serve`).
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtNetwork import QLocalServer, QLocalSocket

if TYPE_CHECKING:
    from zdce_gui.main_window import MainWindow

HAND_OVER_TIMEOUT_MS = 1500
"""How long a new start waits for the running app to answer before it opens its own window."""
_REPLY = b"ok\n"


def server_name() -> str:
    """The name the running app listens on: one per user and data folder."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a container): the home stands for it
        user = str(Path.home())
    key = f"{user}\0{os.environ.get('ZDCE_HOME', '')}".encode()
    return f"zdce-gui-{hashlib.sha256(key).hexdigest()[:16]}"


def hand_over(
    paths: Sequence[Path], name: str | None = None, timeout_ms: int = HAND_OVER_TIMEOUT_MS
) -> bool:
    """Give ``paths`` (made absolute: the running app has another working folder) to the
    app listening on ``name``; True once it answered that it took them (it also comes to the
    front), False when none answered within ``timeout_ms``. Blocks: called before this
    process starts its own app."""
    socket = QLocalSocket()
    socket.connectToServer(name or server_name())
    if not socket.waitForConnected(timeout_ms):
        return False
    line = json.dumps([str(Path(p).absolute()) for p in paths]).encode() + b"\n"
    socket.write(line)
    if not socket.waitForBytesWritten(timeout_ms):
        return False
    reply = b""
    while not reply.endswith(b"\n") and socket.waitForReadyRead(timeout_ms):
        reply += bytes(socket.readAll().data())
    socket.disconnectFromServer()
    return reply == _REPLY


class InstanceServer(QObject):
    """Listens for later starts; each one's paths go to ``receive`` (in the GUI thread)."""

    def __init__(self, receive: Callable[[list[Path]], None], parent: QObject | None) -> None:
        super().__init__(parent)
        self._receive = receive
        self.server = QLocalServer(self)
        self.server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self.server.newConnection.connect(self._accept)

    def listen(self, name: str) -> bool:
        """Listen on ``name``; a name left by an app that did not answer is taken over."""
        if self.server.listen(name):
            return True
        QLocalServer.removeServer(name)  # a stale socket: hand_over found no one answering
        return self.server.listen(name)

    def _accept(self) -> None:
        while self.server.hasPendingConnections():
            socket = self.server.nextPendingConnection()
            buffer = bytearray()
            socket.readyRead.connect(lambda s=socket, b=buffer: self._read(s, b))
            socket.disconnected.connect(socket.deleteLater)

    def _read(self, socket: QLocalSocket, buffer: bytearray) -> None:
        buffer += bytes(socket.readAll().data())
        if not buffer.endswith(b"\n"):
            return  # the rest of the line is on its way
        try:
            names = json.loads(buffer.decode())
        except ValueError:
            names = None
        buffer.clear()
        if not isinstance(names, list):
            socket.disconnectFromServer()  # not one of ours
            return
        socket.write(_REPLY)
        socket.flush()
        self._receive([Path(str(n)) for n in names])


def serve(
    receive: Callable[[list[Path]], None], parent: QObject, name: str | None = None
) -> InstanceServer:
    """Start listening for later starts of the app (see the module's docstring); when the
    name cannot be had, the app works on, alone."""
    server = InstanceServer(receive, parent)
    server.listen(name or server_name())
    return server


def serve_window(window: MainWindow) -> InstanceServer:
    """Files handed over by later starts join ``window``'s queue; the window comes to the
    front (also for a later start without files)."""

    def receive(paths: list[Path]) -> None:
        if paths:
            window.queue_ctl.add_paths(paths)
        if window.isMinimized():
            window.showNormal()
        window.raise_()
        window.activateWindow()

    return serve(receive, window)

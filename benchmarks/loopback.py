"""The benches' HTTP server on 127.0.0.1."""

from __future__ import annotations

from http.server import ThreadingHTTPServer


class LoopbackServer(ThreadingHTTPServer):
    """A threaded HTTP server whose listen queue holds a whole burst of connections.

    socketserver's default queue holds 5: when 8 clients connect at once, a connection that
    overflows it waits for the kernel's one-second SYN retransmit, so a round of 25 pages
    (a floor as much as a check) took a second longer at random.
    """

    request_queue_size = 128

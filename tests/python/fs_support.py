"""What the Python end-to-end tests share: free ports, the test cluster's role URLs, polling."""
import os
import socket
import time


def free_ports(count):
    """Distinct ports nobody listens on now (all held open at once, so never the same twice)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def free_port():
    return free_ports(1)[0]


def role_url(role):
    """The URL of `role` (e.g. fs_workbook_app) on the cluster scripts/test.sh started."""
    return os.environ["FS_TEST_DB_URL"].replace("postgres@", f"{role}@", 1)


def eventually(check, seconds=30):
    """Calls check() until it returns a true value (returned) or the time is up (None)."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.2)
    return None

"""What the Python end-to-end tests share: free ports, the test cluster's role URLs, polling,
starting a binary."""
import os
import socket
import subprocess
import sys
import time

import grpc


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


def migrate(binary, service, log):
    """Applies `service`'s migrations as its schema owner (granting its app role), as `make run`
    does before serving."""
    subprocess.run([binary, f"--db_url={role_url(f'fs_{service}_app')}",
                    f"--migration_db_url={role_url(f'fs_{service}')}", "--migrate_only"],
                   stdout=log, stderr=subprocess.STDOUT, timeout=120, check=True)


def print_log_tail(log, path, what="servers' output", chars=4000):
    """Writes the end of the processes' shared log to stderr (a set-up that failed)."""
    log.flush()
    with open(path) as f:
        sys.stderr.write(f"{what}:\n" + f.read()[-chars:])


def eventually(check, seconds=30):
    """Calls check() until it returns a true value (returned) or the time is up (None)."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.2)
    return None


class ServerExited(Exception):
    """A binary ended before it served (e.g. its port was taken meanwhile)."""


def launch(args, port, log, seconds=60):
    """Starts a binary (output to `log`) and waits until its gRPC port answers: returns
    (process, channel). The port is awaited first, as run-local.sh does: a channel that failed to
    connect backs off for ever longer before it tries again."""
    process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.time() + seconds
    while True:
        if process.poll() is not None:
            raise ServerExited(f"{os.path.basename(args[0])} exited with {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if time.time() > deadline:
                process.kill()
                process.wait()
                raise TimeoutError(f"{os.path.basename(args[0])} never listened on {port}")
            time.sleep(0.1)
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    grpc.channel_ready_future(channel).result(timeout=30)
    return process, channel

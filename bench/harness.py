"""What the pipeline benchmark drives: worker subprocesses, their consumer group's progress,
their memory and CPU time, and scrapes of their ``/metrics``.

A worker's throughput is read from Kafka, not from the worker: the offsets its consumer
group has committed against the end offsets of the topics it reads. faust commits every
few seconds, and only what it has processed (the Lugang worker flushes its sinks first),
so both ends of a measurement are commit moments: start-up and the rebalance are left
out, and the error is the polling interval, not the commit interval.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import psutil
import requests
from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition
from kafka.errors import KafkaError

from bench import diagnosis
from bench.peers.bare_faust import FAUSTFIX_FLAG
from bench.servers import ROOT
from entrypoints.embedded import free_port

T = TypeVar("T")

POLL_S = 0.2
"""How often offsets and memory are sampled."""

LUGANG_WORKER = [sys.executable, "-m", "entrypoints.cli", "worker"]
BARE_FAUST = [sys.executable, "-m", "bench.peers.bare_faust"]
BARE_LUGANG_FAUST = [*BARE_FAUST, FAUSTFIX_FLAG]
"""The bare agent on the faust the worker runs on (Lugang's fetch loop, raw decode, batch take)."""
PROFILED_WORKER = [
    sys.executable,
    "-c",
    "import cProfile, sys\n"
    "from entrypoints.cli import main\n"
    "profiler = cProfile.Profile()\n"
    "profiler.enable()\n"
    "try:\n"
    "    main(['worker'])\n"
    "finally:\n"
    "    profiler.disable()\n"
    "    profiler.dump_stats(sys.argv[1])\n",
]
"""``lugang worker`` under cProfile; the .prof path follows (written when it stops)."""


class BenchFailure(RuntimeError):
    """A measurement that could not be made; the message says why (with a log tail)."""


@dataclass(frozen=True, slots=True)
class Throughput:
    """Events processed in a measured span of wall-clock time."""

    events: int
    seconds: float
    cpu_us: float | None = None
    """CPU time the processes used over their whole life (start-up and the tail after the
    last event included) per event of their input, in µs; None: not measured. Steadier
    than the rate on a machine whose other load comes and goes: it counts work, not
    waiting."""
    load: MachineLoad | None = None
    """What the whole machine did meanwhile (None: not measured)."""
    longest_wait_s: float | None = None
    """The longest stretch of the span in which the group committed no further input
    offset (to the end: until its followers caught up too); None: not measured. The
    commits come every fraction of a second while all goes well: a stretch of seconds is a
    stall (a partition's hole chased by seeks after a rebalance, a follower's tail), and
    the figure says how much of a slow run's span it took."""

    span_busy: float | None = None
    """Share of the machine's cores busy over the span alone (from its first commit to its
    end), 0 to 1; None: not measured. :attr:`MachineLoad.busy` is over the workers' whole
    life, their start-up and rebalance included; near 1 here, the machine bounded the run
    (two workers, Kafka and InfluxDB on 2 cores), not the workers' waits."""

    own_tail_s: float | None = None
    """How long after its last input commit the group read its followers (the worker's own
    topics: its day facts, points and pages) to their end; None: not measured. The span
    includes this tail: a worker whose points reach InfluxDB only after its inputs are done
    has not done its work sooner (with faust's default fetch batches a busy worker's
    points trailed its inputs by most of a 300,000-event run)."""

    @property
    def rate(self) -> float:
        return self.events / self.seconds


@dataclass(frozen=True, slots=True)
class MachineLoad:
    """The machine's CPU over the life of some workers: how busy its cores were, and the
    CPU time the local Kafka and InfluxDB used per event of the workers' input (None: the
    server is not a process of this machine). A run whose cores were all busy was bounded
    by the machine, not by the workers alone."""

    busy: float
    """Share of all cores' time spent busy (user, system, interrupts), 0 to 1."""
    kafka_us: float | None
    influx_us: float | None

    def servers_us(self) -> float:
        """Kafka's and InfluxDB's CPU µs an event together (what is known of them)."""
        return (self.kafka_us or 0.0) + (self.influx_us or 0.0)


def listening_process(address: str) -> psutil.Process | None:
    """The process of this machine listening on ``address``'s TCP port (``host:port`` or a
    URL); None if none is found."""
    port = urlsplit(address if "//" in address else f"//{address}").port
    try:
        connections = psutil.net_connections(kind="tcp")
    except psutil.AccessDenied:
        return None
    for connection in connections:
        local = connection.laddr
        listening = connection.status == psutil.CONN_LISTEN and isinstance(local, tuple)
        if listening and local and local[1] == port and connection.pid:
            try:
                return psutil.Process(connection.pid)
            except psutil.NoSuchProcess:
                return None
    return None


def cores_times() -> tuple[float, float]:
    """The machine's cores' busy and idle seconds so far (all cores summed; I/O wait is
    idle)."""
    times = psutil.cpu_times()
    idle = times.idle + getattr(times, "iowait", 0.0)
    return sum(times) - idle, idle


def busy_share(then: tuple[float, float], now: tuple[float, float]) -> float:
    """The share of the cores' time busy between two :func:`cores_times` readings."""
    busy, idle = now[0] - then[0], now[1] - then[1]
    return busy / (busy + idle) if busy + idle > 0 else 0.0


class MachineProbe:
    """Reads the machine's CPU times and the local servers' when started and stopped
    (:class:`MachineLoad`)."""

    def __init__(self, servers: Servers) -> None:
        self._servers = {
            "kafka": listening_process(servers.bootstrap.split(",")[0]),
            "influx": listening_process(servers.influx_url),
        }
        self._started = self._read()

    def _read(self) -> tuple[tuple[float, float], dict[str, float | None]]:
        used: dict[str, float | None] = {}
        for name, process in self._servers.items():
            try:
                cpu = process.cpu_times() if process else None
            except psutil.NoSuchProcess:
                cpu = None
            used[name] = None if cpu is None else cpu.user + cpu.system
        return cores_times(), used

    def stop(self, events: int) -> MachineLoad:
        """The load since the probe started, per event of ``events``."""
        cores, used = self._read()
        cores_then, used_then = self._started

        def per_event(name: str) -> float | None:
            now, then = used[name], used_then[name]
            return None if now is None or then is None else (now - then) / events * 1e6

        return MachineLoad(
            busy=busy_share(cores_then, cores),
            kafka_us=per_event("kafka"),
            influx_us=per_event("influx"),
        )


@dataclass(frozen=True, slots=True)
class Servers:
    """Where workers find Kafka, InfluxDB and Alertmanager."""

    bootstrap: str
    influx_url: str
    alertmanager_url: str


def worker_env(
    servers: Servers, prefix: str, app_id: str, folder: Path, influx_db: str
) -> dict[str, str]:
    """The ``LUGANG_*`` environment of a worker (its own data folder and web port)."""
    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
        "LUGANG_KAFKA_BOOTSTRAP": servers.bootstrap,
        "LUGANG_TOPIC_PREFIX": prefix,
        "LUGANG_TOPIC_PARTITIONS": "4",
        "LUGANG_APP_ID": app_id,
        "LUGANG_INFLUX_URL": servers.influx_url,
        "LUGANG_INFLUX_BUCKET": f"{influx_db}/autogen",
        "LUGANG_ALERTMANAGER_URL": servers.alertmanager_url,
        "LUGANG_DATA_DIR": str(folder / "data"),
        "LUGANG_WEB_HOST": "127.0.0.1",
        "LUGANG_WEB_PORT": str(free_port()),
    }


class WorkerProcess:
    """One worker subprocess, logging to ``folder/worker.log``."""

    def __init__(
        self, name: str, command: Sequence[str], env: Mapping[str, str], folder: Path
    ) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.name = name
        self.url = f"http://127.0.0.1:{env.get('LUGANG_WEB_PORT', '6066')}"
        self.log = folder / "worker.log"
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                list(command), env=dict(env), cwd=folder, stdout=log, stderr=subprocess.STDOUT
            )

    def check(self) -> None:
        """Raise :class:`BenchFailure` if the worker has exited."""
        code = self.process.poll()
        if code is not None:
            raise BenchFailure(f"{self.name} exited with status {code}:\n{self.log_tail()}")

    def log_tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:]

    def stall_report(self, uncommitted: str) -> str:
        """What the worker is doing (:func:`bench.diagnosis.stall_report`)."""
        return diagnosis.stall_report(self.process, self.log, self.url, uncommitted)

    def _tree_sum(self, measure: Callable[[psutil.Process], float]) -> float:
        """``measure`` summed over the worker and its children (0 once it has exited)."""
        try:
            root = psutil.Process(self.process.pid)
            tree = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return 0
        total = 0.0
        for process in tree:
            try:
                total += measure(process)
            except psutil.NoSuchProcess:
                continue
        return total

    def rss_bytes(self) -> int:
        """Resident memory of the worker and its children (0 once it has exited)."""
        return int(self._tree_sum(lambda process: process.memory_info().rss))

    def cpu_seconds(self) -> float:
        """CPU time (user and system) the worker and its children have used so far."""

        def used(process: psutil.Process) -> float:
            times = process.cpu_times()
            return float(times.user + times.system)

        return self._tree_sum(used)

    def stop(self, timeout: float = 30) -> None:
        """SIGTERM (faust shuts down cleanly: leaves the group, dumps a profile), then kill."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class PeakMemory:
    """Samples the summed RSS of some workers every ``POLL_S`` in a thread; keeps the peak."""

    def __init__(self, workers: Sequence[WorkerProcess]) -> None:
        self._workers = list(workers)
        self._stop = threading.Event()
        self.peak_bytes = 0
        self._thread = threading.Thread(target=self._sample, name="peak-memory", daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.is_set():
            rss = sum(worker.rss_bytes() for worker in self._workers)
            self.peak_bytes = max(self.peak_bytes, rss)
            self._stop.wait(POLL_S)

    def stop(self) -> float:
        """Stop sampling; the peak in MB (10^6 bytes)."""
        self._stop.set()
        self._thread.join()
        return self.peak_bytes / 1e6


class MetricsProbe:
    """What ``/metrics`` costs some workers: scrapes each one's ``/metrics`` every
    ``every_s`` seconds in a thread, as Prometheus would (None: no scraping, the baseline),
    timing each scrape from this side; when stopped, before the workers are, the CPU time
    they used in all."""

    def __init__(self, every_s: float | None) -> None:
        self.every_s = every_s
        self.scrapes_s: list[float] = []
        self.sizes: list[int] = []
        self.failed = 0
        self.cpu_s = 0.0
        self._workers: list[WorkerProcess] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, workers: Sequence[WorkerProcess]) -> None:
        self._workers = list(workers)
        if self.every_s is not None:
            self._thread = threading.Thread(target=self._scrape, name="scrape", daemon=True)
            self._thread.start()

    def _scrape(self) -> None:
        every = self.every_s or 1.0
        with requests.Session() as session:
            while not self._stop.wait(every):
                for worker in self._workers:
                    started = time.perf_counter()
                    try:
                        response = session.get(f"{worker.url}/metrics", timeout=10)
                        response.raise_for_status()
                    except requests.RequestException:  # starting, or stopping
                        self.failed += 1
                        continue
                    self.scrapes_s.append(time.perf_counter() - started)
                    self.sizes.append(len(response.content))

    def stop(self) -> None:
        """Stop scraping and read the workers' CPU time (call before stopping them)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self.cpu_s = sum(worker.cpu_seconds() for worker in self._workers)


def topic_partitions(bootstrap: str, topics: Sequence[str]) -> tuple[list[Any], int]:
    """The partitions of ``topics`` and the number of messages they hold (from offset 0)."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, client_id="lugang-bench")
    try:
        partitions = [
            TopicPartition(topic, number)
            for topic in topics
            for number in sorted(consumer.partitions_for_topic(topic) or ())
        ]
        return partitions, sum(consumer.end_offsets(partitions).values())
    finally:
        consumer.close()


class GroupWatch:
    """A consumer group's committed offsets on its input topics (and on ``followers``,
    topics the group both writes and reads, such as the worker's ``day-facts``)."""

    def __init__(
        self, bootstrap: str, group: str, inputs: Sequence[str], followers: Sequence[str] = ()
    ) -> None:
        self.group = group
        self.bootstrap = bootstrap
        self._admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="lugang-bench")
        self._consumer = KafkaConsumer(bootstrap_servers=bootstrap, client_id="lugang-bench")
        self.inputs = self._partitions(inputs)
        self.total = sum(self._consumer.end_offsets(self.inputs).values())
        self._followers = list(followers)

    def _partitions(self, topics: Sequence[str]) -> list[TopicPartition]:
        partitions = []
        for topic in topics:
            numbers = self._consumer.partitions_for_topic(topic) or set()
            partitions += [TopicPartition(topic, p) for p in sorted(numbers)]
        return partitions

    def uncommitted(self) -> str:
        """The group's input and follower partitions not committed to their end."""
        topics = sorted({tp.topic for tp in self.inputs} | set(self._followers))
        return diagnosis.group_lag(self.bootstrap, self.group, topics)

    def committed(self) -> dict[Any, int]:
        """Committed offset of every partition the group has committed."""
        if hasattr(self._admin, "list_group_offsets"):  # kafka-python 3
            offsets = _retrying(
                lambda: self._admin.list_group_offsets({self.group: None})[self.group]
            )
        else:  # kafka-python 2
            offsets = _retrying(lambda: self._admin.list_consumer_group_offsets(self.group))
        return {tp: meta.offset for tp, meta in offsets.items() if meta.offset >= 0}

    def stable_members(self) -> int:
        """Members of the group once it is stable (0 while it rebalances)."""
        if hasattr(self._admin, "describe_groups"):  # kafka-python 3
            group = _retrying(lambda: self._admin.describe_groups([self.group])[self.group])
            state, members = group["group_state"], group["members"]
        else:  # kafka-python 2
            group = _retrying(lambda: self._admin.describe_consumer_groups([self.group])[0])
            state, members = group.state, group.members
        return len(members) if state == "Stable" else 0

    def input_lag(self) -> int:
        """Input messages the group has not committed yet (end offsets read now)."""
        committed = self.committed()
        ends = self._consumer.end_offsets(self.inputs)
        return sum(end - committed.get(tp, 0) for tp, end in ends.items())

    def follower_lag(self, committed: Mapping[Any, int]) -> int:
        partitions = self._partitions(self._followers)
        ends = self._consumer.end_offsets(partitions) if partitions else {}
        return sum(end - committed.get(tp, 0) for tp, end in ends.items())

    def close(self) -> None:
        self._admin.close()
        self._consumer.close()


def _retrying(call: Callable[[], T], attempts: int = 100) -> T:
    """``call()``, again after a retriable Kafka error (a fresh broker answers
    CoordinatorNotAvailable until its offsets topic exists)."""
    attempt = 1
    while True:
        try:
            return call()
        except KafkaError as exc:
            if not exc.retriable or attempt >= attempts:
                raise
        attempt += 1
        time.sleep(POLL_S)


def measure_consumption(
    watch: GroupWatch, workers: Sequence[WorkerProcess], members: int, timeout: float
) -> Throughput | None:
    """Events per second of the group from its first commit once ``members`` workers
    share the partitions (stable group) until it has committed every input offset and
    caught up with its followers; None if it consumed everything before that first
    commit (too few events to measure a rate)."""
    deadline = time.monotonic() + timeout
    start: tuple[float, int, tuple[float, float]] | None = None  # when, done, cores' times
    last: int | None = None
    progressed = longest = 0.0  # when the inputs' commits last moved; the longest wait
    inputs_done: float | None = None  # when every input offset was committed
    while True:
        for worker in workers:
            worker.check()
        now = time.monotonic()
        committed = watch.committed()
        done = sum(committed.get(tp, 0) for tp in watch.inputs)
        finished = done >= watch.total and watch.follower_lag(committed) <= 0
        if start is None:
            if finished:
                return None
            if done != last and last is not None and watch.stable_members() == members:
                start = (now, done, cores_times())
                progressed = now
        else:
            if done != last or finished:
                longest = max(longest, now - progressed)
                progressed = now
            if inputs_done is None and done >= watch.total:
                inputs_done = now
            if finished:
                return Throughput(
                    watch.total - start[1],
                    now - start[0],
                    longest_wait_s=longest,
                    span_busy=busy_share(start[2], cores_times()),
                    own_tail_s=now - (inputs_done if inputs_done is not None else now),
                )
        if now > deadline:
            uncommitted = watch.uncommitted()
            tails = "\n".join(f"--- {w.name}\n{w.stall_report(uncommitted)}" for w in workers)
            raise BenchFailure(
                f"{watch.group}: {done:,} of {watch.total:,} committed after {timeout:.0f} s\n"
                f"{tails}"
            )
        last = done
        time.sleep(POLL_S)


def wait_stable(
    watch: GroupWatch, workers: Sequence[WorkerProcess], members: int, timeout: float
) -> None:
    """Wait until ``members`` workers share the group's partitions."""
    deadline = time.monotonic() + timeout
    while watch.stable_members() != members:
        for worker in workers:
            worker.check()
        if time.monotonic() > deadline:
            raise BenchFailure(f"{watch.group} not stable with {members} member(s) in {timeout} s")
        time.sleep(POLL_S)

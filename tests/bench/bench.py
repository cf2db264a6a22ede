#!/usr/bin/env python3
"""The link-migration benchmark driver (docs/benchmarks.md). Run it through
run.sh, which builds the targets it needs first.

Workload W: N migrations, each creating one table and inserting one row in
SQLite, every step committed with its version record. For each N it times,
on the same machine in one run, interleaved repetition by repetition:

  floor (a)        lm_bench_floor: the same SQL and commits in plain C++
  floor (b)        lm_bench_dlopen: list the folder, dlopen + dlsym each plugin
  link-migration   N plugin files, and the same N migrations in one bundle
  peers            Alembic, sql-migrate, sqitch (N <= 1,000 only), if installed

through the operations up from empty, up with nothing pending (noop), status
with everything applied, and down to empty. Wall time is measured by
lm_bench_measure (fork, exec, wait4; see measure.cc), and so is peak RSS:
wait4's ru_maxrss, the number GNU time prints as %M (the largest of the
process and of the children it waited for).
Medians, ratios and the targets of the issue go to stdout and OUT/results.md,
every sample to OUT/samples.csv, the scaling curve to OUT/scaling.png.
"""
import argparse
import datetime
import os
import platform
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import gen  # noqa: E402

# The fast operations start from a settled machine: the up just before them
# leaves its commits' writeback to the kernel, which would otherwise land on
# the first few milliseconds-long runs after it. Every subject, the peers
# included, gets the same sync and pause.
SETTLE_SECONDS = 0.3

OPS = ("up", "noop", "status", "down")
OP_TITLES = {"up": "up from empty", "noop": "up, nothing pending", "status": "status, all applied",
             "down": "down to empty", "load": "list + dlopen + dlsym",
             "up-group": "up from empty, one transaction", "down-group": "down to empty, one transaction",
             "status-records": "status, all applied, records only",
}
PEER_MAX_N = 1000  # the peers take minutes at 10,000; they run up to this N


class Failure(Exception):
    pass


def median(values):
    return statistics.median(values) if values else None


MEASURE = None  # lm_bench_measure, set by Bench


def spawn(argv, out_path, env=None):
    """Runs argv with stdout and stderr to out_path, through lm_bench_measure
    (see measure.cc): (milliseconds, peak RSS KiB, exit code, CPU milliseconds)."""
    result = out_path + ".measure"
    with open(out_path, "wb") as out:
        done = subprocess.run([MEASURE, result] + argv, stdout=out, stderr=subprocess.STDOUT, env=env)
    if done.returncode != 0:
        raise Failure("lm_bench_measure failed on %s:\n%s" % (" ".join(argv), tail(out_path)))
    with open(result) as f:
        micros, rss, code, cpu = (int(x) for x in f.read().split())
    return micros / 1000.0, rss, code, cpu / 1000.0


def tail(path, lines=15):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError:
        return ""


def count_tables(db):
    with sqlite3.connect(db) as c:
        return c.execute("SELECT count(*) FROM sqlite_master WHERE type='table' AND name LIKE 'bench_t_%'").fetchone()[0]


def scalar(db, sql):
    if not os.path.exists(db):
        return None
    with sqlite3.connect(db) as c:
        row = c.execute(sql).fetchone()
        return row[0] if row else None


class Subject:
    """One thing measured: its commands per operation, how to reset it to an
    empty database, and how to check that a run really did the work."""

    def __init__(self, key, label, n, workdir, ops, db, durability, kind):
        self.key, self.label, self.n, self.workdir = key, label, n, workdir
        self.commands = ops  # op -> argv
        self.db = db
        self.durability = durability
        self.kind = kind  # runner | floor | dlopen | peer
        self.env = None
        self.op_env = {}  # op -> environment, where an operation needs its own
        self.extra_fast_ops = []  # measured beside noop and status, from the same state
        self.state_dirs = []
        self.applied_check = None  # () -> number of versions the tool recorded

    def reset(self):
        for folder in self.state_dirs:
            shutil.rmtree(folder, ignore_errors=True)
            os.makedirs(folder, mode=0o755)

    def verify_applied(self):
        if self.db is None:
            return
        tables = count_tables(self.db)
        recorded = self.applied_check() if self.applied_check else self.n
        last = gen.digits(self.n)
        note = scalar(self.db, "SELECT note FROM bench_t_%s" % last)
        if tables != self.n or recorded != self.n or note != "bench_" + last:
            raise Failure("%s, N=%d: after up, %s tables, %s recorded versions, last row %r (want %d, %d, %r)"
                          % (self.label, self.n, tables, recorded, note, self.n, self.n, "bench_" + last))

    def verify_empty(self):
        if self.db is None:
            return
        tables = count_tables(self.db)
        if tables != 0:
            raise Failure("%s, N=%d: after down, %d tables left" % (self.label, self.n, tables))


class Bench:
    def __init__(self, args):
        self.args = args
        self.build = os.path.abspath(args.build_dir)
        self.out = os.path.abspath(args.out)
        self.work = os.path.join(self.out, "work")
        self.samples = []  # (subject key, label, n, op, ms, rss_kib, cpu_ms)
        self.subjects = {}  # (key, n) -> Subject
        self.notes = []
        self.facts = {}  # (key, n, what) -> value
        global MEASURE
        MEASURE = os.path.join(self.build, "bin", "lm_bench_measure")
        self.runner = os.path.join(self.build, "bin", "link-migration")
        self.floor = os.path.join(self.build, "bin", "lm_bench_floor")
        self.dlopen = os.path.join(self.build, "bin", "lm_bench_dlopen")
        self.bench_build = os.path.join(self.build, "tests", "bench")
        self.template = os.path.join(self.bench_build, "template", "lm_bench_template.so")
        for path in (MEASURE, self.runner, self.floor, self.dlopen, self.template):
            if not os.path.exists(path):
                raise Failure("%s is missing: build the benchmark targets first (tests/bench/run.sh does)" % path)
        self.group_mode = self.detect_group_mode()
        self.peers = self.detect_peers() if not args.no_peers else {}

    # ---- what is there -------------------------------------------------

    def detect_group_mode(self):
        text = subprocess.run([self.runner, "--help"], capture_output=True, text=True).stdout
        return "--group" in text

    def detect_peers(self):
        peers = {}
        python = "/usr/bin/python3"
        if os.path.exists(python) and subprocess.run([python, "-c", "import alembic"],
                                                      capture_output=True).returncode == 0:
            peers["alembic"] = python
        for tool in ("sql-migrate", "sqitch"):
            path = shutil.which(tool)
            if path:
                peers[tool] = path
        if "sqitch" in peers and not shutil.which("sqlite3"):
            del peers["sqitch"]  # its sqlite engine runs scripts through the sqlite3 client
        if "sqitch" in peers and subprocess.run(["perl", "-MDBD::SQLite", "-e1"], capture_output=True).returncode:
            del peers["sqitch"]
        return peers

    # ---- subjects ------------------------------------------------------

    def runner_subject(self, key, label, n, plugins_folder):
        folder = os.path.join(self.work, str(n), key)
        os.makedirs(folder, exist_ok=True)
        state = os.path.join(folder, "state")
        conf = os.path.join(folder, "conf.json")
        with open(conf, "w") as f:
            f.write('{"migrations": ["%s"], "store": {"plugin": "sqlite", "options": {"database": "state/lm.db"}}}\n'
                    % plugins_folder)
        base = [self.runner, "-c", conf]
        ops = {"up": base + ["up"], "noop": base + ["up"], "status": base + ["status"], "down": base + ["down"]}
        if self.group_mode:
            ops["up-group"] = base + ["up", "--group"]
            ops["down-group"] = base + ["down", "--group"]
        s = Subject(key, label, n, folder, ops, os.path.join(state, "lm.db"),
                    "WAL, synchronous=FULL (sqlite store)", "runner")
        s.state_dirs = [state]
        s.applied_check = lambda: scalar(s.db, "SELECT count(*) FROM link_migration_records WHERE state='applied'")
        return s

    def records_only_subjects(self, n, bundle_folder):
        """Status of N applied versions in a database that holds only the
        version records: `baseline N` writes them and runs nothing, so the
        schema is not W's N tables, which SQLite parses whole on every open
        (at 10,000 that parse alone is most of floor (a)'s status). The
        floor's status reads the same database."""
        runner = self.runner_subject("bundle-records", "link-migration, 1 bundle library, records only", n,
                                     bundle_folder)
        runner.commands = {"baseline": runner.commands["status"][:-1] + ["baseline", str(n)],
                           "status-records": runner.commands["status"]}
        floor = Subject("floor-records", "floor (a), records only", n, runner.workdir,
                        {"status-records": [self.floor, "--db", runner.db, "--n", str(n), "--op", "status"]},
                        runner.db, runner.durability, "floor")
        return [runner, floor]

    def floor_subject(self, key, label, n, journal="WAL", synchronous="FULL", group=True):
        folder = os.path.join(self.work, str(n), key)
        state = os.path.join(folder, "state")
        db = os.path.join(state, "floor.db")
        base = [self.floor, "--db", db, "--n", str(n), "--journal", journal, "--synchronous", synchronous]
        ops = {op: base + ["--op", op] for op in OPS}
        if group:
            ops["up-group"] = base + ["--op", "up", "--group"]
            ops["down-group"] = base + ["--op", "down", "--group"]
        s = Subject(key, label, n, folder, ops, db, "%s, synchronous=%s" % (journal, synchronous), "floor")
        s.state_dirs = [state]
        s.applied_check = lambda: scalar(db, "SELECT count(*) FROM link_migration_records")
        return s

    def peer_subjects(self, n):
        subjects = []
        if "alembic" in self.peers:
            folder = os.path.join(self.work, str(n), "alembic")
            gen.gen_alembic(n, folder)
            base = [self.peers["alembic"], "-m", "alembic", "-c", os.path.join(folder, "alembic.ini")]
            s = Subject("alembic", "Alembic", n, folder,
                        {"up": base + ["upgrade", "head"], "noop": base + ["upgrade", "head"],
                         "status": base + ["current"], "down": base + ["downgrade", "base"]},
                        os.path.join(folder, "alembic.db"),
                        "rollback journal, synchronous=FULL (pysqlite defaults)", "peer")
            s.reset = lambda f=folder: [os.remove(p) for p in [os.path.join(f, "alembic.db")] if os.path.exists(p)]
            s.applied_check = lambda db=s.db, n=n: n if scalar(db, "SELECT version_num FROM alembic_version") == gen.digits(n) else 0
            subjects.append(s)
        if "sql-migrate" in self.peers:
            folder = os.path.join(self.work, str(n), "sql-migrate")
            gen.gen_sql_migrate(n, folder)
            base = [self.peers["sql-migrate"]]
            conf = ["-config=" + os.path.join(folder, "dbconfig.yml"), "-env=bench"]
            s = Subject("sql-migrate", "sql-migrate", n, folder,
                        {"up": base + ["up"] + conf, "noop": base + ["up"] + conf,
                         "status": base + ["status"] + conf, "down": base + ["down", "-limit=0"] + conf},
                        os.path.join(folder, "sql-migrate.db"),
                        "rollback journal, synchronous=NORMAL (go-sqlite3 defaults)", "peer")
            s.reset = lambda f=folder: [os.remove(p) for p in [os.path.join(f, "sql-migrate.db")] if os.path.exists(p)]
            s.applied_check = lambda db=s.db: scalar(db, "SELECT count(*) FROM migrations")
            subjects.append(s)
        if "sqitch" in self.peers:
            folder = os.path.join(self.work, str(n), "sqitch")
            gen.gen_sqitch(n, folder)
            base = [self.peers["sqitch"], "-C", folder]
            s = Subject("sqitch", "sqitch", n, folder,
                        {"up": base + ["deploy"], "noop": base + ["deploy"], "status": base + ["status"],
                         "down": base + ["revert", "-y"]},
                        os.path.join(folder, "sqitch-target.db"),
                        "rollback journal, synchronous=FULL (sqlite3 client; registry in its own file)", "peer")

            def reset(f=folder):
                for name in ("sqitch-target.db", "sqitch.db"):
                    if os.path.exists(os.path.join(f, name)):
                        os.remove(os.path.join(f, name))
            s.reset = reset
            s.applied_check = lambda f=folder: scalar(os.path.join(f, "sqitch.db"), "SELECT count(*) FROM changes")
            subjects.append(s)
        return subjects

    # ---- measuring -----------------------------------------------------

    def measure(self, subject, op):
        log = os.path.join(subject.workdir, "last-%s.log" % op)
        ms, rss, code, cpu = spawn(subject.commands[op], log, subject.op_env.get(op, subject.env))
        if code != 0:
            raise Failure("%s, N=%d, %s: exit code %d:\n%s" % (subject.label, subject.n, op, code, tail(log)))
        self.samples.append((subject.key, subject.label, subject.n, op, ms, rss, cpu))
        # Every sample goes to disk at once: an interrupted run keeps what it measured.
        with open(os.path.join(self.out, "samples.csv"), "a") as f:
            f.write("%s,%d,%s,%.3f,%d,%.3f\n" % (subject.key, subject.n, op, ms, rss, cpu))
        if self.args.verbose:
            print("   %-34s %-10s %10.1f ms %8.1f MiB" % (subject.label, op, ms, rss / 1024.0), flush=True)
        return log

    def bring_up(self, subject):
        """Empty -> up, checked."""
        subject.reset()
        log = self.measure(subject, "up")
        if subject.kind == "floor" and (subject.key, subject.n, "durability") not in self.facts:
            found = re.search(r"floor durability: (.*)", open(log).read())
            self.facts[(subject.key, subject.n, "durability")] = found.group(1) if found else "?"
        subject.verify_applied()

    def fast_round(self, subjects, fast_reps):
        """The fast operations of subjects that are all up, round-robin: each
        ratio between two of them (10x sql-migrate, 2x floor (a)) compares
        runs made within milliseconds of each other, so a slow spell of the
        machine hits both alike."""
        os.sync()
        time.sleep(SETTLE_SECONDS)
        for _ in range(fast_reps):
            for subject in subjects:
                self.measure(subject, "noop")
                self.measure(subject, "status")
                for op in subject.extra_fast_ops:
                    self.measure(subject, op)

    def take_down(self, subject):
        """Full -> down, checked; first the facts read from a full database."""
        if subject.kind == "runner" and (subject.key, subject.n, "loads") not in self.facts:
            self.facts[(subject.key, subject.n, "loads")] = self.loaded_plugins(subject)
        if subject.kind == "peer" and (subject.key, subject.n, "journal") not in self.facts:
            self.facts[(subject.key, subject.n, "journal")] = scalar(subject.db, "PRAGMA journal_mode")
        self.measure(subject, "down")
        subject.verify_empty()

    def cycle(self, subject):
        """Empty -> up -> down, for the subjects measured without fast operations."""
        self.bring_up(subject)
        self.take_down(subject)

    def group_cycle(self, subject):
        subject.reset()
        self.measure(subject, "up-group")
        subject.verify_applied()
        self.measure(subject, "down-group")
        subject.verify_empty()

    def loaded_plugins(self, subject):
        """How many migration libraries status and noop dlopen'ed (and so ran
        their initializers): the dynamic loader's own report, LD_DEBUG=files."""
        result = {}
        folder = os.path.join(self.work, str(subject.n))
        for op in ("status", "noop"):
            log = os.path.join(subject.workdir, "ld-debug-%s.log" % op)
            env = dict(os.environ, LD_DEBUG="files")
            _, _, code, _ = spawn(subject.commands[op], log, env)
            if code != 0:
                raise Failure("%s: %s under LD_DEBUG failed:\n%s" % (subject.label, op, tail(log)))
            with open(log, errors="replace") as f:
                result[op] = sum(1 for line in f if "calling init:" in line and
                                 (folder in line or "lm_bench_bundle" in line) and line.rstrip().endswith(".so"))
        return result

    # ---- one N -----------------------------------------------------------

    def run_n(self, n, cycles, fast_reps, peer_cycles):
        print("== N = %d: generating inputs" % n, flush=True)
        root = os.path.join(self.work, str(n))
        os.makedirs(root, exist_ok=True)
        plugins = os.path.join(root, "plugin-files")
        started = time.perf_counter()
        gen.gen_plugins(self.template, n, plugins)
        self.facts[("gen", n, "seconds")] = time.perf_counter() - started
        bundle_built = os.path.join(self.bench_build, "bundle_%d" % n, "lm_bench_bundle_%d.so" % n)
        if not os.path.exists(bundle_built):
            raise Failure("%s is missing: build target lm_bench_bundle_%d (run.sh does)" % (bundle_built, n))
        bundle = os.path.join(root, "plugin-bundle")
        gen.fresh_folder(bundle)
        shutil.copy(bundle_built, bundle)
        self.facts[("bundle", n, "bytes")] = os.path.getsize(bundle_built)

        subjects = [
            self.floor_subject("floor", "floor (a)", n),
            self.runner_subject("files", "link-migration, %d plugin files" % n, n, plugins),
            self.runner_subject("bundle", "link-migration, 1 bundle library", n, bundle),
        ]
        extra_floors = []
        if not self.args.quick and n <= PEER_MAX_N:
            # The peers' durability settings, for ratios at equal footing.
            extra_floors = [self.floor_subject("floor-delete-full", "floor, rollback journal, FULL", n,
                                               "DELETE", "FULL", group=False),
                            self.floor_subject("floor-delete-normal", "floor, rollback journal, NORMAL", n,
                                               "DELETE", "NORMAL", group=False),
                            self.floor_subject("floor-wal-off", "floor, WAL, synchronous=OFF", n,
                                               "WAL", "OFF", group=False)]
        peers = self.peer_subjects(n) if n <= PEER_MAX_N else []
        loaders = []
        for key, label, folder in (("dlopen-files", "floor (b), %d plugin files" % n, plugins),
                                   ("dlopen-bundle", "floor (b), 1 bundle library", bundle)):
            loaders.append(Subject(key, label, n, os.path.join(root, key), {"load": [self.dlopen, folder]},
                                   None, "-", "dlopen"))
            os.makedirs(loaders[-1].workdir, exist_ok=True)
        records_only = self.records_only_subjects(n, bundle)
        for s in subjects + extra_floors + peers + loaders + records_only:
            self.subjects[(s.key, n)] = s
        records_only[0].reset()
        self.measure(records_only[0], "baseline")
        recorded = records_only[0].applied_check()
        if recorded != n:
            raise Failure("records only, N=%d: baseline recorded %s versions" % (n, recorded))

        # Interleaved: every subject once per repetition, so a slow spell of
        # the machine hits them alike. All are brought up, then their fast
        # operations run round-robin, then all are taken down. The peers and
        # the extra floors run in the first `peer_cycles` repetitions only
        # (sqitch, at N = 1,000, in the first alone: one up and one down take
        # it minutes).
        for rep in range(cycles):
            print("== N = %d: repetition %d of %d" % (n, rep + 1, cycles), flush=True)
            for s in loaders:
                for _ in range(fast_reps):
                    self.measure(s, "load")
            for _ in range(fast_reps):
                for s in records_only:
                    self.measure(s, "status-records")
            active = subjects + [s for s in peers
                                 if rep < (1 if s.key == "sqitch" and n >= PEER_MAX_N else peer_cycles)]
            for s in active:
                self.bring_up(s)
            self.fast_round(active, fast_reps)
            for s in active:
                self.take_down(s)
            for s in subjects:
                # One-transaction mode with 10,000 separate files costs the
                # runner minutes and says nothing the bundle and N = 1,000 do not.
                if "up-group" in s.commands and not (n >= 10000 and s.key == "files"):
                    self.group_cycle(s)
            if rep < peer_cycles:
                for s in extra_floors:
                    self.cycle(s)

    # ---- results ---------------------------------------------------------

    def stats(self, key, n, op):
        mine = [s for s in self.samples if s[0] == key and s[2] == n and s[3] == op]
        if not mine:
            return None
        times = [s[4] for s in mine]
        return {"ms": median(times), "min": min(times), "max": max(times), "count": len(times),
                "rss": max(s[5] for s in mine) / 1024.0, "cpu": median([s[6] for s in mine])}

    def rows(self):
        rows = []
        seen = []
        for key, _, n, op, _, _, _ in self.samples:
            if (key, n, op) not in seen:
                seen.append((key, n, op))
        order = ["floor", "floor-records", "floor-delete-full", "floor-delete-normal", "floor-wal-off", "dlopen-files",
                 "dlopen-bundle", "files", "bundle", "bundle-records", "sql-migrate", "alembic", "sqitch"]
        op_order = ["up", "up-group", "noop", "status", "status-records", "load", "down",
                    "down-group", "baseline"]
        seen.sort(key=lambda t: (t[1], op_order.index(t[2]), order.index(t[0]) if t[0] in order else 99))
        for key, n, op in seen:
            if op == "baseline":
                continue  # only sets up the records-only database
            st = self.stats(key, n, op)
            floor_op = {"load": None}.get(op, op)
            ref = self.stats("floor-records" if op == "status-records" else "floor", n, floor_op) if floor_op else None
            peer = self.stats("sql-migrate", n, op) if op in OPS else None
            rows.append({
                "n": n, "op": op, "key": key, "label": self.subjects[(key, n)].label, "ms": st["ms"],
                "min": st["min"], "max": st["max"], "count": st["count"], "rss": st["rss"], "cpu": st["cpu"],
                "x_floor": st["ms"] / ref["ms"] if ref else None,
                "cpu_x_floor": st["cpu"] / ref["cpu"] if ref and ref["cpu"] > 0 else None,
                "x_sql_migrate": st["ms"] / peer["ms"] if peer else None,
                "durability": self.facts.get((key, n, "durability")) or self.subjects[(key, n)].durability,
            })
        return rows

    def targets(self):
        out = []

        def ms(key, n, op):
            st = self.stats(key, n, op)
            return st["ms"] if st else None

        def verdict(ok):
            return "n/a (not measured)" if ok is None else ("MET" if ok else "NOT MET")

        n1 = 1000 if any(n == 1000 for _, _, n, _, _, _, _ in self.samples) else max(
            (n for _, _, n, _, _, _, _ in self.samples), default=0)
        nmax = max((n for _, _, n, _, _, _, _ in self.samples), default=0)
        # Every plugin loads before the first step: separate files must each
        # be dlopen'ed, so their floor is floor (a) plus floor (b)'s loading
        # of the same files; one bundle library loads once.
        a, f, b = ms("files", n1, "up"), ms("floor", n1, "up"), ms("dlopen-files", n1, "load")
        ok = None if None in (a, f, b) else a <= 1.1 * (f + b)
        out.append(("up from empty <= 1.1x (floor (a) + floor (b)), N=%d plugin files" % n1, verdict(ok),
                    "%.0f ms vs %.0f + %.0f ms: %.2fx (%.2fx floor (a) alone)" % (a, f, b, a / (f + b), a / f)
                    if ok is not None else ""))
        a, f = ms("bundle", n1, "up"), ms("floor", n1, "up")
        ok = None if a is None or f is None else a <= 1.1 * f
        out.append(("up from empty <= 1.1x floor (a), N=%d, one bundle" % n1, verdict(ok),
                    "%.0f ms vs %.0f ms: %.2fx" % (a, f, a / f) if ok is not None else ""))
        for key, what, factor in (("files", "%d plugin files" % n1, 5), ("bundle", "one bundle", 10)):
            for op in ("status", "noop"):
                a, p = ms(key, n1, op), ms("sql-migrate", n1, op)
                loads = self.facts.get((key, n1, "loads"), {}).get(op)
                ok = None if a is None or p is None else (p / a >= factor and loads == 0)
                detail = ("%.1f ms vs sql-migrate %.1f ms: %.1fx faster; migration plugins dlopen'ed: %s"
                          % (a, p, p / a, loads)) if ok is not None else (
                    "sql-migrate not measured" if a is not None else "")
                out.append(("%s, %s, >= %dx faster than sql-migrate, no migration code run"
                            % (OP_TITLES[op], what, factor), verdict(ok), detail))
        for key in ("files", "bundle"):
            a, f = ms(key, 10000, "status"), ms("floor", 10000, "status")
            ok = None if a is None else a < 50
            out.append(("status with 10,000 applied < 50 ms (%s, W's 10,000 tables in the database)"
                        % ("plugin files" if key == "files" else "one bundle"), verdict(ok),
                        "%.1f ms; floor (a) itself: %.1f ms" % (a, f) if ok is not None and f else ""))
        a, f = ms("bundle-records", 10000, "status-records"), ms("floor-records", 10000, "status-records")
        ok = None if a is None else a < 50
        out.append(("status with 10,000 applied < 50 ms (one bundle, a database of version records only)",
                    verdict(ok), "%.1f ms; floor (a) on the same database: %.1f ms" % (a, f) if ok is not None else ""))
        rss = [self.stats("bundle", 10000, op) for op in OPS]
        rss = [r["rss"] for r in rss if r]
        ok = None if not rss else max(rss) < 64
        out.append(("peak RSS < 64 MiB, N=10,000, one bundle", verdict(ok),
                    "%.1f MiB (largest over up/noop/status/down)" % max(rss) if rss else ""))
        g, d = ms("files", n1, "up-group"), ms("files", n1, "up")
        if self.group_mode and g is not None:
            out.append(("one-transaction mode measured beside the default", "MET",
                        "N=%d files: up %.0f ms with --group vs %.0f ms default" % (n1, g, d)))
        else:
            out.append(("one-transaction mode measured beside the default", "NOT MET",
                        "this runner build has no --group (link-migration --help)"))
        return out, nmax

    def write(self):
        os.makedirs(self.out, exist_ok=True)
        rows = self.rows()
        with open(os.path.join(self.out, "results.csv"), "w") as f:
            f.write("n,op,subject,label,median_ms,min_ms,max_ms,samples,peak_rss_mib,median_cpu_ms,"
                    "x_floor_a,x_sql_migrate,durability\n")
            for r in rows:
                f.write('%d,%s,%s,"%s",%.3f,%.3f,%.3f,%d,%.2f,%.3f,%s,%s,"%s"\n' % (
                    r["n"], r["op"], r["key"], r["label"], r["ms"], r["min"], r["max"], r["count"], r["rss"], r["cpu"],
                    "%.3f" % r["x_floor"] if r["x_floor"] else "", "%.3f" % r["x_sql_migrate"] if r["x_sql_migrate"] else "",
                    r["durability"]))
        targets, _ = self.targets()
        md = self.markdown(rows, targets)
        with open(os.path.join(self.out, "results.md"), "w") as f:
            f.write(md)
        print()
        print(md)
        self.plot()

    def fmt_ms(self, v):
        return "%.0f" % v if v >= 100 else ("%.1f" % v if v >= 1 else "%.2f" % v)

    def markdown(self, rows, targets):
        lines = []
        lines.append("| N | operation | subject | median ms | min-max ms | runs | peak RSS MiB | CPU ms "
                     "| x floor (a) | CPU x floor (a) | x sql-migrate |")
        lines.append("|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        for r in rows:
            lines.append("| %s | %s | %s | %s | %s-%s | %d | %.1f | %s | %s | %s | %s |" % (
                "{:,}".format(r["n"]), OP_TITLES[r["op"]], r["label"], self.fmt_ms(r["ms"]), self.fmt_ms(r["min"]),
                self.fmt_ms(r["max"]), r["count"], r["rss"], self.fmt_ms(r["cpu"]),
                "%.2f" % r["x_floor"] if r["x_floor"] is not None else "",
                "%.2f" % r["cpu_x_floor"] if r["cpu_x_floor"] is not None else "",
                "%.3f" % r["x_sql_migrate"] if r["x_sql_migrate"] is not None else ""))
        lines.append("")
        lines.append("Targets:")
        lines.append("")
        for name, verdict, detail in targets:
            lines.append("- %s: **%s**%s" % (name, verdict, " (%s)" % detail if detail else ""))
        lines.append("")
        lines.append("Durability, as each tool runs by default on SQLite (journal mode read from each database):")
        lines.append("")
        seen = set()
        for (key, n), s in sorted(self.subjects.items(), key=lambda t: t[0][1]):
            if key in seen or s.kind == "dlopen":
                continue
            seen.add(key)
            fact = self.facts.get((key, n, "durability"))
            journal = self.facts.get((key, n, "journal"))
            if s.kind == "runner":
                if "runner" in seen:
                    continue
                seen.add("runner")
            lines.append("- %s: %s%s" % (s.label.split(",")[0] if s.kind == "runner" else s.label,
                                           fact or s.durability, " (journal_mode %s)" % journal if journal else ""))
        for (key, n, what), value in sorted(self.facts.items(), key=lambda t: (str(t[0][0]), t[0][1])):
            if what == "loads":
                lines.append("- %s, N=%d: plugin libraries dlopen'ed (LD_DEBUG=files) by status: %d, by noop: %d"
                             % (self.subjects[(key, n)].label, n, value["status"], value["noop"]))
        lines.append("")
        if self.args.no_peers:
            lines.append("Peers not run (--quick or --no-peers).")
        else:
            lines.append("Peers run only up to N = %d (at 10,000 they would take many minutes each). "
                         "Not installed, so not measured: %s." % (PEER_MAX_N, ", ".join(
                             sorted({"alembic", "sql-migrate", "sqitch"} - set(self.peers))) or "none"))
        if not self.group_mode:
            lines.append("The runner has no one-transaction mode (--group) yet: not measured.")
        lines.append("")
        lines.append("Machine and tools:")
        lines.append("")
        lines.append("```")
        lines.extend(self.environment())
        lines.append("```")
        return "\n".join(lines) + "\n"

    def environment(self):
        def first(cmd):
            try:
                out = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
                text = (out.stdout or out.stderr).strip().splitlines()
                return text[0] if text else "?"
            except (OSError, subprocess.TimeoutExpired):
                return "not installed"

        def pkg(name):
            return first(["dpkg-query", "-W", "-f=${Version}", name])

        cpu = "?"
        try:
            for line in open("/proc/cpuinfo"):
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
        except OSError:
            pass
        mem = "?"
        try:
            mem = "%.1f GiB" % (int(open("/proc/meminfo").readline().split()[1]) / 1024 / 1024)
        except (OSError, ValueError, IndexError):
            pass
        fs = subprocess.run(["df", "-T", self.out], capture_output=True, text=True).stdout.strip().splitlines()[-1]
        lines = [
            "date: %s" % datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "machine: %s, %d cores, %s; %s %s" % (cpu, os.cpu_count() or 0, mem, platform.system(), platform.release()),
            "os: %s" % first(["sh", "-c", ". /etc/os-release; echo $PRETTY_NAME"]),
            "load average at the end: %s; benchmark ran at nice %d" % (
                " ".join(open("/proc/loadavg").read().split()[:3]), os.nice(0)),
            "file system of the databases: %s" % re.sub(r"\s+", " ", fs),
            "link-migration: %s (%s)" % (first([self.runner, "--package-version"]), first(
                ["git", "-C", HERE, "log", "-1", "--format=commit %h, %cd", "--date=short"])),
            "compiler: %s" % first(["c++", "--version"]),
            "SQLite library: %s (libsqlite3-0 %s)" % (sqlite3.sqlite_version, pkg("libsqlite3-0")),
        ]
        if "alembic" in self.peers:
            lines.append("Alembic: python3-alembic %s, SQLAlchemy %s, %s" % (
                pkg("python3-alembic"), pkg("python3-sqlalchemy"), first(["/usr/bin/python3", "--version"])))
        if "sql-migrate" in self.peers:
            lines.append("sql-migrate: %s" % pkg("sql-migrate"))
        if "sqitch" in self.peers:
            lines.append("sqitch: %s, %s, libdbd-sqlite3-perl %s" % (
                first(["sqitch", "--version"]), first(["sqlite3", "--version"])[:30], pkg("libdbd-sqlite3-perl")))
        lines.append("gnuplot: %s" % first(["gnuplot", "--version"]))
        lines.append("timing: lm_bench_measure (fork, exec, wait4; CLOCK_MONOTONIC), driven by Python %s; "
                     "RSS: wait4 ru_maxrss (= GNU time %%M), the largest over the command and every process "
                     "it started (a subreaper)" % platform.python_version())
        return lines

    def plot(self):
        """The scaling curve: one data file per series, one gnuplot script."""
        series = [("files", "link-migration, plugin files"), ("bundle", "link-migration, one bundle"),
                  ("floor", "floor (a)"), ("dlopen-files", "floor (b), plugin files"),
                  ("sql-migrate", "sql-migrate"), ("alembic", "Alembic"), ("sqitch", "sqitch")]
        panels = [("up", "up from empty (ms)"), ("status", "status, all applied (ms)"),
                  ("noop", "up, nothing pending (ms)"), ("rss", "peak RSS, largest over the operations (MiB)")]
        data = os.path.join(self.out, "scaling")
        os.makedirs(data, exist_ok=True)
        ns = sorted({n for _, _, n, _, _, _, _ in self.samples})
        keys = {k for k, _, _, _, _, _, _ in self.samples}
        series = [(key, label) for key, label in series if key in keys]
        for key, _ in series:
            with open(os.path.join(data, key + ".dat"), "w") as f:
                f.write("# n up_ms status_ms noop_ms load_ms rss_mib\n")
                for n in ns:
                    cells = []
                    for op in ("up", "status", "noop", "load"):
                        st = self.stats(key, n, op)
                        cells.append("%.3f" % st["ms"] if st else "NaN")
                    rss = [self.stats(key, n, op) for op in OPS + ("load",)]
                    rss = [r["rss"] for r in rss if r]
                    if any(c != "NaN" for c in cells):
                        f.write("%d %s %s\n" % (n, " ".join(cells), "%.2f" % max(rss) if rss else "NaN"))
        column = {"up": 2, "status": 3, "noop": 4, "rss": 6}
        script = ["set terminal pngcairo size 1400,1000 font ',10'" if self.has_cairo() else
                  "set terminal png size 1400,1000",
                  "set output '%s'" % os.path.join(self.out, "scaling.png"),
                  "set multiplot layout 2,2 title 'link-migration benchmark: workload W on SQLite, medians'",
                  "set logscale xy", "set grid", "set key top left font ',8'", "set xlabel 'N migrations'",
                  "set xrange [%g:%g]" % (min(ns) / 1.5, max(ns) * 1.5) if ns else ""]
        for op, title in panels:
            script.append("set title '%s'" % title)
            plots = []
            for key, label in series:
                col = 5 if (op == "status" and key.startswith("dlopen")) else column[op]
                path = os.path.join(data, key + ".dat")
                plots.append("'%s' using 1:%d with linespoints title '%s'" % (path, col, label))
            script.append("plot " + ", ".join(plots))
        script.append("unset multiplot")
        gp = os.path.join(self.out, "scaling.gp")
        with open(gp, "w") as f:
            f.write("\n".join(script) + "\n")
        if not shutil.which("gnuplot"):
            print("gnuplot is not installed: %s written, no PNG" % gp)
            return
        done = subprocess.run(["gnuplot", gp], capture_output=True, text=True)
        if done.returncode != 0:
            print("gnuplot failed: %s" % done.stderr.strip())
        else:
            print("scaling curve: %s" % os.path.join(self.out, "scaling.png"))

    @staticmethod
    def has_cairo():
        try:
            out = subprocess.run(["gnuplot", "-e", "set terminal"], capture_output=True, text=True)
            return "pngcairo" in out.stdout + out.stderr
        except OSError:
            return False


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--build-dir", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--quick", action="store_true", help="N=20, one repetition, no peers: a smoke run")
    parser.add_argument("--sizes", default="100,1000,10000")
    parser.add_argument("--no-peers", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the generated work folder")
    parser.add_argument("--large-repetitions", type=int, default=1,
                        help="repetitions at N >= 10,000 (default 1: with 10,000 plugin files one "
                             "repetition takes the runner many minutes)")
    parser.add_argument("--verbose", action="store_true", help="print every measurement as it is taken")
    parser.add_argument("--nice", type=int, default=0,
                        help="run everything at this nice increment (negative needs root): on a shared "
                             "machine, -10 keeps other load from dominating the wall times")
    args = parser.parse_args()
    if args.nice:
        os.nice(args.nice)
    if args.quick:
        args.sizes, args.no_peers = "20", True
    sizes = [int(s) for s in args.sizes.split(",") if s]

    started = time.perf_counter()
    try:
        bench = Bench(args)
        print("link-migration benchmark: N = %s; peers: %s; group mode: %s" % (
            ", ".join(map(str, sizes)), ", ".join(sorted(bench.peers)) or "none",
            "yes" if bench.group_mode else "not in this runner"), flush=True)
        shutil.rmtree(bench.work, ignore_errors=True)
        os.makedirs(bench.out, exist_ok=True)
        with open(os.path.join(bench.out, "samples.csv"), "w") as f:
            f.write("subject,n,op,ms,peak_rss_kib,cpu_ms\n")
        for n in sizes:
            # (repetitions, fast operations per repetition, repetitions of the peers)
            if args.quick:
                cycles, fast, peer_cycles = 1, 2, 1
            elif n >= 10000:
                cycles, fast, peer_cycles = args.large_repetitions, 3, 0
            else:
                cycles, fast, peer_cycles = 5, 4, 3
            bench.run_n(n, cycles, fast, peer_cycles)
        bench.write()
    except Failure as failure:
        print("benchmark failed: %s" % failure, file=sys.stderr)
        return 1
    if not args.keep:
        shutil.rmtree(bench.work, ignore_errors=True)
    if not os.path.exists(os.path.join(bench.out, "results.md")):
        print("benchmark failed: no results.md written", file=sys.stderr)
        return 1
    print("total time: %.0f s; results in %s" % (time.perf_counter() - started, bench.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())

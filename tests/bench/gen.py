#!/usr/bin/env python3
"""Generates the benchmark's inputs for workload W (see workload.h).

  gen.py plugins TEMPLATE N FOLDER   N patched copies of the template plugin
  gen.py bundle-source N FILE        one C++ source declaring N migrations
  gen.py alembic N FOLDER            an Alembic project (env + N revisions)
  gen.py sql-migrate N FOLDER        a sql-migrate config + N SQL files
  gen.py sqitch N FOLDER             a sqitch project (sqlite engine)

Migration v (1..N) creates bench_t_<v> and inserts one row; its down drops
the table. <v> is the version as ten digits everywhere, so every tool runs
byte-for-byte the same SQL.
"""
import os
import re
import struct
import sys

TOKEN = b"QZXQZXQZXQ"  # LM_BENCH_TOKEN in workload.h
TEMPLATE_VERSION = 0x4C4D42454E434831  # LM_BENCH_TEMPLATE_VERSION


def digits(version):
    return "%010d" % version


def up_sql(version):
    d = digits(version)
    return ("CREATE TABLE bench_t_%s (id INTEGER PRIMARY KEY, note TEXT NOT NULL); "
            "INSERT INTO bench_t_%s (note) VALUES ('bench_%s')" % (d, d, d))


def down_sql(version):
    return "DROP TABLE bench_t_%s" % digits(version)


def fresh_folder(folder):
    os.makedirs(folder, mode=0o755, exist_ok=True)
    os.chmod(folder, 0o755)  # the runner refuses plugin folders others can write
    for name in os.listdir(folder):
        path = os.path.join(folder, name)
        if os.path.isfile(path):
            os.unlink(path)


def template_sites(image):
    """Where the template's version and token sit: (version offsets, token offsets)."""
    version_bytes = struct.pack("<q", TEMPLATE_VERSION)
    versions = [m.start() for m in re.finditer(re.escape(version_bytes), image)]
    tokens = [m.start() for m in re.finditer(re.escape(TOKEN), image)]
    if not versions or not tokens:
        raise SystemExit("gen.py: %d version and %d name sites in the template: not the bench template"
                         % (len(versions), len(tokens)))
    return versions, tokens


def patch(image, sites, version):
    """A copy of the template that is migration `version`: every version site
    gets the 8 bytes of `version`, every token site its ten digits. Fixed
    widths, so no offset in the file moves. The runner's pointer-free
    metadata section (lm_meta, one fixed-size lm_meta_record per migration)
    holds the version and the name inline, so its sites are among these and
    stay consistent with the descriptor; check_meta() verifies that."""
    versions, tokens = sites
    out = bytearray(image)
    packed = struct.pack("<q", version)
    text = digits(version).encode()
    for at in versions:
        out[at:at + 8] = packed
    for at in tokens:
        out[at:at + len(TOKEN)] = text
    return bytes(out)


META_MAGIC = 0x314D4D4C  # LM_META_MAGIC, "LMM1"
META_SIZE = 224  # sizeof(lm_meta_record): magic, size, version, flags, reversible, name[120], checksum[80]


def meta_records(image):
    """(version, name) of each lm_meta_record in the library's lm_meta
    section, read from the ELF section table; [] when there is none."""
    if image[:4] != b"\x7fELF" or image[4] != 2:
        return []
    shoff, = struct.unpack_from("<Q", image, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", image, 0x3A)
    def section(i):
        name, _, _, _, offset, size = struct.unpack_from("<IIQQQQ", image, shoff + i * shentsize)
        return name, offset, size
    _, strings, _ = section(shstrndx)
    records = []
    for i in range(shnum):
        name, offset, size = section(i)
        if image[strings + name:image.index(b"\0", strings + name)] != b"lm_meta":
            continue
        for at in range(offset, offset + size - META_SIZE + 1, META_SIZE):
            magic, struct_size, version = struct.unpack_from("<IIq", image, at)
            if magic == META_MAGIC and struct_size == META_SIZE:
                raw = image[at + 24:at + 24 + 120]
                records.append((version, raw[:raw.index(b"\0")].decode()))
    return records


def check_meta(image, version):
    """A patched copy's metadata, when it has some, names exactly its migration."""
    records = meta_records(image)
    want = [(version, "bench_" + digits(version))]
    if records and records != want:
        raise SystemExit("gen.py: lm_meta of the copy for version %d reads %r, not %r" % (version, records, want))
    return bool(records)


def gen_plugins(template, n, folder):
    with open(template, "rb") as f:
        image = f.read()
    sites = template_sites(image)
    check_meta(patch(image, sites, 1), 1)
    fresh_folder(folder)
    for version in range(1, n + 1):
        path = os.path.join(folder, "bench_%s.so" % digits(version))
        with open(path, "wb") as f:
            f.write(patch(image, sites, version))
    print("gen.py: %d plugin file(s) in %s (%d version and %d name site(s) patched in each; lm_meta: %s)"
          % (n, folder, len(sites[0]), len(sites[1]), "yes" if meta_records(image) else "none"))


def gen_bundle_source(n, path):
    lines = [
        "// Generated by tests/bench/gen.py: %d migrations of workload W in one library." % n,
        "#include <link_migration/migration.hpp>",
        "#include <link_migration/sqlite.hpp>",
        "",
        "namespace sqlite = link_migration::sqlite;",
        "using link_migration::Context;",
        "",
    ]
    for version in range(1, n + 1):
        lines.append('LINK_MIGRATION({.version = %d, .name = "bench_%s", '
                     '.up = [](Context& c) { sqlite::exec(c, "%s"); }, '
                     '.down = [](Context& c) { sqlite::exec(c, "%s"); }});'
                     % (version, digits(version), up_sql(version), down_sql(version)))
    text = "\n".join(lines) + "\n"
    # Rewritten only when different, so the bundle is not rebuilt for nothing.
    if os.path.exists(path) and open(path).read() == text:
        return
    with open(path, "w") as f:
        f.write(text)


ALEMBIC_ENV = '''\
# Generated by tests/bench/gen.py. Online mode, one transaction per revision
# (transaction_per_migration), so each step commits with its alembic_version
# update. pysqlite does not BEGIN before DDL by itself; SQLAlchemy's documented
# recipe for pysqlite makes it, so CREATE TABLE is inside that transaction.
from alembic import context
from sqlalchemy import create_engine, event

engine = create_engine(context.config.get_main_option("sqlalchemy.url"))


@event.listens_for(engine, "connect")
def do_connect(dbapi_connection, connection_record):
    dbapi_connection.isolation_level = None


@event.listens_for(engine, "begin")
def do_begin(conn):
    conn.exec_driver_sql("BEGIN")


with engine.connect() as connection:
    context.configure(connection=connection, transaction_per_migration=True)
    with context.begin_transaction():
        context.run_migrations()
'''


def gen_alembic(n, folder):
    versions = os.path.join(folder, "migrations", "versions")
    os.makedirs(versions, exist_ok=True)
    fresh_folder(versions)
    with open(os.path.join(folder, "alembic.ini"), "w") as f:
        f.write("[alembic]\nscript_location = %(here)s/migrations\n"
                "sqlalchemy.url = sqlite:///%(here)s/alembic.db\n")
    with open(os.path.join(folder, "migrations", "env.py"), "w") as f:
        f.write(ALEMBIC_ENV)
    for version in range(1, n + 1):
        up = up_sql(version).split("; ")
        with open(os.path.join(versions, "%s_bench.py" % digits(version)), "w") as f:
            f.write('revision = "%s"\ndown_revision = %s\nbranch_labels = None\ndepends_on = None\n\n'
                    "from alembic import op\n\n\ndef upgrade():\n    op.execute(%r)\n    op.execute(%r)\n\n\n"
                    "def downgrade():\n    op.execute(%r)\n"
                    % (digits(version), '"%s"' % digits(version - 1) if version > 1 else "None",
                       up[0], up[1], down_sql(version)))


def gen_sql_migrate(n, folder):
    migrations = os.path.join(folder, "migrations")
    os.makedirs(migrations, exist_ok=True)
    fresh_folder(migrations)
    with open(os.path.join(folder, "dbconfig.yml"), "w") as f:
        f.write("bench:\n  dialect: sqlite3\n  datasource: %s\n  dir: %s\n  table: migrations\n"
                % (os.path.join(os.path.abspath(folder), "sql-migrate.db"), os.path.abspath(migrations)))
    for version in range(1, n + 1):
        with open(os.path.join(migrations, "%s_bench.sql" % digits(version)), "w") as f:
            f.write("-- +migrate Up\n%s;\n\n-- +migrate Down\n%s;\n" % (up_sql(version).replace("; ", ";\n"),
                                                                        down_sql(version)))


def gen_sqitch(n, folder):
    for sub in ("deploy", "revert"):
        os.makedirs(os.path.join(folder, sub), exist_ok=True)
        fresh_folder(os.path.join(folder, sub))
    with open(os.path.join(folder, "sqitch.conf"), "w") as f:
        f.write('[core]\n\tengine = sqlite\n\tplan_file = sqitch.plan\n\ttop_dir = .\n'
                '[engine "sqlite"]\n\ttarget = db:sqlite:%s\n\tregistry = sqitch\n'
                '[user]\n\tname = Bench\n\temail = bench@example.invalid\n'
                % os.path.join(os.path.abspath(folder), "sqitch-target.db"))
    plan = ["%syntax-version=1.0.0", "%project=bench", ""]
    for version in range(1, n + 1):
        name = "bench_%s" % digits(version)
        plan.append("%s 2024-01-01T00:00:00Z Bench <bench@example.invalid> # W step %d" % (name, version))
        with open(os.path.join(folder, "deploy", name + ".sql"), "w") as f:
            f.write("BEGIN;\n%s;\nCOMMIT;\n" % up_sql(version).replace("; ", ";\n"))
        with open(os.path.join(folder, "revert", name + ".sql"), "w") as f:
            f.write("BEGIN;\n%s;\nCOMMIT;\n" % down_sql(version))
    with open(os.path.join(folder, "sqitch.plan"), "w") as f:
        f.write("\n".join(plan) + "\n")


def main(argv):
    if len(argv) == 5 and argv[1] == "plugins":
        gen_plugins(argv[2], int(argv[3]), argv[4])
    elif len(argv) == 4 and argv[1] == "bundle-source":
        gen_bundle_source(int(argv[2]), argv[3])
    elif len(argv) == 4 and argv[1] in ("alembic", "sql-migrate", "sqitch"):
        {"alembic": gen_alembic, "sql-migrate": gen_sql_migrate, "sqitch": gen_sqitch}[argv[1]](int(argv[2]), argv[3])
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

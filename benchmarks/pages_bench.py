"""Per-page cost on a seeded database (run on demand, after ``benchmarks/seed.py``).

    .venv/bin/python benchmarks/pages_bench.py [--runs 30] [--only search] [--wrk]

For each page: the SQL queries of one request (and the statements repeated within it,
N+1 hints), the in-process median over ``--runs`` requests after a warm-up (Django's test
Client, the real PostgreSQL, ``DEBUG=false``) and the median CPU time of this process per
request (what a busy machine disturbs least: it leaves out the waits), and with ``--wrk``
the requests per second under ``gunicorn -w 2`` (sync) and ``wrk -t2 -c8 -d20s``. Prints a
Markdown table.

Staff sessions are marked as having passed the second factor, as a real login does
(``accounts.two_factor``), so TWO_FACTOR_REQUIRED_FOR_STAFF stays on. The site runs over
plain HTTP here (``SECURE_SSL_REDIRECT=false``); everything else is production settings.
The create POST files real tickets (each with a fresh submit token); their subjects start
with ``FILING_PREFIX`` so that ``seed.py`` still recognises the seeded size.
"""

import argparse
import collections
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FILING_PREFIX = "Benchmark filing"
STAFF = "agent01@vendor.example"
CUSTOMER = "user01@org01.example"
WRK_PORT = int(os.environ.get("BENCH_PORT", "8011"))
CSRF = "B" * 32  # an unmasked secret: Django takes it as cookie and as form token


class Page:
    def __init__(self, name, who, paths, *, post=None, expect=200):
        self.name, self.who, self.paths, self.post, self.expect = name, who, paths, post, expect


def pages(staff, customer, rnd) -> list[Page]:
    from tickets.models import Ticket

    ids = list(Ticket.objects.order_by("?").values_list("pk", flat=True)[:200])
    own = list(
        Ticket.objects.filter(organisation_id=customer.organisation_id)
        .order_by("?").values_list("number", flat=True)[:200]
    )
    return [
        Page("staff ticket list", "staff", ["/tickets/"]),
        Page("staff dashboard", "staff", ["/"]),
        Page("admin ticket changelist", "staff", ["/admin/tickets/ticket/"]),
        Page("admin ticket change page", "staff",
             [f"/admin/tickets/ticket/{pk}/change/" for pk in ids]),
        Page("customer dashboard", "customer", ["/"]),
        Page("customer ticket list", "customer", ["/tickets/"]),
        Page("customer ticket page", "customer", [f"/tickets/{n}/" for n in own]),
        Page("staff search 'invoice'", "staff", ["/search/?q=invoice"]),
        Page("customer search 'invoice'", "customer", ["/search/?q=invoice"]),
        Page("similar-ticket lookup", "customer",
             ["/tickets/similar/?q=Invoice+shows+the+wrong+amount"]),
        Page("customer create POST", "customer", ["/tickets/new/"], post=filing_form,
             expect=302),
    ]


def filing_form() -> dict:
    from core.submit import new_token

    return {
        "type": "incident",
        "priority": "3",
        "subject": f"{FILING_PREFIX}: card payment declined",
        "body": "A customer paid by card this morning but the balance did not change.",
        "submit_token": new_token(),
    }


# --- logging in ------------------------------------------------------------------------


def logged_in(user):
    """A test Client with the person's session, second factor passed for staff."""
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts import two_factor

    client = Client()
    client.force_login(user)
    if two_factor.second_factor_required(user) or two_factor.has_second_factor(user):
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        device = device or TOTPDevice.objects.create(user=user, name="benchmark", confirmed=True)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session[two_factor.SESSION_KEY] = True
        session.save()
    client.cookies["csrftoken"] = CSRF
    return client


# --- in process ------------------------------------------------------------------------


def normalised(sql: str) -> str:
    sql = re.sub(r"'(?:[^']|'')*'", "?", sql)
    sql = re.sub(r"\b\d+(?:\.\d+)?\b", "?", sql)
    return re.sub(r"\(\?(?:, \?)*\)", "(…)", sql)


def measure(page: Page, client, runs: int, rnd) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def call():
        path = rnd.choice(page.paths)
        if page.post:
            return client.post(path, page.post())
        return client.get(path)

    for _ in range(3):
        response = call()
    with CaptureQueriesContext(connection) as captured:
        response = call()
    if response.status_code != page.expect:
        raise SystemExit(f"{page.name}: status {response.status_code}, expected {page.expect}")
    queries = captured.captured_queries
    repeated = collections.Counter(normalised(q["sql"]) for q in queries)
    slowest = max(queries, key=lambda q: float(q["time"]), default=None)
    timings, cpu = [], []
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        call()
        timings.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    return {
        "queries": len(queries),
        "sql_ms": sum(float(q["time"]) for q in queries) * 1000,
        "median_ms": statistics.median(timings),
        "cpu_ms": statistics.median(cpu),
        "repeated": [(n, sql) for sql, n in repeated.most_common() if n > 1],
        "slowest": (float(slowest["time"]) * 1000, slowest["sql"]) if slowest else None,
    }


# --- under gunicorn and wrk -------------------------------------------------------------

WRK_SCRIPT = r"""
-- Cycles through the paths of a file; with a body file the requests are form POSTs and
-- every "@TOKEN@" in the body becomes a fresh random submit token.
local threads = {}
function setup(thread)
  table.insert(threads, thread)
  thread:set("id", #threads)  -- each thread its own random tokens (os.time() is shared)
end
function init(args)
  paths = {}
  for line in io.lines(args[1]) do if #line > 0 then table.insert(paths, line) end end
  if args[2] then
    local f = io.open(args[2]); body = f:read("*a"):gsub("%s+$", ""); f:close()
    wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
  end
  codes = {}
  math.randomseed(os.time() + (id or 0) * 7919)
end
function request()
  local path = paths[math.random(#paths)]
  if body then
    local token = string.format("%08x%08x%08x", math.random(0, 0x7fffffff),
      math.random(0, 0x7fffffff), math.random(0, 0x7fffffff))
    -- Given headers would replace wrk.headers (the cookie) instead of adding to them.
    return wrk.format("POST", path, nil, (body:gsub("@TOKEN@", token)))
  end
  return wrk.format(nil, path)
end
function response(status, headers, body) codes[status] = (codes[status] or 0) + 1 end
function done(summary, latency, requests)
  local tot, s = {}, "status_codes:"
  for _, t in ipairs(threads) do
    for k, v in pairs(t:get("codes")) do tot[k] = (tot[k] or 0) + v end
  end
  for k, v in pairs(tot) do s = s .. " " .. k .. "=" .. v end
  io.write(s .. "\n")
  io.write(string.format("rps=%.1f\n", summary.requests / (summary.duration / 1e6)))
end
"""


def run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    """Local tools (curl, pgrep, wrk) found on the PATH, with our own arguments."""
    return subprocess.run(command, **kwargs)  # noqa: S603


def gunicorn_start(workdir: Path):
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: apt-get install -y wrk")
    server = subprocess.Popen(  # noqa: S603 - our own gunicorn and arguments
        [str(ROOT / ".venv/bin/gunicorn"), "-w", "2", "-b", f"127.0.0.1:{WRK_PORT}",
         "--pid", str(workdir / "gunicorn.pid"), "helpdesk.wsgi:application"],
        cwd=ROOT, env=os.environ.copy(),
        stdout=subprocess.DEVNULL, stderr=open(workdir / "gunicorn.err", "w"),  # noqa: SIM115
    )
    for _ in range(50):
        time.sleep(0.2)
        try:
            run(["curl", "-s", "-o", "/dev/null", f"http://127.0.0.1:{WRK_PORT}/"],
                check=True, timeout=5)
            return server
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
            continue
    server.terminate()
    sys.exit(f"gunicorn did not start; see {workdir / 'gunicorn.err'}")


def drain() -> None:
    """Wait for the requests wrk left queued (sync workers finish them after wrk has
    gone), so that they do not eat into the next page's run: a probe returns only after
    the requests queued before it."""
    for _ in range(2):
        run(["curl", "-s", "-o", "/dev/null", "--max-time", "300",
             f"http://127.0.0.1:{WRK_PORT}/accounts/login/"], check=False)


def worker_rss(server) -> str:
    children = run(["pgrep", "-P", str(server.pid)], capture_output=True, text=True)
    sizes = []
    for pid in children.stdout.split():
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS"):
                sizes.append(int(line.split()[1]) // 1024)
    return "/".join(f"{size}" for size in sizes) + " MB"


def wrk(page: Page, cookie: str, workdir: Path, duration: str) -> tuple[float, str]:
    from urllib.parse import urlencode

    slug = re.sub(r"\W+", "_", page.name)
    paths = workdir / f"{slug}.paths"
    paths.write_text("\n".join(page.paths) + "\n")
    args = [str(paths)]
    if page.post:
        form = {**page.post(), "submit_token": "@TOKEN@", "csrfmiddlewaretoken": CSRF}
        body = workdir / f"{slug}.body"
        body.write_text(urlencode(form).replace("%40TOKEN%40", "@TOKEN@"))
        args.append(str(body))
    result = run(
        ["wrk", "-t2", "-c8", f"-d{duration}", "--timeout", "30s", "-H", f"Cookie: {cookie}",
         "-s", str(workdir / "paths.lua"), f"http://127.0.0.1:{WRK_PORT}", "--", *args],
        capture_output=True, text=True, check=True,
    )
    drain()
    rps = float(re.search(r"rps=([\d.]+)", result.stdout).group(1))
    codes = re.search(r"status_codes:(.*)", result.stdout).group(1).strip()
    return rps, codes


# --- the run ---------------------------------------------------------------------------


def configure() -> None:
    """The environment of a run (set before Django reads its settings; importing this
    module changes nothing, so the tests can use its pages)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
    os.environ.setdefault(
        "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/helpdesk_bench100k"
    )
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/11")
    os.environ["DEBUG"] = "false"
    os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
    os.environ.setdefault("ALLOWED_HOSTS", "localhost,127.0.0.1,testserver")


def main() -> None:
    configure()
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=30, help="timed requests per page")
    parser.add_argument("--only", help="pages whose name contains this")
    parser.add_argument("--wrk", action="store_true", help="also gunicorn -w 2 + wrk")
    parser.add_argument("--wrk-duration", default="20s")
    parser.add_argument("--sql", action="store_true", help="print the slowest query of each")
    args = parser.parse_args()
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    from accounts.models import User
    from tickets.models import Ticket

    rnd = random.Random(1)  # noqa: S311 - picks pages, not secrets
    staff, customer = User.objects.get(email=STAFF), User.objects.get(email=CUSTOMER)
    clients = {"staff": logged_in(staff), "customer": logged_in(customer)}
    selected = [p for p in pages(staff, customer, rnd) if not args.only or args.only in p.name]
    count = Ticket.objects.count()
    load = os.getloadavg()
    print(f"{settings.DATABASES['default']['NAME']}: {count:,} tickets; "
          f"load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}; "
          f"{os.cpu_count()} CPUs; {time.strftime('%Y-%m-%d %H:%M %Z')}\n", flush=True)

    results = {}
    for page in selected:
        results[page.name] = row = measure(page, clients[page.who], args.runs, rnd)
        print(f"{page.name}: {row['queries']} queries, median {row['median_ms']:.1f} ms "
              f"({row['cpu_ms']:.1f} ms of CPU)", flush=True)
        for n, sql in row["repeated"][:3]:
            print(f"    x{n}: {sql[:150]}")
        if args.sql and row["slowest"]:
            print(f"    slowest {row['slowest'][0]:.1f} ms: {row['slowest'][1][:300]}")
    connection.close()

    if args.wrk:
        workdir = Path(tempfile.mkdtemp(prefix="pages_bench_"))
        (workdir / "paths.lua").write_text(WRK_SCRIPT)
        cookies = {
            who: f"sessionid={c.cookies['sessionid'].value}; csrftoken={CSRF}"
            for who, c in clients.items()
        }
        server = gunicorn_start(workdir)
        try:
            for page in selected:
                rps, codes = wrk(page, cookies[page.who], workdir, args.wrk_duration)
                results[page.name]["rps"] = rps
                print(f"{page.name}: {rps:.1f} requests/s ({codes}); "
                      f"worker RSS {worker_rss(server)}", flush=True)
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
        shutil.rmtree(workdir, ignore_errors=True)

    print()
    print(table(selected, results, wrk=args.wrk))


def table(selected, results, *, wrk: bool) -> str:
    head = "| page | queries | SQL ms (one request) | in-process median ms | CPU ms |"
    rule = "|---|---:|---:|---:|---:|"
    if wrk:
        head, rule = head + " requests/s |", rule + "---:|"
    lines = [head, rule]
    for page in selected:
        row = results[page.name]
        repeated = f" ({len(row['repeated'])} repeated)" if row["repeated"] else ""
        line = (f"| {page.name} | {row['queries']}{repeated} | {row['sql_ms']:.1f} | "
                f"{row['median_ms']:.1f} | {row['cpu_ms']:.1f} |")
        if wrk:
            line += f" {row.get('rps', 0):.1f} |"
        lines.append(line)
    return "\n".join(lines)


if __name__ == "__main__":
    main()

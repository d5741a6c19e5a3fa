#!/usr/bin/env python3
"""tests/live/metrics.py BINARY - the exporter, rotation and the unit, live (root).

  - usage and port errors of --metrics (one line, before anything is attached);
  - --rotate: whole lines, a header with the same run and consecutive parts in
    every file, replay of the files oldest first (and of their concatenation)
    reads one run;
  - a real Prometheus (Debian's package, installed if missing) on loopback with
    a 1 s scrape interval, its own storage and dist/shrinktrace-rules.yml,
    scraping a live tracer during a tmpfs mount/umount churn and drop_caches:
    the increase of RCU-freed sb-tmpfs generations it stored equals the
    unmounts (or, with other tmpfs activity on the machine, the event log's
    count), calls per shrinker equal the event log's; `promtool check metrics`
    on a scrape, `promtool check rules`, the rules evaluate without error and
    every query of dist/grafana-shrinktrace.json runs without error;
  - hostile clients (thousands of connections, half-sent requests, clients that
    never read) while the tracer traces a churn: no lost events, the event loop
    never stalls (shrinktrace_loop_max_stall_seconds), every unmount traced, and
    a scrape works again afterwards;
  - half-sent requests from one address: more than a few do not block that
    address's scrapes, a full set blocks only that address, and only until
    the server closes them (METRICS_TIMEOUT_S);
  - a scrape during the run and the summary at its end agree (events, calls,
    zero, empty, scanned, freed per shrinker; generations, allocated,
    registered and RCU freed per name), in the per-event mode and in the
    unit's own --stats-only mode;
  - --stats-only: across scrapes during tmpfs mounts held and churned while
    drop_caches runs, no counter sample ever goes down;
  - the unit's command line: each violation is one line
    "shrinktrace: VIOLATION KIND on NAME (0xADDR): ..." on stderr (stuck_free,
    provoked with --stuck-after 0.000001: the tracepoint backend's inferred
    free_begin -> free_end takes longer than that), as many as the metrics count;
  - --metrics with --top, stdout not a terminal: timestamped tables and scrapes;
  - dist/shrinktrace.service.in: `make install` into a DESTDIR, systemd-analyze
    verify, and its own ExecStart command line runs and is scraped.
Prints PASS/FAIL per case and "N passed, M failed, K skipped"; METRICS_CASES=a,b
runs only the cases case_a, case_b.  Prometheus and
every tracer are stopped and temporary files removed, pass or fail.
"""
import json
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

BIN = os.path.abspath(sys.argv[1])
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CHURN = os.path.join(ROOT, "tools", "workload", "tmpfs-churn")
RULES = os.path.join(ROOT, "dist", "shrinktrace-rules.yml")
DASH = os.path.join(ROOT, "dist", "grafana-shrinktrace.json")
UNIT = os.path.join(ROOT, "dist", "shrinktrace.service.in")
NCHURN = 20

passed = failed = skipped = 0
procs = []
tmp = tempfile.mkdtemp(prefix="shrinktrace-metrics.")


def ok(name):
    global passed
    passed += 1
    print("PASS " + name, flush=True)


def ko(name, why):
    global failed
    failed += 1
    print("FAIL %s: %s" % (name, why), flush=True)


def skip(name, why):
    global skipped
    skipped += 1
    print("SKIP %s: %s" % (name, why), flush=True)


def check(name, cond, why):
    (ok if cond else lambda n: ko(n, why))(name)
    return cond


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def start(argv, **kw):
    p = subprocess.Popen(argv, **kw)
    procs.append(p)
    return p


def stop(p, sig=signal.SIGINT, wait=15):
    if p.poll() is None:
        p.send_signal(sig)
        try:
            p.wait(wait)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    return p.returncode


def http_get(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.read().decode()


def parse_metrics(text):
    """{(name, ((label, value), ...)): float}"""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = re.match(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$', line)
        if not m:
            raise ValueError("bad line: " + line)
        labels = tuple(sorted(re.findall(r'([a-zA-Z_]+)="((?:[^"\\]|\\.)*)"', m.group(3) or "")))
        out[(m.group(1), labels)] = float(m.group(4))
    return out


def per(metrics, name, label):
    return {dict(k[1]).get(label): v for k, v in metrics.items() if k[0] == name}


def scrape(port, timeout=5):
    return parse_metrics(http_get("http://127.0.0.1:%d/metrics" % port, timeout))


def wait_for(fn, secs, step=0.2):
    end = time.time() + secs
    while time.time() < end:
        try:
            v = fn()
            if v:
                return v
        except Exception:
            pass
        time.sleep(step)
    return None


def read_log(path):
    hdr, evs = None, []
    with open(path) as f:
        for line in f:
            if not line.strip():
                continue	# the tracer pads its log to page boundaries (docs/event-log.md)
            d = json.loads(line)
            if d.get("type") == "header":
                hdr = hdr or d
            else:
                evs.append(d)
    return hdr, evs


def log_counts(evs, until_ts=None):
    """calls per name (shrink_end), and RCU-freed generations per name"""
    name_at, calls, rcu = {}, {}, {}
    for e in evs:
        if until_ts is not None and e.get("ts", 0) > until_ts:
            continue
        a = e.get("shrinker")
        if e.get("name"):
            name_at[a] = e["name"]
        t = e.get("type")
        if t == "shrinker_alloc" and not e.get("name"):
            name_at.pop(a, None)	# a new generation at that address, no name yet
        if t == "shrink_end":
            n = name_at.get(a, "unnamed")
            calls[n] = calls.get(n, 0) + 1
        elif t == "rcu_free":
            n = name_at.get(a, "unnamed")
            rcu[n] = rcu.get(n, 0) + 1
    return calls, rcu


def churn(n):
    return subprocess.run([CHURN, str(n)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode


# ---- cases -------------------------------------------------------------------------

def case_usage():
    r = subprocess.run([BIN, "--metrics", "nonsense", "-d", "1"], capture_output=True, text=True)
    check("metrics/bad-address", r.returncode == 2 and "--metrics" in r.stderr,
          "exit %d, %r" % (r.returncode, r.stderr[-200:]))
    r = subprocess.run([BIN, "--metrics", "127.0.0.1:70000", "-d", "1"], capture_output=True, text=True)
    check("metrics/bad-port", r.returncode == 2, "exit %d" % r.returncode)
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    port = s.getsockname()[1]
    r = subprocess.run([BIN, "--metrics", "127.0.0.1:%d" % port, "-d", "1"], capture_output=True,
                       text=True)
    s.close()
    lines = [l for l in r.stderr.splitlines() if l]
    check("metrics/port-in-use", r.returncode == 1 and len(lines) == 1 and
          "in use" in lines[0] and "hooks" not in r.stderr,
          "exit %d, stderr %r" % (r.returncode, r.stderr[-300:]))
    r = subprocess.run([BIN, "--rotate", "1M"], capture_output=True, text=True)
    check("rotate/needs-output", r.returncode == 2, "exit %d" % r.returncode)
    r = subprocess.run([BIN, "-o", os.path.join(tmp, "x"), "--rotate", "1"], capture_output=True,
                       text=True)
    check("rotate/too-small", r.returncode == 2 and "4K" in r.stderr, "exit %d %r" %
          (r.returncode, r.stderr))


def case_rotate():
    d = os.path.join(tmp, "rot")
    os.mkdir(d)
    log = os.path.join(d, "log.jsonl")
    r = subprocess.run([BIN, "-q", "--no-banner", "-o", log, "--rotate", "8K,3", "--", CHURN,
                        str(NCHURN)], capture_output=True, text=True)
    if r.returncode != 0:
        return ko("rotate/run", "exit %d: %s" % (r.returncode, r.stderr[-300:]))
    files = [log + ".3", log + ".2", log + ".1", log]
    if not all(os.path.exists(f) for f in files) or os.path.exists(log + ".4"):
        return ko("rotate/files", "have %s" % sorted(os.listdir(d)))
    ok("rotate/files")
    why, run, part = "", None, None
    for f in files:
        data = open(f, "rb").read()
        if not data.endswith(b"\n"):
            why += "%s does not end with a newline; " % f
        if len(data) > 8192 + 0:
            why += "%s has %d bytes > 8K; " % (f, len(data))
        first = json.loads(data.split(b"\n", 1)[0])
        if first.get("type") != "header":
            why += "%s has no header first; " % f
            continue
        if run is None:
            run, part = first.get("run"), first.get("part")
        elif first.get("run") != run or first.get("part") != part + 1:
            why += "%s: run %s part %s after part %s; " % (f, first.get("run"), first.get("part"), part)
        else:
            part = first["part"]
        for n, line in enumerate(data.splitlines()[1:], 2):
            if line.strip():	# blank lines of padding are allowed
                json.loads(line)
    check("rotate/whole-lines-headers-parts", not why and run and re.match("^[0-9a-f]{32}$", run),
          why or "run id %r" % run)
    a = subprocess.run([BIN, "replay"] + files, capture_output=True, text=True)
    cat = b"".join(open(f, "rb").read() for f in files)
    b = subprocess.run([BIN, "replay", "-"], input=cat, capture_output=True)
    last_a = a.stdout.strip().splitlines()[-1] if a.stdout.strip() else ""
    last_b = b.stdout.decode().strip().splitlines()[-1] if b.stdout.strip() else ""
    check("rotate/replay-one-run", a.returncode == 0 and "run 2" not in a.stdout and
          "==" not in a.stdout and last_a.split(":", 1)[-1] == last_b.split(":", 1)[-1],
          "exit %d, %r vs %r" % (a.returncode, last_a, last_b))


def install_prometheus():
    if shutil.which("prometheus") and shutil.which("promtool"):
        return True
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update", "-qq"], env=env, stdout=subprocess.DEVNULL)
    r = subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", "prometheus"],
                       env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    # the package's own service must not keep running (no systemd here: init.d)
    subprocess.run(["sh", "-c", "invoke-rc.d prometheus stop || service prometheus stop"],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return r.returncode == 0 and shutil.which("prometheus")


def prom_query(pport, q, t=None):
    args = {"query": q}
    if t is not None:
        args["time"] = "%.3f" % t
    d = json.loads(http_get("http://127.0.0.1:%d/api/v1/query?%s" % (pport, urllib.parse.urlencode(args))))
    if d.get("status") != "success":
        raise RuntimeError("%s: %s" % (q, d))
    return d["data"]["result"]


def prom_value(pport, q, t=None):
    res = prom_query(pport, q, t)
    return {r["metric"].get("shrinker", ""): float(r["value"][1]) for r in res}


def hostile(port, secs):
    """Thousands of connections, half-sent requests, clients that never read."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 8192), hard))
    socks, refused = [], 0
    end = time.time() + secs
    for i in range(3000):
        s = socket.socket()
        s.setblocking(False)
        try:
            s.connect_ex(("127.0.0.1", port))
        except OSError:
            refused += 1
            s.close()
            continue
        socks.append(s)
        if i % 3 == 0:
            try:
                s.send(b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: ")	# never finished
            except OSError:
                pass
    for i in range(20):	# full requests whose answer is never read
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
        s.settimeout(2)
        try:
            s.connect(("127.0.0.1", port))
            s.send(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n" * 50)
        except OSError:
            pass
        socks.append(s)
    while time.time() < end:
        time.sleep(0.2)
    for s in socks:
        s.close()
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    return len(socks)


def parse_summary(text):
    """events by type, per-name table rows, lifecycle generations per name"""
    text = re.sub(r"\n {6}(?=\S)", " ", text)  # the head lines wrap at 80 columns
    ev = {}
    m = re.search(r"^  events: (.*)$", text, re.M)
    if m:
        for kv in m.group(1).split():
            k, v = kv.split("=")
            ev[k] = int(v)
    rows = {}
    lines = text.splitlines()
    for i, l in enumerate(lines):
        if l.startswith("NAME ") and "CALLS" in l:
            cols = l.split()
            for r in lines[i + 1:]:
                if not r.strip():
                    break
                f = r.split()
                if len(f) < len(cols):
                    continue
                # NAME may not contain spaces (kernel names do not)
                row = dict(zip(cols, f))
                rows[row["NAME"]] = row
            break
    life = {}
    for l in lines:
        m = re.match(r"^shrinker (.*?): (\d+) generations?(?: \(([^)]*)\))?", l)
        if m:
            d = {"generations": int(m.group(2)), "allocated": 0, "registered": 0, "rcu_freed": 0}
            for part in (m.group(3) or "").split(", "):
                f = part.split(" ", 1)
                if len(f) == 2 and f[0].isdigit():
                    d[f[1].replace("RCU freed", "rcu_freed")] = int(f[0])
            life[m.group(1)] = d
    return ev, rows, life


def label(name):
    return {"(unnamed)": "unnamed", "(other)": "other"}.get(name, name)


def case_prometheus():
    if not install_prometheus():
        return ko("prometheus/install", "apt-get install prometheus failed")
    port, pport = free_port(), free_port()
    log = os.path.join(tmp, "live.jsonl")
    sumf = open(os.path.join(tmp, "summary.txt"), "w+")
    tr = start([BIN, "--metrics", "127.0.0.1:%d" % port, "-q", "--no-banner", "-o", log],
               stdout=subprocess.DEVNULL, stderr=sumf)
    m0 = wait_for(lambda: scrape(port), 30)
    if not m0:
        return ko("metrics/scrape", "no scrape within 30 s")
    ok("metrics/scrape")
    text = http_get("http://127.0.0.1:%d/metrics" % port)
    r = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True, text=True)
    check("metrics/promtool-check-metrics", r.returncode == 0, (r.stdout + r.stderr)[-400:])
    r = subprocess.run(["promtool", "check", "rules", RULES], capture_output=True, text=True)
    check("metrics/promtool-check-rules", r.returncode == 0, (r.stdout + r.stderr)[-400:])

    pdir = os.path.join(tmp, "prom")
    os.mkdir(pdir)
    cfg = os.path.join(pdir, "prometheus.yml")
    shutil.copy(RULES, os.path.join(pdir, "rules.yml"))
    with open(cfg, "w") as f:
        f.write("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                "rule_files: [rules.yml]\n"
                "scrape_configs:\n  - job_name: shrinktrace\n    static_configs:\n"
                "      - targets: ['127.0.0.1:%d']\n" % port)
    prom = start(["prometheus", "--config.file=" + cfg, "--storage.tsdb.path=" + os.path.join(pdir, "data"),
                  "--web.listen-address=127.0.0.1:%d" % pport, "--log.level=warn"],
                 stdout=subprocess.DEVNULL, stderr=open(os.path.join(pdir, "log"), "w"), cwd=pdir)
    up = wait_for(lambda: prom_value(pport, 'up{job="shrinktrace"}').get("") == 1.0, 40)
    if not check("prometheus/scrapes-tracer", up, "target not up within 40 s"):
        return
    time.sleep(2)
    t0 = time.time()
    base = per(scrape(port), "shrinktrace_shrinker_rcu_freed_total", "shrinker").get("sb-tmpfs", 0)
    churn(NCHURN)
    got = wait_for(lambda: per(scrape(port), "shrinktrace_shrinker_rcu_freed_total",
                               "shrinker").get("sb-tmpfs", 0) - base >= NCHURN, 40, 0.5)
    check("metrics/rcu-freed-sb-tmpfs-live", got, "fewer than %d sb-tmpfs RCU frees within 40 s" % NCHURN)
    time.sleep(3)
    t1 = time.time()
    v0 = prom_value(pport, 'shrinktrace_shrinker_rcu_freed_total{shrinker="sb-tmpfs"}', t0).get("sb-tmpfs", 0)
    v1 = prom_value(pport, 'shrinktrace_shrinker_rcu_freed_total{shrinker="sb-tmpfs"}', t1).get("sb-tmpfs", 0)
    traced = prom_value(pport, "shrinktrace_traced_seconds", t1).get("", 0)
    traced0 = prom_value(pport, "shrinktrace_traced_seconds", t0).get("", 0)
    calls_p = prom_value(pport, "shrinktrace_shrinker_calls_total", t1)
    hdr, evs = read_log(log)
    start_ts = hdr["start_ts"]
    _, rcu0 = log_counts(evs, start_ts + int(traced0 * 1e9))
    calls_l, rcu1 = log_counts(evs, start_ts + int(traced * 1e9))
    want = rcu1.get("sb-tmpfs", 0) - rcu0.get("sb-tmpfs", 0)
    check("prometheus/increase-rcu-freed-sb-tmpfs", v1 - v0 == NCHURN or (v1 - v0 == want and want > NCHURN),
          "Prometheus stored an increase of %d, unmounts %d, event log %d" % (v1 - v0, NCHURN, want))
    if v1 - v0 != NCHURN and v1 - v0 == want:
        print("  note: other tmpfs activity on this machine: the event log has %d" % want)
    diff = {n: (calls_p.get(n, 0), calls_l.get(n, 0)) for n in set(calls_p) | set(calls_l)
            if calls_p.get(n, 0) != calls_l.get(n, 0)}
    check("prometheus/calls-per-shrinker-equal-log", not diff and calls_l,
          "name: (prometheus, log) %s" % diff)
    # the rules evaluate, the dashboard's queries run
    time.sleep(2)
    rules = json.loads(http_get("http://127.0.0.1:%d/api/v1/rules" % pport))["data"]["groups"]
    bad = [(r["name"], r.get("lastError")) for g in rules for r in g["rules"] if r.get("health") != "ok"]
    check("prometheus/rules-evaluate", rules and not bad, "unhealthy rules: %s" % bad)
    dash = json.load(open(DASH))
    errs, n = [], 0
    for p in dash["panels"]:
        for t in p.get("targets", []):
            q = t["expr"].replace("$__rate_interval", "1m").replace("$instance", ".*").replace("$shrinker", ".*")
            n += 1
            try:
                prom_query(pport, q)
            except Exception as e:
                errs.append("%s: %s" % (p["title"], e))
    for v in dash["templating"]["list"]:
        if v["type"] == "query":
            m = re.match(r"label_values\((\w+), (\w+)\)", v["query"]["query"])
            d = json.loads(http_get("http://127.0.0.1:%d/api/v1/label/%s/values?match[]=%s" %
                                    (pport, m.group(2), m.group(1))))
            if d.get("status") != "success" or not d["data"]:
                errs.append("variable %s: %s" % (v["name"], d))
    check("grafana/dashboard-queries", n > 5 and not errs, "; ".join(errs))
    stop(prom, signal.SIGTERM)

    # hostile clients while a churn is traced
    before = per(scrape(port), "shrinktrace_shrinker_rcu_freed_total", "shrinker").get("sb-tmpfs", 0)
    w = start([CHURN, "10"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    nsock = hostile(port, 8)
    w.wait()
    m = wait_for(lambda: scrape(port, 3), 30, 0.5)
    if not check("hostile/scrape-after", m, "no scrape within 30 s after the attack"):
        return
    done = wait_for(lambda: per(scrape(port), "shrinktrace_shrinker_rcu_freed_total", "shrinker")
                    .get("sb-tmpfs", 0) - before >= 10, 40, 0.5)
    m = scrape(port)
    gap = m.get(("shrinktrace_loop_max_stall_seconds", ()), 99)
    lost = m.get(("shrinktrace_lost_events_total", ()), -1)
    check("hostile/tracer-kept-reading", done and lost == 0 and gap < 0.5,
          "%d sockets; all unmounts traced: %s, lost %s, longest loop stall %.3f s" %
          (nsock, bool(done), lost, gap))

    half_sent(port)
    scrape_equals_summary("metrics/scrape-equals-summary", tr, port, sumf,
                          [BIN, "--metrics", "127.0.0.1:%d" % port, "-q", "--no-banner"])


def scrape_equals_summary(name, tr, port, sumf, argv):
    """A scrape once the run is quiet and the summary at its end agree; tr runs argv
    (restarted with it when events came in between), its stderr in sumf."""
    for attempt in range(3):
        # two fresh renderings (1.2 s apart: past the rendering interval) with the
        # same events: nothing is still held in the reorder window
        for quiet in range(10):
            time.sleep(1.2)
            m1 = per(scrape(port), "shrinktrace_events_total", "type")
            time.sleep(1.2)
            m = scrape(port)
            tr_ev = per(m, "shrinktrace_events_total", "type")
            if m1 == tr_ev:
                break
        stop(tr)
        sumf.seek(0)
        ev, rows, life = parse_summary(sumf.read())
        same_events = all(int(tr_ev.get(k, -1)) == v for k, v in ev.items())
        if same_events or attempt == 2:
            break
        print("  note: events happened between the scrape and the end; again")
        sumf.seek(0)
        sumf.truncate(0)
        tr = start(argv, stdout=subprocess.DEVNULL, stderr=sumf)
        wait_for(lambda: scrape(port), 30)
        churn(5)
        time.sleep(3)
    why = []
    if not same_events:
        why.append("events %s vs summary %s" % (tr_ev, ev))
    cols = {"CALLS": "shrinktrace_shrinker_calls_total", "ZERO": "shrinktrace_shrinker_zero_calls_total",
            "EMPTY": "shrinktrace_shrinker_empty_calls_total",
            "SCANNED": "shrinktrace_shrinker_scanned_objects_total",
            "FREED": "shrinktrace_shrinker_freed_objects_total"}
    for sname, row in rows.items():
        for col, metric in cols.items():
            if col in row and int(per(m, metric, "shrinker").get(label(sname), 0)) != int(row[col]):
                why.append("%s %s: scrape %s, summary %s" % (sname, col,
                           per(m, metric, "shrinker").get(label(sname)), row[col]))
    lifem = {k: per(m, "shrinktrace_shrinker_%s_total" % k, "shrinker")
             for k in ("generations", "allocated", "registered", "rcu_freed")}
    compared = 0
    for sname, d in life.items():
        if sname == "(unnamed)":
            continue	# the summary adds generations still unnamed (not yet counted)
        for k, n in d.items():
            compared += 1
            if int(lifem[k].get(label(sname), 0)) != n:
                why.append("%s %s: scrape %s, summary %d" % (sname, k, lifem[k].get(label(sname)), n))
    if not any(d["rcu_freed"] for d in life.values()):
        why.append("no RCU-freed generation in the summary: the lifecycle went unchecked")
    check(name, rows and life and compared and not why, "; ".join(why[:6]))


def half_sent(port):
    """Half-sent requests from 127.0.0.1: past the old per-address limit (8) a scrape
    from there still works; with the whole per-address limit (32) open only that
    address is refused, and only until the server closes them (3 s without progress)."""
    def half(n):
        socks = []
        for i in range(n):
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            s.send(b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            socks.append(s)
        time.sleep(0.3)	# accepted and counted by the server
        return socks

    def scrape_from(src):
        s = socket.create_connection(("127.0.0.1", port), timeout=3, source_address=(src, 0))
        try:
            s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            data = b""
            while True:
                b = s.recv(65536)
                if not b:
                    break
                data += b
            return data.startswith(b"HTTP/1.1 200") and b"shrinktrace_build_info" in data
        except OSError:
            return False
        finally:
            s.close()

    socks = half(12)
    check("hostile/half-sent-12-one-address", scrape_from("127.0.0.1"),
          "12 half-sent requests from 127.0.0.1 block its scrapes")
    # the whole limit open at once, all younger than the server's 3 s timeout: the 12
    # above may be near it by now (a slow scrape), and one closed early frees a slot
    for s in socks:
        s.close()
    time.sleep(0.5)	# the server sees them closed
    socks = half(32)
    t0 = time.time()
    blocked = not scrape_from("127.0.0.1")
    other = scrape_from("127.0.0.2")
    # the server closes each half-sent request after 3 s without progress
    closed = 0
    for s in socks:
        s.settimeout(max(0.1, t0 + 6 - time.time()))
        try:
            if s.recv(1024) == b"":
                closed += 1
        except ConnectionResetError:
            closed += 1
        except OSError:
            pass
        s.close()
    took = time.time() - t0
    again = wait_for(lambda: scrape_from("127.0.0.1"), 3, 0.2)
    check("hostile/half-sent-limit-per-address", blocked and other and closed == len(socks) and
          took < 5.5 and again,
          "with 32 open: 127.0.0.1 refused %s, 127.0.0.2 served %s; %d of %d closed by the server "
          "within %.1f s; 127.0.0.1 served again %s" % (blocked, other, closed, len(socks), took,
                                                         bool(again)))


def unit_argv(port, extra=()):
    """The unit's ExecStart, on 127.0.0.1:port."""
    execl = re.search(r"^ExecStart=(.*)$", open(UNIT).read(), re.M).group(1).split()
    argv = [BIN] + execl[1:]
    argv[argv.index("--metrics") + 1] = "127.0.0.1:%d" % port
    return argv + list(extra)


def counter_samples(text):
    return {k: v for k, v in parse_metrics(text).items()
            if k[0].endswith(("_total", "_bucket", "_count", "_sum"))}


def case_stats_only():
    """The unit's own mode: counters only grow across scrapes while shrinkers come
    and go under drop_caches, and a quiet scrape equals the summary."""
    port = free_port()
    argv = unit_argv(port)
    sumf = open(os.path.join(tmp, "stats-only.txt"), "w+")
    tr = start(argv, stdout=subprocess.DEVNULL, stderr=sumf)
    if not wait_for(lambda: scrape(port), 30):
        return ko("stats-only/scrape", "no scrape within 30 s: %s" % open(sumf.name).read()[-300:])
    d = tempfile.mkdtemp(prefix="keep.", dir=tmp)
    held = []
    work = start(["sh", "-c", "for i in $(seq 25); do echo 2 > /proc/sys/vm/drop_caches; "
                  "sleep 0.2; done"], stdout=subprocess.DEVNULL)
    prev, bad, n, grew = None, [], 0, False
    try:
        for i in range(25):
            if i < 10:	# a shrinker that lives through drop_caches: called, named, freed later
                mp = os.path.join(d, "k%d" % i)
                os.mkdir(mp)
                subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "st-keep", mp], check=True)
                open(os.path.join(mp, "f"), "w").write("x" * 4096)
                held.append(mp)
            elif held and i % 2:
                subprocess.run(["umount", held.pop()])
            if i % 5 == 0:
                churn(2)
            cur = counter_samples(http_get("http://127.0.0.1:%d/metrics" % port))
            n += 1
            if prev:
                for k, v in prev.items():
                    if cur.get(k, -1) < v:
                        bad.append("%s%s: %g -> %s" % (k[0], dict(k[1]), v, cur.get(k)))
                grew = grew or any(cur.get(k, 0) > v for k, v in prev.items()
                                   if k[0] == "shrinktrace_shrinker_calls_total")
            prev = cur
            time.sleep(0.3)
    finally:
        for mp in held:
            subprocess.run(["umount", mp])
        work.wait()
    check("stats-only/counters-monotonic", not bad and n >= 20 and grew,
          "%d scrapes, calls grew: %s; went down: %s" % (n, grew, "; ".join(bad[:4])))
    scrape_equals_summary("stats-only/scrape-equals-summary", tr, port, sumf, argv)


def case_violation_line():
    """The unit's command line prints each violation as one line on stderr (the
    journal's), as many as shrinktrace_violations_total counts."""
    port = free_port()
    err = open(os.path.join(tmp, "viol.err"), "w+")
    p = start(unit_argv(port, ["--stuck-after", "0.000001"]), stdout=subprocess.DEVNULL, stderr=err)
    if not wait_for(lambda: scrape(port), 30):
        return ko("unit/violation-journal-line", "no scrape within 30 s")
    churn(3)
    v = wait_for(lambda: per(scrape(port), "shrinktrace_violations_total", "kind").get("stuck_free", 0),
                 20, 0.5)
    time.sleep(1.5)
    nv = sum(per(scrape(port), "shrinktrace_violations_total", "kind").values())
    rc = stop(p, signal.SIGTERM)
    err.seek(0)
    lines = err.read().splitlines()
    vl = [l for l in lines if "VIOLATION" in l]
    pat = re.compile(r"^shrinktrace: VIOLATION stuck_free on sb-tmpfs \(0x[0-9a-f]+\): "
                     r"shrinker_free\(\) .* has waited .*$")
    bad = [l for l in vl if not pat.match(l)]
    check("unit/violation-journal-line", v and vl and not bad and len(vl) == nv and rc == 3,
          "violations counted %s, %d lines (%d malformed: %r), exit %s" %
          (nv, len(vl), len(bad), bad[:1], rc))


def case_top():
    """--metrics with --top while stdout is not a terminal: one timestamped table
    per interval, and scrapes."""
    port = free_port()
    out = open(os.path.join(tmp, "top.out"), "w+")
    err = open(os.path.join(tmp, "top.err"), "w+")
    p = start([BIN, "--metrics", "127.0.0.1:%d" % port, "--top", "0.5", "--no-banner", "--",
               "sh", "-c", "%s 5; sleep 3" % CHURN], stdout=out, stderr=err)
    m = wait_for(lambda: scrape(port), 20)
    calls = wait_for(lambda: sum(per(scrape(port), "shrinktrace_shrinker_calls_total", "shrinker")
                                 .values()), 20, 0.3)
    try:
        rc = p.wait(40)
    except subprocess.TimeoutExpired:
        rc = stop(p)
    out.seek(0)
    text = out.read()
    tables = len(re.findall(r"^--- \d{4}-\d\d-\d\d \d\d:\d\d:\d\d, ", text, re.M))
    check("metrics/with-top-not-a-tty", m and calls and rc == 0 and tables >= 3 and
          "\x1b" not in text and "NAME" in text,
          "scrape %s, calls %s, exit %s, %d tables, escapes %s" %
          (bool(m), calls, rc, tables, "\x1b" in text))


def case_unit():
    inst = os.path.join(tmp, "inst")
    r = subprocess.run(["make", "-s", "-C", ROOT, "install", "DESTDIR=" + inst, "PREFIX=/usr",
                        "BUILD=" + os.path.dirname(BIN)], capture_output=True, text=True)
    unit = os.path.join(inst, "lib/systemd/system/shrinktrace.service")
    if not check("unit/make-install", r.returncode == 0 and os.path.exists(unit) and
                 os.path.exists(os.path.join(inst, "usr/sbin/shrinktrace")), r.stderr[-300:]):
        return
    text = open(unit).read()
    execl = re.search(r"^ExecStart=(.*)$", text, re.M).group(1)
    if not shutil.which("systemd-analyze"):
        skip("unit/systemd-analyze-verify", "no systemd-analyze (apt-get install systemd)")
    else:
        # the installed unit, with its binary at the DESTDIR's path (not installed in /usr here)
        vdir = os.path.join(tmp, "verify")
        os.mkdir(vdir)
        with open(os.path.join(vdir, "shrinktrace.service"), "w") as f:
            f.write(text.replace("/usr/sbin/shrinktrace", os.path.join(inst, "usr/sbin/shrinktrace")))
        # Documentation=man:shrinktrace(8): the installed man page
        env = dict(os.environ, MANPATH=os.path.join(inst, "usr/share/man"))
        r = subprocess.run(["systemd-analyze", "verify", os.path.join(vdir, "shrinktrace.service")],
                           capture_output=True, text=True, env=env)
        check("unit/systemd-analyze-verify", r.returncode == 0 and not r.stderr.strip(),
              (r.stdout + r.stderr)[-400:])
    argv = execl.split()
    argv[0] = os.path.join(inst, "usr/sbin/shrinktrace")
    port = int(argv[argv.index("--metrics") + 1].rsplit(":", 1)[1])
    if not wait_for(lambda: socket.socket().connect_ex(("127.0.0.1", port)) != 0, 30, 1):
        return ko("unit/execstart", "port %d stays in use (another exporter running?)" % port)
    err = open(os.path.join(tmp, "unit.err"), "w+")
    p = start(argv, stdout=subprocess.DEVNULL, stderr=err)
    m = wait_for(lambda: scrape(port), 30)
    info = [k for k in (m or {}) if k[0] == "shrinktrace_build_info"]
    rc = stop(p, signal.SIGTERM)
    err.seek(0)
    check("unit/execstart-scraped", m and info and rc in (0, 3),
          "scrape %s, exit %s, stderr %r" % (bool(m), rc, err.read()[-300:]))


def main():
    try:
        # METRICS_CASES=stats_only,top ... runs only those (while working on them)
        only = [c for c in os.environ.get("METRICS_CASES", "").split(",") if c]
        for c in ("usage", "rotate", "prometheus", "stats_only", "violation_line", "top", "unit"):
            if not only or c in only:
                globals()["case_" + c]()
    except Exception as e:	# a test that breaks is a failure, not a crash
        import traceback
        traceback.print_exc()
        ko("metrics/exception", repr(e))
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d passed, %d failed, %d skipped" % (passed, failed, skipped))
    sys.exit(1 if failed else 0)


main()

"""Query grammar of the differential test (test/diff/diff.py).

make_case(rng, kind, data) returns a Case: the statements of one test (SET,
PREPARE, BEGIN, DECLARE, the queries, ...) whose outputs are compared between
the foreign tables and their heap copies.  The text names tables without a
schema: the driver runs it once with search_path f (foreign) and once with
search_path h (heap).

The shapes are those analysts write: filters on the columns that prune or
become LookupEvents parameters, with constants, parameters, initplans,
correlated and LATERAL bounds, joins under each join method, prepared
statements under custom and generic plans, PL/pgSQL variables, cursors,
ORDER BY / LIMIT / OFFSET, set operations, CTEs, window functions, time
zones, infinities and contradictions.  Values come from the data (sampled by
the driver) or are values that do not occur.
"""

import datetime as dt

# Statement kinds: "q" rows are compared (sorted unless the case says its
# order is total), "x" only success or the error is (EXPLAIN), "s" setup.
TIMEZONES = ["UTC", "America/New_York", "Asia/Kolkata", "Pacific/Chatham",
             "Australia/Sydney", "Europe/London", "Etc/GMT+12", "Asia/Kathmandu"]

# Columns each kind of table has (the driver creates them so).
TRAIL_COLS = ["event_id", "event_time", "event_name", "event_source", "aws_region",
              "recipient_account_id", "username", "access_key_id", "read_only",
              "error_code", "log_file"]
HIST_COLS = TRAIL_COLS[:-1] + ["resource_names", "resource_types"]

# Tables of each kind and how often a case picks each.
TABLES = {
    "trail": [("trail", 6), ("trail_one", 3), ("trail_dir", 2), ("trail_org", 2)],
    "history": [("hist", 6), ("hist_two", 3), ("hist_noreg", 3)],
}


class Case:
    def __init__(self):
        self.stmts = []         # (kind, sql)
        self.ordered = False    # rows of "q" statements come in a total order

    def add(self, kind, sql):
        self.stmts.append((kind, sql))

    def text(self):
        return "\n".join(s.rstrip(";") + ";" for _, s in self.stmts)


def q(s):
    """A SQL string literal."""
    return "'" + str(s).replace("'", "''") + "'"


def ts_lit(t):
    return t.strftime("%Y-%m-%d %H:%M:%S") + (f".{t.microsecond:06d}" if t.microsecond else "") + "+00"


class Gen:
    """One case's generator: the random source, the sampled data, the table."""

    def __init__(self, rng, kind, data):
        self.r = rng
        self.kind = kind
        self.d = data
        self.hist = kind == "history"
        self.params = []        # (type, [literal per execution]) of a prepared statement
        self.param_mode = None  # None, "prepare" or "plpgsql"

    # ------------------------------------------------------------ helpers
    def pick(self, xs):
        return self.r.choice(xs)

    def chance(self, p):
        return self.r.random() < p

    def table(self):
        names, weights = zip(*TABLES[self.kind])
        return self.r.choices(names, weights)[0]

    def order_key(self, alias="", desc=None):
        """A total order of a table's rows (event IDs repeat in a trail)."""
        p = alias + "." if alias else ""
        if desc is None:
            desc = self.chance(0.4)
        d = " DESC" if desc else ""
        keys = [f"{p}event_time{d}", f"{p}event_id{d}"]
        if not self.hist:
            keys.append(f"{p}log_file{d}")
        return ", ".join(keys)

    def param(self, typ, values):
        """$n of a prepared statement (or a PL/pgSQL argument p<n>)."""
        self.params.append((typ, values))
        n = len(self.params)
        return f"${n}" if self.param_mode == "prepare" else f"p{n}"

    # ------------------------------------------------------------ values
    def a_time(self):
        """A point in time: an event's time, near one, or out of the data."""
        d = self.d
        c = self.r.random()
        if c < 0.45:
            t = self.pick(d.times)
        elif c < 0.8:
            t = d.start + (d.end - d.start) * self.r.random()
            t = t.replace(microsecond=0) if self.chance(0.6) else t
        elif c < 0.9:
            t = self.pick(d.times) + dt.timedelta(microseconds=self.pick([1, -1, 500000]))
        else:
            t = self.pick([d.start - dt.timedelta(days=3), d.end + dt.timedelta(hours=3),
                           d.start, d.end, dt.datetime(2026, 11, 19, tzinfo=dt.timezone.utc)])
        return t

    def time_lit(self, t=None):
        """A constant of type timestamptz, timestamp or date, spelled as analysts do."""
        t = t or self.a_time()
        c = self.r.random()
        if c < 0.35:
            return q(ts_lit(t))
        if c < 0.5:
            return f"timestamptz {q(ts_lit(t))}"
        if c < 0.6:
            # the same instant in another offset
            off = dt.timezone(dt.timedelta(hours=self.pick([5, -8, 13]), minutes=self.pick([0, 30, 45])))
            return q(t.astimezone(off).isoformat(sep=" "))
        if c < 0.7:
            # timestamp without time zone: read in the session's TimeZone
            return f"timestamp {q(t.strftime('%Y-%m-%d %H:%M:%S.%f'))}"
        if c < 0.78:
            return f"date {q(t.strftime('%Y-%m-%d'))}"
        if c < 0.84:
            return f"(timestamptz 'epoch' + {int(t.timestamp())} * interval '1 second')"
        if c < 0.9:
            return f"to_timestamp({t.timestamp():.6f})"
        return f"make_timestamptz({t.year}, {t.month}, {t.day}, {t.hour}, {t.minute}, {t.second}, 'UTC')"

    def sub_time(self):
        """A sub-select of a time constant: an initplan."""
        lit = self.time_lit()
        return f"(SELECT {lit}::timestamptz)" if lit.startswith("'") else f"(SELECT {lit})"

    def time_expr(self, depth=0):
        """Anything an event_time may be compared with."""
        c = self.r.random()
        if self.param_mode and c < 0.35:
            return self.param("timestamptz", [q(ts_lit(self.a_time())) for _ in range(8)])
        if c < 0.55:
            return self.time_lit()
        if c < 0.63:
            return self.sub_time()
        if c < 0.7 and depth == 0:
            agg = self.pick(["min", "max"])
            return f"(SELECT {agg}(event_time) FROM {self.scan(self.table(), '', 1, 1)})"
        if c < 0.76:
            # stable expressions, evaluated when the scan starts
            if self.hist:
                return self.pick(["now() - interval '400 days'", "current_date - 400",
                                  "date_trunc('year', now()) - interval '2 years'"])
            return self.pick(["now()", "(SELECT now())", "now() - interval '20 days'",
                              "current_date - 10", "date_trunc('day', now()) - interval '12 days 3 hours'",
                              "localtimestamp - interval '11 days'", "current_timestamp(0)"])
        if c < 0.8:
            return self.pick(["'infinity'", "'-infinity'", "timestamptz 'infinity'",
                              "date '-infinity'", "'infinity'::timestamp"])
        if c < 0.84:
            # volatile: never pushed down
            if self.hist:
                return self.pick(["clock_timestamp() - interval '1000 days'",
                                  f"({self.time_lit()})::timestamptz + (random() * 0) * interval '1 hour'"])
            return self.pick(["clock_timestamp()", "clock_timestamp() - interval '30 days'",
                              f"({self.time_lit()})::timestamptz + (random() * 0) * interval '1 hour'",
                              "timeofday()::timestamptz"])
        if c < 0.87:
            return self.pick(["NULL::timestamptz", "NULL"])
        return f"({self.time_lit()})::timestamptz {self.pick(['+', '-'])} interval {q(self.pick(['1 hour', '90 minutes', '1 day', '0.5 seconds', '1 microsecond']))}"

    # columns with one value a row (text, uuid) and how to sample them
    def text_cols(self):
        cols = ["recipient_account_id", "aws_region", "event_name", "event_source", "username"]
        if self.hist:
            cols += ["event_id", "access_key_id", "event_id", "event_name", "username"]
        else:
            cols += ["recipient_account_id", "aws_region", "event_id"]
        return cols

    def value(self, col):
        """A value of a column: one that occurs (mostly) or one that does not."""
        vals = self.d.values[col]
        if vals and self.chance(0.85):
            return self.pick(vals)
        return {"recipient_account_id": "111122223333", "aws_region": "sa-east-1",
                "event_id": "3b5f3a4e-4a4b-4c5d-8e9f-0a1b2c3d4e5f",
                "access_key_id": "AKIANOTAKEY00000000"}.get(col, "NoSuchThing")

    def text_expr(self, col):
        v = self.value(col)
        typ = "uuid" if col == "event_id" else "text"
        c = self.r.random()
        if self.param_mode and c < 0.35:
            return self.param(typ, [q(self.value(col)) for _ in range(8)])
        if c < 0.6:
            return q(v)
        if c < 0.75:
            return f"(SELECT {q(v)}::{typ})"
        if c < 0.8 and col == "event_id":
            t = self.table()
            return f"(SELECT event_id FROM {self.scan(t, '', 1, 1)} ORDER BY {self.order_key()} LIMIT 1)"
        if c < 0.85 and typ == "text":
            return f"lower({q(v.upper())})" if col != "aws_region" else f"'' || {q(v)}"
        if c < 0.9:
            return f"{q(v)}::{typ}"
        return f"NULL::{typ}"

    # ------------------------------------------------------------ predicates
    def time_pred(self, col="event_time"):
        c = self.r.random()
        op = self.pick(["=", "<", "<=", ">", ">=", "<>"])
        if c < 0.45:
            return f"{col} {op} {self.time_expr()}"
        if c < 0.55:
            flip = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}.get(op, op)
            return f"{self.time_expr()} {flip} {col}"
        if c < 0.7:
            sym = " SYMMETRIC" if self.chance(0.4) else ""
            neg = "NOT " if self.chance(0.15) else ""
            return f"{col} {neg}BETWEEN{sym} {self.time_expr()} AND {self.time_expr()}"
        if c < 0.78:
            t = self.time_expr()
            return f"{col} >= {t} AND {col} < ({t})::timestamptz + interval {q(self.pick(['1 hour', '6 hours', '1 day', '2 minutes']))}"
        if c < 0.84:
            n = self.r.randint(1, 3)
            xs = ", ".join(self.time_lit(self.pick(self.d.times)) if self.chance(0.7) else self.time_lit()
                           for _ in range(n))
            return self.pick([f"{col} IN ({xs})", f"{col} = ANY(ARRAY[{xs}]::timestamptz[])",
                              f"{col} NOT IN ({xs})", f"{col} <> ALL(ARRAY[{xs}]::timestamptz[])"])
        if c < 0.88:
            # not pushable: must still be right
            return self.pick([f"{col}::date = {self.time_lit()}::date",
                              f"date_trunc('hour', {col}) = date_trunc('hour', {self.time_lit()}::timestamptz)",
                              f"{col} AT TIME ZONE 'UTC' < {self.time_lit()}::timestamp",
                              f"{col} + interval '0' > {self.time_expr()}"])
        if c < 0.92:
            return f"{col} {self.pick(['IS NULL', 'IS NOT NULL'])}"
        if c < 0.96:
            return f"{col} IS {self.pick(['', 'NOT '])}DISTINCT FROM {self.time_expr()}"
        # contradictions
        t = self.pick(self.d.times)
        return self.pick([f"{col} > {q(ts_lit(t))} AND {col} < {q(ts_lit(t - dt.timedelta(hours=1)))}",
                          f"{col} = {q(ts_lit(t))} AND {col} = {q(ts_lit(t + dt.timedelta(microseconds=1)))}",
                          f"{col} >= {q(ts_lit(t))} AND {col} <= {q(ts_lit(t))}",
                          f"{col} > 'infinity'", f"{col} < '-infinity'"])

    def text_pred(self, col):
        arr = "::uuid[]" if col == "event_id" else "::text[]"
        c = self.r.random()
        if c < 0.45:
            return self.pick([f"{col} = {self.text_expr(col)}", f"{self.text_expr(col)} = {col}"])
        if c < 0.6:
            xs = ", ".join(q(self.value(col)) for _ in range(self.r.randint(1, 2 if self.hist else 3)))
            return self.pick([f"{col} IN ({xs})", f"{col} = ANY(ARRAY[{xs}]{arr})",
                              f"{col} = ANY((SELECT ARRAY[{xs}]{arr})::text[])" if col != "event_id" else f"{col} IN ({xs})"])
        if c < 0.7:
            xs = ", ".join(q(self.value(col)) for _ in range(self.r.randint(1, 3)))
            return self.pick([f"{col} <> {q(self.value(col))}", f"{col} NOT IN ({xs})",
                              f"{col} <> ALL(ARRAY[{xs}]{arr})"])
        if c < 0.78:
            return f"{col} {self.pick(['IS NULL', 'IS NOT NULL'])}"
        if c < 0.84 and col != "event_id":
            v = self.value(col)
            return self.pick([f"{col} LIKE {q(v[:4] + '%')}", f"lower({col}) = lower({q(v)})",
                              f"{col} = {q(v)} COLLATE \"C\""])
        if c < 0.9:
            v = self.value(col)
            return f"{col} = {q(v)} AND {col} = {q(self.value(col))}"
        return f"{col} IS NOT DISTINCT FROM {self.text_expr(col)}"

    def bool_pred(self):
        return self.pick(["read_only", "NOT read_only", "read_only = true", "read_only = false",
                          "read_only IS TRUE", "read_only IS NOT FALSE", "read_only IS NULL",
                          "read_only = (SELECT true)", "read_only = (SELECT false)",
                          "read_only = (SELECT NULL::boolean)", "read_only <> true"])

    def array_pred(self):
        col = self.pick(["resource_names", "resource_types"])
        vals = self.d.values[col]
        v = self.pick(vals) if vals and self.chance(0.85) else "NoSuchResource"
        return self.pick([f"{q(v)} = ANY({col})", f"(SELECT {q(v)}::text) = ANY({col})",
                          f"{col} @> ARRAY[{q(v)}]", f"NOT ({q(v)} = ANY({col}))",
                          f"{q(v)} = ANY({col}) AND {q(self.pick(vals) if vals else v)} = ANY({col})",
                          f"{col} IS NULL"])

    def atom(self):
        c = self.r.random()
        if c < 0.4:
            return self.time_pred()
        if self.hist and c < 0.5:
            return self.bool_pred()
        if self.hist and c < 0.58:
            return self.array_pred()
        if not self.hist and c < 0.45:
            return self.pick(["read_only", "NOT read_only", "read_only IS NULL",
                              "recipient_account_id = (SELECT '111122223333'::text)"])
        return self.text_pred(self.pick(self.text_cols()))

    def pred(self, lo=1, hi=3):
        """A WHERE condition: a conjunction of atoms, sometimes OR or NOT."""
        parts = []
        for _ in range(self.r.randint(lo, hi)):
            c = self.r.random()
            if c < 0.12:
                parts.append(f"({self.atom()} OR {self.atom()})")
            elif c < 0.18:
                parts.append(f"NOT ({self.atom()})")
            else:
                parts.append(self.atom())
        return " AND ".join(parts)

    def regions_cond(self):
        """aws_region = or IN with constants: what a table without regions needs."""
        rs = self.d.values["aws_region"]
        k = self.r.randint(1, len(rs))
        sel = ", ".join(q(x) for x in self.r.sample(rs, k))
        return f"aws_region IN ({sel})" if k > 1 or self.chance(0.5) else f"aws_region = {sel}"

    def where(self, table, lo=1, hi=3):
        """pred(), and for hist_noreg the regions it is to call."""
        p = self.pred(lo, hi) if hi else ""
        if table == "hist_noreg":
            # an event-history table without regions calls the server's region
            # unless the WHERE names regions with constants (README)
            p = self.regions_cond() + (" AND " + p if p else "")
        elif table in ("trail_one", "hist_two") and self.chance(0.4):
            # the WHERE names accounts or regions the table's options leave out
            p = self.pick([self.regions_cond(), self.text_pred("aws_region")] +
                          ([] if self.hist else [self.text_pred("recipient_account_id")])) + (" AND " + p if p else "")
        return p or "true"

    def scan(self, table, alias="", lo=1, hi=3):
        """FROM item and WHERE: "trail x WHERE ..." """
        return f"{table}{' ' + alias if alias else ''} WHERE {self.where(table, lo, hi)}"

    def frm(self, table, alias=""):
        """A FROM item without a WHERE of its own."""
        if table == "hist_noreg":
            return f"(SELECT * FROM hist_noreg WHERE {self.regions_cond()}) AS {alias or table}"
        return f"{table}{' ' + alias if alias else ''}"

    def cols(self, alias=""):
        p = alias + "." if alias else ""
        pool = ["event_id", "event_time", "aws_region", "recipient_account_id", "event_name",
                "username", "read_only"] + (["resource_names"] if self.hist else ["log_file"])
        return ", ".join(p + c for c in self.r.sample(pool, self.r.randint(1, 4)))


# ---------------------------------------------------------------- case shapes
# Each shape fills a Case; make_case picks one.

def simple(sql, ordered=False, hi=3):
    """A shape of one query over one table: sql(g, "table WHERE ...")."""
    def shape(g, c):
        t = g.table()
        c.add("q", sql(g, g.scan(t, "", 1, hi)))
        c.ordered = ordered
    return shape


s_count = simple(lambda g, src: f"SELECT count(*) FROM {src}")
s_rows = simple(lambda g, src: f"SELECT {g.cols()} FROM {src}")
s_group = simple(lambda g, src: f"SELECT aws_region, recipient_account_id, count(*), min(event_time), "
                 f"max(event_time), count(DISTINCT event_id) FROM {src} GROUP BY 1, 2")
s_limit = simple(lambda g, src: f"SELECT {g.cols()} FROM {src} ORDER BY {g.order_key()} "
                 f"LIMIT {g.r.randint(1, 12)}" + (f" OFFSET {g.r.randint(1, 20)}" if g.chance(0.4) else ""),
                 ordered=True)
# the event-history scan says its rows come newest first
s_topn_desc = simple(lambda g, src: f"SELECT event_time, event_id FROM {src} "
                     f"ORDER BY event_time DESC, event_id DESC LIMIT {g.r.randint(1, 8)}", ordered=True, hi=2)
s_ties = simple(lambda g, src: f"SELECT event_time, aws_region FROM {src} ORDER BY event_time "
                f"{g.pick(['', 'DESC'])} FETCH FIRST {g.r.randint(1, 6)} ROWS WITH TIES", hi=2)


def s_initplan(g, c):
    # a bound only known at run time, as the known bugs need
    t = g.table()
    t2 = g.table()
    if g.hist:
        b = g.pick([f"event_time < (SELECT max(event_time) FROM {t2} WHERE {g.where(t2, 1, 1)})",
                    f"event_time >= {g.sub_time()}",
                    "read_only = (SELECT true)", f"event_name = (SELECT {q(g.value('event_name'))}::text)",
                    f"username = (SELECT {q(g.value('username'))}::text)",
                    f"event_id = (SELECT event_id FROM {t2} WHERE {g.where(t2, 1, 1)} ORDER BY {g.order_key()} LIMIT 1)",
                    f"event_source = (SELECT {q(g.value('event_source'))}::text)"])
        c.add("q", f"SELECT event_time, event_id FROM {t} WHERE {g.where(t, 0, 1)} AND {b} "
              f"ORDER BY event_time DESC, event_id DESC LIMIT {g.r.randint(2, 6)}")
        c.ordered = True
    else:
        b = g.pick(["event_time < (SELECT now())", f"event_time >= {g.sub_time()}",
                    f"event_time = (SELECT min(event_time) FROM {g.scan(t2, '', 1, 1)})",
                    f"recipient_account_id = (SELECT {q(g.value('recipient_account_id'))}::text)",
                    f"aws_region = (SELECT {q(g.value('aws_region'))}::text)",
                    f"aws_region IN ((SELECT {q(g.value('aws_region'))}), {q(g.value('aws_region'))})"])
        c.add("q", f"SELECT count(*), min(event_time), max(event_id::text) FROM {t} WHERE {b}"
              + (f" AND {g.pred(1, 1)}" if g.chance(0.5) else ""))


def s_explain(g, c):
    # plain EXPLAIN runs no initplan, but must not fail either; then the query
    g.pick([s_initplan, s_count, s_correlated])(g, c)
    _, sql = c.stmts[-1]
    c.stmts.insert(-1, ("x", "EXPLAIN (COSTS OFF) " + sql))


def s_correlated(g, c):
    t = g.table()
    t2 = g.table()
    k = g.r.randint(2, 3 if g.hist else 5)
    sql = g.pick([
        f"SELECT b.id, (SELECT count(*) FROM {g.frm(t, 'x')} WHERE x.event_time >= b.lo AND x.event_time < b.hi"
        f"{' AND x.aws_region = b.region' if g.chance(0.5) else ''}) FROM bounds b WHERE b.id <= {k}",
        f"SELECT b.id, l.n, l.first FROM bounds b CROSS JOIN LATERAL "
        f"(SELECT count(*) AS n, min(event_time) AS first FROM {g.frm(t, 'x')} WHERE x.event_time BETWEEN b.lo AND b.hi "
        f"AND x.recipient_account_id = b.account AND {g.where(t, 0, 1)}) l WHERE b.id <= {k}",
        f"SELECT b.id, l.event_time, l.event_id FROM bounds b LEFT JOIN LATERAL "
        f"(SELECT event_time, event_id FROM {g.frm(t, 'x')} WHERE x.event_time > b.lo AND x.aws_region = b.region "
        f"ORDER BY {g.order_key('x', False)} LIMIT 2) l ON true WHERE b.id <= {k}",
        # the outer row comes from a foreign table too
        f"SELECT o.event_time, o.event_id, (SELECT count(*) FROM {g.frm(t2, 'i')} WHERE i.event_time <= o.event_time "
        f"AND i.aws_region = o.aws_region) FROM {t} o WHERE {g.where(t, 1, 2)} "
        f"ORDER BY {g.order_key('o')} LIMIT {k}"])
    c.add("q", sql)
    c.ordered = sql.startswith("SELECT o.")


def s_exists(g, c):
    t = g.table()
    t2 = g.table()
    c.add("q", g.pick([
        f"SELECT count(*) FROM {t} o WHERE {g.where(t, 1, 2)} AND EXISTS "
        f"(SELECT 1 FROM {g.frm(t2, 'i')} WHERE i.event_id = o.event_id AND i.event_time = o.event_time)",
        f"SELECT count(*) FROM {g.frm(t)} WHERE event_id IN (SELECT event_id FROM {g.scan(t2, '', 1, 2)})",
        f"SELECT count(*) FROM {g.frm(t, 'o')} WHERE o.event_time > ALL (SELECT b.lo FROM bounds b WHERE b.region = o.aws_region)",
        f"SELECT count(*) FROM {t} o WHERE {g.where(t, 1, 1)} AND NOT EXISTS "
        f"(SELECT 1 FROM bounds b WHERE o.event_time BETWEEN b.lo AND b.hi)"]))


JOIN_METHODS = {
    "nestloop": ["enable_hashjoin", "enable_mergejoin"],
    "hash": ["enable_nestloop", "enable_mergejoin"],
    "merge": ["enable_nestloop", "enable_hashjoin"],
}


def s_join(g, c):
    m = g.pick(list(JOIN_METHODS))
    for s in JOIN_METHODS[m]:
        c.add("s", f"SET {s} = off")
    if g.chance(0.3):
        c.add("s", "SET enable_material = off")
    t = g.table()
    other = g.pick(["trail", "hist"] if g.hist else ["trail", "trail_dir", "trail_one"])
    c.add("q", g.pick([
        f"SELECT count(*), min(a.event_time), max(b.event_time) FROM (SELECT * FROM {g.scan(t, '', 1, 2)}) a "
        f"JOIN {other} b ON a.event_id = b.event_id",
        f"SELECT b.id, count(x.event_id) FROM bounds b LEFT JOIN {g.frm(t, 'x')} "
        f"ON x.aws_region = b.region AND x.event_time >= b.lo AND x.event_time < b.hi GROUP BY b.id",
        f"SELECT a.event_id, a.event_time, b.event_time FROM (SELECT * FROM {g.scan(t, '', 1, 1)}) a "
        f"JOIN (SELECT * FROM {g.scan(t, '', 1, 1)}) b ON a.event_id = b.event_id AND a.event_time = b.event_time",
        # join conditions that bound the inner scan by the outer row's values
        f"SELECT b.id, count(x.*), min(x.event_time) FROM bounds b JOIN {g.frm(t, 'x')} "
        f"ON x.event_time BETWEEN b.lo - interval '1 hour' AND b.hi{g.pick(['', ' AND x.recipient_account_id = b.account'])} "
        f"WHERE b.id <= {g.r.randint(1, 7)} GROUP BY b.id",
        f"SELECT v.at, count(x.event_id) FROM (VALUES ({g.time_lit(g.a_time())}::timestamptz), "
        f"({g.time_lit(g.a_time())}::timestamptz)) v(at) LEFT JOIN {g.frm(t, 'x')} "
        f"ON x.event_time > v.at - interval {q(g.pick(['10 minutes', '3 hours', '1 day']))} AND x.event_time <= v.at GROUP BY v.at",
        f"SELECT o.event_id, count(x.event_id) FROM (SELECT * FROM {g.scan(other, '', 1, 2)} "
        f"ORDER BY {g.order_key()} LIMIT 3) o JOIN {g.frm(t, 'x')} ON x.aws_region = o.aws_region "
        f"AND x.event_time >= o.event_time AND x.event_time < o.event_time + interval '2 hours' GROUP BY o.event_id"]))


def with_params(g, mode):
    """A table and a WHERE that uses at least one parameter (or PL/pgSQL variable)."""
    g.param_mode = mode
    t = g.table()
    body = g.where(t)
    if not g.params:
        body += f" AND event_time <= {g.param('timestamptz', [q(ts_lit(g.a_time())) for _ in range(8)])}"
    return t, body


def s_prepared(g, c):
    t, body = with_params(g, "prepare")
    types = ", ".join(p[0] for p in g.params)
    mode = g.pick(["auto", "force_custom_plan", "force_generic_plan"])
    c.add("s", f"SET plan_cache_mode = {mode}")
    sel = g.pick(["count(*), min(event_time), max(event_time)", "count(DISTINCT event_id), count(username)"])
    c.add("s", f"PREPARE p({types}) AS SELECT {sel} FROM {t} WHERE {body}")
    for i in range(g.r.randint(2, 7)):
        args = ", ".join(vals[i] if g.chance(0.7) else vals[0] for _, vals in g.params)
        c.add("q", f"EXECUTE p({args})")
    c.add("s", "DEALLOCATE p")
    c.ordered = True


def s_plpgsql(g, c):
    t, body = with_params(g, "plpgsql")
    if g.chance(0.5):
        # a function: its static query's plan is cached, custom then generic
        args = ", ".join(f"p{i + 1} {p[0]}" for i, p in enumerate(g.params))
        c.add("s", f"CREATE FUNCTION pg_temp.f({args}) RETURNS bigint LANGUAGE plpgsql AS $f$ "
              f"DECLARE n bigint; BEGIN SELECT count(*) INTO n FROM {t} WHERE {body}; RETURN n; END $f$")
        calls = []
        for i in range(g.r.randint(2, 7)):
            calls.append("pg_temp.f(" + ", ".join(vals[i] for _, vals in g.params) + ")")
        c.add("q", "SELECT " + ", ".join(calls))
    else:
        # a DO block with variables in a static query; the counts come back as notices
        decl = " ".join(f"p{i + 1} {p[0]} := {p[1][0]};" for i, p in enumerate(g.params))
        c.add("q", f"DO $d$ DECLARE {decl} n bigint; BEGIN "
              f"SELECT count(*) INTO n FROM {t} WHERE {body}; RAISE NOTICE 'n=%', n; END $d$")
    c.ordered = True


def s_cursor(g, c):
    t = g.table()
    c.add("s", "BEGIN")
    c.add("s", f"DECLARE c SCROLL CURSOR FOR SELECT event_time, event_id FROM {t} WHERE {g.where(t, 1, 2)} "
          f"ORDER BY {g.order_key()}")
    for _ in range(g.r.randint(2, 5)):
        c.add("q", g.pick(["FETCH 3 FROM c", "FETCH BACKWARD 2 FROM c", "FETCH LAST FROM c",
                           "FETCH ABSOLUTE 2 FROM c", "FETCH BACKWARD ALL FROM c", "FETCH FIRST FROM c",
                           "FETCH RELATIVE -1 FROM c", "FETCH PRIOR FROM c", "MOVE FORWARD 4 IN c"]))
    c.add("s", "COMMIT")
    c.ordered = True


def s_setop(g, c):
    t, t2 = g.table(), g.table()
    op = g.pick(["UNION", "UNION ALL", "INTERSECT", "EXCEPT", "EXCEPT ALL"])
    c.add("q", f"SELECT event_id, aws_region FROM {t} WHERE {g.where(t, 1, 2)} {op} "
          f"SELECT event_id, aws_region FROM {t2} WHERE {g.where(t2, 1, 2)}")


def s_cte(g, c):
    t = g.table()
    m = g.pick(["", "MATERIALIZED ", "NOT MATERIALIZED "])
    c.add("q", g.pick([
        f"WITH w AS {m}(SELECT * FROM {t} WHERE {g.where(t, 1, 2)}) "
        f"SELECT count(*), min(event_time) FROM w WHERE {g.pred(1, 1)}",
        f"WITH w AS {m}(SELECT * FROM {t} WHERE {g.where(t, 1, 1)}) "
        f"SELECT (SELECT count(*) FROM w), (SELECT count(*) FROM w WHERE {g.pred(1, 1)})"]))


def s_window(g, c):
    t = g.table()
    c.add("q", f"SELECT event_id, event_time, row_number() OVER w, lag(event_time) OVER w, "
          f"count(*) OVER (PARTITION BY aws_region) FROM {t} WHERE {g.where(t)} "
          f"WINDOW w AS (PARTITION BY recipient_account_id ORDER BY {g.order_key()})")


def s_error(g, c):
    # errors that do not depend on which rows a scan reads first
    t, t2 = g.table(), g.table()
    c.add("q", g.pick([
        f"SELECT count(*) FROM {g.frm(t)} WHERE event_time > (SELECT event_time FROM {g.frm(t2)})",
        f"SELECT count(*) FROM {t} WHERE event_time > 'not a time'",
        f"SELECT count(*) FROM {t} WHERE event_id = 'not-a-uuid'",
        f"SELECT count(*) / 0 FROM {t} WHERE {g.where(t, 1, 1)}",
        f"SELECT count(*) FROM {g.frm(t)} WHERE aws_region = (SELECT aws_region FROM {g.scan(t2, '', 1, 1)})",
        f"SELECT count(*) FROM {t} WHERE event_time > '2026-13-45'::timestamptz"]))


SHAPES = [(s_count, 8), (s_rows, 5), (s_group, 3), (s_limit, 5), (s_topn_desc, 3), (s_ties, 2),
          (s_initplan, 6), (s_explain, 2), (s_correlated, 4), (s_exists, 2), (s_join, 4),
          (s_prepared, 4), (s_plpgsql, 3), (s_cursor, 2), (s_setop, 2), (s_cte, 2), (s_window, 2),
          (s_error, 1)]


def make_case(rng, kind, data):
    g = Gen(rng, kind, data)
    c = Case()
    if g.chance(0.3):
        c.add("s", f"SET TimeZone = {q(g.pick(TIMEZONES))}")
    if g.chance(0.2):
        # trail scans run in parallel workers unless told not to
        c.add("s", "SET max_parallel_workers_per_gather = 0")
    fns, weights = zip(*SHAPES)
    rng.choices(fns, weights)[0](g, c)
    return c

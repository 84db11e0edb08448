// DuckDB's time for the benchmark aggregate over the same .json.gz files.
// Usage: node duckdb.mjs GLOB THREADS  ->  {"seconds": s, "count": n, ...}
import { DuckDBInstance } from '@duckdb/node-api';

const [glob, threads] = process.argv.slice(2);
const inst = await DuckDBInstance.create(':memory:', { threads: String(threads) });
const con = await inst.connect();
const sql = `SELECT count(*) AS count, count(DISTINCT r->>'eventName') AS names, max(r->>'eventTime') AS max_time
  FROM (SELECT unnest(Records) AS r
          FROM read_json('${glob}', columns = {Records: 'JSON[]'}, format = 'auto',
                         maximum_object_size = 268435456))`;
const t0 = performance.now();
const rows = (await con.runAndReadAll(sql)).getRowObjectsJson();
const seconds = (performance.now() - t0) / 1000;
console.log(JSON.stringify({ seconds, ...rows[0] }));

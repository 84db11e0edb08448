-- explain_filter(statement), for the tests after this one: the lines of
-- an EXPLAIN in one form whatever the server's version.  Initplan outputs
-- are named as 17 and later name them, "(InitPlan N).colM" (15 and 16
-- print "$K", declared by "InitPlan N (returns $K,...)"); actual row counts
-- are whole numbers as before 18 ("rows=22" where 18 prints "rows=22.00");
-- and a Result whose one-time filter is false has no child, as from 17 on
-- (15 and 16 plan the child and never run it).
CREATE OR REPLACE FUNCTION explain_filter(statement text) RETURNS SETOF text
LANGUAGE plpgsql AS $f$
DECLARE
	lines text[] := '{}';
	line text;
	m text[];
	p text;
	i int;
	params text[] := '{}';
	names text[] := '{}';
	skip int;
BEGIN
	FOR line IN EXECUTE statement LOOP
		lines := lines || line;
		m := regexp_match(line, 'InitPlan (\d+) \(returns ([^)]*)\)');
		IF m IS NOT NULL THEN
			i := 0;
			FOREACH p IN ARRAY string_to_array(m[2], ',') LOOP
				i := i + 1;
				params := params || p;
				names := names || format('(InitPlan %s).col%s', m[1], i);
			END LOOP;
		END IF;
	END LOOP;
	FOREACH line IN ARRAY lines LOOP
		IF skip IS NOT NULL AND length(substring(line FROM '^ *')) >= skip THEN
			CONTINUE;
		END IF;
		skip := NULL;
		IF line ~ '^ *One-Time Filter: false$' THEN
			skip := length(substring(line FROM '^ *'));
		END IF;
		line := regexp_replace(line, '(InitPlan \d+) \(returns [^)]*\)', '\1');
		FOR i IN 1 .. coalesce(array_length(params, 1), 0) LOOP
			line := regexp_replace(line, '\' || params[i] || '(?!\d)', names[i], 'g');
		END LOOP;
		RETURN NEXT regexp_replace(line, '(rows=\d+)\.00\M', '\1', 'g');
	END LOOP;
END
$f$;

-- initplans named before they are declared (15 and 16: "$0", "$1")
SELECT explain_filter($$EXPLAIN (COSTS OFF) SELECT 1 WHERE 1 = (SELECT 1) AND 2 > (SELECT 1)$$);

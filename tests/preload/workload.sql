-- Allocation-heavy, deterministic sqlite3 workload for the preload test:
-- an in-memory database filled by recursive CTEs, indexed, then queried
-- with GROUP BY, ORDER BY, joins, window functions and string aggregation.
.bail on
.mode list
.headers on
PRAGMA cache_size = -65536;

CREATE TABLE item(id INTEGER PRIMARY KEY, grp INTEGER, name TEXT, val REAL, blob BLOB);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200000)
INSERT INTO item
SELECT i, (i * 7919) % 1009,
       printf('name-%06d-%s', (i * 104729) % 200000, substr('abcdefghijklmnopqrstuvwxyz', 1 + i % 26, 1 + i % 13)),
       ((i * 2654435761) % 1000003) / 1000.0,
       zeroblob(i % 300)
FROM n;

CREATE TABLE grp(id INTEGER PRIMARY KEY, label TEXT);
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 1008)
INSERT INTO grp SELECT i, 'group ' || hex(i * 31337) FROM n;

CREATE INDEX item_grp ON item(grp, val);
CREATE INDEX item_name ON item(name);

SELECT count(*) AS rows, sum(length(blob)) AS blob_bytes, round(sum(val), 3) AS total,
       min(name) AS first, max(name) AS last FROM item;

SELECT g.label, count(*) AS n, round(avg(i.val), 4) AS mean, max(length(i.name)) AS maxlen
FROM item i JOIN grp g ON g.id = i.grp
GROUP BY g.id ORDER BY n DESC, g.id LIMIT 8;

SELECT substr(name, 13) AS suffix, count(*) AS n FROM item
GROUP BY suffix ORDER BY n DESC, suffix LIMIT 10;

SELECT id, name, val FROM item ORDER BY val DESC, id LIMIT 5;

-- A self-join through the index and a window function over all rows.
SELECT count(*) AS pairs FROM item a JOIN item b ON b.grp = a.grp AND b.id = a.id + 1009;
SELECT grp, id, rnk FROM (
  SELECT grp, id, rank() OVER (PARTITION BY grp ORDER BY val DESC, id) AS rnk FROM item)
WHERE rnk = 1 ORDER BY grp LIMIT 6;

-- Large string aggregation, updates and deletes that free pages and rows.
SELECT length(group_concat(name, ',')) AS concat_len FROM (SELECT name FROM item ORDER BY name);
UPDATE item SET name = name || '-' || grp, blob = randomblob(0) WHERE id % 3 = 0;
DELETE FROM item WHERE id % 5 = 0;
SELECT count(*) AS rows, sum(length(name)) AS name_bytes FROM item;
SELECT sum(id * grp) AS weighted, total(val * grp) AS weighted_val FROM item;
CREATE TABLE summary AS SELECT grp, count(*) AS n, group_concat(id) AS ids FROM item GROUP BY grp;
SELECT count(*) AS groups, sum(length(ids)) AS ids_len FROM summary;
PRAGMA integrity_check;

-- sqlite.sql: an in-memory database workload, for the sqlite3 workload.
--
--   sqlite3 -batch -cmd '.parameter set @n N' :memory: '.read sqlite.sql'
--
-- SQLite takes its page cache, its b-tree cursors, its sorter and every
-- string and blob result from malloc, so an in-memory database exercises
-- the allocator with mixed sizes (page buffers of ~4 KiB, many small
-- records) without touching a disk. The script fills a table of @n rows,
-- indexes it, updates and deletes part of it, then sorts, groups and joins.
-- It checks itself: the counts follow from @n, and a sum computed through
-- the index must equal the one computed by a full scan. The last line is
-- `check ok <total>`, the same on every allocator.

PRAGMA cache_size = -65536;  -- 64 MiB: the whole database stays in memory

CREATE TABLE item(id INTEGER PRIMARY KEY, name TEXT, grp INTEGER,
                  body TEXT, qty INTEGER);

WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq
                          WHERE i < @n)
INSERT INTO item
SELECT i, printf('item-%08x-%d', (i * 2654435761) % 4294967296, i % 1000),
       i % 997, printf('%.*c', 16 + (i * 7) % 240, char(65 + i % 26)),
       (i * 31) % 1009
FROM seq;

CREATE INDEX item_name ON item(name);
CREATE INDEX item_grp ON item(grp, qty);

-- Grow a third of the bodies (records move between pages) and delete a
-- seventh of the rows (pages are freed and reused).
UPDATE item SET body = body || body || name WHERE id % 3 = 0;
DELETE FROM item WHERE id % 7 = 0;

CREATE TABLE summary AS
SELECT grp, count(*) AS cnt, sum(qty) AS total, max(length(body)) AS widest,
       group_concat(substr(name, 6, 4), '') AS tags
FROM item GROUP BY grp ORDER BY total DESC, grp;

-- A sort that does not fit an index, and a join back to the summary.
CREATE TABLE ranked AS
SELECT i.id, i.qty, s.total FROM item AS i JOIN summary AS s USING (grp)
ORDER BY i.qty * s.cnt DESC, i.name
LIMIT @n / 4;

SELECT CASE
  WHEN (SELECT count(*) FROM item) != @n - @n / 7 THEN 'CHECK FAILED: row count'
  WHEN (SELECT sum(cnt) FROM summary) != @n - @n / 7 THEN 'CHECK FAILED: group count'
  WHEN (SELECT sum(qty) FROM item INDEXED BY item_grp WHERE grp >= 0)
       != (SELECT sum(qty) FROM item NOT INDEXED) THEN 'CHECK FAILED: index sum'
  WHEN (SELECT count(*) FROM ranked) != min(@n / 4, @n - @n / 7)
       THEN 'CHECK FAILED: ranked count'
  ELSE 'check ok ' || (SELECT sum(total) + sum(widest) + sum(length(tags))
                       FROM summary)
                   || '-' || (SELECT sum(id) FROM ranked)
END;

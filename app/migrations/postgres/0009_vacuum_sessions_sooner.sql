-- The account-wide search counts sessions from its indexes alone only where the
-- table's pages are marked visible to all. Every end, activity write and sign-in
-- clears that mark on the page it writes, and autovacuum, which sets it again, waits by
-- default until a fifth of the table has changed: 200 000 writes at a million
-- sessions. Until then a count reads the table for each entry on such a page (a count
-- of 100 000 matches took 47 ms after 10 000 ends, 27 ms once vacuumed). Here it comes
-- after 1 % (the sweep also vacuums after its own ends).
ALTER TABLE login_sessions SET (
    autovacuum_vacuum_scale_factor = 0.01,
    autovacuum_vacuum_insert_scale_factor = 0.01
);

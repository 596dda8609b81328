-- Ticket numbers come from one sequence per year (see src/sql/tickets.rs): a counter row would
-- make every submission wait for the previous one's commit. Created ahead for 2000-2100 so that
-- no transaction ever has to create one; each continues from the counter row if there was one.
DO $$
DECLARE
    y integer;
    last_used bigint;
BEGIN
    FOR y IN 2000..2100 LOOP
        EXECUTE format('CREATE SEQUENCE IF NOT EXISTS ticket_seq_%s', y);
        SELECT last INTO last_used FROM ticket_counters WHERE year = y;
        IF last_used IS NOT NULL AND last_used > 0 THEN
            EXECUTE format('SELECT setval(%L, %s)', 'ticket_seq_' || y, last_used);
        END IF;
    END LOOP;
END
$$;

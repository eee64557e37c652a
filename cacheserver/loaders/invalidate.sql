-- Invalidation for cacheserver's read-through loaders.
--
-- A loader with invalidate_channel = "products_changed" LISTENs on that
-- channel.  These triggers NOTIFY it when rows change, with a JSON object
-- naming the changed key's captures, e.g. {"id": 42} for the key pattern
-- "product:{id:int}": cacheserver then drops product:42 (and any negative
-- entry or stale copy of it).  Notifications go out at COMMIT.
--
-- Install once per database:
--     psql -d shop -f invalidate.sql
-- then, for each table a loader reads:
--     CREATE TRIGGER products_cacheserver
--         AFTER INSERT OR UPDATE OR DELETE ON products
--         FOR EACH ROW EXECUTE FUNCTION cacheserver_notify('products_changed', 'id');
--     CREATE TRIGGER products_cacheserver_truncate
--         AFTER TRUNCATE ON products
--         FOR EACH STATEMENT EXECUTE FUNCTION cacheserver_notify_all('products_changed');
--
-- Arguments of cacheserver_notify: the channel, then one argument per capture
-- of the key pattern: 'id' when the column has the capture's name, or
-- 'capture=column' when it does not ('id=product_id').  INSERT notifies the
-- new row (it may end a negative entry), DELETE the old one, UPDATE the new
-- one and, when the key columns changed, the old one too.
-- cacheserver_notify_all sends '*': every entry of the channel's loaders is
-- dropped.

CREATE OR REPLACE FUNCTION cacheserver_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    channel text := TG_ARGV[0];
    new_key jsonb;
    old_key jsonb;
    capture text;
    col text;
    i int;
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        new_key := '{}'::jsonb;
        FOR i IN 1 .. TG_NARGS - 1 LOOP
            capture := split_part(TG_ARGV[i], '=', 1);
            col := coalesce(nullif(split_part(TG_ARGV[i], '=', 2), ''), capture);
            new_key := new_key || jsonb_build_object(capture, to_jsonb(NEW) -> col);
        END LOOP;
        PERFORM pg_notify(channel, new_key::text);
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        old_key := '{}'::jsonb;
        FOR i IN 1 .. TG_NARGS - 1 LOOP
            capture := split_part(TG_ARGV[i], '=', 1);
            col := coalesce(nullif(split_part(TG_ARGV[i], '=', 2), ''), capture);
            old_key := old_key || jsonb_build_object(capture, to_jsonb(OLD) -> col);
        END LOOP;
        IF new_key IS DISTINCT FROM old_key THEN
            PERFORM pg_notify(channel, old_key::text);
        END IF;
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION cacheserver_notify_all() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify(TG_ARGV[0], '*');
    RETURN NULL;
END
$$;

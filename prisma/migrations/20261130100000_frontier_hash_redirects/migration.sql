-- A redirect is stored on its source row; its target enters the frontier like a link.
ALTER TYPE "PageState" ADD VALUE 'redirected';

-- Redirects followed to reach this URL (the frontier's hop count for redirect chains).
ALTER TABLE "pages" ADD COLUMN "redirect_hops" INTEGER NOT NULL DEFAULT 0;

-- URLs are unique per crawl through a hash, so a URL of any length fits the index. The hash is
-- a generated column: every writer (Prisma, raw SQL, psql) gets it right without computing it.
-- (convert_to is only STABLE because it depends on the database encoding, which never changes
-- for a database: the wrapper may be IMMUTABLE, as a generated column requires.)
CREATE FUNCTION "spiderd_url_hash"(url TEXT) RETURNS BYTEA
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$ SELECT sha256(convert_to(url, 'UTF8')) $$;
ALTER TABLE "pages" ADD COLUMN "url_hash" BYTEA NOT NULL GENERATED ALWAYS AS (spiderd_url_hash("url")) STORED;
CREATE UNIQUE INDEX "pages_crawl_id_url_hash_key" ON "pages"("crawl_id", "url_hash");
DROP INDEX "pages_crawl_id_url_key";

-- Queued rows of a crawl in id order (requeue and reconcile page through them).
CREATE INDEX "pages_crawl_id_state_id_idx" ON "pages"("crawl_id", "state", "id");
DROP INDEX "pages_crawl_id_state_idx";

-- Pages discovered per host, for crawls with a per-host budget (--max-pages-per-host).
CREATE TABLE "crawl_hosts" (
    "crawl_id" INTEGER NOT NULL,
    "host" TEXT NOT NULL,
    "discovered" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "crawl_hosts_pkey" PRIMARY KEY ("crawl_id","host")
);
ALTER TABLE "crawl_hosts" ADD CONSTRAINT "crawl_hosts_crawl_id_fkey" FOREIGN KEY ("crawl_id") REFERENCES "crawls"("id") ON DELETE CASCADE ON UPDATE CASCADE;

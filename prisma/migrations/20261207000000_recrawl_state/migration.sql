-- Recrawl state per page (docs/recrawl.md): the validators a conditional GET sends back, when the
-- body last changed, when the page is next due and its current interval, and fetch/change counts.
-- All nullable or defaulted, so adding them rewrites no rows.
ALTER TABLE "pages" ADD COLUMN "etag" TEXT,
    ADD COLUMN "last_modified" TEXT,
    ADD COLUMN "changed_at" TIMESTAMP(3),
    ADD COLUMN "next_due_at" TIMESTAMP(3),
    ADD COLUMN "interval_s" INTEGER,
    ADD COLUMN "fetch_count" INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN "change_count" INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN "not_modified" BOOLEAN;

-- Due pages of a crawl, oldest first: the scheduler's claims and status's due counts read only
-- this index's due range.
CREATE INDEX "pages_crawl_id_next_due_at_idx" ON "pages"("crawl_id", "next_due_at");

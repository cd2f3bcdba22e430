-- CreateEnum
CREATE TYPE "PageState" AS ENUM ('queued', 'fetched', 'failed', 'skipped');

-- CreateTable
CREATE TABLE "crawls" (
    "id" SERIAL NOT NULL,
    "name" TEXT NOT NULL,
    "options" JSONB NOT NULL,
    "seed_hosts" TEXT[],
    "discovered" INTEGER NOT NULL DEFAULT 0,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "crawls_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "pages" (
    "id" BIGSERIAL NOT NULL,
    "crawl_id" INTEGER NOT NULL,
    "url" TEXT NOT NULL,
    "depth" INTEGER NOT NULL,
    "state" "PageState" NOT NULL DEFAULT 'queued',
    "discovered_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "final_url" TEXT,
    "status" INTEGER,
    "content_type" TEXT,
    "title" TEXT,
    "description" TEXT,
    "canonical" TEXT,
    "noindex" BOOLEAN,
    "nofollow" BOOLEAN,
    "fetched_at" TIMESTAMP(3),
    "duration_ms" INTEGER,
    "bytes" INTEGER,
    "content_hash" TEXT,
    "error_code" TEXT,
    "error" TEXT,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "links" TEXT[],
    "data" JSONB,

    CONSTRAINT "pages_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "leak_reports" (
    "id" SERIAL NOT NULL,
    "crawl_id" INTEGER,
    "daemon_id" TEXT NOT NULL,
    "host" TEXT NOT NULL,
    "worker_id" INTEGER NOT NULL,
    "pid" INTEGER NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "jobs_done" INTEGER NOT NULL,
    "figures" JSONB NOT NULL,
    "growers" JSONB NOT NULL,
    "snapshots" TEXT[],

    CONSTRAINT "leak_reports_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "crawls_name_key" ON "crawls"("name");

-- CreateIndex
CREATE INDEX "pages_crawl_id_state_idx" ON "pages"("crawl_id", "state");

-- CreateIndex
CREATE INDEX "pages_crawl_id_fetched_at_idx" ON "pages"("crawl_id", "fetched_at");

-- CreateIndex
CREATE UNIQUE INDEX "pages_crawl_id_url_key" ON "pages"("crawl_id", "url");

-- CreateIndex
CREATE INDEX "leak_reports_created_at_idx" ON "leak_reports"("created_at");

-- AddForeignKey
ALTER TABLE "pages" ADD CONSTRAINT "pages_crawl_id_fkey" FOREIGN KEY ("crawl_id") REFERENCES "crawls"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "leak_reports" ADD CONSTRAINT "leak_reports_crawl_id_fkey" FOREIGN KEY ("crawl_id") REFERENCES "crawls"("id") ON DELETE SET NULL ON UPDATE CASCADE;

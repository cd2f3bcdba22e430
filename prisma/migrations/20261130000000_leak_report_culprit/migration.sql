-- AlterTable
ALTER TABLE "leak_reports" ADD COLUMN     "allocation_site" TEXT,
ADD COLUMN     "allocation_sites" JSONB,
ADD COLUMN     "evidence" TEXT NOT NULL DEFAULT 'heap snapshots',
ADD COLUMN     "growing_class" TEXT,
ADD COLUMN     "jobs_at_detection" INTEGER,
ADD COLUMN     "kind" TEXT NOT NULL DEFAULT 'heap',
ADD COLUMN     "retainer_path" TEXT[];

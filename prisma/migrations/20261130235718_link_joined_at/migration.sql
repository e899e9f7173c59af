-- When each membership began. Links that exist already get the time of this migration: when they
-- began is not known, and they all began before anything added from now on.
-- AlterTable
ALTER TABLE "HeroTeamLink" ADD COLUMN     "joinedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP;

-- CreateIndex
CREATE INDEX "HeroTeamLink_teamId_joinedAt_heroId_idx" ON "HeroTeamLink"("teamId", "joinedAt", "heroId");

-- CreateIndex
CREATE INDEX "HeroTeamLink_heroId_joinedAt_teamId_idx" ON "HeroTeamLink"("heroId", "joinedAt", "teamId");

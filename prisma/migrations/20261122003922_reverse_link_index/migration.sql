-- DropIndex
DROP INDEX "HeroTeamLink_heroId_idx";

-- CreateIndex
CREATE INDEX "HeroTeamLink_heroId_teamId_idx" ON "HeroTeamLink"("heroId", "teamId");

-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateTable
CREATE TABLE "Team" (
    "id" SERIAL NOT NULL,
    "name" TEXT NOT NULL,
    "headquarters" TEXT NOT NULL,

    CONSTRAINT "Team_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Hero" (
    "id" SERIAL NOT NULL,
    "name" TEXT NOT NULL,
    "secretName" TEXT NOT NULL,
    "age" INTEGER,

    CONSTRAINT "Hero_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "HeroTeamLink" (
    "teamId" INTEGER NOT NULL,
    "heroId" INTEGER NOT NULL,
    "isTraining" BOOLEAN NOT NULL DEFAULT false,

    CONSTRAINT "HeroTeamLink_pkey" PRIMARY KEY ("teamId","heroId")
);

-- CreateIndex
CREATE INDEX "Team_name_idx" ON "Team"("name");

-- CreateIndex
CREATE INDEX "Hero_name_idx" ON "Hero"("name");

-- CreateIndex
CREATE INDEX "Hero_age_idx" ON "Hero"("age");

-- CreateIndex
CREATE INDEX "HeroTeamLink_heroId_idx" ON "HeroTeamLink"("heroId");

-- AddForeignKey
ALTER TABLE "HeroTeamLink" ADD CONSTRAINT "HeroTeamLink_teamId_fkey" FOREIGN KEY ("teamId") REFERENCES "Team"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "HeroTeamLink" ADD CONSTRAINT "HeroTeamLink_heroId_fkey" FOREIGN KEY ("heroId") REFERENCES "Hero"("id") ON DELETE CASCADE ON UPDATE CASCADE;

import { builder } from '../graphql/builder';
import { dbId, globalId } from '../ids';
import { pageCost } from '../links';
import type { Period } from '../links/history';
import { sideOf as linkSide } from '../links/registry';
import { Hero } from './hero';
import { type Side, sideOf } from './nodes';
import { heroesTeams } from './registry';
import { Team } from './team';

// Membership history (API.md, "Membership history"): the periods of the memberships, kept by the
// triggers of migration membership_history, listed newest first from either end. The periods
// outlive their hero and team: a period of a deleted one keeps its ids, and its hero or team is null.

const [heroEnd, teamEnd] = heroesTeams.ends;
const flag = heroesTeams.flag!.field;

const MembershipPeriod = builder.objectRef<Period>('MembershipPeriod').implement({
  description:
    "One period of a hero's membership of a team: it began as the membership was made or its isTraining changed, and ended as it was removed (its hero or team deleted too) or changed again.",
  fields: (t) => ({
    heroId: t.id({
      description: "The hero's global id, kept after the hero is deleted.",
      resolve: (period) => globalId(heroEnd.entity.name, period[heroEnd.field] as number),
    }),
    teamId: t.id({
      description: "The team's global id, kept after the team is deleted.",
      resolve: (period) => globalId(teamEnd.entity.name, period[teamEnd.field] as number),
    }),
    isTraining: t.boolean({
      description: 'Whether the hero was in training with the team during the period.',
      resolve: (period) => period[flag] as boolean,
    }),
    from: t.field({ type: 'DateTime', description: 'When this period began.', resolve: (period) => period.from }),
    to: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'When it ended; null while it lasts.',
      resolve: (period) => period.to,
    }),
    hero: t.field({
      type: Hero,
      nullable: true,
      description: 'The hero; null once the hero is deleted (the history outlives it).',
      resolve: (period, _args, ctx) => ctx.nodes.Hero.load(period[heroEnd.field] as number),
    }),
    team: t.field({
      type: Team,
      nullable: true,
      description: 'The team; null once the team is deleted (the history outlives it).',
      resolve: (period, _args, ctx) => ctx.nodes.Team.load(period[teamEnd.field] as number),
    }),
  }),
});

const MembershipPeriodConnection = builder.connectionObject({
  type: MembershipPeriod,
  name: 'MembershipPeriodConnection',
});

/** `membershipHistory` of the nodes of `side`, filtered by a node of the far end (`farRef`). */
function historyOf(side: Side, own: typeof Hero | typeof Team, farRef: typeof Hero | typeof Team) {
  const reached = linkSide(heroesTeams, `${side.own.entity.name}.${side.own.connection}`);
  const farName = side.far.entity.name.toLowerCase();
  builder.objectField(own as typeof Hero, 'membershipHistory', (t) =>
    t.connection(
      {
        type: MembershipPeriod,
        complexity: pageCost(heroesTeams),
        description: `The periods of this ${side.noun}'s memberships, newest first, those of deleted ${side.own.connection} included.`,
        args: {
          [side.far.field]: t.arg.globalID({
            for: farRef as typeof Hero,
            description: `Only the periods of the membership of this ${farName}.`,
          }),
          from: t.arg({ type: 'DateTime', description: 'Only the periods that had not ended by this instant.' }),
          to: t.arg({ type: 'DateTime', description: 'Only the periods that had begun by this instant.' }),
        },
        resolve: (parent: { id: number }, args, ctx) => {
          const far = (args as Record<string, { id: string } | null | undefined>)[side.far.field];
          return ctx.loaders.historyOf(reached).connection(parent.id, {
            first: args.first,
            last: args.last,
            after: args.after,
            before: args.before,
            childId: far ? dbId(far) : null,
            from: args.from as Date | null | undefined,
            to: args.to as Date | null | undefined,
          });
        },
      },
      MembershipPeriodConnection,
    ),
  );
}

historyOf(sideOf(0), Hero, Team);
historyOf(sideOf(1), Team, Hero);

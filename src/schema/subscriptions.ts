import { GraphQLError } from 'graphql';
import { builder, type BuilderTypes, loadNode } from '../graphql/builder';
import { dbId, decodeNodeId, globalId } from '../ids';
import { encodeCursor } from '../realtime/events';
import { type Delivery, type MembershipEvent, type NodeEvent } from '../realtime/hub';
import { feed, hub, listenForChanges } from '../realtime';
import { checkedCursor, membershipEvents, nodeEvents, ResumedStream } from '../realtime/resume';
import { Hero } from './hero';
import { Team } from './team';

// Subscriptions: changes of memberships, heroes and teams as the database commits them, whoever
// wrote them, read from the change log (src/realtime/); `after:` resumes from an event's cursor. Each event is resolved with the loaders of its notification, which
// the subscription plugin (src/realtime/subscribe.ts) puts in the context of every event's
// execution: `context.nodes` and `context.loaders` are then shared by every subscriber of it.

const MembershipChange = builder.enumType('MembershipChange', {
  description: 'What happened to a membership.',
  values: {
    ADDED: { description: 'The hero joined the team.' },
    UPDATED: { description: 'The membership changed (isTraining).' },
    REMOVED: { description: 'The hero left the team (also when the hero or the team was deleted).' },
  } as const,
});

const NodeChange = builder.enumType('NodeChange', {
  description: 'What happened to a hero or a team.',
  values: {
    CREATED: { description: 'It was created.' },
    UPDATED: { description: 'Its own fields changed (not its memberships: see membershipChanged).' },
    DELETED: { description: 'It was deleted.' },
  } as const,
});

/** Where an event is in the change log, and when it committed: the same on both kinds of event. */
function changeLogFields<Event extends MembershipEvent | NodeEvent>(
  t: PothosSchemaTypes.ObjectFieldBuilder<BuilderTypes, Event>,
) {
  return {
    cursor: t.string({
      description:
        'Where this event is in the change log: pass it as `after` to resume after it (opaque; kept for CHANGE_LOG_RETENTION).',
      resolve: (event) => encodeCursor(event),
    }),
    committedAt: t.field({
      type: 'DateTime',
      description: 'When the transaction that made this change committed.',
      resolve: (event) => new Date(event.committedAt),
    }),
  };
}

const MembershipEventRef = builder.objectRef<MembershipEvent>('MembershipEvent').implement({
  description: "A change of one hero's membership of one team.",
  fields: (t) => ({
    kind: t.field({ type: MembershipChange, resolve: (event) => event.kind }),
    ...changeLogFields(t),

    heroId: t.id({ description: "The hero's id.", resolve: (event) => globalId('Hero', event.heroId) }),
    teamId: t.id({ description: "The team's id.", resolve: (event) => globalId('Team', event.teamId) }),
    isTraining: t.boolean({
      description: 'Whether the membership is in training (as it was when removed, for REMOVED).',
      resolve: (event) => event.isTraining,
    }),
    hero: t.field({
      type: Hero,
      nullable: true,
      description: 'The hero as it is now; null once it is deleted.',
      resolve: (event, _args, context) => context.nodes.Hero.load(event.heroId),
    }),
    team: t.field({
      type: Team,
      nullable: true,
      description: 'The team as it is now; null once it is deleted.',
      resolve: (event, _args, context) => context.nodes.Team.load(event.teamId),
    }),
  }),
});

const NodeEventRef = builder.objectRef<NodeEvent>('NodeEvent').implement({
  description: 'A change of one hero or team.',
  fields: (t) => ({
    kind: t.field({ type: NodeChange, resolve: (event) => event.kind }),
    ...changeLogFields(t),

    id: t.id({ description: 'The id of the hero or team.', resolve: (event) => globalId(event.type, event.id) }),
    node: t.field({
      type: builder.nodeInterfaceRef(),
      nullable: true,
      description: 'The hero or team as it is now; null once it is deleted.',
      // A deleted node is gone for good (ids are never reused): nothing to read.
      resolve: (event, _args, context) =>
        event.kind === 'DELETED' ? null : loadNode(context, { typename: event.type, id: event.id }),
    }),
  }),
});

/** The event a delivery carries, or the error that ends its stream (EVENT_QUEUE_FULL). */
function eventOf<Event>(delivery: Delivery<Event>): Event {
  if (delivery instanceof GraphQLError) throw delivery;
  return delivery;
}

// Subscribing needs viewer, as reading does.
builder.subscriptionType({ authScopes: { viewer: true } });

builder.subscriptionFields((t) => ({
  membershipChanged: t.field({
    type: MembershipEventRef,
    description:
      "Memberships added, updated and removed: of one hero (heroId), one team (teamId), one hero's membership of one team (both), or all (neither).",
    args: {
      heroId: t.arg.globalID({ for: Hero, description: 'Only the memberships of this hero.' }),
      teamId: t.arg.globalID({ for: Team, description: 'Only the memberships of this team.' }),
      after: t.arg.string({
        description:
          'The cursor of the last event received: every matching event committed since then comes first, exactly once and in commit order, then the live ones. CURSOR_EXPIRED when it is older than CHANGE_LOG_RETENTION or not a cursor of this server.',
      }),
    },
    subscribe: async (_root, args) => {
      const heroId = args.heroId ? dbId(args.heroId) : undefined;
      const teamId = args.teamId ? dbId(args.teamId) : undefined;
      const after = typeof args.after === 'string' ? await checkedCursor(args.after) : null;
      await listenForChanges();
      // Registered and the feed's head read in one turn: the seam (src/realtime/resume.ts).
      const live = hub.memberships({ heroId, teamId }, after);
      return after ? new ResumedStream(live, after, feed.head, membershipEvents({ heroId, teamId })) : live;
    },
    resolve: (delivery: Delivery<MembershipEvent>) => eventOf(delivery),
  }),
  nodeChanged: t.field({
    type: NodeEventRef,
    description: 'Changes of one hero or team: created, its own fields updated, deleted.',
    args: {
      id: t.arg.id({ required: true, description: 'The id of the hero or team.' }),
      after: t.arg.string({
        description:
          'The cursor of the last event received: every matching event committed since then comes first, exactly once and in commit order, then the live ones. CURSOR_EXPIRED when it is older than CHANGE_LOG_RETENTION or not a cursor of this server.',
      }),
    },
    subscribe: async (_root, args) => {
      const { typename, id } = decodeNodeId(String(args.id));
      const type = typename as 'Hero' | 'Team';
      const after = typeof args.after === 'string' ? await checkedCursor(args.after) : null;
      await listenForChanges();
      const live = hub.node(type, Number(id), after);
      return after ? new ResumedStream(live, after, feed.head, nodeEvents(type, Number(id))) : live;
    },
    resolve: (delivery: Delivery<NodeEvent>) => eventOf(delivery),
  }),
}));

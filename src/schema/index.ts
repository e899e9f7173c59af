import { lexicographicSortSchema } from 'graphql';
import { builder } from '../builder';
import './team';
import './hero';
import './membership';
import './team-memberships';
import './subscriptions';

export const schema = lexicographicSortSchema(builder.toSchema());

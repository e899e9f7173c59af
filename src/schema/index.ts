import { lexicographicSortSchema } from 'graphql';
import { builder } from '../graphql/builder';
import './team';
import './hero';
import './membership';
import './team-memberships';
import './membership-history';
import './subscriptions';

export const schema = lexicographicSortSchema(builder.toSchema());

import { lexicographicSortSchema } from 'graphql';
import { builder } from '../builder';
import './team';
import './hero';
import './membership';

export const schema = lexicographicSortSchema(builder.toSchema());

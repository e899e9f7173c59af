import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  buildASTSchema,
  buildSchema,
  type DocumentNode,
  type GraphQLSchema,
  Kind,
  parse,
  printSchema,
  visit,
} from 'graphql';
import {
  classifySchemaChanges,
  describeSchemaChanges,
  parseAcknowledgements,
  readAcknowledgements,
} from '../scripts/schema-changes';
import { schema } from '../src/schema';

const committed = readFileSync(path.resolve(__dirname, '../schema.graphql'), 'utf8');

it('matches the committed schema.graphql (run `npm run schema:print` after a deliberate change)', () => {
  expect(`${printSchema(schema)}\n`).toBe(committed);
});

it('changes the committed schema in no breaking way that schema-breaking-changes.json does not acknowledge', async () => {
  const changes = await classifySchemaChanges(buildSchema(committed), schema, readAcknowledgements());
  const lines = describeSchemaChanges(changes);
  if (lines.length > 0) console.info(`schema.graphql -> the built schema:\n${lines.join('\n')}`);
  expect(changes.unacknowledged.map((change) => `${change.type} ${change.path}: ${change.message}`)).toEqual([]);
});

describe('the classifier, on the committed schema changed', () => {
  const before = buildSchema(committed);
  // Hero.secretName removed, Query.heroes(first:) an Int no more, a field and an enum value added.
  const changed = (document: DocumentNode): GraphQLSchema =>
    buildASTSchema(
      visit(document, {
        ObjectTypeDefinition(node) {
          if (node.name.value === 'Hero') {
            return { ...node, fields: node.fields?.filter((field) => field.name.value !== 'secretName') };
          }
          if (node.name.value === 'Query') {
            return {
              ...node,
              fields: node.fields?.map((field) =>
                field.name.value !== 'heroes'
                  ? field
                  : {
                      ...field,
                      arguments: field.arguments?.map((argument) =>
                        argument.name.value !== 'first'
                          ? argument
                          : {
                              ...argument,
                              type: { kind: Kind.NAMED_TYPE, name: { kind: Kind.NAME, value: 'String' } },
                            },
                      ),
                    },
              ),
            };
          }
          if (node.name.value === 'Team') {
            const motto = parse('type T { motto: String }').definitions[0] as typeof node;
            return { ...node, fields: [...(node.fields ?? []), ...(motto.fields ?? [])] };
          }
          return undefined;
        },
        EnumTypeDefinition(node) {
          if (node.name.value !== 'HeroOrderField') return undefined;
          const added = parse('enum E { SECRET_NAME }').definitions[0] as typeof node;
          return { ...node, values: [...(node.values ?? []), ...(added.values ?? [])] };
        },
      }),
    );
  const after = changed(parse(committed));

  it('flags the removed field and the changed argument type as breaking, and fails without an acknowledgement', async () => {
    const changes = await classifySchemaChanges(before, after, []);
    expect(changes.breaking.map((change) => [change.type, change.path])).toEqual(
      expect.arrayContaining([
        ['FIELD_REMOVED', 'Hero.secretName'],
        ['FIELD_ARGUMENT_TYPE_CHANGED', 'Query.heroes.first'],
      ]),
    );
    expect(changes.unacknowledged).toEqual(changes.breaking);
    expect(changes.dangerous.map((change) => [change.type, change.path])).toEqual([
      ['ENUM_VALUE_ADDED', 'HeroOrderField.SECRET_NAME'],
    ]);
    expect(changes.safe.map((change) => [change.type, change.path])).toEqual([['FIELD_ADDED', 'Team.motto']]);
    expect(describeSchemaChanges(changes)[0]).toMatch(/^Breaking, not acknowledged/);
  });

  it('lets acknowledged breaking changes pass, and only those', async () => {
    const acknowledged = parseAcknowledgements(
      JSON.stringify({
        acknowledged: [{ type: 'FIELD_REMOVED', path: 'Hero.secretName', reason: 'Secret names leak identities.' }],
      }),
    );
    const changes = await classifySchemaChanges(before, after, acknowledged);
    expect(changes.unacknowledged.map((change) => [change.type, change.path])).toEqual([
      ['FIELD_ARGUMENT_TYPE_CHANGED', 'Query.heroes.first'],
    ]);
    const both = parseAcknowledgements(
      JSON.stringify({
        acknowledged: [
          ...acknowledged,
          { type: 'FIELD_ARGUMENT_TYPE_CHANGED', path: 'Query.heroes.first', reason: 'Page sizes as text.' },
        ],
      }),
    );
    expect((await classifySchemaChanges(before, after, both)).unacknowledged).toEqual([]);
  });

  it('takes no acknowledgement without a reason', () => {
    expect(() =>
      parseAcknowledgements(JSON.stringify({ acknowledged: [{ type: 'FIELD_REMOVED', path: 'Hero.secretName' }] })),
    ).toThrow(/acknowledged\[0\] needs a non-empty "reason"/);
  });
});

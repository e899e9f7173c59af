import SchemaBuilder from '@pothos/core';
import RelayPlugin from '@pothos/plugin-relay';
import { graphql as execute, type GraphQLResolveInfo } from 'graphql';
import { JSONResolver } from 'graphql-scalars';
import { onQuery, prisma } from '../src/db';
import type { ReadRoute } from '../src/db/replica-routing';
import {
  createNodeLoaders,
  declareLink,
  type LinkChange,
  LinkLoaders,
  listPage,
  type NodeLoaders,
  refreshLoaders,
  replaceLinksOfSecond,
  sideOf,
} from '../src/links';
import type { Datamodel } from '../src/links/registry';

// The link layer (src/links) is generic: a second many-to-many, students and courses joined by
// enrollments with a grade, over tables this test creates itself and no Prisma model knows, is
// declared in a few lines and served by the same layer through a small GraphQL schema: pages in
// two orders with cursors both ways, filters through the link, a bulk write, and one statement per
// level of a query however many parents it has.

interface Student {
  id: number;
  name: string;
}
interface Course {
  id: number;
  title: string;
  level: number | null;
}

// The datamodel as Prisma would describe these tables (its DMMF's shape): mapped names included.
// The test's database is its own (test/support/database.ts): the tables go with it.
const scalar = (name: string, type: string, options: { dbName?: string; optional?: boolean } = {}) => ({
  name,
  kind: 'scalar',
  type,
  isRequired: !options.optional,
  dbName: options.dbName,
});
const datamodel: Datamodel = {
  models: {
    Student: { dbName: 'students', fields: [scalar('id', 'Int'), scalar('name', 'String')] },
    Course: {
      dbName: 'courses',
      fields: [scalar('id', 'Int'), scalar('title', 'String'), scalar('level', 'Int', { optional: true })],
    },
    Enrollment: {
      dbName: 'enrollments',
      primaryKey: { fields: ['courseId', 'studentId'] },
      fields: [
        scalar('courseId', 'Int', { dbName: 'course_id' }),
        scalar('studentId', 'Int', { dbName: 'student_id' }),
        scalar('grade', 'Int', { optional: true }),
        { name: 'course', kind: 'object', type: 'Course', isRequired: true, relationFromFields: ['courseId'] },
        { name: 'student', kind: 'object', type: 'Student', isRequired: true, relationFromFields: ['studentId'] },
      ],
    },
  },
};

// The declaration: the whole of what this link needs (the line count of the report).
const enrollments = declareLink<{ Student: Student; Course: Course }>(datamodel, {
  model: 'Enrollment',
  ends: [
    { relation: 'student', connection: 'courses' },
    { relation: 'course', connection: 'students' },
  ],
  fields: ['grade'],
  filters: { minGrade: ['grade', '>='] },
  entities: {
    Student: { orderBy: { NAME: 'name' }, filters: { nameContains: ['name', 'contains'] } },
    Course: { orderBy: { TITLE: 'title', LEVEL: 'level' }, filters: { minLevel: ['level', '>='] } },
  },
});
const coursesOfStudent = sideOf<Course>(enrollments, 'Student.courses');
const studentsOfCourse = sideOf<Student>(enrollments, 'Course.students');

interface Context {
  loaders: LinkLoaders;
  nodes: NodeLoaders<{ Student: Student; Course: Course }>;
  reads: ReadRoute;
}

const builder = new SchemaBuilder<{
  Context: Context;
  Scalars: { JSON: { Input: unknown; Output: unknown } };
  DefaultEdgesNullability: false;
  DefaultNodeNullability: false;
}>({
  plugins: [RelayPlugin],
  relay: { cursorType: 'String', edgesFieldOptions: { nullable: false }, nodeFieldOptions: { nullable: false } },
  // The options of the app's other plugins (prisma, scopeAuth) are required by their types once they are loaded.
} as never);
builder.addScalarType('JSON', JSONResolver);

type Args = { first?: number | null; after?: string | null; last?: number | null; before?: string | null } & {
  where?: unknown;
  orderBy?: unknown;
};
const linkArgs = (args: Args) => args as Parameters<ReturnType<LinkLoaders['of']>['connection']>[1];
const grade = (edge: unknown) => (edge as { value(k: number): unknown }).value(0) as number | null;

const StudentRef = builder.objectRef<Student>('Student');
const CourseRef = builder.objectRef<Course>('Course');
StudentRef.implement({
  fields: (t) => ({
    id: t.exposeInt('id'),
    name: t.exposeString('name'),
    courses: t.connection(
      {
        type: CourseRef,
        args: { where: t.arg({ type: 'JSON' }), orderBy: t.arg({ type: 'JSON' }) },
        resolve: (student, args, ctx, info: GraphQLResolveInfo) =>
          ctx.loaders.of(coursesOfStudent).connection(student.id, linkArgs(args), info),
      },
      {},
      { fields: (e) => ({ grade: e.int({ nullable: true, resolve: grade }) }) },
    ),
  }),
});
CourseRef.implement({
  fields: (t) => ({
    id: t.exposeInt('id'),
    title: t.exposeString('title'),
    students: t.connection(
      {
        type: StudentRef,
        args: { where: t.arg({ type: 'JSON' }), orderBy: t.arg({ type: 'JSON' }) },
        resolve: (course, args, ctx, info: GraphQLResolveInfo) =>
          ctx.loaders.of(studentsOfCourse).connection(course.id, linkArgs(args), info),
      },
      {},
      { fields: (e) => ({ grade: e.int({ nullable: true, resolve: grade }) }) },
    ),
  }),
});
builder.queryType({
  fields: (t) => ({
    students: t.connection({
      type: StudentRef,
      args: { where: t.arg({ type: 'JSON' }), orderBy: t.arg({ type: 'JSON' }) },
      resolve: (_root, args, ctx, info) =>
        listPage(enrollments, enrollments.entities.Student, linkArgs(args), info, ctx.reads),
    }),
    course: t.field({
      type: CourseRef,
      nullable: true,
      args: { id: t.arg.int({ required: true }) },
      resolve: (_root, args, ctx) => ctx.nodes.Course.load(args.id),
    }),
  }),
});
const ChangeRef = builder.objectRef<{ added: number; removed: number; updated: number }>('Change').implement({
  fields: (t) => ({ added: t.exposeInt('added'), removed: t.exposeInt('removed'), updated: t.exposeInt('updated') }),
});
builder.mutationType({
  fields: (t) => ({
    setCourseStudents: t.field({
      type: ChangeRef,
      args: { courseId: t.arg.int({ required: true }), students: t.arg({ type: ['JSON'], required: true }) },
      resolve: async (_root, args, ctx) => {
        const students = args.students as { id: number; grade: number | null }[];
        const done = await replaceLinksOfSecond<Course>(enrollments, args.courseId, students);
        refreshLoaders(ctx, done.change);
        return done;
      },
    }),
  }),
});
const schema = builder.toSchema();

/** Runs an operation against the test schema with a fresh request's loaders; its data, and its statements. */
async function run(source: string, variables?: Record<string, unknown>) {
  const reads: ReadRoute = { target: 'primary' };
  const contextValue: Context = {
    loaders: new LinkLoaders(reads),
    nodes: createNodeLoaders(enrollments.entities, reads),
    reads,
  };
  const statements: string[] = [];
  const stop = onQuery((event) => statements.push(event.query));
  try {
    const result = await execute({ schema, source, variableValues: variables, contextValue });
    if (result.errors?.length) throw new Error(JSON.stringify(result.errors));
    return { data: result.data as Record<string, any>, statements }; // eslint-disable-line @typescript-eslint/no-explicit-any
  } finally {
    stop();
  }
}

const names = (connection: { edges: { node: { name?: string; title?: string } }[] }) =>
  connection.edges.map((edge) => edge.node.name ?? edge.node.title);

// Students A..F; courses Algebra (level 1), Biology (level 2), Chemistry (no level); each student
// in two or three courses, the grade 10 + the student's index + the course's.
const students = ['Ada', 'Ben', 'Cy', 'Dee', 'Eve', 'Fay'];
const courses = [
  ['Algebra', 1],
  ['Biology', 2],
  ['Chemistry', null],
] as const;
const studentIds: number[] = [];
const courseIds: number[] = [];

beforeAll(async () => {
  await prisma.$executeRawUnsafe(`CREATE TABLE students (id serial PRIMARY KEY, name text NOT NULL)`);
  await prisma.$executeRawUnsafe(`CREATE TABLE courses (id serial PRIMARY KEY, title text NOT NULL, level int)`);
  await prisma.$executeRawUnsafe(`
    CREATE TABLE enrollments (
      course_id int NOT NULL REFERENCES courses ON DELETE CASCADE,
      student_id int NOT NULL REFERENCES students ON DELETE CASCADE,
      grade int,
      PRIMARY KEY (course_id, student_id)
    )`);
  await prisma.$executeRawUnsafe(`CREATE INDEX ON enrollments (student_id, course_id)`);
  for (const name of students) {
    const [row] = await prisma.$queryRaw<{ id: number }[]>`INSERT INTO students (name) VALUES (${name}) RETURNING id`;
    studentIds.push(row!.id);
  }
  for (const [title, level] of courses) {
    const [row] = await prisma.$queryRaw<
      { id: number }[]
    >`INSERT INTO courses (title, level) VALUES (${title}, ${level}) RETURNING id`;
    courseIds.push(row!.id);
  }
  for (let s = 0; s < students.length; s++) {
    for (let c = 0; c < courses.length; c++) {
      if ((s + c) % 3 === 2) continue; // A: Algebra, Biology; B: Algebra, Chemistry; C: Biology, Chemistry; …
      await prisma.$executeRaw`
        INSERT INTO enrollments (course_id, student_id, grade) VALUES (${courseIds[c]}, ${studentIds[s]}, ${10 + s + c})`;
    }
  }
});

const Page = `
  query Page($first: Int, $after: String, $last: Int, $before: String, $orderBy: JSON, $courseOrder: JSON) {
    students(first: $first, after: $after, last: $last, before: $before, orderBy: $orderBy) {
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      edges {
        node {
          name
          courses(first: 1, orderBy: $courseOrder) {
            pageInfo { hasNextPage endCursor }
            edges { grade node { title } }
          }
        }
      }
    }
  }`;

it('declares the link in 13 lines, from a datamodel it checks', () => {
  const source = require('node:fs').readFileSync(__filename, 'utf8') as string;
  const start = source.indexOf('const enrollments = declareLink');
  const declaration = source.slice(start, source.indexOf('});', start) + 3);
  expect(declaration.split('\n')).toHaveLength(13);
  expect(() =>
    declareLink(datamodel, {
      model: 'Enrollment',
      ends: [
        { relation: 'student', connection: 'courses' },
        { relation: 'course', connection: 'students' },
      ],
      filters: {},
      entities: { Student: { orderBy: { AGE: 'age' }, filters: {} }, Course: { orderBy: {}, filters: {} } },
    }),
  ).toThrow('Student has no column age');
});

it('pages students by name with cursors forwards and backwards, with each one’s courses by title: one statement per level', async () => {
  const byName = { field: 'NAME', direction: 'DESC' };
  const byTitle = { field: 'TITLE' };
  const first = await run(Page, { first: 2, orderBy: byName, courseOrder: byTitle });
  expect(first.statements).toHaveLength(2);
  expect(names(first.data.students)).toEqual(['Fay', 'Eve']);
  // Fay (index 5): Biology, Chemistry; Eve (4): Algebra, Chemistry; each the first by title.
  expect(first.data.students.edges.map((e: any) => e.node.courses.edges[0])).toEqual([
    // eslint-disable-line @typescript-eslint/no-explicit-any
    { grade: 16, node: { title: 'Biology' } },
    { grade: 14, node: { title: 'Algebra' } },
  ]);
  expect(first.data.students.edges[0].node.courses.pageInfo.hasNextPage).toBe(true);

  const next = await run(Page, {
    first: 3,
    after: first.data.students.pageInfo.endCursor,
    orderBy: byName,
    courseOrder: byTitle,
  });
  expect(next.statements).toHaveLength(2);
  expect(names(next.data.students)).toEqual(['Dee', 'Cy', 'Ben']);
  expect(next.data.students.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: true });

  const back = await run(Page, {
    last: 2,
    before: next.data.students.pageInfo.startCursor,
    orderBy: byName,
    courseOrder: byTitle,
  });
  expect(names(back.data.students)).toEqual(['Fay', 'Eve']);
  expect(back.data.students.pageInfo).toMatchObject({ hasPreviousPage: false, hasNextPage: true });

  // A student's courses, the next page after a cursor of the link's own page.
  const fay = first.data.students.edges[0].node.courses.pageInfo.endCursor;
  const more = await run(
    `query More($after: String) { students(first: 1, orderBy: { field: "NAME", direction: "DESC" }) {
      edges { node { courses(first: 5, after: $after, orderBy: { field: "TITLE" }) { edges { grade node { title } } } } } } }`,
    { after: fay },
  );
  expect(more.data.students.edges[0].node.courses.edges).toEqual([{ grade: 17, node: { title: 'Chemistry' } }]);
});

const CourseStudents = `
  query CourseStudents($id: Int!, $first: Int, $after: String, $last: Int, $before: String, $orderBy: JSON, $where: JSON) {
    course(id: $id) {
      students(first: $first, after: $after, last: $last, before: $before, orderBy: $orderBy, where: $where) {
        pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
        edges { grade node { name courses(first: 5, orderBy: { field: "LEVEL", direction: "DESC" }) { edges { node { title } } } } }
      }
    }
  }`;

it("pages a course's students by id with cursors both ways, each with its courses by level: one statement per level", async () => {
  const algebra = courseIds[0]!;
  const page = await run(CourseStudents, { id: algebra, first: 2, orderBy: { field: 'ID' } });
  // Algebra: Ada, Ben, Dee, Eve (ids in that order).
  expect(page.statements).toHaveLength(3);
  expect(names(page.data.course.students)).toEqual(['Ada', 'Ben']);
  expect(page.data.course.students.edges.map((e: any) => e.grade)).toEqual([10, 11]); // eslint-disable-line @typescript-eslint/no-explicit-any
  // Unknown levels first going down, as PostgreSQL orders NULLs.
  expect(names(page.data.course.students.edges[1].node.courses)).toEqual(['Chemistry', 'Algebra']);
  const after = await run(CourseStudents, {
    id: algebra,
    first: 5,
    after: page.data.course.students.pageInfo.endCursor,
    orderBy: { field: 'ID' },
  });
  expect(names(after.data.course.students)).toEqual(['Dee', 'Eve']);
  const before = await run(CourseStudents, {
    id: algebra,
    last: 1,
    before: after.data.course.students.pageInfo.startCursor,
    orderBy: { field: 'ID' },
  });
  expect(names(before.data.course.students)).toEqual(['Ben']);
  expect(before.data.course.students.pageInfo).toMatchObject({ hasPreviousPage: true, hasNextPage: true });
});

it('filters through the link: students with a grade of at least 15 somewhere, and in a course', async () => {
  const root = await run(
    `query { students(first: 10, where: { courses: { some: { minGrade: 15, course: { minLevel: 2 } } } }) {
      edges { node { name } } } }`,
  );
  // Biology (level 2) grades: Ada 11, Cy 13, Dee 14, Fay 16.
  expect(names(root.data.students)).toEqual(['Fay']);
  expect(root.statements).toHaveLength(1);
  const chemistry = courseIds[2]!;
  const filtered = await run(CourseStudents, {
    id: chemistry,
    first: 10,
    orderBy: { field: 'NAME' },
    where: { courses: { some: { minGrade: 12, course: { minLevel: 1 } } } },
  });
  // Chemistry: Ben, Cy, Eve, Fay; of them, with a grade of at least 12 in a course of a level: Cy
  // (Biology 13), Eve (Algebra 14), Fay (Biology 16).
  expect(names(filtered.data.course.students)).toEqual(['Cy', 'Eve', 'Fay']);
  expect(filtered.statements).toHaveLength(3);
});

it('writes the links of a course in bulk, one statement per kind of write, and refreshes the loaders', async () => {
  const biology = courseIds[1]!;
  const [ada, ben, , dee] = studentIds;
  const statements: string[] = [];
  const stop = onQuery((event) => statements.push(event.query));
  let change: LinkChange;
  try {
    // Biology: Ada 11, Cy 13, Dee 14, Fay 16 → Ada 11 (kept), Ben 20 (new), Dee 9 (changed).
    const done = await replaceLinksOfSecond<Course>(enrollments, biology, [
      { id: ada!, grade: 11 },
      { id: ben!, grade: 20 },
      { id: dee!, grade: 9 },
    ]);
    expect(done).toMatchObject({ added: 1, removed: 2, updated: 1, node: { id: biology, title: 'Biology' } });
    change = done.change;
  } finally {
    stop();
  }
  expect(statements).toEqual([
    // The students listed and those enrolled now, whom the write may drop (src/links/locks.ts).
    expect.stringMatching(
      /FROM "students"\s+WHERE id = ANY\(.*\)\s+OR id IN \(SELECT student_id .* ORDER BY id FOR UPDATE/s,
    ),
    expect.stringMatching(/FROM "courses" WHERE id = \$1 FOR NO KEY UPDATE/),
    // No student enrolled between those two locks.
    expect.stringMatching(/SELECT 1 FROM "enrollments"\s+WHERE course_id = \$1 AND student_id <> ALL/s),
    expect.stringMatching(/DELETE FROM "enrollments"/),
    expect.stringMatching(/UPDATE "enrollments" .* FROM unnest\(/s),
    expect.stringMatching(/INSERT INTO "enrollments" .* FROM unnest\(/s),
    expect.stringMatching(/COMMIT/),
  ]);
  expect(change.linksOf).toEqual([expect.arrayContaining([ben, dee, studentIds[2], studentIds[5]]), [biology]]);

  // Through the schema, in one request: the page read before the write is read again after it.
  const request = await run(
    `mutation Set($id: Int!, $students: [JSON!]!) {
      setCourseStudents(courseId: $id, students: $students) { added removed updated }
    }`,
    {
      id: biology,
      students: [
        { id: ada, grade: 11 },
        { id: ben, grade: 20 },
      ],
    },
  );
  expect(request.data.setCourseStudents).toEqual({ added: 0, removed: 1, updated: 0 });
  const after = await run(CourseStudents, { id: biology, first: 10, orderBy: { field: 'NAME' } });
  expect(after.data.course.students.edges.map((e: any) => [e.node.name, e.grade])).toEqual([
    // eslint-disable-line @typescript-eslint/no-explicit-any
    ['Ada', 11],
    ['Ben', 20],
  ]);
});

it('refreshLoaders clears the pages of the nodes a write changed, and only those', async () => {
  const reads: ReadRoute = { target: 'primary' };
  const context = { loaders: new LinkLoaders(reads), nodes: createNodeLoaders(enrollments.entities, reads) };
  const [algebra, biology] = courseIds;
  const loader = context.loaders.of(studentsOfCourse);
  const before = await Promise.all([algebra!, biology!].map((id) => loader.connection(id, { first: 10 })));
  await prisma.$executeRaw`UPDATE enrollments SET grade = 99 WHERE course_id = ANY(${[algebra!, biology!]}::int[])`;
  refreshLoaders(context, { link: enrollments, linksOf: [[], [biology!]], rows: [[], []] });
  const after = await Promise.all([algebra!, biology!].map((id) => loader.connection(id, { first: 10 })));
  expect(after[0]).toBe(before[0]);
  expect(after[1]).not.toBe(before[1]);
  expect(after[1]!.edges.map((edge) => edge.value(0))).toEqual([99, 99]);
});

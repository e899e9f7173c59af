// pg's own conversion of a parameter's value to the text it sends (pg/lib/utils.js, exported by
// pg's package.json), which @types/pg does not describe.
declare module 'pg/lib/utils' {
  export function prepareValue(value: unknown): string | Buffer | null;
}

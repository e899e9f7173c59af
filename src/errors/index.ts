// The errors every layer may raise or recognise: the catalogue of client-facing codes, the
// errors made from it, capacity refusals and the names of the database's failures.
export { codeAnswers, ErrorCode, httpOf, LimitCode, retryAfter, type CodeAnswer } from './codes';
export {
  authenticationUnavailable,
  badInput,
  clientError,
  forbidden,
  notFound,
  signInRequired,
  unauthenticated,
} from './client-errors';
export { type DatabaseFailure, databaseFailures } from './database';
export { isOverload, OverloadedError, overloadedError, overloadMessage } from './overload';

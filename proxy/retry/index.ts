// Public surface of proxy/retry: the retry budget shared by a route's retries (linkerd.md §4.7).
export { DEFAULT_RETRY_BUDGET, RetryBudget, type RetryBudgetOptions } from './budget.ts';

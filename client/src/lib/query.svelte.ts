import type { AnyVariables, Client, CombinedError, DocumentInput } from '@urql/svelte';
import { untrack } from 'svelte';
import { connection } from './connection.svelte.ts';

class QueryState<T> {
  data = $state.raw<T | undefined>(undefined);
  error = $state.raw<CombinedError | null>(null);
  fetching = $state(true);
}

/**
 * A query that runs again whenever its variables change and after every reconnect (catch-up without a reload).
 * Call during component setup; the effect ends with the component.
 */
export function liveQuery<T, V extends AnyVariables = AnyVariables>(
  client: Client,
  document: DocumentInput<T, V>,
  variables: () => V,
) {
  const state = new QueryState<T>();
  let run = 0;
  const manual = $state({ tick: 0 });
  $effect(() => {
    const vars = variables();
    void connection.epoch;
    void manual.tick;
    state.fetching = true;
    const mine = ++run;
    // A cached result may arrive synchronously: reading state there must not become a dependency of this effect.
    const subscription = untrack(() =>
      client.query(document, vars, { requestPolicy: 'network-only' }).subscribe((result) => {
        if (mine !== run) return;
        state.data = result.data ?? state.data;
        state.error = result.error ?? null;
        state.fetching = false;
      }),
    );
    return () => subscription.unsubscribe();
  });
  return {
    get data() {
      return state.data;
    },
    get error() {
      return state.error;
    },
    get fetching() {
      return state.fetching;
    },
    refetch() {
      manual.tick += 1;
    },
  };
}

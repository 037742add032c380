/**
 * Reactive Dexie reads for Solid: `createLiveQuery` runs a Dexie query inside Dexie's `liveQuery`, so the
 * value updates whenever the tables it read change — also when the data worker writes them (Dexie
 * broadcasts changes between contexts).
 *
 *   const datanets = createLiveQuery(() => getDb().datanets.toArray());
 *   const datanet = createLiveQuery(() => params.id, (id) => getDb().datanets.get(id));
 *
 * With a source accessor, the query re-subscribes whenever the source changes; a source of
 * `undefined`, `null` or `false` pauses it (the value becomes `undefined`).
 */
import { liveQuery } from 'dexie';
import { createEffect, createSignal, onCleanup, type Accessor } from 'solid-js';

export interface LiveQuery<T> extends Accessor<T | undefined> {
  /** The last error the query threw, or undefined. */
  error: Accessor<unknown>;
  /** True until the first result (or error) of the current subscription arrives. */
  loading: Accessor<boolean>;
}

export function createLiveQuery<T>(query: () => T | Promise<T>): LiveQuery<T>;
export function createLiveQuery<S, T>(
  source: Accessor<S | undefined | null | false>,
  query: (source: S) => T | Promise<T>,
): LiveQuery<T>;
export function createLiveQuery<S, T>(
  a: Accessor<S | undefined | null | false> | (() => T | Promise<T>),
  b?: (source: S) => T | Promise<T>,
): LiveQuery<T> {
  const [value, setValue] = createSignal<T | undefined>(undefined, { equals: false });
  const [error, setError] = createSignal<unknown>(undefined);
  const [loading, setLoading] = createSignal(true);

  createEffect(() => {
    let querier: () => T | Promise<T>;
    if (b) {
      const src = (a as Accessor<S | undefined | null | false>)();
      if (src === undefined || src === null || src === false) {
        setValue(undefined);
        setLoading(false);
        return;
      }
      querier = () => b(src);
    } else {
      querier = a as () => T | Promise<T>;
    }
    setLoading(true);
    const subscription = liveQuery(querier).subscribe({
      next: (v) => {
        setError(undefined);
        setValue(() => v);
        setLoading(false);
      },
      error: (e: unknown) => {
        console.error('live query failed', e);
        setError(e);
        setLoading(false);
      },
    });
    onCleanup(() => subscription.unsubscribe());
  });

  // eslint-disable-next-line solid/reactivity -- returns the accessor itself (with extra accessors), read by callers
  return Object.assign(value, { error, loading });
}

import type { JSX } from 'solid-js';

interface Props {
  title: string;
  children: JSX.Element;
}

/** A page for a capability that does not exist yet: says so plainly, with no made-up content. */
export function NotBuiltYet(props: Props) {
  return (
    <section class="page">
      <header class="page-header">
        <h1>{props.title}</h1>
      </header>
      <div class="card notice">
        <p class="notice-tag">Not built yet</p>
        <p>{props.children}</p>
      </div>
    </section>
  );
}

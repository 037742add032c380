import { A } from '@solidjs/router';

export function NotFoundPage() {
  return (
    <section class="page">
      <header class="page-header">
        <h1>Page not found</h1>
      </header>
      <p>
        There is no page at this address. <A href="/datanets">Go to the Datanets</A>.
      </p>
    </section>
  );
}

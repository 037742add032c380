import { For } from 'solid-js';
import { A } from '@solidjs/router';

export const NAV_ITEMS = [
  { href: '/chat', label: 'Chat' },
  { href: '/datanets', label: 'Datanets' },
  { href: '/contribute', label: 'Contribute' },
  { href: '/validate', label: 'Validate' },
  { href: '/modelfactory', label: 'ModelFactory' },
  { href: '/adapters', label: 'Adapters' },
  { href: '/ledger', label: 'Ledger' },
  { href: '/settings', label: 'Settings' },
] as const;

/** The main navigation: one link per page. */
export function Nav() {
  return (
    <nav class="nav" aria-label="Main">
      <ul>
        <For each={NAV_ITEMS}>
          {(item) => (
            <li>
              <A href={item.href} activeClass="active" end={item.href !== '/datanets'}>
                {item.label}
              </A>
            </li>
          )}
        </For>
      </ul>
    </nav>
  );
}

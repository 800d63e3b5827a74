// The shell: header with the connection state, tabs, the reconnect banner,
// and the pages. Pages stay mounted while hidden, so a chat or a long task
// keeps going when you look at another tab. The banner lives inside the
// sticky header, so it stays in view however far a page is scrolled.
import { useEffect, type ComponentType } from 'react';
import { ConnectionBanner, ConnectionPill } from './components/Connection.tsx';
import { ChatPage } from './pages/ChatPage.tsx';
import { ConsolePage } from './pages/ConsolePage.tsx';
import { ErrorsPage } from './pages/ErrorsPage.tsx';
import { LongTaskPage } from './pages/LongTaskPage.tsx';
import { OperationsPage } from './pages/OperationsPage.tsx';
import { ROUTES, useHashRoute, type RouteId } from './routes.ts';

const PAGES: Record<RouteId, ComponentType> = {
  console: ConsolePage,
  chat: ChatPage,
  'long-task': LongTaskPage,
  errors: ErrorsPage,
  operations: OperationsPage,
};

export const App = () => {
  const route = useHashRoute();
  const current = ROUTES.find((r) => r.id === route)!;
  useEffect(() => {
    document.title = `${current.title} · Warren demo`;
  }, [current]);
  return (
    <div className={`app app-${route}`}>
      <header className="topbar">
        <div className="topbar-inner">
          <a className="brand" href="#/console">
            <img src="/favicon.svg" alt="" width="28" height="28" />
            <span>Warren</span>
          </a>
          <ConnectionPill />
        </div>
        <nav className="tabs" aria-label="Pages">
          {ROUTES.map(({ id, label }) => (
            <a key={id} href={`#/${id}`} className={id === route ? 'tab tab-active' : 'tab'} aria-current={id === route ? 'page' : undefined}>
              {label}
            </a>
          ))}
        </nav>
        <ConnectionBanner />
      </header>
      <main className="content">
        {ROUTES.map(({ id }) => {
          const Page = PAGES[id];
          return (
            <section key={id} data-page={id} hidden={id !== route}>
              <Page />
            </section>
          );
        })}
      </main>
    </div>
  );
};

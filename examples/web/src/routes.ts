// Client-side tabs in the URL hash (#/chat), so a reload or a shared link
// opens the same page and the gateway needs no routes of its own.
import { useEffect, useState } from 'react';

export const ROUTES = [
  { id: 'console', label: 'Console', title: 'Request console' },
  { id: 'chat', label: 'Chat', title: 'Chat' },
  { id: 'long-task', label: 'Long task', title: 'Long task' },
  { id: 'errors', label: 'Errors', title: 'Error states' },
  { id: 'operations', label: 'Operations', title: 'Operations' },
] as const;

export type RouteId = (typeof ROUTES)[number]['id'];

const parse = (hash: string): RouteId => {
  const id = hash.replace(/^#\/?/, '');
  return ROUTES.find((route) => route.id === id)?.id ?? 'console';
};

export const useHashRoute = (): RouteId => {
  const [route, setRoute] = useState(() => parse(location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parse(location.hash));
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
};

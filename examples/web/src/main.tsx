// Entry: one backend for the page, provided to the app under StrictMode.
import { BackendProvider } from '@warren/react';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.tsx';
import { backend } from './backend.ts';
import './styles/base.css';
import './styles/controls.css';
import './styles/pages.css';

backend.logger.info('web app started', { path: location.pathname + location.hash, userAgent: navigator.userAgent });

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <BackendProvider backend={backend}>
      <App />
    </BackendProvider>
  </StrictMode>,
);

// Title and one line of explanation at the top of each page.
import type { ReactNode } from 'react';

export const PageHeader = ({ title, children }: { title: string; children: ReactNode }) => (
  <div className="page-header">
    <h1>{title}</h1>
    <p>{children}</p>
  </div>
);

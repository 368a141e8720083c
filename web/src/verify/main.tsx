import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { Shell } from '../shared/shell.tsx';
import { VerifyApp } from './VerifyApp.tsx';

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <Shell>
      <VerifyApp />
    </Shell>
  </StrictMode>,
);

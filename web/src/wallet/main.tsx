import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { Shell } from '../shared/shell.tsx';
import { WalletApp } from './WalletApp.tsx';

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <Shell>
      <WalletApp />
    </Shell>
  </StrictMode>,
);
